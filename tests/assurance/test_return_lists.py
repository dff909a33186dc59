# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""Completeness by state and the lists of returns: the selector against a
direct count in every state of a return, the region's, England's and an
ICB's lists (what each row says, who may read which, their exports), their
links from the period page, the home page and the navigation, and query
counts that do not grow with the ICBs and returns."""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from assurance.completeness import period_completeness
from assurance.models import QuarterlyReturn, ReportingPeriod
from assurance.return_lists import (
    ReturnState,
    icb_return_rows,
    latest_period,
    period_return_rows,
)
from assurance.selectors import expected_icbs
from assurance.services.returns import quarterly_return_start
from assurance.services.submissions import (
    quarterly_return_accept,
    quarterly_return_review_start,
    quarterly_return_send_back,
    quarterly_return_submit,
)
from organisations.models import Organisation, Role
from organisations.scoping import scope_of
from saaf.dates import nhs_date, today
from tests.assurance.test_submission import (  # noqa: F401
    approver,
    editor,
    fill_clean,
    lead,
    period_dates,
    q3,
    ret,
)
from tests.factories import enrol_totp, member

FIELDS = (
    "expected",
    "on_time",
    "late",
    "missing",
    "draft",
    "awaiting_review",
    "under_review",
    "returned",
    "accepted",
)


def submit(icb, period):
    editor = member(icb, Role.ICB_EDITOR)
    ret = quarterly_return_start(actor=editor, icb=icb, period=period)
    fill_clean(editor, ret)
    quarterly_return_submit(
        actor=member(icb, Role.ICB_APPROVER), quarterly_return=ret, declaration=True
    )
    return ret


def direct_count(period):
    """Every figure counted the long way, ICB by ICB."""
    figures = {}
    for icb in expected_icbs(period):
        row = figures.setdefault(icb.parent.code, dict.fromkeys(FIELDS, 0))
        row["expected"] += 1
        ret = QuarterlyReturn.objects.filter(icb=icb, period=period).first()
        first = ret.submissions.order_by("version").first() if ret else None
        if ret is None:
            row["missing"] += 1
        elif first is None:
            row["draft"] += 1
        else:
            row["late" if first.late else "on_time"] += 1
            key = {"submitted": "awaiting_review"}.get(ret.status, ret.status)
            row[key] += 1
    return figures


@pytest.fixture
def states(ret, editor, approver, lead, q3, reference):
    """London's returns for Q3 in every state, and one late in another region:
    Z9B2Z accepted, QMF returned for changes, QKK under review, QWE a draft;
    the first expected ICB of another region submitted late."""
    london = {icb.code: icb for icb in expected_icbs(q3).filter(parent=reference["Y56"])}
    assert set(london) == {"Z9B2Z", "QMF", "QKK", "QWE"}
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    quarterly_return_accept(actor=lead, quarterly_return=ret)
    returned = submit(london["QMF"], q3)
    quarterly_return_send_back(actor=lead, quarterly_return=returned, comment="Say more.")
    reviewed = submit(london["QKK"], q3)
    quarterly_return_review_start(actor=lead, quarterly_return=reviewed)
    quarterly_return_start(
        actor=member(london["QWE"], Role.ICB_EDITOR), icb=london["QWE"], period=q3
    )
    period_dates(ret, due_on=today() - datetime.timedelta(days=1))
    late = submit(expected_icbs(q3).exclude(parent=reference["Y56"]).order_by("code").first(), q3)
    return {"late": late, **london}


def test_the_selector_counts_every_state_as_a_direct_count_does(states, q3, reference):
    with CaptureQueriesContext(connection) as queries:
        rows = period_completeness(q3)
    assert len(queries) == 1
    counted = {row.region_code: {f: getattr(row, f) for f in FIELDS} for row in rows[:-1]}
    assert counted == direct_count(q3)
    assert counted["Y56"] == {
        "expected": 4,
        "on_time": 3,
        "late": 0,
        "missing": 0,
        "draft": 1,
        "awaiting_review": 0,
        "under_review": 1,
        "returned": 1,
        "accepted": 1,
    }
    england = rows[-1]
    assert england.is_england
    assert (england.late, england.awaiting_review, england.missing) == (
        1,
        1,
        england.expected - 5,
    )
    for row in rows:
        # The four places a submitted return can stand add up to the submitted.
        assert row.awaiting_review + row.under_review + row.returned + row.accepted == (
            row.submitted
        )
        assert row.missing + row.draft == row.not_submitted


def test_the_successors_complete_but_the_dissolved_icb_is_counted(reference, toolkit):
    """Q4 2025/26 fell due after QMJ and QRV merged into Z9B2Z: they owe it,
    the successor is not expected, and Z9B2Z's team completes their returns."""
    q4 = ReportingPeriod.objects.get(financial_year=2025, quarter=4)
    expected = set(expected_icbs(q4).values_list("code", flat=True))
    assert {"QMJ", "QRV"} <= expected and "Z9B2Z" not in expected
    successor_editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    started = quarterly_return_start(actor=successor_editor, icb=reference["QMJ"], period=q4)
    assert started.completed_by == reference["Z9B2Z"]
    london = next(r for r in period_completeness(q4) if r.region_code == "Y56")
    assert (london.draft, london.missing) == (1, london.expected - 1)
    rows = icb_return_rows(icb=reference["Z9B2Z"])
    completed_for = {(r.icb.code, r.period.label): r for r in rows.completed_for}
    assert set(completed_for) == {("QMJ", "Q4 2025/26"), ("QRV", "Q4 2025/26")}
    assert completed_for["QMJ", "Q4 2025/26"].state == ReturnState.DRAFT
    assert completed_for["QMJ", "Q4 2025/26"].completed_by == reference["Z9B2Z"]
    assert completed_for["QRV", "Q4 2025/26"].state == ReturnState.MISSING  # past its due date
    assert {p.code for p in rows.predecessors} == {"QMJ", "QRV"}
    # Its own rows start with its first quarter.
    assert all(r.period.ends_on >= reference["Z9B2Z"].established for r in rows.rows)


def test_a_split_icbs_return_is_listed_by_the_successor_named_to_complete_it(
    reference, toolkit, national_admin
):
    from assurance.services.returns import quarterly_return_name_successor

    q4 = ReportingPeriod.objects.get(financial_year=2025, quarter=4)

    def completes(code):
        return {
            (r.icb.code, r.period.label) for r in icb_return_rows(icb=reference[code]).completed_for
        }

    # QNQ split: until the national team names a successor, nobody lists it as theirs.
    assert ("QNQ", "Q4 2025/26") not in completes("S0E4D") | completes("QRL")
    quarterly_return_name_successor(
        actor=national_admin,
        icb=reference["QNQ"],
        period=q4,
        successor=reference["S0E4D"],
        reason="Most of its population.",
    )
    assert ("QNQ", "Q4 2025/26") in completes("S0E4D")
    assert ("QNQ", "Q4 2025/26") not in completes("QRL") | completes("S9B9J")
    row = next(
        r for r in icb_return_rows(icb=reference["S0E4D"]).completed_for if r.icb.code == "QNQ"
    )
    assert row.completed_by == reference["S0E4D"] and row.state == ReturnState.DRAFT


def test_the_region_rows_say_where_each_return_stands(states, q3, reference):
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    listed = period_return_rows(user=lead, period=q3, region=reference["Y56"])
    rows = {r.icb.code: r for r in listed}
    assert {code: r.state for code, r in rows.items()} == {
        "Z9B2Z": ReturnState.ACCEPTED,
        "QMF": ReturnState.RETURNED,
        "QKK": ReturnState.UNDER_REVIEW,
        "QWE": ReturnState.DRAFT,
    }
    accepted = rows["Z9B2Z"]
    assert accepted.version == 1 and accepted.accepted_on == today()
    assert accepted.days_since_submission == 0 and not accepted.late
    assert accepted.timeliness == "On time"
    assert rows["QMF"].returned_on == today()
    # The due date has passed: the draft is overdue, not late.
    assert rows["QWE"].overdue and not rows["QWE"].late and rows["QWE"].version is None
    assert rows["QWE"].timeliness == "Overdue"
    everywhere = period_return_rows(
        user=member(reference["X24"], Role.NSSG_MEMBER), period=q3, today=today()
    )
    late = next(r for r in everywhere if r.icb.pk == states["late"].icb_id)
    assert late.late and late.state == ReturnState.SUBMITTED and late.timeliness == "Late"
    assert len(everywhere) == expected_icbs(q3).count()
    missing = [r for r in everywhere if r.state == ReturnState.MISSING]
    assert len(missing) == expected_icbs(q3).count() - 5
    # Days since submission count on from the submission's London day.
    later = period_return_rows(
        user=lead, period=q3, region=reference["Y56"], today=today() + datetime.timedelta(days=9)
    )
    assert {r.icb.code: r.days_since_submission for r in later}["QKK"] == 9


def test_before_the_due_date_no_return_is_not_started_rather_than_missing(q3, reference):
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    before = q3.due_on - datetime.timedelta(days=3)
    rows = period_return_rows(user=lead, period=q3, region=reference["Y56"], today=before)
    assert {r.state for r in rows} == {ReturnState.NOT_STARTED}
    assert not any(r.overdue for r in rows)
    after = q3.due_on + datetime.timedelta(days=1)
    rows = period_return_rows(user=lead, period=q3, region=reference["Y56"], today=after)
    assert {r.state for r in rows} == {ReturnState.MISSING}
    assert all(r.overdue for r in rows)


# --- Pages --------------------------------------------------------------------------


def signed_in(client, organisation, role):
    user = member(organisation, role)
    enrol_totp(user)
    client.force_login(user)
    return user


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def region_url(period, code, fmt=None):
    args = [period.financial_year, period.quarter, code]
    if fmt:
        return reverse("assurance:region_returns_export", args=[*args, fmt])
    return reverse("assurance:region_returns", args=args)


def national_url(period, fmt=None):
    args = [period.financial_year, period.quarter]
    if fmt:
        return reverse("assurance:period_returns_export", args=[*args, fmt])
    return reverse("assurance:period_returns", args=args)


def test_the_region_page_lists_every_expected_icb_with_links(client, states, q3, reference):
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    page = client.get(region_url(q3, "Y56")).content.decode()
    text = text_of(page)
    assert "4 expected: 3 submitted on time, 0 late, 1 not submitted" in text
    assert "1 under review, 1 returned for changes, 1 accepted" in text
    for code in ("Z9B2Z", "QMF", "QKK", "QWE"):
        href = reverse("assurance:return_detail", args=[code, q3.financial_year, q3.quarter])
        assert f'href="{href}"' in page
    z9b2z = reference["Z9B2Z"].name
    assert f"{z9b2z} – Q3 2026/27 return Z9B2Z Accepted On time 1 {today():%-d %B %Y}" in text
    assert "Draft Overdue (due" in text
    assert '<caption class="nhsuk-table__caption nhsuk-table__caption--s">' in page
    assert 'scope="row"' in page and 'scope="col"' in page


def test_the_national_page_groups_by_region_with_their_totals(client, states, q3, reference):
    signed_in(client, reference["X24"], Role.NSSG_MEMBER)
    page = client.get(national_url(q3)).content.decode()
    text = text_of(page)
    for row in period_completeness(q3):
        if row.is_england:
            continue
        heading = f'<h2 id="region-{row.region_code}" class="nhsuk-heading-m">'
        assert f"{heading}{row.region_name}</h2>" in page
        assert (
            f"{row.region_name} {row.expected} {row.on_time} {row.late} {row.not_submitted} "
            f"{row.awaiting_review} {row.under_review} {row.returned} {row.accepted}"
        ) in text
    england = period_completeness(q3)[-1]
    assert f"England {england.expected} {england.on_time} {england.late}" in text
    for icb in expected_icbs(q3):
        assert icb.name in page
    # London's group holds London's ICBs only.
    london = page.split('id="region-Y56"', 1)[1].split("<h2", 1)[0]
    assert reference["Z9B2Z"].name in london and reference["QE1"].name not in london


@pytest.mark.parametrize(
    ("code", "role", "own_region", "national", "other_region"),
    [
        ("Y56", Role.REGIONAL_LEAD, 200, 404, 404),
        ("Y56", Role.REGIONAL_CHIEF_NURSE, 200, 404, 404),
        ("X24", Role.NSSG_MEMBER, 200, 200, 200),
        ("X24", Role.NATIONAL_ADMIN, 200, 200, 200),
        ("Z9B2Z", Role.ICB_EDITOR, 404, 404, 404),
        ("Z9B2Z", Role.ICB_VIEWER, 404, 404, 404),
    ],
)
def test_who_reads_the_period_lists(
    client, q3, reference, code, role, own_region, national, other_region
):
    signed_in(client, reference[code], role)
    for fmt in (None, "csv"):
        assert client.get(region_url(q3, "Y56", fmt)).status_code == own_region
        assert client.get(national_url(q3, fmt)).status_code == national
        assert client.get(region_url(q3, "Y61", fmt)).status_code == other_region
    # An ICB's code is not a region: not found.
    assert client.get(region_url(q3, "Z9B2Z")).status_code == 404
    assert client.get(region_url(q3, "Y56") + "export.pdf").status_code == 404


@pytest.mark.parametrize(
    ("code", "role", "own", "predecessor", "other"),
    [
        ("Z9B2Z", Role.ICB_VIEWER, 200, 200, 404),
        ("Z9B2Z", Role.ICB_APPROVER, 200, 200, 404),
        ("QMF", Role.ICB_EDITOR, 404, 404, 200),
        ("Y56", Role.REGIONAL_LEAD, 200, 200, 200),
        ("Y61", Role.REGIONAL_LEAD, 404, 404, 404),
        ("X24", Role.NSSG_MEMBER, 200, 200, 200),
    ],
)
def test_who_reads_an_icbs_list(client, toolkit, reference, code, role, own, predecessor, other):
    signed_in(client, reference[code], role)
    for icb, status in (("Z9B2Z", own), ("QMJ", predecessor), ("QMF", other)):
        assert client.get(reverse("assurance:icb_returns", args=[icb])).status_code == status
    assert client.get(reverse("assurance:icb_returns", args=["Y56"])).status_code == 404


def test_no_list_without_a_role(client, q3, reference):
    user = member(reference["Y56"], Role.REGIONAL_LEAD)
    user.memberships.all().delete()
    enrol_totp(user)
    client.force_login(user)
    assert client.get(reverse("assurance:returns")).status_code == 404
    assert client.get(region_url(q3, "Y56")).status_code == 404
    assert client.get(national_url(q3)).status_code == 404
    client.logout()
    assert client.get(region_url(q3, "Y56")).status_code == 302  # to sign in


def test_the_icbs_page_lists_its_quarters_and_what_it_completes(client, states, q3, reference):
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    page = client.get(reverse("assurance:icb_returns", args=["Z9B2Z"])).content.decode()
    text = text_of(page)
    assert "Q3 2026/27 return of NHS West and North London" in text
    assert f"Accepted On time 1 {today():%-d %B %Y}" in text
    q1 = reverse("assurance:return_detail", args=["Z9B2Z", 2026, 1])
    assert f'href="{q1}"' in page
    assert "Returns completed for the ICBs it succeeded" in text
    assert f'href="{reverse("assurance:icb_returns", args=["QMJ"])}"' in page
    # Newest first.
    assert text.index("Q3 2026/27 return") < text.index("Q1 2026/27 return")


def test_the_start_link_sends_each_role_to_its_list(client, q3, reference):
    period = latest_period()
    args = [period.financial_year, period.quarter]
    for code, role, target in (
        ("Z9B2Z", Role.ICB_EDITOR, reverse("assurance:icb_returns", args=["Z9B2Z"])),
        ("Y56", Role.REGIONAL_LEAD, reverse("assurance:region_returns", args=[*args, "Y56"])),
        ("X24", Role.NSSG_MEMBER, reverse("assurance:period_returns", args=args)),
    ):
        signed_in(client, reference[code], role)
        response = client.get(reverse("assurance:returns"))
        assert response.status_code == 302 and response.url == target
    assert period.ends_on < today()


# --- Exports ------------------------------------------------------------------------


def test_the_exports_hold_the_rows_and_escape_formulas(client, states, q3, reference):
    Organisation.objects.filter(code="QMF").update(name='=HYPERLINK("http://x")\x07 ICB')
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    response = client.get(region_url(q3, "Y56", "csv"))
    assert response["Content-Disposition"] == 'attachment; filename="returns-Y56-2026-q3.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Region", "ODS code", "ICB", "State", "Timeliness"]
    by_code = {row[1]: row for row in rows[1:]}
    assert set(by_code) == {"Z9B2Z", "QMF", "QKK", "QWE"}
    assert by_code["QMF"][2] == '\'=HYPERLINK("http://x") ICB'  # escaped, control gone
    assert by_code["Z9B2Z"][3:7] == ["Accepted", "On time", "1", nhs_date(today())]
    assert by_code["QWE"][3:5] == ["Draft", "Overdue"]

    response = client.get(region_url(q3, "Y56", "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    qmf = next(row for row in values if row[1] == "QMF")
    assert qmf[2] == '=HYPERLINK("http://x") ICB'
    cell = next(row for row in sheet.iter_rows() if row[1].value == "QMF")[2]
    assert cell.data_type == "s" and cell.quotePrefix
    z9b2z = next(row for row in values if row[1] == "Z9B2Z")
    assert z9b2z[6].date() == today() and z9b2z[5] == 1

    signed_in(client, reference["X24"], Role.NSSG_MEMBER)
    rows = list(
        csv.reader(io.StringIO(client.get(national_url(q3, "csv")).content.decode("utf-8-sig")))
    )
    assert len(rows) - 1 == expected_icbs(q3).count()


# --- Links --------------------------------------------------------------------------


def test_the_period_page_home_and_navigation_link_the_lists(client, q3, reference):
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    period_page = client.get(
        reverse("assurance:period_detail", args=[q3.financial_year, q3.quarter])
    ).content.decode()
    assert f'href="{region_url(q3, "Y56")}"' in period_page
    assert f'href="{region_url(q3, "Y61")}"' not in period_page  # not theirs
    assert f'href="{national_url(q3)}"' not in period_page
    home = client.get("/").content.decode()
    latest = latest_period()
    assert f'href="{region_url(latest, "Y56")}"' in home
    assert f'href="{reverse("assurance:returns")}"' in home

    signed_in(client, reference["X24"], Role.NSSG_MEMBER)
    period_page = client.get(
        reverse("assurance:period_detail", args=[q3.financial_year, q3.quarter])
    ).content.decode()
    assert f'href="{national_url(q3)}"' in period_page
    assert f'href="{region_url(q3, "Y61")}"' in period_page
    assert f'href="{national_url(latest)}"' in client.get("/").content.decode()

    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    home = client.get("/").content.decode()
    assert f'href="{reverse("assurance:icb_returns", args=["Z9B2Z"])}"' in home


# --- Query counts -------------------------------------------------------------------


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, path
    return len(queries)


def more_icbs_and_returns(reference, q3, n=4):
    """More ICBs in London and the North West, each with a submitted return."""
    for i in range(n):
        for region in ("Y56", "Y62"):
            icb = Organisation.objects.create(
                kind="icb",
                code=f"T{region[-2:]}{i}",
                name=f"Test ICB {region} {i}",
                parent=reference[region],
                established=datetime.date(2022, 7, 1),
            )
            submit(icb, q3)


def test_the_lists_take_a_fixed_number_of_queries(client, q3, reference, ret, editor, approver):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    national = member(reference["X24"], Role.NSSG_MEMBER)
    enrol_totp(national)
    client.force_login(national)
    paths = [
        region_url(q3, "Y56"),
        national_url(q3),
        region_url(q3, "Y56", "csv"),
        national_url(q3, "xlsx"),
        reverse("assurance:icb_returns", args=["Z9B2Z"]),
    ]
    client.get(reverse("assurance:returns"))  # the session's first request records it
    before = {path: count_queries(client, path) for path in paths}
    scope_of(national)  # worked out once per request, before the page's own queries
    with CaptureQueriesContext(connection) as selector:
        period_return_rows(user=national, period=q3)
    more_icbs_and_returns(reference, q3)
    after = {path: count_queries(client, path) for path in paths}
    assert after == before
    with CaptureQueriesContext(connection) as again:
        rows = period_return_rows(user=national, period=q3)
    assert len(again) == len(selector) == 2
    assert sum(r.state == ReturnState.SUBMITTED for r in rows) == 9
    with CaptureQueriesContext(connection) as totals:
        london = next(r for r in period_completeness(q3) if r.region_code == "Y56")
    assert len(totals) == 1 and london.awaiting_review == 5  # Z9B2Z and four more
    # About 13 queries serve any signed-in page; the lists add a handful.
    assert max(after.values()) <= 25


def test_the_lists_breadcrumbs_lead_back_through_the_period(client, q3, reference):
    from tests.assurance.test_breadcrumbs import breadcrumb_items

    signed_in(client, reference["X24"], Role.NSSG_MEMBER)
    trail = ["Home", "Reporting periods", q3.label]
    assert breadcrumb_items(client.get(national_url(q3)).content.decode()) == trail
    region = client.get(region_url(q3, "Y56")).content.decode()
    assert breadcrumb_items(region) == [*trail, "England&#39;s returns"]
    icb = client.get(reverse("assurance:icb_returns", args=["Z9B2Z"])).content.decode()
    assert breadcrumb_items(icb) == ["Home"]
