/* Casebot sandbox: a small stand-in for the Slack client, talking only to the sandbox's JSON API
 * (same origin). Plain JavaScript, no build step, nothing fetched from elsewhere.
 *
 * Sections: 1. chrome strings  2. DOM helpers  3. Slack mrkdwn  4. Block Kit renderer
 *           5. API  6. app state and rendering  7. modals  8. polling and start-up
 *
 * Safety: every piece of server data reaches the page through textContent or DOM nodes, never
 * innerHTML, so a message can hold anything.
 */
"use strict";

/* ---------------------------------------------------------------- 1. chrome strings */

const STRINGS = {
  ko: {
    app_title: "Casebot 샌드박스",
    local_only: "로컬 전용",
    workspace: "Casebot 샌드박스",
    user_label: "사용자",
    home: "홈",
    home_title: "홈",
    messages_tab: "메시지",
    channels: "채널",
    dms: "다이렉트 메시지",
    app_badge: "앱",
    sandbox_note: "샌드박스: 모든 데이터는 이 컴퓨터 안에만 있습니다.",
    plus_hour: "+1시간",
    plus_day: "+1일",
    plus_week: "+1주",
    next_morning: "다음 근무일 아침",
    clock_title: "샌드박스 시각 (앞으로만 움직입니다)",
    clock_offset: "+{offset}",
    offset_days: "{n}일",
    offset_hours: "{n}시간",
    offset_minutes: "{n}분",
    clock_moved: "시계를 {time}(으)로 옮겼습니다",
    clock_nothing: "보낸 알림이 없습니다.",
    clock_failed: "시계를 옮기지 못했습니다: {error}",
    weekdays: ["일", "월", "화", "수", "목", "금", "토"],
    date_long: "{y}년 {m}월 {d}일 ({w})",
    composer_channel: "#{name}에 /case 명령 보내기",
    composer_dm: "{name}에게 /case 명령 보내기",
    composer_hint: "명령어 목록: {help} · Enter로 보내기 · ↑ 이전 명령",
    only_case: "샌드박스는 /case 명령만 알아듣습니다. 예: /case help, /case new",
    command_failed: "명령을 보내지 못했습니다: {error}",
    send: "보내기",
    ephemeral: "나에게만 표시",
    dismiss: "메시지 닫기",
    edited: "(편집됨)",
    no_messages: "아직 메시지가 없습니다.",
    no_messages_hint: "아래 입력창에 {help} 를 입력해 보세요.",
    home_loading: "홈 화면을 불러오는 중…",
    offline: "샌드박스 서버에 연결할 수 없습니다. 다시 시도하는 중…",
    request_failed: "요청을 처리하지 못했습니다: {error}",
    close: "닫기",
    cancel: "취소",
    submit: "제출",
    back: "뒤로",
    optional: "(선택)",
    required: "이 필수 항목을 입력하세요.",
    number_invalid: "숫자를 입력하세요.",
    number_integer: "정수를 입력하세요.",
    number_range: "{min}부터 {max} 사이의 숫자를 입력하세요.",
    number_min: "{min} 이상의 숫자를 입력하세요.",
    number_max: "{max} 이하의 숫자를 입력하세요.",
    min_length: "{n}자 이상 입력하세요.",
    select_placeholder: "선택하세요",
    add_option: "추가…",
    remove: "{name} 빼기",
    max_selected: "최대 {n}개까지 고를 수 있습니다.",
    unsupported_block: "unsupported block: {type}",
    unsupported_element: "unsupported element: {type}",
    more_actions: "메시지 작업",
    shortcut_done: "바로가기를 보냈습니다.",
    submit_failed: "제출하지 못했습니다: {error}",
    persona_title: "이 사람의 역할: {persona}",
    roles: { case_manager: "사례관리자", supervisor: "슈퍼바이저", admin: "관리자", school_staff: "승인 교직원" },
  },
  en: {
    app_title: "Casebot sandbox",
    local_only: "local only",
    workspace: "Casebot Sandbox",
    user_label: "User",
    home: "Home",
    home_title: "Home",
    messages_tab: "Messages",
    channels: "Channels",
    dms: "Direct messages",
    app_badge: "APP",
    sandbox_note: "Sandbox: all data stays on this machine.",
    plus_hour: "+1 hour",
    plus_day: "+1 day",
    plus_week: "+1 week",
    next_morning: "Next working morning",
    clock_title: "Sandbox time (only moves forward)",
    clock_offset: "+{offset}",
    offset_days: "{n}d",
    offset_hours: "{n}h",
    offset_minutes: "{n}min",
    clock_moved: "Clock moved to {time}",
    clock_nothing: "Nothing was sent.",
    clock_failed: "Could not move the clock: {error}",
    weekdays: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
    date_long: "{w}, {d} {mon} {y}",
    months: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    composer_channel: "Send a /case command to #{name}",
    composer_dm: "Send a /case command to {name}",
    composer_hint: "Commands: {help} · Enter to send · ↑ previous command",
    only_case: "The sandbox only understands /case commands, e.g. /case help or /case new.",
    command_failed: "Could not send the command: {error}",
    send: "Send",
    ephemeral: "Only visible to you",
    dismiss: "Dismiss message",
    edited: "(edited)",
    no_messages: "No messages yet.",
    no_messages_hint: "Try typing {help} below.",
    home_loading: "Loading Home…",
    offline: "Cannot reach the sandbox server. Retrying…",
    request_failed: "The request failed: {error}",
    close: "Close",
    cancel: "Cancel",
    submit: "Submit",
    back: "Back",
    optional: "(optional)",
    required: "Please complete this required field.",
    number_invalid: "Enter a number.",
    number_integer: "Enter a whole number.",
    number_range: "Enter a number between {min} and {max}.",
    number_min: "Enter a number of at least {min}.",
    number_max: "Enter a number of at most {max}.",
    min_length: "Enter at least {n} characters.",
    select_placeholder: "Select an option",
    add_option: "Add…",
    remove: "Remove {name}",
    max_selected: "You can choose at most {n}.",
    unsupported_block: "unsupported block: {type}",
    unsupported_element: "unsupported element: {type}",
    more_actions: "Message actions",
    shortcut_done: "Shortcut sent.",
    submit_failed: "Could not submit: {error}",
    persona_title: "This person's part: {persona}",
    roles: { case_manager: "Case manager", supervisor: "Supervisor", admin: "Administrator", school_staff: "Approved school staff" },
  },
};

// The message shortcut declared in manifest.yml (Slack lists it under a message's "More actions").
const MESSAGE_SHORTCUTS = [
  { callback_id: "case.note.from_message", label: { ko: "사례기록으로 추가", en: "Add as case note" } },
];

// /api/state answers at once when something changed, else waits up to LONG_POLL_S for the next change
// (a long poll): a modal or a message shows as soon as the bot's call lands, with no polling delay.
const LONG_POLL_S = 20;
const POLL_MS = 50; // between two long polls
const SHORT_POLL_MS = 700; // when the server had no thread to wait with (many pages open)
const PAGE_ID = Math.random().toString(36).slice(2);
const FAILED_POLL_MS = 2000;
const REPORT_MS = 9000;

/** The chrome language for a Slack locale: Korean for ko-*, English otherwise. */
function langOf(locale) {
  return String(locale || "").toLowerCase().startsWith("ko") ? "ko" : "en";
}

/** A chrome string with {name} placeholders filled in. */
function tr(lang, key, params) {
  const table = STRINGS[lang] || STRINGS.en;
  let text = key in table ? table[key] : STRINGS.en[key] ?? key;
  if (typeof text !== "string") return text;
  for (const [name, value] of Object.entries(params || {})) text = text.split(`{${name}}`).join(String(value));
  return text;
}

/* ---------------------------------------------------------------- 2. DOM helpers */

/** document.createElement with properties; children are nodes or strings (always text, never HTML). */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "value") el.value = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (typeof value === "boolean") el[key] = value;
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** replaceChildren that skips null/false, like h() does (replaceChildren would print "null"). */
function setChildren(node, ...children) {
  node.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

let uniqueCounter = 0;
function uniqueId(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

/* ---------------------------------------------------------------- 3. Slack mrkdwn */

// The shortcodes Casebot's messages use, and a few common ones; unknown ones stay as typed.
const EMOJI = {
  rotating_light: "🚨", warning: "⚠️", white_circle: "⚪", white_check_mark: "✅", red_circle: "🔴",
  large_orange_circle: "🟠", large_yellow_circle: "🟡", large_green_circle: "🟢", large_blue_circle: "🔵",
  point_right: "👉", lock: "🔒", unlock: "🔓", bell: "🔔", calendar: "📆", date: "📅",
  spiral_calendar_pad: "🗓️", memo: "📝", pencil: "✏️", clipboard: "📋", pushpin: "📌", house: "🏠",
  alarm_clock: "⏰", hourglass: "⌛", hourglass_flowing_sand: "⏳", x: "❌", heavy_check_mark: "✔️",
  information_source: "ℹ️", exclamation: "❗", question: "❓", busts_in_silhouette: "👥",
  bust_in_silhouette: "👤", telephone_receiver: "📞", handshake: "🤝", zzz: "💤", tada: "🎉",
  eyes: "👀", mag: "🔍", link: "🔗", page_facing_up: "📄", file_folder: "📁", inbox_tray: "📥",
  outbox_tray: "📤", arrow_right: "➡️", repeat: "🔁", sos: "🆘", no_entry: "⛔", bulb: "💡",
  speech_balloon: "💬", thumbsup: "👍", "+1": "👍", wave: "👋", sparkles: "✨", star: "⭐",
};

function decodeEntities(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] || whole);
}

// Placeholders for code spans and <…> sequences while bold/italic/strike are parsed around them.
const ATOM_BASE = 0xe000;
const ATOM_RE = /[\ue000-\uf8ff]/;
const FORMATS = [
  { tag: "b", re: /(?<![A-Za-z0-9*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![A-Za-z0-9*])/ },
  { tag: "i", re: /(?<![A-Za-z0-9_])_(?=[^\s_])([^_\n]*?[^\s_])_(?![A-Za-z0-9_])/ },
  { tag: "s", re: /(?<![A-Za-z0-9~])~(?=[^\s~])([^~\n]*?[^\s~])~(?![A-Za-z0-9~])/ },
];

/** Slack mrkdwn (as in section texts and messages) to a DocumentFragment. */
function renderMrkdwn(text, ctx) {
  const frag = document.createDocumentFragment();
  const parts = String(text ?? "").split("```");
  if (parts.length % 2 === 0) parts.splice(-2, 2, parts.slice(-2).join("```")); // an unclosed fence
  parts.forEach((part, index) => {
    if (index % 2 === 1) frag.append(h("pre", { class: "mrk-pre" }, decodeEntities(part.replace(/^\n/, ""))));
    else if (part) frag.append(renderMrkdwnLines(part, ctx));
  });
  return frag;
}

function renderMrkdwnLines(text, ctx) {
  const frag = document.createDocumentFragment();
  const lines = text.split("\n");
  let paragraph = null;
  let quote = null;
  for (const line of lines) {
    const quoted = /^(?:&gt;|>)\s?(.*)$/.exec(line);
    const bullet = /^(\s*)(?:[•◦▪‣]|[-*](?=\s))\s*(.*)$/.exec(line);
    if (quoted) {
      paragraph = null;
      if (!quote) frag.append((quote = h("blockquote", { class: "mrk-quote" })));
      else quote.append(h("br"));
      quote.append(...renderInline(quoted[1], ctx));
    } else if (bullet) {
      paragraph = quote = null;
      const depth = Math.min(3, Math.floor(bullet[1].replace(/\t/g, "    ").length / 2));
      frag.append(
        h("div", { class: `mrk-li depth-${depth}` }, h("span", { class: "mrk-bullet", "aria-hidden": "true" }, "•"),
          h("span", { class: "mrk-li-text" }, ...renderInline(bullet[2], ctx))),
      );
    } else {
      quote = null;
      if (!paragraph) frag.append((paragraph = h("div", { class: "mrk-p" })));
      else paragraph.append(h("br"));
      paragraph.append(...renderInline(line, ctx));
    }
  }
  return frag;
}

/** One line of mrkdwn to nodes: `code` and <…> first (nothing formats inside them), then *_~. */
function renderInline(text, ctx) {
  const atoms = [];
  const masked = text
    .replace(/[\ue000-\uf8ff]/g, "\ufffd")
    .replace(/`([^`\n]+)`|<([^<>\n]+)>/g, (whole, code, control) => {
      atoms.push(code !== undefined ? { code } : { control });
      return String.fromCharCode(ATOM_BASE + atoms.length - 1);
    });
  return formatNodes(masked, atoms, ctx);
}

function formatNodes(text, atoms, ctx) {
  const nodes = [];
  let rest = text;
  while (rest) {
    let best = null;
    for (const format of FORMATS) {
      const match = format.re.exec(rest);
      if (match && (!best || match.index < best.match.index)) best = { format, match };
    }
    if (!best) {
      nodes.push(...atomNodes(rest, atoms, ctx));
      break;
    }
    const { format, match } = best;
    nodes.push(...atomNodes(rest.slice(0, match.index), atoms, ctx));
    nodes.push(h(format.tag, { class: `mrk-${format.tag}` }, ...formatNodes(match[1], atoms, ctx)));
    rest = rest.slice(match.index + match[0].length);
  }
  return nodes;
}

function atomNodes(text, atoms, ctx) {
  const nodes = [];
  for (const piece of text.split(/([\ue000-\uf8ff])/)) {
    if (!piece) continue;
    if (ATOM_RE.test(piece)) {
      const atom = atoms[piece.charCodeAt(0) - ATOM_BASE];
      if (!atom) continue;
      nodes.push(atom.code !== undefined ? h("code", { class: "mrk-code" }, decodeEntities(atom.code)) : controlNode(atom.control, ctx));
    } else {
      nodes.push(document.createTextNode(emojify(decodeEntities(piece))));
    }
  }
  return nodes;
}

/** <@U…>, <#C…|name>, <!here>, <!date^…|fallback>, <url|text>. */
function controlNode(control, ctx) {
  const bar = control.indexOf("|");
  const target = bar < 0 ? control : control.slice(0, bar);
  const label = bar < 0 ? null : decodeEntities(control.slice(bar + 1));
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const name = label || (ctx && ctx.userName ? ctx.userName(id) : id);
    return h("span", { class: `mention${ctx && ctx.me === id ? " mention-me" : ""}`, "data-user-id": id }, `@${name}`);
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = label || (ctx && ctx.channelName ? ctx.channelName(id) : id);
    return h("span", { class: "mention mention-channel", "data-channel-id": id }, `#${name}`);
  }
  if (target.startsWith("!")) {
    const word = target.slice(1);
    if (["here", "channel", "everyone"].includes(word)) return h("span", { class: "mention" }, `@${word}`);
    if (word.startsWith("subteam^")) return h("span", { class: "mention" }, label || "@group");
    return document.createTextNode(label || word);
  }
  const url = decodeEntities(target);
  if (/^(https?:|mailto:)/i.test(url)) {
    return h("a", { class: "mrk-link", href: url, target: "_blank", rel: "noopener noreferrer" }, label || url);
  }
  return document.createTextNode(label || url);
}

/** A text object: mrkdwn is parsed, plain_text shown as is (with :emoji: when allowed). */
function renderText(textObject, ctx) {
  if (!textObject) return document.createDocumentFragment();
  if (typeof textObject === "string") return renderMrkdwn(textObject, ctx);
  if (textObject.type === "mrkdwn") return renderMrkdwn(textObject.text, ctx);
  const text = String(textObject.text ?? "");
  return document.createTextNode(textObject.emoji === false ? text : emojify(text));
}

function plainOf(textObject) {
  if (!textObject) return "";
  const text = typeof textObject === "string" ? textObject : String(textObject.text ?? "");
  return textObject.emoji === false ? text : emojify(text);
}

/* ---------------------------------------------------------------- 4. Block Kit renderer
 *
 * renderBlocks(blocks, ctx) -> DocumentFragment. ctx: {lang, me, users: [{id, name}],
 * channels: [{id, name}], userName(id), channelName(id), registry: Map, onAction(action)}.
 * Every stateful element registers {blockId, actionId, type, get(), set(state), isInput, …} in
 * ctx.registry, so that a view's state can be read back in Slack's view.state.values shape.
 */

function renderBlocks(blocks, ctx) {
  const frag = document.createDocumentFragment();
  (blocks || []).forEach((block, index) => frag.append(renderBlock(block, index, ctx)));
  return frag;
}

function renderBlock(block, index, ctx) {
  const renderer = BLOCK_RENDERERS[block && block.type];
  const blockId = block && block.block_id ? String(block.block_id) : `block-${index}`;
  if (!renderer) {
    return h("div", { class: "blk blk-unsupported", "data-testid": "unsupported-block" },
      tr(ctx.lang, "unsupported_block", { type: block && block.type }));
  }
  const node = renderer(block, blockId, ctx);
  node.classList.add("blk", `blk-${block.type}`);
  if (block.block_id || block.type === "input") node.dataset.blockId = blockId;
  node.dataset.blockType = block.type;
  return node;
}

const BLOCK_RENDERERS = {
  header(block) {
    return h("div", { role: "heading", "aria-level": "3" }, plainOf(block.text));
  },
  divider() {
    return h("hr");
  },
  context(block, blockId, ctx) {
    return h("div", {}, (block.elements || []).map((element) => {
      if (element.type === "image") return h("span", { class: "ctx-image", title: element.alt_text || "" }, "▣");
      return h("span", { class: "ctx-item" }, renderText(element, ctx));
    }));
  },
  section(block, blockId, ctx) {
    const main = h("div", { class: "section-main" });
    if (block.text) main.append(h("div", { class: "section-text" }, renderText(block.text, ctx)));
    if (block.fields && block.fields.length) {
      main.append(h("div", { class: "section-fields" }, block.fields.map((field) => h("div", { class: "section-field" }, renderText(field, ctx)))));
    }
    const node = h("div", {}, main);
    if (block.accessory) {
      const accessory = renderElement(block.accessory, blockId, ctx, { dispatch: true, isInput: false });
      node.append(h("div", { class: "section-accessory" }, accessory.node));
    }
    return node;
  },
  actions(block, blockId, ctx) {
    return h("div", {}, (block.elements || []).map((element) => renderElement(element, blockId, ctx, { dispatch: true, isInput: false }).node));
  },
  input(block, blockId, ctx) {
    const element = block.element || {};
    const controlId = uniqueId("input");
    const rendered = renderElement(element, blockId, ctx, {
      dispatch: Boolean(block.dispatch_action),
      isInput: true,
      optional: Boolean(block.optional),
      controlId,
    });
    const groupLike = ["radio_buttons", "checkboxes", "multi_static_select", "multi_users_select",
      "multi_conversations_select", "multi_channels_select"].includes(element.type);
    const label = h(groupLike ? "div" : "label", { class: "input-label", id: `${controlId}-label`, for: groupLike ? null : controlId },
      plainOf(block.label),
      block.optional ? h("span", { class: "input-optional" }, ` ${tr(ctx.lang, "optional")}`) : null);
    if (groupLike) rendered.node.setAttribute("aria-labelledby", `${controlId}-label`);
    return h("div", { class: block.optional ? "is-optional" : "is-required" },
      label,
      h("div", { class: "input-control" }, rendered.node),
      block.hint ? h("div", { class: "input-hint" }, plainOf(block.hint)) : null,
      h("div", { class: "input-error-slot" }));
  },
};

/** One interactive element: {node, get?, set?}. */
function renderElement(element, blockId, ctx, options) {
  const renderer = ELEMENT_RENDERERS[element && element.type];
  if (!renderer) {
    return { node: h("span", { class: "blk-unsupported", "data-testid": "unsupported-element" },
      tr(ctx.lang, "unsupported_element", { type: element && element.type })) };
  }
  const actionId = String(element.action_id ?? uniqueId("action"));
  const spec = { element, blockId, actionId, ctx, ...options };
  const rendered = renderer(spec);
  rendered.node.dataset.actionId = actionId;
  if (rendered.get) {
    const entry = {
      blockId, actionId, type: element.type, element, get: rendered.get, set: rendered.set,
      isInput: Boolean(options.isInput), optional: Boolean(options.optional), node: rendered.node,
      focus: rendered.focus || (() => rendered.node.focus()),
    };
    ctx.registry.set(`${blockId}\u0000${actionId}`, entry);
    if (element.focus_on_load) ctx.focusOnLoad = entry;
  }
  return rendered;
}

/** Tell the page an element changed, if Slack would send block_actions for it. */
function dispatch(spec, state) {
  if (!spec.dispatch) return;
  spec.ctx.onAction({ block_id: spec.blockId, action_id: spec.actionId, ...state });
}

function optionLabel(option) {
  const text = plainOf(option.text);
  return option.description ? `${text} — ${plainOf(option.description)}` : text;
}

function cloneOption(option) {
  return option ? JSON.parse(JSON.stringify(option)) : null;
}

/** A native <select> over `items` ({value, label, option?, group?}) with a placeholder first. */
function nativeSelect(spec, items, initialValue) {
  const { ctx, element } = spec;
  const select = h("select", { class: "bk-select", id: spec.controlId || null, name: spec.actionId });
  select.append(h("option", { value: "" }, plainOf(element.placeholder) || tr(ctx.lang, "select_placeholder")));
  let group = null;
  let groupLabel;
  for (const item of items) {
    if (item.group !== undefined && item.group !== groupLabel) {
      groupLabel = item.group;
      select.append((group = h("optgroup", { label: item.group })));
    }
    (item.group !== undefined ? group : select).append(h("option", { value: item.value }, item.label));
  }
  select.value = items.some((item) => item.value === initialValue) ? initialValue : "";
  select.classList.toggle("is-empty", select.value === "");
  return select;
}

function staticOptions(element) {
  if (element.option_groups) {
    return element.option_groups.flatMap((group) => (group.options || []).map((option) => ({
      value: String(option.value), label: optionLabel(option), option, group: plainOf(group.label),
    })));
  }
  return (element.options || []).map((option) => ({ value: String(option.value), label: optionLabel(option), option }));
}

function userItems(ctx) {
  return ctx.users.map((user) => ({ value: user.id, label: user.name }));
}

function channelItems(ctx) {
  return ctx.channels.map((channel) => ({ value: channel.id, label: `#${channel.name}` }));
}

/** A single select whose state is {key: item→value} (static options, users or conversations). */
function singleSelect(spec, items, initialValue, key, toState) {
  const select = nativeSelect(spec, items, initialValue);
  const read = () => {
    const item = items.find((candidate) => candidate.value === select.value);
    return { type: spec.element.type, [key]: item ? toState(item) : null };
  };
  select.addEventListener("change", () => {
    select.classList.toggle("is-empty", select.value === "");
    dispatch(spec, read());
  });
  return {
    node: select,
    get: read,
    set(state) {
      const value = state[key] && typeof state[key] === "object" ? state[key].value : state[key];
      if (value !== undefined && value !== null && !items.some((item) => item.value === String(value))) return false;
      select.value = value === null || value === undefined ? "" : String(value);
      select.classList.toggle("is-empty", select.value === "");
      return true;
    },
  };
}

/** Slack's multi-selects: chosen items as removable chips, and a select that adds one more. */
function multiSelect(spec, items, initialValues, key, toState) {
  const { ctx, element } = spec;
  const max = Number(element.max_selected_items) || Infinity;
  let chosen = initialValues.filter((value) => items.some((item) => item.value === value));
  const chips = h("div", { class: "chips" });
  const adder = h("select", { class: "bk-select bk-adder", id: spec.controlId || null, name: spec.actionId });
  const note = h("div", { class: "multi-note" });
  const node = h("div", { class: "multi", role: "group" }, chips, adder, note);
  const read = () => ({ type: element.type, [key]: chosen.map((value) => toState(items.find((item) => item.value === value))) });
  const draw = () => {
    chips.replaceChildren(...chosen.map((value) => {
      const item = items.find((candidate) => candidate.value === value);
      return h("span", { class: "chip", "data-value": value }, item.label,
        h("button", {
          type: "button", class: "chip-remove", "aria-label": tr(ctx.lang, "remove", { name: item.label }),
          onclick: () => {
            chosen = chosen.filter((other) => other !== value);
            draw();
            dispatch(spec, read());
          },
        }));
    }));
    const placeholder = chosen.length ? tr(ctx.lang, "add_option") : plainOf(element.placeholder) || tr(ctx.lang, "select_placeholder");
    adder.replaceChildren(h("option", { value: "" }, placeholder));
    let group = null;
    let groupLabel;
    for (const item of items) {
      if (chosen.includes(item.value)) continue;
      if (item.group !== undefined && item.group !== groupLabel) {
        groupLabel = item.group;
        adder.append((group = h("optgroup", { label: item.group })));
      }
      (item.group !== undefined ? group : adder).append(h("option", { value: item.value }, item.label));
    }
    adder.value = "";
    adder.disabled = chosen.length >= max;
    note.textContent = Number.isFinite(max) && chosen.length >= max ? tr(ctx.lang, "max_selected", { n: max }) : "";
    node.classList.toggle("has-chips", chosen.length > 0);
  };
  adder.addEventListener("change", () => {
    if (adder.value && !chosen.includes(adder.value) && chosen.length < max) {
      chosen = [...chosen, adder.value];
      draw();
      dispatch(spec, read());
    }
  });
  draw();
  return {
    node,
    get: read,
    set(state) {
      const values = (state[key] || []).map((value) => (value && typeof value === "object" ? String(value.value) : String(value)));
      if (!values.every((value) => items.some((item) => item.value === value))) return false;
      chosen = values.slice(0, max);
      draw();
      return true;
    },
    focus: () => adder.focus(),
  };
}

const ELEMENT_RENDERERS = {
  button(spec) {
    const { element, ctx } = spec;
    const style = element.style === "primary" || element.style === "danger" ? element.style : "default";
    const button = h("button", { type: "button", class: `bk-button bk-button-${style}`, title: element.url || null },
      plainOf(element.text));
    button.addEventListener("click", async () => {
      if (button.classList.contains("is-busy")) return;
      button.classList.add("is-busy");
      try {
        await ctx.onAction({
          type: "button", block_id: spec.blockId, action_id: spec.actionId, text: element.text,
          ...(element.value !== undefined ? { value: element.value } : {}),
          ...(element.style ? { style: element.style } : {}),
        });
      } finally {
        button.classList.remove("is-busy");
      }
    });
    return { node: button };
  },

  plain_text_input(spec) {
    const { element } = spec;
    const multiline = Boolean(element.multiline);
    const input = multiline
      ? h("textarea", { class: "bk-text bk-textarea", rows: 4 })
      : h("input", { class: "bk-text", type: "text" });
    input.id = spec.controlId || "";
    input.name = spec.actionId;
    if (element.placeholder) input.placeholder = plainOf(element.placeholder);
    if (element.max_length) input.maxLength = Number(element.max_length);
    if (element.min_length) input.minLength = Number(element.min_length);
    input.value = element.initial_value ?? "";
    const read = () => ({ type: "plain_text_input", value: input.value === "" ? null : input.value });
    const triggers = (element.dispatch_action_config && element.dispatch_action_config.trigger_actions_on) || ["on_enter_pressed"];
    if (triggers.includes("on_enter_pressed")) {
      input.addEventListener("keydown", (event) => {
        const send = multiline ? event.key === "Enter" && (event.ctrlKey || event.metaKey) : event.key === "Enter";
        if (send && !event.isComposing) {
          event.preventDefault();
          dispatch(spec, read());
        }
      });
    }
    if (triggers.includes("on_character_entered")) {
      let timer = null;
      input.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => dispatch(spec, read()), 400);
      });
    }
    return {
      node: input,
      get: read,
      set(state) {
        input.value = state.value ?? "";
        return true;
      },
    };
  },

  number_input(spec) {
    const { element } = spec;
    const input = h("input", { class: "bk-text bk-number", type: "number", id: spec.controlId || null, name: spec.actionId });
    input.step = element.is_decimal_allowed ? "any" : "1";
    if (element.min_value !== undefined) input.min = element.min_value;
    if (element.max_value !== undefined) input.max = element.max_value;
    if (element.placeholder) input.placeholder = plainOf(element.placeholder);
    input.value = element.initial_value ?? "";
    const read = () => ({ type: "number_input", value: input.value === "" ? null : input.value });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) dispatch(spec, read());
    });
    return {
      node: input,
      get: read,
      set(state) {
        input.value = state.value ?? "";
        return true;
      },
    };
  },

  static_select(spec) {
    const items = staticOptions(spec.element);
    const initial = spec.element.initial_option ? String(spec.element.initial_option.value) : "";
    return singleSelect(spec, items, initial, "selected_option", (item) => cloneOption(item.option));
  },

  multi_static_select(spec) {
    const items = staticOptions(spec.element);
    const initial = (spec.element.initial_options || []).map((option) => String(option.value));
    return multiSelect(spec, items, initial, "selected_options", (item) => cloneOption(item.option));
  },

  users_select(spec) {
    return singleSelect(spec, userItems(spec.ctx), spec.element.initial_user || "", "selected_user", (item) => item.value);
  },

  multi_users_select(spec) {
    return multiSelect(spec, userItems(spec.ctx), spec.element.initial_users || [], "selected_users", (item) => item.value);
  },

  conversations_select(spec) {
    return singleSelect(spec, channelItems(spec.ctx), spec.element.initial_conversation || "", "selected_conversation", (item) => item.value);
  },

  multi_conversations_select(spec) {
    return multiSelect(spec, channelItems(spec.ctx), spec.element.initial_conversations || [], "selected_conversations", (item) => item.value);
  },

  channels_select(spec) {
    return singleSelect(spec, channelItems(spec.ctx), spec.element.initial_channel || "", "selected_channel", (item) => item.value);
  },

  multi_channels_select(spec) {
    return multiSelect(spec, channelItems(spec.ctx), spec.element.initial_channels || [], "selected_channels", (item) => item.value);
  },

  radio_buttons(spec) {
    return choiceList(spec, "radio");
  },

  checkboxes(spec) {
    return choiceList(spec, "checkbox");
  },

  datepicker(spec) {
    return pickerInput(spec, "date", "selected_date", spec.element.initial_date);
  },

  timepicker(spec) {
    return pickerInput(spec, "time", "selected_time", spec.element.initial_time);
  },
};

function pickerInput(spec, inputType, key, initial) {
  const { element } = spec;
  const input = h("input", { class: `bk-text bk-${inputType}`, type: inputType, id: spec.controlId || null, name: spec.actionId });
  input.value = initial || "";
  if (element.placeholder) input.title = plainOf(element.placeholder);
  const read = () => ({ type: element.type, [key]: input.value === "" ? null : input.value });
  input.addEventListener("change", () => dispatch(spec, read()));
  return {
    node: input,
    get: read,
    set(state) {
      input.value = state[key] || "";
      return true;
    },
  };
}

/** radio_buttons and checkboxes: real inputs with the option's text and description. */
function choiceList(spec, kind) {
  const { element, ctx } = spec;
  const options = element.options || [];
  const name = uniqueId(`choice-${spec.actionId}`);
  const initial = kind === "radio"
    ? [element.initial_option && String(element.initial_option.value)]
    : (element.initial_options || []).map((option) => String(option.value));
  const boxes = [];
  const node = h("div", { class: `choices choices-${kind}`, role: kind === "radio" ? "radiogroup" : "group", id: spec.controlId || null });
  options.forEach((option, index) => {
    const box = h("input", { type: kind, name, value: String(option.value), id: `${name}-${index}` });
    box.checked = initial.includes(String(option.value));
    boxes.push(box);
    node.append(h("label", { class: "choice", for: box.id },
      box,
      h("span", { class: "choice-body" },
        h("span", { class: "choice-text" }, renderText(option.text, ctx)),
        option.description ? h("span", { class: "choice-description" }, renderText(option.description, ctx)) : null)));
  });
  const picked = () => options.filter((option, index) => boxes[index].checked).map(cloneOption);
  const read = kind === "radio"
    ? () => ({ type: element.type, selected_option: picked()[0] || null })
    : () => ({ type: element.type, selected_options: picked() });
  node.addEventListener("change", () => dispatch(spec, read()));
  return {
    node,
    get: read,
    set(state) {
      const wanted = kind === "radio"
        ? [state.selected_option && String(state.selected_option.value)].filter(Boolean)
        : (state.selected_options || []).map((option) => String(option.value));
      if (!wanted.every((value) => options.some((option) => String(option.value) === value))) return false;
      boxes.forEach((box) => { box.checked = wanted.includes(box.value); });
      return true;
    },
    focus: () => boxes[0] && boxes[0].focus(),
  };
}

/** A view's state in Slack's view.state.values shape: every input block's element. */
function collectValues(registry) {
  const values = {};
  for (const entry of registry.values()) {
    if (!entry.isInput) continue;
    (values[entry.blockId] ||= {})[entry.actionId] = entry.get();
  }
  return values;
}

/** Put earlier values back where the block_id, action_id and element type are unchanged. */
function applyValues(registry, values) {
  for (const entry of registry.values()) {
    const state = values && values[entry.blockId] && values[entry.blockId][entry.actionId];
    if (state && state.type === entry.type && entry.set) entry.set(state);
  }
}

function isEmptyState(state) {
  return Object.entries(state).every(([key, value]) => key === "type" || value === null || value === "" ||
    (Array.isArray(value) && value.length === 0));
}

/** What Slack itself checks before it sends a submission: required fields, number bounds, lengths. */
function validateValues(registry, lang) {
  const errors = {};
  for (const entry of registry.values()) {
    if (!entry.isInput) continue;
    const state = entry.get();
    const element = entry.element;
    if (isEmptyState(state)) {
      if (!entry.optional) errors[entry.blockId] = tr(lang, "required");
      continue;
    }
    if (entry.type === "number_input") {
      const number = Number(state.value);
      const min = element.min_value !== undefined ? Number(element.min_value) : null;
      const max = element.max_value !== undefined ? Number(element.max_value) : null;
      if (!Number.isFinite(number)) errors[entry.blockId] = tr(lang, "number_invalid");
      else if (!element.is_decimal_allowed && !Number.isInteger(number)) errors[entry.blockId] = tr(lang, "number_integer");
      else if ((min !== null && number < min) || (max !== null && number > max)) {
        const key = min !== null && max !== null ? "number_range" : min !== null ? "number_min" : "number_max";
        errors[entry.blockId] = tr(lang, key, { min, max });
      }
    } else if (entry.type === "plain_text_input" && element.min_length && state.value.length < Number(element.min_length)) {
      errors[entry.blockId] = tr(lang, "min_length", { n: element.min_length });
    }
  }
  return errors;
}

/** Red messages under the input blocks they name (like Slack); returns the ones with no such block. */
function showFieldErrors(container, errors) {
  for (const old of container.querySelectorAll("[data-testid=field-error]")) old.remove();
  for (const block of container.querySelectorAll(".blk-input.has-error")) block.classList.remove("has-error");
  const unplaced = {};
  for (const [blockId, message] of Object.entries(errors || {})) {
    const block = [...container.querySelectorAll(".blk-input")].find((node) => node.dataset.blockId === blockId);
    if (!block) {
      unplaced[blockId] = message;
      continue;
    }
    block.classList.add("has-error");
    block.querySelector(".input-error-slot").append(
      h("div", { class: "field-error", "data-testid": "field-error", "data-block-id": blockId, role: "alert" },
        String(message))); // the "!" icon is drawn by CSS, so the element's text is the message alone
  }
  return unplaced;
}

/* ---------------------------------------------------------------- 5. API */

async function api(method, path, body, signal) {
  const response = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    cache: "no-store",
    signal,
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok && !(data && typeof data === "object")) throw new Error(`HTTP ${response.status}`);
  return data || {};
}

const getJSON = (path, signal) => api("GET", path, undefined, signal);
const postJSON = (path, body) => api("POST", path, body);

/* ---------------------------------------------------------------- 6. app state and rendering */

const app = {
  session: null,
  userId: null,
  lang: "ko",
  state: null, // the last /api/state with changed: true
  version: null,
  selected: null, // {kind: "home"} | {kind: "conversation", id}
  online: true,
  messageNodes: new Map(), // `${channel}/${ts}` -> {sig, node}
  seenCounts: new Map(), // conversation id -> messages seen
  dismissed: new Set(),
  history: [],
  historyIndex: -1,
  home: null, // {viewId, sig, node, registry}
  modal: null, // {viewId, sig, node, registry, errors, depth}
  savedValues: new Map(), // view id -> values, for a view covered by a pushed one
};

const $ = (id) => document.getElementById(id);
const str = (key, params) => tr(app.lang, key, params);

function currentUser() {
  return app.session.users.find((user) => user.id === app.userId) || app.session.users[0];
}

function userName(id) {
  if (app.session && app.session.bot && id === app.session.bot.id) return app.session.bot.name;
  const user = app.session && app.session.users.find((candidate) => candidate.id === id);
  return user ? user.name : id;
}

function conversations() {
  return (app.state && app.state.conversations) || [];
}

function channelName(id) {
  const conversation = conversations().find((candidate) => candidate.id === id);
  return conversation ? conversation.name : id;
}

/** What the Block Kit renderer needs to know about the sandbox. */
function renderContext(onAction) {
  return {
    lang: app.lang,
    me: app.userId,
    users: app.session.users.map((user) => ({ id: user.id, name: user.name })),
    channels: conversations().filter((conversation) => conversation.kind === "channel"),
    userName,
    channelName,
    registry: new Map(),
    onAction,
  };
}

function applyChrome() {
  document.documentElement.lang = app.lang;
  document.title = str("app_title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = str(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-title]")) {
    node.title = str(node.dataset.i18nTitle);
    node.setAttribute("aria-label", str(node.dataset.i18nTitle));
  }
  $("workspace-name").replaceChildren(
    h("span", { class: "workspace-name" }, (app.session.workspace && app.session.workspace.name) || str("workspace")),
  );
  $("clock").title = str("clock_title");
  const helpCommand = `${app.session.command || "/case"} help`;
  $("composer-hint").replaceChildren(...str("composer_hint", { help: "\u0000" }).split("\u0000").flatMap((part, index) =>
    index === 0 ? [part] : [h("code", { class: "hint-code" }, helpCommand), part]));
}

function renderUserSwitcher() {
  const select = $("user-switcher");
  select.replaceChildren(...app.session.users.map((user) => {
    const role = roleLabel(user);
    const persona = (user.persona && user.persona[app.lang]) || "";
    const parts = [user.name, role, user.team].filter(Boolean).join(" · ");
    return h("option", { value: user.id }, persona && persona !== role ? `${parts} — ${persona}` : parts);
  }));
  select.value = app.userId;
  const user = currentUser();
  const persona = (user.persona && user.persona[app.lang]) || roleLabel(user);
  const badge = $("persona");
  badge.textContent = persona;
  badge.title = str("persona_title", { persona });
  badge.dataset.role = user.role || "";
}

/** The role's label in the chrome language: the server's role_label, else the chrome's own words. */
function roleLabel(user) {
  if (user.role_label && user.role_label[app.lang]) return user.role_label[app.lang];
  const known = str("roles");
  return (known && known[user.role]) || user.role || "";
}

function renderClock(clock) {
  if (!clock) return;
  const text = formatClock(clock.now);
  $("clock-text").textContent = text;
  $("clock").dataset.now = clock.now;
  const offset = offsetText(Number(clock.offset_minutes || 0));
  $("clock-offset").textContent = offset ? str("clock_offset", { offset }) : "";
  $("clock-offset").hidden = !offset;
}

/** How far the sandbox clock is ahead (the server's one number, in minutes) as "8일 3시간": days and
 * hours, the minutes only while it is under an hour. */
function offsetText(minutes) {
  if (minutes <= 0) return "";
  if (minutes < 60) return str("offset_minutes", { n: minutes });
  const hours = Math.round(minutes / 60);
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return [days ? str("offset_days", { n: days }) : "", rest ? str("offset_hours", { n: rest }) : ""].filter(Boolean).join(" ");
}

/** "2026-11-23T13:05:00+09:00" as the sandbox's own wall time, whatever the browser's zone. */
function wallTime(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(String(iso || ""));
  if (!match) return null;
  const [, y, m, d, hh, mm] = match.map(Number);
  return { y, m, d, hh, mm, weekday: new Date(Date.UTC(y, m - 1, d)).getUTCDay() };
}

function formatDate(wall) {
  return str("date_long", {
    y: wall.y, m: wall.m, d: wall.d, w: str("weekdays")[wall.weekday], mon: (STRINGS.en.months)[wall.m - 1],
  });
}

function formatClock(iso) {
  const wall = wallTime(iso);
  if (!wall) return String(iso || "");
  const pad = (n) => String(n).padStart(2, "0");
  return `${wall.y}-${pad(wall.m)}-${pad(wall.d)} (${str("weekdays")[wall.weekday]}) ${pad(wall.hh)}:${pad(wall.mm)}`;
}

/** The UTC offset of the sandbox clock in minutes ("+09:00" -> 540), to show message times. */
function clockOffsetMinutes() {
  const now = (app.state && app.state.clock && app.state.clock.now) || (app.session.clock && app.session.clock.now) || "";
  const match = /([+-])(\d{2}):?(\d{2})$/.exec(now);
  if (!match) return -new Date().getTimezoneOffset();
  return (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

function wallOfTs(ts) {
  const seconds = Number(String(ts).split(".")[0]);
  if (!Number.isFinite(seconds)) return null;
  const shifted = new Date((seconds + clockOffsetMinutes() * 60) * 1000);
  return {
    y: shifted.getUTCFullYear(), m: shifted.getUTCMonth() + 1, d: shifted.getUTCDate(),
    hh: shifted.getUTCHours(), mm: shifted.getUTCMinutes(), weekday: shifted.getUTCDay(),
  };
}

function renderSidebar() {
  const selected = app.selected || {};
  $("nav-home").classList.toggle("is-active", selected.kind === "home");
  $("nav-home").setAttribute("aria-current", selected.kind === "home" ? "page" : "false");
  const item = (conversation) => {
    const unread = unreadCount(conversation.id);
    const active = selected.kind === "conversation" && selected.id === conversation.id;
    const icon = conversation.kind === "dm"
      ? h("span", { class: "nav-avatar bot-avatar", "aria-hidden": "true" }, "C")
      : h("span", { class: "nav-icon", "aria-hidden": "true" }, "#");
    return h("li", {},
      h("button", {
        type: "button",
        class: `nav-item${active ? " is-active" : ""}${unread ? " is-unread" : ""}`,
        "data-testid": `nav-${conversation.id}`,
        "data-conversation-id": conversation.id,
        "aria-current": active ? "page" : "false",
        onclick: () => select({ kind: "conversation", id: conversation.id }),
      },
      icon,
      h("span", { class: "nav-name" }, conversation.name),
      conversation.kind === "dm" ? h("span", { class: "app-badge" }, str("app_badge")) : null,
      unread ? h("span", { class: "unread", "data-testid": `unread-${conversation.id}` }, String(unread)) : null));
  };
  const all = conversations();
  $("nav-channels").replaceChildren(...all.filter((conversation) => conversation.kind !== "dm").map(item));
  $("nav-dms").replaceChildren(...all.filter((conversation) => conversation.kind === "dm").map(item));
}

function messagesOf(id) {
  return ((app.state && app.state.messages && app.state.messages[id]) || []).filter((message) => !app.dismissed.has(message.ts));
}

function unreadCount(id) {
  if (!app.seenCounts.has(id)) app.seenCounts.set(id, messagesOf(id).length);
  return Math.max(0, messagesOf(id).length - app.seenCounts.get(id));
}

function select(selection) {
  const same = JSON.stringify(selection) === JSON.stringify(app.selected);
  app.selected = selection;
  remember();
  if (selection.kind === "home") {
    postJSON("/api/home", { user: app.userId }).then(pollNow, () => setOnline(false));
  }
  renderAll({ scrollToEnd: !same });
  if (selection.kind === "conversation") $("composer").focus();
}

function remember() {
  const params = new URLSearchParams(location.search);
  params.set("user", app.userId);
  if (app.selected.kind === "home") {
    params.set("view", "home");
    params.delete("conv");
  } else {
    params.set("conv", app.selected.id);
    params.delete("view");
  }
  history.replaceState(null, "", `${location.pathname}?${params}`);
  try {
    localStorage.setItem("casebot-sandbox", JSON.stringify({ user: app.userId, selected: app.selected }));
  } catch {
    /* private mode: nothing to remember */
  }
}

function ensureSelection() {
  const all = conversations();
  if (app.selected && app.selected.kind === "home") return;
  if (app.selected && all.some((conversation) => conversation.id === app.selected.id)) return;
  const first = all.find((conversation) => conversation.kind === "channel") || all[0];
  app.selected = first ? { kind: "conversation", id: first.id } : { kind: "home" };
  remember();
}

function renderAll(options = {}) {
  if (!app.state) return;
  ensureSelection();
  renderClock(app.state.clock);
  renderPane(options);
  renderSidebar();
  renderModal();
}

function renderPane(options) {
  const onHome = app.selected.kind === "home";
  const header = $("pane-header");
  if (onHome) {
    setChildren(header,
      h("span", { class: "pane-avatar bot-avatar", "aria-hidden": "true" }, "C"),
      h("span", { class: "pane-title" }, (app.session.bot && app.session.bot.name) || "Casebot"),
      h("span", { class: "pane-tabs" }, h("span", { class: "pane-tab is-active" }, str("home_title"))),
    );
  } else {
    const conversation = conversations().find((candidate) => candidate.id === app.selected.id) || { name: "" };
    setChildren(header,
      conversation.kind === "dm"
        ? h("span", { class: "pane-avatar bot-avatar", "aria-hidden": "true" }, "C")
        : h("span", { class: "pane-hash", "aria-hidden": "true" }, "#"),
      h("span", { class: "pane-title" }, conversation.name),
      conversation.kind === "dm" ? h("span", { class: "app-badge" }, str("app_badge")) : null,
    );
    const placeholder = conversation.kind === "dm" ? "composer_dm" : "composer_channel";
    $("composer").placeholder = str(placeholder, { name: conversation.name });
  }
  $("home").hidden = !onHome;
  $("messages").hidden = onHome;
  $("composer-area").hidden = onHome;
  if (onHome) renderHome();
  else renderMessages(app.selected.id, options);
}

/* Home tab ------------------------------------------------------------------- */

function renderHome() {
  const container = $("home");
  const view = app.state.home;
  if (!view) {
    app.home = null;
    container.replaceChildren(h("div", { class: "placeholder" }, str("home_loading")));
    return;
  }
  const sig = viewSignature(view);
  if (app.home && app.home.viewId === view.id && app.home.sig === sig && container.contains(app.home.node)) return;
  const previous = app.home && app.home.viewId === view.id ? collectValues(app.home.registry) : null;
  const ctx = renderContext((action) => sendAction({ type: "view", view_id: view.id }, action, ctx.registry));
  const node = h("div", { class: "surface surface-home", "data-view-id": view.id }, renderBlocks(view.blocks, ctx));
  if (previous) applyValues(ctx.registry, previous);
  app.home = { viewId: view.id, sig, node, registry: ctx.registry };
  container.replaceChildren(node);
}

/* Messages ------------------------------------------------------------------- */

function renderMessages(id, options) {
  const list = $("messages");
  const scroller = $("pane-scroll");
  const nearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  const messages = messagesOf(id);
  const keep = new Set();
  const children = [];
  let lastDay = null;
  let previous = null;
  for (const message of messages) {
    const wall = wallOfTs(message.ts);
    const day = wall ? `${wall.y}-${wall.m}-${wall.d}` : null;
    if (day && day !== lastDay) {
      children.push(h("div", { class: "day-divider", role: "separator" }, h("span", {}, formatDate(wall))));
      lastDay = day;
    }
    const key = `${app.userId}/${id}/${message.ts}`;
    const sig = JSON.stringify(message);
    let cached = app.messageNodes.get(key);
    if (!cached || cached.sig !== sig) {
      cached = { sig, node: renderMessage(id, message, wall) };
      app.messageNodes.set(key, cached);
    }
    keep.add(key);
    // Like Slack, a message from the same author within five minutes drops its avatar and name.
    const follows = previous && previous.user === message.user && !previous.ephemeral && !message.ephemeral &&
      day === lastDay && children[children.length - 1] === app.messageNodes.get(`${app.userId}/${id}/${previous.ts}`).node &&
      Math.abs(Number(message.ts) - Number(previous.ts)) < 300;
    cached.node.classList.toggle("is-continuation", Boolean(follows));
    children.push(cached.node);
    previous = message;
  }
  for (const key of [...app.messageNodes.keys()]) {
    if (key.startsWith(`${app.userId}/${id}/`) && !keep.has(key)) app.messageNodes.delete(key);
  }
  if (!messages.length) {
    children.push(h("div", { class: "placeholder" },
      h("div", {}, str("no_messages")),
      h("div", { class: "placeholder-hint" }, str("no_messages_hint", { help: `${app.session.command || "/case"} help` }))));
  }
  const grew = messages.length > (app.seenCounts.get(id) ?? 0);
  const top = scroller.scrollTop;
  list.replaceChildren(...children);
  app.seenCounts.set(id, messages.length);
  if (options.scrollToEnd || (grew && nearBottom) || (grew && messages[messages.length - 1].ephemeral)) {
    scroller.scrollTop = scroller.scrollHeight;
  } else {
    scroller.scrollTop = top; // a message changed in place (a snooze click): the view stays where it was
  }
}

function initialOf(name) {
  const bare = String(name || "?").replace(/^\S+팀\s+/, "").trim();
  return Array.from(bare)[0] || "?";
}

function avatarColour(id) {
  let hash = 0;
  for (const char of String(id)) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return ["#4a6fa5", "#8a5a9e", "#b5651d", "#2e7d6b", "#a23b5b", "#5d6d7e", "#3f7f3f"][hash % 7];
}

function renderMessage(channel, message, wall) {
  const isBot = app.session.bot && message.user === app.session.bot.id;
  const name = userName(message.user);
  const pad = (n) => String(n).padStart(2, "0");
  const ctx = renderContext((action) => sendAction(
    { type: "message", channel, ts: message.ts, ...(message.ephemeral ? { is_ephemeral: true } : {}) }, action, null));
  const content = message.blocks && message.blocks.length
    ? renderBlocks(message.blocks, ctx)
    : h("div", { class: "message-text" }, renderMrkdwn(message.text || "", ctx));
  const avatar = isBot
    ? h("div", { class: "msg-avatar bot-avatar", "aria-hidden": "true" }, "C")
    : h("div", { class: "msg-avatar", "aria-hidden": "true" }, initialOf(name));
  // CSSOM, not a style attribute: the server's Content-Security-Policy refuses inline styles.
  avatar.style.backgroundColor = isBot ? "" : avatarColour(message.user);
  const node = h("div", {
    class: `message${message.ephemeral ? " is-ephemeral" : ""}`,
    "data-testid": "message",
    "data-ts": message.ts,
    "data-user": message.user,
    "data-ephemeral": message.ephemeral ? "true" : "false",
  },
  message.ephemeral
    ? h("div", { class: "ephemeral-marker", "data-testid": "ephemeral-marker" },
      h("span", { class: "eye", "aria-hidden": "true" }, "👁"), str("ephemeral"))
    : null,
  h("div", { class: "msg-row" },
    avatar,
    h("div", { class: "msg-body" },
      h("div", { class: "msg-meta" },
        h("span", { class: "msg-author" }, name),
        isBot ? h("span", { class: "app-badge" }, str("app_badge")) : null,
        wall ? h("span", { class: "msg-time", title: formatDate(wall) }, `${pad(wall.hh)}:${pad(wall.mm)}`) : null,
        message.edited ? h("span", { class: "msg-edited" }, str("edited")) : null),
      h("div", { class: "msg-content" }, content),
      message.ephemeral
        ? h("button", {
          type: "button", class: "link-button", "data-testid": "dismiss",
          onclick: () => { app.dismissed.add(message.ts); renderAll(); },
        }, str("dismiss"))
        : null)),
  message.ephemeral ? null : messageMenu(channel, message));
  return node;
}

/** The "more actions" menu of a message, offering the app's message shortcuts. */
function messageMenu(channel, message) {
  const menu = h("div", { class: "msg-menu", role: "menu", hidden: true },
    MESSAGE_SHORTCUTS.map((shortcut) => h("button", {
      type: "button", class: "msg-menu-item", role: "menuitem", "data-testid": `shortcut-${shortcut.callback_id}`,
      onclick: async () => {
        menu.hidden = true;
        try {
          const result = await postJSON("/api/shortcut", { user: app.userId, channel, ts: message.ts, callback_id: shortcut.callback_id });
          if (result.ok === false) showNote(str("request_failed", { error: result.error || "?" }), "error");
        } catch (error) {
          showNote(str("request_failed", { error: error.message }), "error");
        }
        pollNow();
      },
    }, shortcut.label[app.lang] || shortcut.label.en)));
  const toggle = h("button", {
    type: "button", class: "msg-menu-toggle", "data-testid": "message-actions", title: str("more_actions"),
    "aria-label": str("more_actions"), "aria-haspopup": "menu",
    onclick: (event) => {
      event.stopPropagation();
      const open = menu.hidden;
      for (const other of document.querySelectorAll(".msg-menu")) other.hidden = true;
      menu.hidden = !open;
    },
  }, "⋯");
  return h("div", { class: "msg-tools" }, toggle, menu);
}

/* Actions and commands ------------------------------------------------------- */

async function sendAction(container, action, registry) {
  const body = { user: app.userId, container, action };
  if (container.type === "view") body.values = collectValues(registry || new Map());
  try {
    const result = await postJSON("/api/action", body);
    if (result.ok === false) showFailure(str("request_failed", { error: result.error || "?" }));
  } catch (error) {
    showFailure(str("request_failed", { error: error.message }));
  }
  pollNow();
}

/** A failure shown where the user is looking: in the open modal, else above the composer. */
function showFailure(text) {
  if (app.modal) showModalNotice(text);
  else showNote(text, "error");
}

let noteTimer = null;
function showNote(text, tone) {
  const note = $("composer-note");
  note.textContent = text;
  note.dataset.tone = tone || "info";
  note.hidden = false;
  clearTimeout(noteTimer);
  noteTimer = setTimeout(() => { note.hidden = true; }, 12000);
  if (app.selected && app.selected.kind === "home") {
    // The Home tab has no composer: show the note as a toast instead.
    showToast(null, text, tone);
  }
}

async function sendComposer() {
  const input = $("composer");
  const text = input.value.trim();
  if (!text) return;
  const command = app.session.command || "/case";
  input.value = "";
  app.history.push(text);
  app.historyIndex = -1;
  if (!(text === command || text.startsWith(`${command} `))) {
    showNote(str("only_case"), "info");
    return;
  }
  $("composer-note").hidden = true;
  input.classList.add("is-sending");
  try {
    const result = await postJSON("/api/command", { user: app.userId, channel: app.selected.id, text });
    if (result.ok === false) showNote(str("command_failed", { error: result.error || "?" }), "error");
  } catch (error) {
    showNote(str("command_failed", { error: error.message }), "error");
  } finally {
    input.classList.remove("is-sending");
  }
  pollNow();
}

function composerKeydown(event) {
  if (event.isComposing) return; // Korean IME: Enter ends the syllable, it does not send
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    sendComposer();
  } else if (event.key === "ArrowUp" && app.history.length && (event.target.value === "" || app.historyIndex >= 0)) {
    event.preventDefault();
    app.historyIndex = app.historyIndex < 0 ? app.history.length - 1 : Math.max(0, app.historyIndex - 1);
    event.target.value = app.history[app.historyIndex];
  } else if (event.key === "ArrowDown" && app.historyIndex >= 0) {
    event.preventDefault();
    app.historyIndex += 1;
    if (app.historyIndex >= app.history.length) {
      app.historyIndex = -1;
      event.target.value = "";
    } else {
      event.target.value = app.history[app.historyIndex];
    }
  }
}

/* Clock ---------------------------------------------------------------------- */

async function advanceClock(button) {
  const body = button.dataset.to ? { to: button.dataset.to }
    : button.dataset.hours ? { hours: Number(button.dataset.hours) } : { days: Number(button.dataset.days) };
  const buttons = document.querySelectorAll(".clock-button");
  buttons.forEach((other) => { other.disabled = true; });
  button.classList.add("is-busy");
  try {
    const result = await postJSON("/api/clock", { ...body, user: app.userId });
    if (result.ok === false) {
      showToast(null, str("clock_failed", { error: result.error || "?" }), "error");
    } else {
      if (result.clock) renderClock(result.clock);
      // The report is one line per job that did something (a list), or one text.
      const report = (Array.isArray(result.report) ? result.report.join("\n") : String(result.report ?? "")).trim();
      showToast(str("clock_moved", { time: formatClock(result.clock && result.clock.now) }), report || str("clock_nothing"), "info");
    }
  } catch (error) {
    showToast(null, str("clock_failed", { error: error.message }), "error");
  } finally {
    buttons.forEach((other) => { other.disabled = false; });
    button.classList.remove("is-busy");
  }
  pollNow();
}

let toastTimer = null;
function showToast(title, text, tone) {
  const toast = $("clock-report");
  setChildren(toast,
    h("button", { type: "button", class: "toast-close", "aria-label": str("close"), onclick: () => { toast.hidden = true; } }),
    title ? h("div", { class: "toast-title" }, title) : null,
    h("div", { class: "toast-text" }, text),
  );
  toast.dataset.tone = tone || "info";
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, REPORT_MS);
}

/* ---------------------------------------------------------------- 7. modals */

function viewSignature(view) {
  return JSON.stringify([view.hash || null, view.title, view.submit, view.close, view.blocks]);
}

function renderModal() {
  const root = $("modal-root");
  const stack = (app.state && app.state.modals) || [];
  const top = stack[stack.length - 1];
  const current = app.modal;
  // Forget saved values of views that left the stack.
  for (const id of [...app.savedValues.keys()]) {
    if (!stack.some((view) => view.id === id)) app.savedValues.delete(id);
  }
  if (!top) {
    if (current) {
      app.modal = null;
      root.replaceChildren();
      document.body.classList.remove("has-modal");
    }
    return;
  }
  const sig = viewSignature(top);
  if (current && current.viewId === top.id && current.sig === sig && root.contains(current.node)) {
    if (current.depth !== stack.length) {
      current.depth = stack.length;
      current.back.hidden = stack.length < 2;
    }
    return;
  }
  // What the user typed survives: in a view that is covered (push) and one that is updated in place.
  if (current && stack.some((view) => view.id === current.viewId)) {
    app.savedValues.set(current.viewId, collectValues(current.registry));
  }
  const sameView = current && current.viewId === top.id;
  buildModal(top, stack.length); // like Slack, a new or updated view starts without field errors
  const saved = app.savedValues.get(top.id);
  if (saved) applyValues(app.modal.registry, saved);
  if (!sameView) {
    const first = app.modal.focusOnLoad;
    (first ? first.focus : () => app.modal.node.querySelector(".modal-dialog").focus())();
  }
}

function buildModal(view, depth) {
  const root = $("modal-root");
  const ctx = renderContext((action) => sendAction({ type: "view", view_id: view.id }, action, ctx.registry));
  const notice = h("div", { class: "modal-notice", "data-testid": "modal-notice", role: "alert", hidden: true });
  const body = h("div", { class: "modal-body surface surface-modal" }, notice, renderBlocks(view.blocks, ctx));
  const titleId = uniqueId("modal-title");
  const back = h("button", {
    type: "button", class: "modal-back", "data-testid": "modal-back", "aria-label": str("back"), title: str("back"),
    hidden: depth < 2, onclick: () => closeModal(view.id),
  }, "←");
  const submit = view.submit
    ? h("button", { type: "button", class: "bk-button bk-button-primary modal-submit", "data-testid": "modal-submit", onclick: () => submitModal() },
      plainOf(view.submit))
    : null;
  const dialog = h("div", {
    class: "modal-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId, tabindex: "-1",
    "data-testid": "modal", "data-view-id": view.id, "data-callback-id": view.callback_id || "",
  },
  h("div", { class: "modal-header" },
    back,
    h("span", { class: "modal-app", "aria-hidden": "true" }, h("span", { class: "bot-avatar modal-avatar" }, "C")),
    h("h2", { class: "modal-title", id: titleId }, plainOf(view.title)),
    h("button", {
      type: "button", class: "modal-x", "data-testid": "modal-x", "aria-label": str("close"), title: str("close"),
      onclick: () => closeModal(view.id),
    }, "×")),
  body,
  h("div", { class: "modal-footer" },
    h("button", { type: "button", class: "bk-button bk-button-default modal-close", "data-testid": "modal-close", onclick: () => closeModal(view.id) },
      view.close ? plainOf(view.close) : str(view.submit ? "cancel" : "close")),
    submit));
  const overlay = h("div", { class: "modal-overlay" }, dialog);
  root.replaceChildren(overlay);
  document.body.classList.add("has-modal");
  app.modal = {
    viewId: view.id, sig: viewSignature(view), node: overlay, registry: ctx.registry,
    depth, back, submit, notice, body, focusOnLoad: ctx.focusOnLoad || null, busy: false,
  };
}

function showModalNotice(text) {
  if (!app.modal) return;
  app.modal.notice.textContent = text;
  app.modal.notice.hidden = !text;
  if (text) app.modal.body.scrollTop = 0;
}

async function submitModal() {
  const modal = app.modal;
  if (!modal || modal.busy) return;
  showModalNotice("");
  const clientErrors = validateValues(modal.registry, app.lang);
  showFieldErrors(modal.body, clientErrors);
  if (Object.keys(clientErrors).length) {
    scrollToFirstError(modal);
    return;
  }
  modal.busy = true;
  modal.submit.disabled = true;
  modal.submit.classList.add("is-busy");
  // The answer belongs to this view; if a poll rebuilt it meanwhile, show it on the new DOM.
  const live = () => (app.modal && app.modal.viewId === modal.viewId ? app.modal : null);
  try {
    const result = await postJSON("/api/submit", { user: app.userId, view_id: modal.viewId, values: collectValues(modal.registry) });
    if (result.ok === false) {
      showModalNotice(str("submit_failed", { error: result.error || "?" }));
    } else if (result.response_action === "errors" && live()) {
      const unplaced = showFieldErrors(live().body, result.errors || {});
      if (Object.keys(unplaced).length) showModalNotice(Object.values(unplaced).join("\n"));
      scrollToFirstError(live());
    }
  } catch (error) {
    showModalNotice(str("submit_failed", { error: error.message }));
  } finally {
    modal.busy = false;
    modal.submit.disabled = false;
    modal.submit.classList.remove("is-busy");
  }
  pollNow();
}

function scrollToFirstError(modal) {
  const first = modal.body.querySelector(".blk-input.has-error");
  if (first) first.scrollIntoView({ block: "center" });
}

async function closeModal(viewId) {
  try {
    await postJSON("/api/close", { user: app.userId, view_id: viewId });
  } catch (error) {
    showModalNotice(str("request_failed", { error: error.message }));
  }
  pollNow();
}

/* ---------------------------------------------------------------- 8. polling and start-up */

let pollTimer = null;
let inFlight = null; // the AbortController of the poll on its way

async function poll() {
  clearTimeout(pollTimer);
  const controller = new AbortController();
  inFlight = controller;
  let delay = POLL_MS;
  const user = app.userId;
  try {
    const since = app.version === null ? ""
      : `&since=${encodeURIComponent(app.version)}&wait=${LONG_POLL_S}&page=${PAGE_ID}`;
    const state = await getJSON(`/api/state?user=${encodeURIComponent(user)}${since}`, controller.signal);
    if (controller.signal.aborted) return;
    setOnline(true);
    if (state.changed === false && state.waited === false) delay = SHORT_POLL_MS;
    if (user === app.userId && state.changed !== false && state.version !== undefined) {
      const first = app.state === null;
      app.state = state;
      app.version = state.version;
      renderAll({ scrollToEnd: first });
    }
  } catch {
    if (controller.signal.aborted) return; // pollNow started a newer poll
    setOnline(false);
    delay = FAILED_POLL_MS;
    // A restarted server has versions of its own: ask for everything once it is back.
    app.version = null;
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      pollTimer = setTimeout(poll, delay);
    }
  }
}

/** Ask now (after the user did something, or switched user): a waiting poll gives way to a new one. */
function pollNow() {
  if (inFlight) inFlight.abort();
  inFlight = null;
  poll();
}

function setOnline(online) {
  if (app.online === online) return;
  app.online = online;
  const banner = $("offline-banner");
  banner.textContent = str("offline");
  banner.hidden = online;
}

function switchUser(id) {
  if (!app.session.users.some((user) => user.id === id)) return;
  app.userId = id;
  app.lang = langOf(currentUser().locale);
  app.state = null;
  app.version = null;
  app.home = null;
  app.modal = null;
  app.savedValues.clear();
  app.messageNodes.clear();
  app.seenCounts.clear();
  app.dismissed.clear();
  $("modal-root").replaceChildren();
  document.body.classList.remove("has-modal");
  $("messages").replaceChildren();
  $("home").replaceChildren();
  $("composer-note").hidden = true;
  $("clock-report").hidden = true;
  applyChrome();
  renderUserSwitcher();
  renderClock(app.session.clock);
  if (app.selected) remember();
  if (app.selected && app.selected.kind === "home") postJSON("/api/home", { user: id }).then(pollNow, () => setOnline(false));
  pollNow();
}

async function loadSession() {
  for (;;) {
    try {
      return await getJSON("/api/session");
    } catch {
      setOnline(false);
      $("offline-banner").textContent = STRINGS.ko.offline + " / " + STRINGS.en.offline;
      await new Promise((resolve) => setTimeout(resolve, FAILED_POLL_MS));
    }
  }
}

async function start() {
  app.session = await loadSession();
  setOnline(true);
  const params = new URLSearchParams(location.search);
  let stored = {};
  try {
    stored = JSON.parse(localStorage.getItem("casebot-sandbox") || "{}");
  } catch {
    stored = {};
  }
  const ids = app.session.users.map((user) => user.id);
  const wanted = [params.get("user"), stored.user].find((id) => id && ids.includes(id));
  if (params.get("view") === "home") app.selected = { kind: "home" };
  else if (params.get("conv")) app.selected = { kind: "conversation", id: params.get("conv") };
  else if (stored.selected && stored.selected.kind) app.selected = stored.selected;

  $("user-switcher").addEventListener("change", (event) => switchUser(event.target.value));
  $("nav-home").addEventListener("click", () => select({ kind: "home" }));
  $("composer").addEventListener("keydown", composerKeydown);
  $("composer-send").addEventListener("click", sendComposer);
  for (const button of document.querySelectorAll(".clock-button")) button.addEventListener("click", () => advanceClock(button));
  document.addEventListener("click", () => {
    for (const menu of document.querySelectorAll(".msg-menu")) menu.hidden = true;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && app.modal) closeModal(app.modal.viewId);
  });
  switchUser(wanted || ids[0]);
}

// Exposed for tests and the console; the page itself needs none of it.
window.CasebotSandbox = { app, renderMrkdwn, renderBlocks, collectValues, validateValues, langOf };

document.addEventListener("DOMContentLoaded", start);
