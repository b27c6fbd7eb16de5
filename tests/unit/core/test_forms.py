"""Printable forms: each form of an every-stage case is an A4 PDF whose text (read back) holds the form's
Korean labels and the record's values; English by locale; a missing font is a clear error; logged."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from models.audit import AuditLog
from models.enums import Surface
from models.errors import NotFound
from models.services.forms import FontMissing, Form, print_form
from tests.factories import CLIENT_NAME, case_in_monitoring
from tests.unit.core.test_export_record import LATER, every_stage_case

SEOUL = ZoneInfo("Asia/Seoul")
AGENCY = "가상종합사회복지관"

# What each form must show, read back from the PDF: its title and labels, and values from the record.
EXPECTED = {
    Form.CONSENT: [
        "개인정보 수집·이용·제공 동의서",
        "수집·이용",
        "제3자 제공",
        "사례관리 서비스 제공",
        "행복주거지원센터",
        "동의 거부권",
        "보호자(법정대리인)",
    ],
    Form.INTAKE: [
        "초기상담지",
        CLIENT_NAME,
        "1970-05-01",
        "가상시 가상구",
        "실직 후 주거비 체납",
        "경제, 건강",
        "사례관리자",
    ],
    Form.ASSESSMENT: [
        "사정기록지",
        "재사정",
        "영역별 욕구·위기도",
        "근로 의지가 높음",
        "이웃",
        "법률 및 권익보장",
        "팀장",
    ],
    Form.PLAN: [
        "서비스 제공계획서",
        "주거비 체납 해소",
        "체납 개월 수",
        "3개월 → 0개월",
        "주거급여 신청 동행",
        "대상자",
        "보호자(법정대리인)",
        "사례관리자",
        "팀장",
    ],
    Form.REFERRAL: [
        "서비스 의뢰서",
        "행복주거지원센터",
        "주거비 지원 의뢰",
        "제3자 제공 동의서",
        "주거급여 3개월 지원 결정",
    ],
    Form.CONFERENCE: ["사례회의록", "통합사례회의", "공공임대 신청 지원", "임대주택 서류 준비", "Manager"],
    Form.CLOSURE: [
        "종결평가서",
        "목표달성",
        "부분달성",
        "체납 해소, 자립 의지 확인",
        "1개월 후 전화 점검",
        "행정복지센터",
        "잘 마무리됨",
    ],
}


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    return "\n".join(page.extract_text() for page in reader.pages)


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("form", list(Form))
def test_each_form_reads_back_with_its_labels_and_the_record(db, world, form):
    case = every_stage_case(db, world)
    pdf = print_form(
        db,
        case.code,
        form,
        actor_ref="UMANAGER",
        actor_id=world.manager.id,
        surface=Surface.BUTTON,
        locale="ko",
        zone=SEOUL,
        agency=AGENCY,
        now=LATER,
    )
    assert pdf.startswith(b"%PDF")
    assert b"/FontFile2" in pdf  # the TrueType font is embedded
    text = squeeze(text_of(pdf))
    for expected in [AGENCY, case.code, *EXPECTED[form]]:
        assert squeeze(expected) in text, expected
    [logged] = db.scalars(select(AuditLog).where(AuditLog.record == "printed_form")).all()
    assert (logged.case_code, logged.detail, logged.actor_id) == (case.code, form.value, world.manager.id)


def test_english_by_locale(db, world):
    case = every_stage_case(db, world)
    pdf = print_form(
        db,
        case.code,
        Form.PLAN,
        actor_ref="op",
        actor_id=None,
        surface=Surface.CLI,
        locale="en",
        zone=SEOUL,
        agency="Example Welfare Centre",
        now=LATER,
    )
    text = squeeze(text_of(pdf))
    for expected in (
        "Service plan",
        "Team leader",
        "Guardian (legal representative)",
        "Baseline → target",
        "주거비 체납 해소",
    ):
        assert squeeze(expected) in text, expected


def test_a_missing_font_is_a_clear_error(db, world, tmp_path):
    case = case_in_monitoring(db, world)
    missing = str(tmp_path / "NanumGothic.ttf")
    with pytest.raises(FontMissing) as refused:
        print_form(
            db,
            case.code,
            Form.PLAN,
            actor_ref="op",
            actor_id=None,
            surface=Surface.CLI,
            locale="ko",
            zone=SEOUL,
            agency=AGENCY,
            now=LATER,
            font=missing,
        )
    assert missing in refused.value.text("ko") and "fonts-nanum" in refused.value.text("ko")


def test_a_form_with_nothing_to_print_says_so(db, world):
    case = case_in_monitoring(db, world)
    with pytest.raises(NotFound):
        print_form(
            db,
            case.code,
            Form.CLOSURE,
            actor_ref="op",
            actor_id=None,
            surface=Surface.CLI,
            locale="ko",
            zone=SEOUL,
            agency=AGENCY,
            now=LATER,
        )
