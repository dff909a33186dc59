# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""The completeness and timeliness selector, checked against a direct count
of the same returns, in one query whatever their number; and the period
page's table."""

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assurance.completeness import completeness_counted, period_completeness
from assurance.heatmap import heatmap_build
from assurance.models import QuarterlyReturn
from assurance.selectors import expected_icbs
from assurance.services.returns import quarterly_return_start
from assurance.services.submissions import (
    quarterly_return_accept,
    quarterly_return_review_start,
    quarterly_return_send_back,
    quarterly_return_submit,
)
from organisations.models import Role
from organisations.reference_data import NATIONAL_CODE
from saaf.dates import today
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


def direct_count(period):
    """The figures counted the long way: ICB by ICB, return by return."""
    figures = {}
    for icb in expected_icbs(period):
        row = figures.setdefault(
            icb.parent.code,
            dict.fromkeys(("expected", "on_time", "late", "not_submitted", "accepted"), 0),
        )
        row["expected"] += 1
        ret = QuarterlyReturn.objects.filter(icb=icb, period=period).first()
        first = ret.submissions.order_by("version").first() if ret else None
        if first is None:
            row["not_submitted"] += 1
        else:
            row["late" if first.late else "on_time"] += 1
        row["accepted"] += bool(ret and ret.status == "accepted")
    return figures


def as_dict(row):
    return {
        "expected": row.expected,
        "on_time": row.on_time,
        "late": row.late,
        "not_submitted": row.not_submitted,
        "accepted": row.accepted,
    }


def submit(icb, period):
    editor = member(icb, Role.ICB_EDITOR)
    ret = quarterly_return_start(actor=editor, icb=icb, period=period)
    fill_clean(editor, ret)
    quarterly_return_submit(
        actor=member(icb, Role.ICB_APPROVER), quarterly_return=ret, declaration=True
    )
    return ret


def test_the_figures_match_a_direct_count(ret, editor, approver, lead, q3, reference):
    london = reference["Y56"]
    london_icbs = list(
        expected_icbs(q3).filter(parent=london).exclude(pk=ret.icb_id).order_by("code")
    )
    other_region = expected_icbs(q3).exclude(parent=london).order_by("code").first()

    # On time, then accepted.
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    quarterly_return_accept(actor=lead, quarterly_return=ret)
    on_time = submit(london_icbs[0], q3)
    # The due date passes: these are late, and a resubmission counts once.
    period_dates(on_time, due_on=today() - datetime.timedelta(days=1))
    submit(london_icbs[1], q3)
    late_elsewhere = submit(other_region, q3)
    regional = member(other_region.parent, Role.REGIONAL_LEAD)
    quarterly_return_send_back(actor=regional, quarterly_return=late_elsewhere, comment="More.")
    quarterly_return_submit(
        actor=member(other_region, Role.ICB_APPROVER),
        quarterly_return=late_elsewhere,
        declaration=True,
    )
    # A draft, never submitted.
    quarterly_return_start(
        actor=member(london_icbs[2], Role.ICB_EDITOR), icb=london_icbs[2], period=q3
    )

    with CaptureQueriesContext(connection) as queries:
        rows = period_completeness(q3)
    assert len(queries) == 1
    expected = direct_count(q3)
    regions = {row.region_code: as_dict(row) for row in rows[:-1]}
    assert regions == expected
    assert regions["Y56"] == {
        "expected": len(london_icbs) + 1,
        "on_time": 2,
        "late": 1,
        "not_submitted": len(london_icbs) - 2,
        "accepted": 1,
    }
    assert regions[other_region.parent.code]["late"] == 1
    england = rows[-1]
    assert england.region_code is None and england.region_name == "England"
    assert england.expected == expected_icbs(q3).count()
    assert (england.on_time, england.late, england.accepted) == (2, 2, 1)
    assert england.submitted + england.not_submitted == england.expected
    assert [r.region_name for r in rows[:-1]] == sorted(r.region_name for r in rows[:-1])

    # A region's page reads its own row only, counted the same way, still one query.
    for region in {icb.parent for icb in expected_icbs(q3)}:
        with CaptureQueriesContext(connection) as queries:
            (own,) = period_completeness(q3, region=region)
        assert len(queries) == 1
        assert own == next(r for r in rows if r.region_code == region.code)

    # The heatmap's totals, counted from the returns it read, are the same,
    # also with a return sent back and one under review.
    assert_heatmap_counts_the_same(q3, reference)
    started = QuarterlyReturn.objects.filter(period=q3).values("icb")
    first, second = expected_icbs(q3).exclude(pk__in=started).order_by("code")[:2]
    sent_back = submit(first, q3)
    regional = member(first.parent, Role.REGIONAL_LEAD)
    quarterly_return_send_back(actor=regional, quarterly_return=sent_back, comment="Evidence?")
    regional = member(second.parent, Role.REGIONAL_LEAD)
    quarterly_return_review_start(actor=regional, quarterly_return=submit(second, q3))
    england = period_completeness(q3)[-1]
    assert (england.returned, england.under_review) == (1, 1)
    assert_heatmap_counts_the_same(q3, reference)


def assert_heatmap_counts_the_same(period, reference):
    nssg = member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    national = heatmap_build(user=nssg, period=period, rating="red")  # a filter counts all
    with CaptureQueriesContext(connection) as queries:
        assert completeness_counted(national.expected) == period_completeness(period)
    assert len(queries) == 1  # period_completeness's own
    for region in {icb.parent for icb in expected_icbs(period)}:
        heatmap = heatmap_build(user=nssg, period=period, region=region)
        assert completeness_counted(heatmap.expected, region=region) == period_completeness(
            period, region=region
        )


def test_a_region_that_expected_no_icb_has_a_row_of_zeros(q3, reference, toolkit):
    from organisations.models import Organisation

    empty = Organisation.objects.regions().exclude(
        pk__in=expected_icbs(q3).values("parent")
    ).first() or Organisation.objects.create(kind="region", code="YZZ", name="Nowhere")
    (row,) = period_completeness(q3, region=empty)
    assert (row.region_code, row.expected, row.submitted, row.accepted) == (empty.code, 0, 0, 0)


def test_with_no_returns_every_icb_is_missing_in_one_query(q3, reference, toolkit):
    with CaptureQueriesContext(connection) as none:
        empty = period_completeness(q3)
    assert len(none) == 1
    assert all(r.on_time == r.late == r.accepted == 0 for r in empty)
    assert empty[-1].not_submitted == expected_icbs(q3).count()


def test_the_period_page_shows_the_table(client, ret, editor, approver, q3):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    enrol_totp(editor)
    client.force_login(editor)
    page = client.get(
        reverse("assurance:period_detail", args=[q3.financial_year, q3.quarter])
    ).content.decode()
    assert "Completeness and timeliness" in page
    london = next(r for r in period_completeness(q3) if r.region_code == "Y56")
    assert london.on_time == 1
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    for row in period_completeness(q3):
        name = row.region_name + ("" if row.region_code else " (all regions)")
        assert (
            f"Region {name} Expected {row.expected} On time {row.on_time} "
            f"Late {row.late} Not submitted {row.not_submitted} Accepted {row.accepted}"
        ) in text
