"""Importing reviews, recommendations and actions from the portal's .xlsx
template (`reviews.imports`) and its pages: the template round trip, a good
file (dry run first), and every kind of bad file, each with nothing saved."""

import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from organisations.models import AuditAction, AuditEvent
from reviews.imports import (
    ACTIONS,
    RECOMMENDATIONS,
    REVIEWS,
    SHEETS,
    import_template,
    reviews_import,
)
from reviews.models import Action, ActionStatus, Recommendation, Review

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

GOOD_REVIEWS = [
    {
        "Reference": "CAMDEN-SAR-IMP-1",
        "Kind": "Safeguarding adults review",
        "Convening body": "Safeguarding adults board",
        "Local authority area": "E09000007",
        "Lead ICB": "",
        "Other ICBs involved": "QMF",
        "Providers involved": "RQF01",
        "Age group": "Adult",
        "Stage": "In progress",
        "Date of notification": datetime.date(2026, 4, 2),
        "Date of the decision to review": "15/04/2026",
        "Expected date of publication": datetime.date(2027, 1, 31),
        "Learning themes": "Supervision; Information sharing",
        "Abuse or vulnerability themes": "Self-neglect",
        "StEIS number": "2026/12345",
    },
    {
        "Reference": "CAMDEN-RR-IMP-2",
        "Kind": "rapid review",
        "Convening body": "Children's safeguarding partnership",
        "Local authority area": "Camden",
        "Lead ICB": "Z9B2Z",
        "Age group": "Child",
        "Date of notification": datetime.date(2026, 5, 1),
    },
]
GOOD_RECOMMENDATIONS = [
    {"Review reference": "CAMDEN-SAR-IMP-1", "Recommendation number": 1, "Recommendation": "R1"},
    {"Review reference": "CAMDEN-SAR-IMP-1", "Recommendation number": 2, "Recommendation": "R2"},
    {"Review reference": "camden-rr-imp-2", "Recommendation number": 1, "Recommendation": "R3"},
]
GOOD_ACTIONS = [
    {
        "Review reference": "CAMDEN-SAR-IMP-1",
        "Recommendation number": 1,
        "Action": "Audit supervision records",
        "Owner": "Z9B2Z",
        "Due date": datetime.date(2026, 9, 30),
        "Status": "In progress",
    },
    {
        "Review reference": "CAMDEN-SAR-IMP-1",
        "Recommendation number": 2,
        "Action": "Train GP practices",
        "Owner": "RQF01",
        "Due date": datetime.date(2026, 6, 30),
        "Status": "Completed",
        "Date completed": datetime.date(2026, 6, 20),
        "Evidence of completion": "Training report to the committee, June 2026",
    },
    {
        "Review reference": "CAMDEN-RR-IMP-2",
        "Recommendation number": 1,
        "Action": "Share the learning",
        "Owner": "RZ901",
        "Due date": datetime.date(2026, 12, 1),
    },
]


def workbook_bytes(user, icb, reviews=(), recommendations=(), actions=()) -> bytes:
    """The portal's own template, filled in as a person would in Excel."""
    book = load_workbook(io.BytesIO(import_template(user=user, icb=icb)))
    for name, rows in ((REVIEWS, reviews), (RECOMMENDATIONS, recommendations), (ACTIONS, actions)):
        sheet = book[name]
        headings = [c.heading for c in SHEETS[name]]
        for number, row in enumerate(rows, start=2):
            for heading, value in row.items():
                sheet.cell(row=number, column=headings.index(heading) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "reviews.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


def counts() -> tuple[int, int, int, int]:
    return (
        Review.objects.count(),
        Recommendation.objects.count(),
        Action.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def good_file(people, world):
    return workbook_bytes(
        people["z9_editor"], world["z9"], GOOD_REVIEWS, GOOD_RECOMMENDATIONS, GOOD_ACTIONS
    )


def run(people, world, content, *, dry_run=False, user="z9_editor"):
    return reviews_import(
        actor=people[user], icb=world["z9"], upload=upload(content), dry_run=dry_run
    )


# --- The template ---------------------------------------------------------------------


def test_the_template_has_its_sheets_tables_and_drop_downs(people, world):
    book = load_workbook(io.BytesIO(import_template(user=people["z9_editor"], icb=world["z9"])))
    assert book.sheetnames[:4] == ["Instructions", REVIEWS, RECOMMENDATIONS, ACTIONS]
    assert "personal identifiers" in " ".join(
        str(c.value) for c in book["Instructions"]["A"] if c.value
    )
    reviews = book[REVIEWS]
    assert [c.value for c in reviews[1]][:3] == [
        "Reference (required)",
        "Kind (required)",
        "Convening body (required)",
    ]
    assert "ReviewsTable" in reviews.tables
    lists = {str(dv.sqref)[:1]: dv for dv in reviews.data_validations.dataValidation}
    assert lists["B"].type == "list"  # kind
    assert lists["C"].type == "list"  # convening body
    assert "ActionsTable" in book[ACTIONS].tables
    kinds = [c.value for c in book["Lists"]["A"][1:] if c.value]
    assert "Safeguarding adults review" in kinds and "Rapid review" in kinds


def test_the_empty_template_imports_without_errors(people, world):
    before = counts()
    report = run(people, world, import_template(user=people["z9_editor"], icb=world["z9"]))
    assert report.errors == []
    assert report.saved
    assert report.outcome.reviews == []
    assert counts() == before


# --- A good file ----------------------------------------------------------------------


def test_a_dry_run_shows_what_would_be_created_and_saves_nothing(people, world, good_file):
    before = counts()
    report = run(people, world, good_file, dry_run=True)
    assert report.errors == []
    assert not report.saved
    assert [(r.reference, r.recommendations, r.actions) for r in report.outcome.reviews] == [
        ("CAMDEN-SAR-IMP-1", 2, 2),
        ("CAMDEN-RR-IMP-2", 1, 1),
    ]
    assert counts() == before


def test_a_good_file_creates_reviews_recommendations_and_actions(people, world, good_file):
    before = counts()
    report = run(people, world, good_file)
    assert report.errors == []
    assert report.saved
    sar = Review.objects.get(reference="CAMDEN-SAR-IMP-1")
    assert sar.lead_icb == world["z9"]  # empty lead: the ICB imported into
    assert sar.kind == "sar" and sar.stage == "in_progress"
    assert sar.decision_on == datetime.date(2026, 4, 15)
    assert list(sar.icbs.all()) == [world["qmf"]]
    assert {t.code for t in sar.learning_themes} == {"supervision", "information_sharing"}
    assert [t.code for t in sar.abuse_themes] == ["self_neglect"]
    assert sar.steis_number == "2026/12345"
    assert list(sar.recommendations.values_list("number", "text")) == [(1, "R1"), (2, "R2")]
    done = Action.objects.get(description="Train GP practices")
    assert done.status == ActionStatus.COMPLETED
    assert done.completed_on == datetime.date(2026, 6, 20)
    assert done.owner == world["qmf_trust"]
    assert Review.objects.get(reference="CAMDEN-RR-IMP-2").area == world["camden"]
    assert counts()[:3] == (before[0] + 2, before[1] + 3, before[2] + 3)
    # Each created row is audited by its service, under the importer's name.
    events = AuditEvent.objects.filter(actor=people["z9_editor"])
    assert events.filter(action=AuditAction.REVIEW_CREATED).count() == 2
    assert events.filter(action=AuditAction.RECOMMENDATION_CREATED).count() == 3
    assert events.filter(action=AuditAction.ACTION_CREATED).count() == 3
    assert events.filter(action=AuditAction.ACTION_COMPLETED).count() == 1


# --- Bad files: every error, nothing saved --------------------------------------------


def _refused(people, world, content, **options):
    before = counts()
    report = run(people, world, content, **options)
    assert report.errors, "the file should have been refused"
    assert not report.saved
    assert counts() == before
    return report.errors


def _with(rows, index, **changes):
    changed = [dict(r) for r in rows]
    changed[index].update(changes)
    return changed


@pytest.mark.parametrize(
    ("sheet", "changes", "column", "problem"),
    [
        (REVIEWS, {"Kind": "Serious case review"}, "B (Kind)", "is not one of the choices"),
        (REVIEWS, {"Lead ICB": "QZZ"}, "E (Lead ICB)", "There is no ICB with the code “QZZ”"),
        (REVIEWS, {"Other ICBs involved": "QMF, XYZ"}, "F (Other ICBs involved)", "“XYZ”"),
        (REVIEWS, {"Date of notification": "31/02/2026"}, "J (Date of notification)",
         "is not a date"),
        (REVIEWS, {"Date of notification": 46000}, "J (Date of notification)",
         "Excel turned it into a number"),
        (REVIEWS, {"Reason for delay": "Family of 943 476 5919 asked"}, "P (Reason for delay)",
         "NHS number"),
        (REVIEWS, {"Reference": "SAR 943-476-5919"}, "A (Reference)", "NHS number"),
        (REVIEWS, {"Lead ICB": "QMF"}, "E (Lead ICB)", "You cannot record reviews led by"),
        (REVIEWS, {"Local authority area": "Atlantis"}, "D (Local authority area)",
         "No single local authority area"),
        (REVIEWS, {"Kind": ""}, "B (Kind)", "Kind is empty"),
        (REVIEWS, {"Reference": "=HYPERLINK(\"http://x\")"}, "A (Reference)", "formula"),
        (REVIEWS, {"Abuse or vulnerability themes": "Neglect; Cruelty"},
         "R (Abuse or vulnerability themes)", "“Cruelty” is not one of the choices"),
        (ACTIONS, {"Owner": "NOPE1"}, "D (Owner)", "There is no ICB or provider"),
        (ACTIONS, {"Due date": "soon"}, "E (Due date)", "is not a date"),
        (ACTIONS, {"Action": "Call 9434765919"}, "C (Action)", "NHS number"),
        (RECOMMENDATIONS, {"Recommendation": "About 943 476 5919"}, "C (Recommendation)",
         "NHS number"),
    ],
)  # fmt: skip
def test_each_bad_cell_is_named_and_nothing_is_saved(
    people, world, sheet, changes, column, problem
):
    rows = {REVIEWS: GOOD_REVIEWS, RECOMMENDATIONS: GOOD_RECOMMENDATIONS, ACTIONS: GOOD_ACTIONS}
    rows[sheet] = _with(rows[sheet], 0, **changes)
    content = workbook_bytes(
        people["z9_editor"], world["z9"], rows[REVIEWS], rows[RECOMMENDATIONS], rows[ACTIONS]
    )
    errors = _refused(people, world, content)
    matching = [e for e in errors if e.sheet == sheet and e.row == 2 and e.column == column]
    assert matching, errors
    assert problem in matching[0].problem
    assert matching[0].fix


def test_a_dry_run_of_a_bad_file_lists_its_errors_too(people, world):
    rows = _with(GOOD_REVIEWS, 1, Kind="Serious case review")
    content = workbook_bytes(people["z9_editor"], world["z9"], rows, GOOD_RECOMMENDATIONS)
    errors = _refused(people, world, content, dry_run=True)
    assert [(e.sheet, e.row, e.column) for e in errors] == [(REVIEWS, 3, "B (Kind)")]


def test_every_error_of_a_file_is_listed_at_once(people, world):
    reviews = _with(GOOD_REVIEWS, 0, Kind="Nope")
    reviews = _with(reviews, 1, **{"Date of notification": "yesterday"})
    actions = _with(GOOD_ACTIONS, 2, Owner="NOPE1")
    content = workbook_bytes(
        people["z9_editor"], world["z9"], reviews, GOOD_RECOMMENDATIONS, actions
    )
    errors = _refused(people, world, content)
    assert {(e.sheet, e.row) for e in errors} == {(REVIEWS, 2), (REVIEWS, 3), (ACTIONS, 4)}


def test_a_duplicate_reference_within_the_file(people, world):
    reviews = [*GOOD_REVIEWS, dict(GOOD_REVIEWS[0])]
    errors = _refused(people, world, workbook_bytes(people["z9_editor"], world["z9"], reviews))
    assert [(e.sheet, e.row, e.column) for e in errors] == [(REVIEWS, 4, "A (Reference)")]
    assert "row 2" in errors[0].problem


def test_a_duplicate_of_a_review_already_in_the_tracker(people, world, make_review):
    make_review(reference="camden-sar-imp-1")  # same convening body and area, other case
    errors = _refused(people, world, workbook_bytes(people["z9_editor"], world["z9"], GOOD_REVIEWS))
    assert [(e.sheet, e.row, e.column) for e in errors] == [(REVIEWS, 2, "A (Reference)")]
    assert "already has a review with this reference" in errors[0].problem


def test_an_action_owner_outside_the_review(people, world):
    # QE1 is an ICB, but neither involved in the review nor its lead.
    actions = _with(GOOD_ACTIONS, 0, Owner="QE1")
    content = workbook_bytes(
        people["z9_editor"], world["z9"], GOOD_REVIEWS, GOOD_RECOMMENDATIONS, actions
    )
    errors = _refused(people, world, content)
    assert [(e.sheet, e.row, e.column) for e in errors] == [(ACTIONS, 2, "D (Owner)")]
    assert "cannot own an action of this review" in errors[0].problem


def test_a_completed_action_needs_evidence(people, world):
    actions = _with(GOOD_ACTIONS, 1, **{"Evidence of completion": ""})
    content = workbook_bytes(
        people["z9_editor"], world["z9"], GOOD_REVIEWS, GOOD_RECOMMENDATIONS, actions
    )
    errors = _refused(people, world, content)
    assert [(e.sheet, e.row) for e in errors] == [(ACTIONS, 3)]
    assert "evidence" in errors[0].problem.lower()


def test_a_viewer_cannot_import(people, world, good_file):
    errors = _refused(people, world, good_file, user="z9_viewer")
    assert {e.column for e in errors} == {"E (Lead ICB)"}


def test_an_oversize_file(people, world):
    errors = _refused(people, world, b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024 + 1))
    assert (errors[0].sheet, errors[0].row) == (None, None)
    assert "10 MiB or smaller" in errors[0].problem


def test_a_csv_renamed_xlsx(people, world):
    errors = _refused(people, world, b"Reference,Kind\nX,Safeguarding adults review\n")
    assert "not an Excel workbook" in errors[0].problem
    assert "CSV" in errors[0].problem


def test_a_zip_bomb(people, world, good_file):
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good_file)) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/media/padding.bin", b"\0" * (60 * 1024 * 1024))
    assert len(bomb.getvalue()) < 1024 * 1024
    errors = _refused(people, world, bomb.getvalue())
    assert "when opened" in errors[0].problem


def test_a_missing_sheet(people, world, good_file):
    book = load_workbook(io.BytesIO(good_file))
    del book[ACTIONS]
    buffer = io.BytesIO()
    book.save(buffer)
    errors = _refused(people, world, buffer.getvalue())
    assert errors[0].sheet == ACTIONS and "no sheet called" in errors[0].problem


# --- The pages ------------------------------------------------------------------------


def test_the_template_downloads_from_the_tracker(client, people, world):
    client.force_login(people["z9_editor"])
    page = client.get(reverse("reviews:tracker", args=["Z9B2Z"]))
    assert reverse("reviews:import", args=["Z9B2Z"]).encode() in page.content
    response = client.get(reverse("reviews:import_template", args=["Z9B2Z"]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response)))
    assert REVIEWS in book.sheetnames


def test_only_the_icbs_editors_reach_the_import(client, people, world):
    for user, status in (("z9_viewer", 403), ("qmf_editor", 404), ("london_lead", 403)):
        client.force_login(people[user])
        assert client.get(reverse("reviews:import", args=["Z9B2Z"])).status_code == status, user
        template = client.get(reverse("reviews:import_template", args=["Z9B2Z"]))
        assert template.status_code == status, user
    client.force_login(people["z9_viewer"])
    tracker = client.get(reverse("reviews:tracker", args=["Z9B2Z"]))
    assert reverse("reviews:import", args=["Z9B2Z"]).encode() not in tracker.content


def test_the_import_page_shows_errors_then_imports(client, people, world, good_file):
    client.force_login(people["z9_editor"])
    url = reverse("reviews:import", args=["Z9B2Z"])
    bad = workbook_bytes(people["z9_editor"], world["z9"], _with(GOOD_REVIEWS, 0, Kind="Nope"))
    before = counts()
    page = client.post(url, {"file": upload(bad), "mode": "check"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "B (Kind)" in text and "“Nope” is not one of the choices" in text
    assert "Nothing has been saved" in text
    assert counts() == before

    page = client.post(url, {"file": upload(good_file), "mode": "check"})
    text = page.content.decode()
    assert "CAMDEN-SAR-IMP-1" in text and "would be created" in text
    assert counts() == before

    page = client.post(url, {"file": upload(good_file), "mode": "import"})
    assert page.status_code == 302
    assert Review.objects.filter(reference__startswith="CAMDEN-").count() == 2
    assert counts()[:3] == (before[0] + 2, before[1] + 3, before[2] + 3)


def test_the_import_page_needs_a_file(client, people, world):
    client.force_login(people["z9_editor"])
    page = client.post(reverse("reviews:import", args=["Z9B2Z"]), {"mode": "check"})
    assert page.status_code == 200
    assert "Choose the workbook to upload" in page.content.decode()


def test_reading_a_file_does_not_query_row_by_row(people, world):
    """The organisations a file names are read at once: a file of 30 rows (all
    refused for their kind, so no service runs) costs what a file of 3 does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n: int) -> int:
        rows = [
            dict(GOOD_REVIEWS[0], Reference=f"REF-{i}", Kind="Nope", **{"Local authority area": a})
            for i, a in zip(range(n), ["Camden", "E09000007", "Hackney"] * n, strict=False)
        ]
        content = workbook_bytes(people["z9_editor"], world["z9"], rows)
        with CaptureQueriesContext(connection) as captured:
            errors = _refused(people, world, content)
        assert len(errors) == n
        return len(captured)

    assert queries(30) == queries(3)
