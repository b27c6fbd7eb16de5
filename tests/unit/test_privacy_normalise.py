"""`privacy.normalise`, which every outbound string goes through: its fast path for texts without a
format character gives what the full pass per character gives."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from models.privacy import normalise


def by_every_character(text: str) -> str:
    """The definition: NFKC, format characters (Cf) dropped, case-folded, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.casefold().split())


# Hangul, full-width forms, spaces and line breaks, and the invisible characters that split a name.
PIECES = st.sampled_from(
    ["김", "철", "수", "Ａ", "１", "b", " ", "\n", "\t", "\u200b", "\u200d", "\ufeff", "-"]
)


@given(st.lists(PIECES, max_size=30).map("".join))
def test_the_same_as_the_pass_per_character(text: str) -> None:
    assert normalise(text) == by_every_character(text)


@given(st.text(max_size=40))
def test_any_text_the_same_as_the_pass_per_character(text: str) -> None:
    assert normalise(text) == by_every_character(text)


def test_a_name_split_by_an_invisible_character_reads_as_the_name() -> None:
    assert normalise("김\u200b철수  님") == "김철수 님"
    assert normalise("Ｋｉｍ \u200d 010") == "kim 010"
