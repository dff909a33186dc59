"""Uploading a return's workbook into its draft: the round trip, conflicts,
and every refusal with nothing saved."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assurance.models import Answer, MetricValue, ReportingPeriod
from assurance.services.returns import (
    ActionInput,
    AnswerInput,
    answer_save,
    metric_value_save,
    quarterly_return_start,
)
from assurance.workbook import (
    CODES_SHEET,
    METRICS_SHEET,
    workbook_build,
)
from assurance.workbook_content import workbook_content_draft, workbook_content_template
from assurance.workbook_import import return_workbook_upload
from organisations.models import AuditAction, AuditEvent, Organisation, Role
from organisations.permissions import NotPermitted
from tests.factories import enrol_totp, member
from tests.saaf.test_spreadsheets import BILLION_LAUGHS, _patch_uncompressed_size, rezip


@pytest.fixture
def period(toolkit):
    return ReportingPeriod.objects.get(financial_year=2026, quarter=3)


@pytest.fixture
def editor(reference):
    return member(reference["Z9B2Z"], Role.ICB_EDITOR)


@pytest.fixture
def colleague(reference):
    return member(reference["Z9B2Z"], Role.ICB_EDITOR, full_name="Sam Colleague")


@pytest.fixture
def ret(editor, reference, period):
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    audit = ActionInput("Audit", "Designated nurse", datetime.date(2027, 1, 31))
    save(ret, editor, "LG1", rating="amber", narrative="Policy in place.", actions=[audit])
    save(ret, editor, "LG2", rating="green", narrative="Board minutes.")
    metric_value_save(
        actor=editor,
        quarterly_return=ret,
        metric=ret.period.toolkit_version.metrics.get(code="PREVENT_TRAINED"),
        value=Decimal("80"),
        revision=0,
    )
    return ret


def save(ret, user, code, **fields):
    st = ret.period.toolkit_version.standards.get(code=code)
    current = Answer.objects.filter(quarterly_return=ret, standard=st).first()
    return answer_save(
        actor=user,
        quarterly_return=ret,
        standard=st,
        answer=AnswerInput(**fields),
        revision=current.revision if current else 0,
    )


def download(ret, user) -> bytes:
    return workbook_build(workbook_content_draft(ret), actor=user)


def edit(data: bytes, changes: dict[tuple[str, str], object], drop_sheets=()) -> bytes:
    """Set cells by (standard or metric code, column heading), as a person would in Excel."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for (code, heading), value in changes.items():
        for sheet in book.worksheets:
            if sheet.title == CODES_SHEET:
                continue
            headings = {c.value: c.column for c in sheet[1]}
            for row in sheet.iter_rows(min_row=2):
                if row[0].value == code:
                    cell = sheet.cell(row=row[0].row, column=headings[heading])
                    cell.value = value
                    if heading.endswith("due date") and isinstance(value, int):
                        cell.number_format = "General"  # a date Excel turned into a number
    for name in drop_sheets:
        del book[name]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(ret, user, data: bytes, name="return.xlsx"):
    return return_workbook_upload(
        actor=user, quarterly_return=ret, upload=SimpleUploadedFile(name, data)
    )


def answer(ret, code):
    return Answer.objects.get(quarterly_return=ret, standard__code=code)


def snapshot(ret):
    return (
        sorted(
            Answer.objects.filter(quarterly_return=ret).values_list(
                "standard__code", "revision", "rating", "narrative"
            )
        ),
        sorted(
            MetricValue.objects.filter(quarterly_return=ret).values_list("metric__code", "value")
        ),
        AuditEvent.objects.count(),
    )


def test_uploading_the_download_unchanged_records_no_change(ret, editor):
    before = snapshot(ret)
    result = upload(ret, editor, download(ret, editor))
    assert result.saved and result.report.errors == [] and result.report.warnings == []
    assert result.changes == []
    assert snapshot(ret) == before


def test_editing_three_cells_changes_exactly_those(ret, editor):
    before_events = AuditEvent.objects.count()
    data = edit(
        download(ret, editor),
        {
            ("LG1", "Rating"): "g",  # as teams abbreviate it
            ("LG2", "Narrative evidence"): "Board minutes, March.",
            ("PREVENT_TRAINED", "Value"): 91.5,
        },
    )
    result = upload(ret, editor, data)
    assert result.saved, result.report.errors
    assert {c.code for c in result.changes} == {"LG1", "LG2", "PREVENT_TRAINED"}
    lg1 = next(c for c in result.changes if c.code == "LG1")
    assert [(f.label, f.old, f.new) for f in lg1.fields] == [("Rating", "Amber", "Green")]
    assert answer(ret, "LG1").rating == "green"
    assert answer(ret, "LG1").actions.count() == 1  # untouched cells keep their values
    assert answer(ret, "LG2").narrative == "Board minutes, March."
    assert MetricValue.objects.get(quarterly_return=ret).value == Decimal("91.50")
    events = AuditEvent.objects.order_by("pk")[before_events:]
    assert sorted(e.action for e in events) == sorted(
        [AuditAction.RETURN_ANSWER_SAVED] * 2 + [AuditAction.RETURN_METRIC_SAVED]
    )
    assert Answer.objects.filter(quarterly_return=ret).count() == 2


def test_a_blank_cell_clears_and_a_sheet_left_out_changes_nothing(ret, editor):
    data = download(ret, editor)
    book = openpyxl.load_workbook(io.BytesIO(data))
    lg_sheet = next(s.title for s in book.worksheets if s.title.startswith("LG "))
    data = edit(data, {("LG2", "Narrative evidence"): None, ("DP1", "Rating"): "Red"})
    result = upload(ret, editor, data)
    assert result.saved
    assert answer(ret, "LG2").narrative == ""
    # Now without the LG sheet, after LG1 was cleared in the file: LG1 stays.
    data = edit(
        download(ret, editor),
        {("LG1", "Narrative evidence"): None, ("DP2", "Rating"): "Green"},
        drop_sheets=[lg_sheet],
    )
    result = upload(ret, editor, data)
    assert result.saved
    assert answer(ret, "LG1").narrative == "Policy in place."
    assert answer(ret, "DP2").rating == "green"


def test_a_computed_figure_typed_over_is_not_read_and_says_so(ret, editor):
    data = edit(download(ret, editor), {("DESIGNATED_FILLED", "Value"): 100})
    result = upload(ret, editor, data)
    assert result.saved and not result.changes
    (warning,) = result.report.warnings
    assert "DESIGNATED_FILLED is computed from the posts register" in warning.problem
    assert not MetricValue.objects.filter(metric__code="DESIGNATED_FILLED").exists()


def test_an_incomplete_answer_is_saved_with_a_warning(ret, editor):
    result = upload(ret, editor, edit(download(ret, editor), {("LG3", "Rating"): "Red"}))
    assert result.saved
    assert answer(ret, "LG3").rating == "red"
    warning = next(w for w in result.report.warnings if "LG3" in w.problem)
    assert "no action" in warning.problem and warning.row


def test_a_conflict_on_one_answer_while_another_is_untouched(ret, editor, colleague):
    data = download(ret, editor)
    # After the download, a colleague changes LG1 and LG2 in the portal.
    save(ret, colleague, "LG1", rating="red", narrative="Policy lapsed.")
    save(ret, colleague, "LG2", rating="green", narrative="Minutes from the portal.")
    before = snapshot(ret)
    # The file changes LG1 (a conflict), not LG2 (untouched: no conflict), and LG3.
    data = edit(
        data, {("LG1", "Narrative evidence"): "Policy renewed.", ("LG3", "Rating"): "Green"}
    )
    result = upload(ret, editor, data)
    assert not result.saved
    assert [c.code for c in result.conflicts] == ["LG1"]
    conflict = result.conflicts[0]
    narrative = next(f for f in conflict.fields if f.label == "Narrative evidence")
    assert (narrative.old, narrative.new) == ("Policy lapsed.", "Policy renewed.")
    assert conflict.changed_by == "Sam Colleague"
    assert snapshot(ret) == before  # nothing saved, LG3 included
    # Without the conflicting edit the same file saves LG3 and keeps the colleague's LG2.
    data = edit(data, {("LG1", "Narrative evidence"): "Policy in place."})
    data = edit(data, {("LG1", "Rating"): "Amber"})
    result = upload(ret, editor, data)
    assert result.saved, result.report.errors
    assert answer(ret, "LG2").narrative == "Minutes from the portal."
    assert answer(ret, "LG3").rating == "green"


def hostile(ret, editor):
    """Each refused file, with words its first error must contain."""
    good = download(ret, editor)
    macro = rezip(good, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    bomb = _patch_uncompressed_size(good, "xl/worksheets/sheet2.xml", 2_500_000_000)
    laughs = rezip(good, replace={"xl/worksheets/sheet2.xml": BILLION_LAUGHS})
    other_icb = workbook_build(
        workbook_content_template(
            Organisation.objects.get(code="QMF"),
            ret.period,
            None,
        ),
        actor=editor,
    )
    other_period = workbook_build(
        workbook_content_template(
            ret.icb, ReportingPeriod.objects.get(financial_year=2026, quarter=2), None
        ),
        actor=editor,
    )
    link = '=HYPERLINK("http://x","y")'
    return {
        "formula": (edit(good, {("LG1", "Narrative evidence"): link}), "formula"),
        "csv": (b"Code,Rating\nLG1,Green\n", "not an Excel workbook"),
        "macro": (macro, "macros"),
        "xlsm": (good, "macro-enabled"),
        "zip bomb": (bomb, "expands to"),
        "billion laughs": (laughs, "XML entities"),
        "oversize": (b"PK\x03\x04" + b"\x00" * (10 * 1024 * 1024 + 1), "10 MiB or smaller"),
        "another ICB": (other_icb, "another ICB (NHS North East London Integrated Care Board"),
        "another period": (other_period, "another reporting period (Q2 2026/27)"),
        "unknown code": (edit(good, {("LG3", "Code"): "LG99"}), "“LG99” is not a standard"),
        "unknown metric": (edit(good, {("FGM_NEW_CASES", "Code"): "NOPE"}), "not a metric"),
        "bad rating": (edit(good, {("LG1", "Rating"): "Purple"}), "not one of the choices"),
        "word for a figure": (edit(good, {("PREVENT_TRAINED", "Value"): "lots"}), "not a number"),
        "140 percent": (edit(good, {("PREVENT_TRAINED", "Value"): 140}), "above the highest"),
        "date as number": (edit(good, {("LG1", "Action 1 due date"): 46112}), "into a number"),
        "impossible date": (edit(good, {("LG1", "Action 1 due date"): "31/02/2027"}), "not a date"),
        "no hidden sheet": (edit(good, {}, drop_sheets=[CODES_SHEET]), "no hidden"),
        "figure and reason": (
            edit(good, {("PREVENT_TRAINED", "Why not available"): "Not collected"}),
            "both a figure and why",
        ),
    }  # fmt: skip


def test_every_refusal_lists_what_to_fix_and_saves_nothing(ret, editor):
    # One good change in every file, so "nothing saved" is tested, not assumed.
    cases = hostile(ret, editor)
    before = snapshot(ret)
    for name, (data, words) in cases.items():
        if name not in ("csv", "oversize", "macro", "zip bomb", "billion laughs", "xlsm"):
            data = edit(data, {("LG2", "Rating"): "Red"})
        filename = "return.xlsm" if name == "xlsm" else "return.xlsx"
        result = upload(ret, editor, data, filename)
        assert not result.saved, name
        messages = " ".join(str(e) for e in result.report.errors)
        assert words in messages, (name, messages)
        assert all(e.problem and e.fix for e in result.report.errors), name
        assert result.changes == []
        assert snapshot(ret) == before, name


def test_a_figure_typed_as_a_percentage_is_read_as_shown(ret, editor):
    book = openpyxl.load_workbook(io.BytesIO(download(ret, editor)))
    sheet = book[METRICS_SHEET]
    headings = {c.value: c.column for c in sheet[1]}
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "PREVENT_TRAINED":
            cell = sheet.cell(row=row[0].row, column=headings["Value"])
            cell.value, cell.number_format = 0.925, "0%"  # typed as 92.5% in Excel
        if row[0].value == "FGM_NEW_CASES":
            cell = sheet.cell(row=row[0].row, column=headings["Value"])
            cell.value, cell.number_format = 0.5, "0%"
    out = io.BytesIO()
    book.save(out)
    result = upload(ret, editor, out.getvalue())
    assert [e.problem for e in result.report.errors] == [
        "The cell holds a percentage (50%) where a number belongs."
    ]
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    for row in book[METRICS_SHEET].iter_rows(min_row=2):
        if row[0].value == "FGM_NEW_CASES":
            row[headings["Value"] - 1].value = None
    out = io.BytesIO()
    book.save(out)
    assert upload(ret, editor, out.getvalue()).saved
    assert MetricValue.objects.get(metric__code="PREVENT_TRAINED").value == Decimal("92.50")


def test_a_formula_in_the_hidden_sheet_is_refused_not_an_error_page(ret, editor):
    book = openpyxl.load_workbook(io.BytesIO(download(ret, editor)))
    book[CODES_SHEET]["C8"] = "=1+1"
    out = io.BytesIO()
    book.save(out)
    result = upload(ret, editor, out.getvalue())
    assert not result.saved
    assert "hidden sheet of codes has been changed" in str(result.report.errors[0])


def test_row_errors_name_sheet_row_and_column(ret, editor):
    data = edit(
        download(ret, editor), {("LG1", "Rating"): "Purple", ("LG2", "Action 1 due date"): 46112}
    )
    result = upload(ret, editor, data)
    rating, due = sorted(result.report.errors, key=lambda e: e.row)
    assert rating.sheet.startswith("LG ") and rating.row == 2 and rating.column == "D (Rating)"
    assert "Choose Red, Amber, Green or Not applicable" in rating.fix
    assert due.row == 3 and due.column.endswith("(Action 1 due date)")
    assert "Format the cell as a date" in due.fix


def test_a_blank_template_fills_a_new_draft(ret, editor):
    template = workbook_build(workbook_content_template(ret.icb, ret.period, ret), actor=editor)
    data = edit(
        template,
        {("LG3", "Rating"): "Not applicable", ("LG3", "Why not applicable"): "No such service"},
    )
    result = upload(ret, editor, data)
    assert result.saved, result.report.errors
    assert [c.code for c in result.changes] == ["LG3"]  # LG1 and LG2 left as they are
    assert answer(ret, "LG3").not_applicable_reason == "No such service"
    assert answer(ret, "LG1").narrative == "Policy in place."


def test_the_upload_pages(client, ret, editor):
    enrol_totp(editor)
    client.force_login(editor)
    path = reverse("assurance:return_workbook_upload", args=["Z9B2Z", 2026, 3])
    assert "Upload a workbook" in client.get(path).content.decode()
    empty = client.post(path, {})
    assert empty.status_code == 400 and "Choose the workbook to upload" in empty.content.decode()
    data = edit(download(ret, editor), {("LG1", "Rating"): "Purple"})
    refused = client.post(path, {"workbook": SimpleUploadedFile("r.xlsx", data)})
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "Nothing was saved" in page and "D (Rating)" in page and "Purple" in page
    data = edit(download(ret, editor), {("LG1", "Rating"): "Red"})
    done = client.post(path, {"workbook": SimpleUploadedFile("r.xlsx", data)})
    page = done.content.decode()
    assert done.status_code == 200
    assert "Workbook uploaded" in page and "1 answer changed" in page and "LG1" in page


def test_a_reader_cannot_upload(client, ret, reference):
    viewer = member(reference["Z9B2Z"], Role.ICB_VIEWER)
    enrol_totp(viewer)
    client.force_login(viewer)
    path = reverse("assurance:return_workbook_upload", args=["Z9B2Z", 2026, 3])
    assert client.get(path).status_code == 302
    before = snapshot(ret)
    with pytest.raises(NotPermitted):
        return_workbook_upload(
            actor=viewer, quarterly_return=ret, upload=SimpleUploadedFile("r.xlsx", b"PK")
        )
    assert snapshot(ret) == before


def test_a_submitted_version_downloads_and_goes_back_into_the_returned_draft(
    ret, editor, reference
):
    from assurance.services.submissions import (
        quarterly_return_review_start,
        quarterly_return_send_back,
        quarterly_return_submit,
    )
    from assurance.workbook_content import workbook_content_submission

    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    version = ret.period.toolkit_version
    for st in version.standards.all():
        save(ret, editor, st.code, rating="green", narrative=f"Met: {st.code}.",
             explanation="Interim cover agreed." if st.register_groups else "")  # fmt: skip
    for m in version.metrics.all():
        if not m.is_computed:
            current = MetricValue.objects.filter(quarterly_return=ret, metric=m).first()
            metric_value_save(actor=editor, quarterly_return=ret, metric=m, value=Decimal("3"),
                              revision=current.revision if current else 0)  # fmt: skip
    submission = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    data = workbook_build(workbook_content_submission(submission), actor=editor)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert "Version 1, submitted on" in str(book["Cover"]["B6"].value)
    assert any(c.value == "Met: LG1." for row in book.worksheets[1].iter_rows() for c in row)

    edited = edit(data, {("LG1", "Narrative evidence"): "Met, with the March audit."})
    ret.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        upload(ret, editor, edited)
    assert "awaiting the regional review" in str(refused.value)

    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="Say more on LG1.")
    ret.refresh_from_db()
    result = upload(ret, editor, edited)
    assert result.saved, result.report.errors
    assert [c.code for c in result.changes] == ["LG1"]
    assert answer(ret, "LG1").narrative == "Met, with the March audit."


def test_checking_without_saving_lists_what_would_change(client, ret, editor):
    enrol_totp(editor)
    client.force_login(editor)
    path = reverse("assurance:return_workbook_upload", args=["Z9B2Z", 2026, 3])
    data = edit(download(ret, editor), {("LG1", "Rating"): "Red"})
    before = snapshot(ret)
    checked = client.post(path, {"workbook": SimpleUploadedFile("r.xlsx", data), "check": "1"})
    page = checked.content.decode()
    assert checked.status_code == 200
    assert "Workbook checked: nothing saved yet" in page and "What would change" in page
    assert snapshot(ret) == before


def test_reading_the_file_does_not_grow_with_its_rows(ret, editor, django_assert_max_num_queries):
    """Unchanged, the upload reads everything in a fixed number of queries."""
    for st in ret.period.toolkit_version.standards.all()[:12]:
        save(ret, editor, st.code, rating="red", actions=[ActionInput("Recruit", "Nurse")])
    data = download(ret, editor)
    with django_assert_max_num_queries(12):  # 10 on SQLite when written
        result = upload(ret, editor, data)
    assert result.saved and not result.changes
