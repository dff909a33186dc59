"""Exports as a spreadsheet user expects them: real dates and numbers in
.xlsx, formula-like text stored as text, control characters never breaking
an export, and the national exports streamed."""

import csv
import datetime
import io
import tracemalloc
from decimal import Decimal

import pytest
from django.http import Http404, StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from assurance.exports import (
    Table,
    Typed,
    csv_cell,
    escape_formula,
    export_text,
    table_response,
)
from assurance.models import Post, PostType, Tenure
from assurance.services.register import post_create, post_types_load, tenure_add
from organisations.audit import system_actor
from organisations.models import Commissioning, Role
from tests.factories import ProviderFactory, enrol_totp, member

SHOWN_DATE = Typed("1 May 2025", datetime.date(2025, 5, 1))
FORMULAS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", '=HYPERLINK("http://x")']


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def workbook(response):
    return load_workbook(io.BytesIO(body(response))).active


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


# --- The shared helper -----------------------------------------------------------------


def test_control_characters_are_stripped_but_tab_and_newline_kept():
    assert export_text("a\x00b\x07c\x0bd\x1be\x7ff") == "abcdef"
    assert export_text("line one\r\nline two\tend") == "line one\nline two\tend"
    # Stripped before the formula check: "\x1b=..." is escaped like "=...".
    assert escape_formula("\x1b=cmd") == "'=cmd"
    assert csv_cell(None) == "" and csv_cell(3) == "3"
    assert csv_cell(Typed("1 April 2024", datetime.date(2024, 4, 1))) == "1 April 2024"


@pytest.mark.parametrize("stream", [False, True])
def test_xlsx_types_and_formula_text(stream):
    table = Table(
        "Types: a [test] / sheet",
        ["Text", "Number", "Decimal", "Date", "Shown date", "Empty"],
        [
            [text, 7, Decimal("0.8"), datetime.date(2026, 4, 1), SHOWN_DATE, None]
            for text in [*FORMULAS, "plain \x1b\x00text"]
        ],
    )
    response = table_response(table, filename="t", fmt="xlsx", stream=stream)
    assert isinstance(response, StreamingHttpResponse) == stream
    sheet = workbook(response)
    rows = list(sheet.iter_rows(min_row=2))
    for text, row in zip(FORMULAS, rows, strict=False):
        cell = row[0]
        # Stored as text (never run), with no visible apostrophe, and marked
        # with Excel's quote prefix so that editing it keeps it text.
        assert cell.data_type == "s" and cell.value == text
        assert cell.quotePrefix
    assert rows[-1][0].value == "plain text"
    for row in rows:
        assert row[1].value == 7 and row[1].data_type == "n"
        assert row[2].value == 0.8 and row[2].data_type == "n"
        assert row[3].value == datetime.datetime(2026, 4, 1) and row[3].is_date
        assert row[4].value == datetime.datetime(2025, 5, 1) and row[4].is_date
        assert row[5].value is None
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == table.header


def test_csv_keeps_its_apostrophe_escape():
    table = Table("t", ["Text"], [[text] for text in FORMULAS])
    rows = csv_rows(table_response(table, filename="t", fmt="csv"))
    assert [r[0] for r in rows[1:]] == ["'" + text for text in FORMULAS]


# --- The register's exports ------------------------------------------------------------


@pytest.fixture
def world(reference):
    post_types_load(actor=system_actor())
    types = {pt.code: pt for pt in PostType.objects.all()}
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    trust = ProviderFactory(code="RAL", name="=Royal Free\x1b", provides_maternity=True)
    Commissioning.objects.create(icb=reference["Z9B2Z"], provider=trust, is_lead=True)
    post = post_create(actor=editor, organisation=trust, post_type=types["PRV_NAMED_NURSE_SC"])
    tenure_add(
        actor=editor,
        post=post,
        holder_name="Jo Nurse",
        whole_time_equivalent=Decimal("0.8"),
        start_date=datetime.date(2024, 4, 1),
        training_level=4,
        last_supervision=datetime.date.today() - datetime.timedelta(days=10),
    )
    # Text stored before control characters were refused (saved directly,
    # as an old row would be).
    Tenure.objects.filter(post=post).update(holder_name="Jo\x0b Nurse\x1b[31m\x07")
    Post.objects.filter(pk=post.pk).update(notes="bad\x01notes")
    return {"trust": trust, "post": post}


def signed_in(client, organisation, role):
    user = member(organisation, role)
    enrol_totp(user)
    client.force_login(user)
    return user


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_control_characters_stored_never_break_an_export(reference, world, client, fmt):
    signed_in(client, reference["X24"], Role.NATIONAL_ADMIN)
    for url in (
        reverse("assurance:register_icb_export", args=["Z9B2Z", fmt]),
        reverse("assurance:register_region_export", args=["Y56", fmt]),
        reverse("assurance:register_national_export", args=[fmt]),
        reverse("assurance:register_national_organisations_export", args=[fmt]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        content = body(response)
        if fmt == "csv":
            text = content.decode("utf-8-sig")
            assert not any(ch in text for ch in "\x0b\x1b\x07\x01"), url
        else:
            sheet = load_workbook(io.BytesIO(content)).active
            cells = [c for r in sheet.iter_rows(values_only=True) for c in r]
            assert not any(isinstance(c, str) and "\x1b" in c for c in cells)
    icb = csv_rows(client.get(reverse("assurance:register_icb_export", args=["Z9B2Z", "csv"])))
    assert any("Jo Nurse[31m" in cell for row in icb for cell in row)
    assert any(cell == "'=Royal Free" for row in icb for cell in row)


def test_register_xlsx_has_real_dates_and_numbers(reference, world, client):
    signed_in(client, reference["X24"], Role.NATIONAL_ADMIN)
    icb = workbook(client.get(reverse("assurance:register_icb_export", args=["Z9B2Z", "xlsx"])))
    header = [c.value for c in next(icb.iter_rows(max_row=1))]
    row = next(
        r
        for r in icb.iter_rows(min_row=2, values_only=True)
        if r[header.index("Post")] == "Named nurse for safeguarding children"
    )
    assert row[header.index("In post since")] == datetime.datetime(2024, 4, 1)
    assert isinstance(row[header.index("Last supervision")], datetime.datetime)
    assert row[header.index("Organisation")] == "=Royal Free"  # text, not a formula

    national = workbook(client.get(reverse("assurance:register_national_export", args=["xlsx"])))
    rows = list(national.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 36
    z9 = next(r for r in rows if r[2] == "Z9B2Z")
    assert all(isinstance(v, int) for v in z9[3:])
    assert z9[3:5] == (11 + 9, 1)  # the ICB's 11 posts and the trust's 9; one filled


def test_the_national_exports_stream(reference, world, client):
    signed_in(client, reference["X24"], Role.NSSG_MEMBER)
    for name, args in (
        ("assurance:register_national_export", ["csv"]),
        ("assurance:register_national_export", ["xlsx"]),
        ("assurance:register_national_organisations_export", ["csv"]),
        ("assurance:register_national_organisations_export", ["xlsx"]),
    ):
        response = client.get(reverse(name, args=args))
        assert isinstance(response, StreamingHttpResponse), name
        assert response["Content-Disposition"].startswith("attachment; filename=")
        body(response)
    rows = csv_rows(
        client.get(reverse("assurance:register_national_organisations_export", args=["csv"]))
    )
    assert rows[0][:6] == ["Region", "ICB", "ICB ODS code", "Organisation", "ODS code", "Kind"]
    # One line per organisation: 36 current ICBs and the trust Z9B2Z leads.
    assert len(rows) == 1 + 36 + 1
    ral = next(r for r in rows if r[4] == "RAL")
    assert ral[:4] == [
        "London",
        "NHS West and North London Integrated Care Board",
        "Z9B2Z",
        "'=Royal Free",
    ]
    assert ral[6:] == ["9", "1", "8", "0", "0", "0"]


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("assurance:register_national_export", []),
        ("assurance:register_national_organisations_export", []),
        ("assurance:register_region_export", ["Y56"]),
        ("assurance:register_icb_export", ["Z9B2Z"]),
    ],
)
@pytest.mark.parametrize("suffix", ["pdf", "json", "CSV", "csv.exe"])
def test_an_unknown_export_format_is_not_found(reference, client, name, args, suffix):
    signed_in(client, reference["X24"], Role.NATIONAL_ADMIN)
    url = reverse(name, args=[*args, "csv"]).removesuffix("csv") + suffix
    assert client.get(url).status_code == 404
    assert table_response(Table("t", ["a"], []), filename="t", fmt="csv").status_code == 200
    with pytest.raises(Http404):
        table_response(Table("t", ["a"], []), filename="t", fmt=suffix)


def test_other_roles_cannot_read_the_national_organisations_export(reference, world, client):
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    url = reverse("assurance:register_national_organisations_export", args=["csv"])
    assert client.get(url).status_code == 404


@pytest.mark.heavy
@pytest.mark.parametrize(("fmt", "rows", "peak_mb"), [("csv", 60_000, 2), ("xlsx", 20_000, 2)])
def test_streamed_exports_hold_memory_flat_in_the_rows(db, fmt, rows, peak_mb):
    """A streamed export never holds its rows: its peak memory stays small
    however large the output. (Closing a response signals the end of a
    request, which looks at the database connections: hence `db`.)"""
    table = Table(
        "Many rows",
        ["Name", "Number", "Date"],
        ([f"Organisation number {i}", i, datetime.date(2026, 1, 1)] for i in range(rows)),
    )
    tracemalloc.start()
    try:
        response = table_response(table, filename="many", fmt=fmt, stream=True)
        size = sum(len(chunk) for chunk in response.streaming_content)
        response.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size > 300_000  # compressed, for the .xlsx
    assert peak < peak_mb * 1024 * 1024
