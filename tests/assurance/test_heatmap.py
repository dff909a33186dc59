"""The heatmap matrix (assurance.heatmap): the worst-of rule on both bases,
states and marks, the current submission, the trend across the April 2026
successions, the theme's columns, scoping, an ICB's eight quarters, and a
query count that does not grow with ICBs or standards."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assurance.heatmap import (
    Basis,
    CellState,
    Trend,
    View,
    heatmap_build,
    heatmap_period,
    trend_of,
)
from assurance.heatmap_detail import cell_detail_get, icb_history
from assurance.models import (
    QuarterlyReturn,
    ReportingPeriod,
    ReturnStatus,
    Section,
    Standard,
    ToolkitVersion,
)
from organisations.models import Organisation, Role
from organisations.reference_data import NATIONAL_CODE
from organisations.scoping import scope_of
from tests.assurance.heatmap_helpers import period, submitted
from tests.factories import member

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)


@pytest.fixture
def nssg(reference, toolkit):
    return member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)


def _row(heatmap, code):
    return next(row for row in heatmap.rows if row.icb.code == code)


def _cell(heatmap, code, column):
    return next(c for c in _row(heatmap, code).cells if c.column.key == column)


def _build(user, p, **kwargs):
    return heatmap_build(user=user, period=p, today=TODAY, **kwargs)


# --- The worst-of rule -------------------------------------------------------------


def test_all_not_applicable_is_not_applicable(reference, nssg):
    q1 = period(2026, 1)
    na = dict.fromkeys(("LG1", "LG2", "LG3"), "not_applicable")
    submitted(reference["QMF"], q1, nssg, na)
    heatmap = _build(nssg, q1, region=reference["Y56"])
    cell = _cell(heatmap, "QMF", "LG")
    assert cell.rating == "not_applicable"
    assert cell.word == "Not applicable"
    assert cell.shown.text == "3 not applicable"


def test_mixed_section_takes_its_worst_with_counts(reference, nssg):
    q1 = period(2026, 1)
    submitted(
        reference["QMF"],
        q1,
        nssg,
        {"LG1": "green", "LG2": "amber", "LG3": "red", "LG4": "not_applicable", "LG5": "green"},
    )
    cell = _cell(_build(nssg, q1, region=reference["Y56"]), "QMF", "LG")
    assert (cell.rating, cell.word) == ("red", "Red")
    assert cell.shown.text == "1 red, 1 amber, 2 green, 1 not applicable"


def test_validated_rating_overrides_the_self_assessment(reference, nssg):
    q1 = period(2026, 1)
    submitted(reference["QMF"], q1, nssg, {"LG1": ("green", "red"), "LG2": "green"})
    validated = _cell(_build(nssg, q1, region=reference["Y56"]), "QMF", "LG")
    assert validated.rating == "red"
    assert validated.differs
    assert validated.differs_text == "Differs: self-assessed 2 green"
    own = _cell(_build(nssg, q1, region=reference["Y56"], basis=Basis.SELF), "QMF", "LG")
    assert (own.rating, own.shown.text) == ("green", "2 green")


def test_current_submission_is_the_latest_version(reference, nssg):
    q1 = period(2026, 1)
    # Version 1 rated everything green; version 2, awaiting review, rates LG1 red.
    submitted(reference["QMF"], q1, nssg, {"LG1": "red"}, versions=2, status=ReturnStatus.SUBMITTED)
    heatmap = _build(nssg, q1, region=reference["Y56"])
    row = _row(heatmap, "QMF")
    assert row.version == 2
    assert row.marks == ["Awaiting review"]
    assert _cell(heatmap, "QMF", "LG").shown.text == "1 red"


def test_states_and_marks(reference, nssg):
    q1 = period(2026, 1)
    london = reference["Y56"]
    submitted(reference["QMF"], q1, nssg, {"LG1": "green"}, late=True)
    submitted(reference["QKK"], q1, nssg, {"LG1": "amber"}, status=ReturnStatus.RETURNED)
    QuarterlyReturn.objects.create(icb=reference["QWE"], period=q1, started_by=nssg)
    heatmap = _build(nssg, q1, region=london)
    assert _row(heatmap, "QMF").marks == ["Late"]
    assert _row(heatmap, "QKK").marks == ["Returned for changes"]
    assert _row(heatmap, "QWE").state == CellState.DRAFT
    assert _row(heatmap, "QWE").cells == []
    assert _row(heatmap, "Z9B2Z").state == CellState.MISSING
    early = heatmap_build(user=nssg, period=q1, region=london, today=datetime.date(2026, 7, 1))
    assert _row(early, "Z9B2Z").state == CellState.NOT_STARTED


def test_rating_filter_keeps_the_icbs_with_that_rating(reference, nssg):
    q1 = period(2026, 1)
    submitted(reference["QMF"], q1, nssg, {"LG1": "red"})
    submitted(reference["QKK"], q1, nssg, {"LG1": "green"})
    reds = _build(nssg, q1, region=reference["Y56"], rating="red")
    assert [row.icb.code for row in reds.rows] == ["QMF"]
    assert (reds.shown_rows, reds.total_rows) == (1, 4)
    missing = _build(nssg, q1, region=reference["Y56"], rating="missing")
    assert {row.icb.code for row in missing.rows} == {"QWE", "Z9B2Z"}


def test_region_summary_counts_answers_per_section(reference, nssg):
    q1 = period(2026, 1)
    submitted(reference["QMF"], q1, nssg, {"LG1": "red", "LG2": "green"})
    submitted(reference["QKK"], q1, nssg, {"LG1": ("green", "amber"), "DP1": "green"})
    heatmap = _build(nssg, q1, region=reference["Y56"])
    keys = [c.key for c in heatmap.columns]
    summary = dict(zip(keys, heatmap.groups[0].summary.counts, strict=True))
    assert summary["LG"] == {"red": 1, "green": 1, "amber": 1}


# --- Views of the matrix -------------------------------------------------------------


def test_theme_columns_are_the_quarters_theme_standards(reference, nssg):
    q1 = period(2026, 1)
    heatmap = _build(nssg, q1, view=View.THEME)
    expected = Standard.objects.filter(version=q1.toolkit_version, theme=1)
    assert [c.key for c in heatmap.columns] == list(
        expected.order_by("section__position", "position").values_list("code", flat=True)
    )
    assert {"LG5", "LG6", "LG7"} <= {c.key for c in heatmap.columns}


def test_standards_of_one_section(reference, nssg):
    q1 = period(2026, 1)
    lg = Section.objects.get(version=q1.toolkit_version, code="LG")
    submitted(reference["QMF"], q1, nssg, {"LG1": "red", "LG2": "green"})
    heatmap = _build(nssg, q1, region=reference["Y56"], view=View.STANDARDS, section=lg)
    assert [c.key for c in heatmap.columns][:2] == ["LG1", "LG2"]
    assert _cell(heatmap, "QMF", "LG1").word == "Red"
    assert _cell(heatmap, "QMF", "LG2").word == "Green"
    assert _cell(heatmap, "QMF", "LG3").counted is None


# --- Change since last quarter, across the April 2026 successions ---------------------


def test_trend_words():
    assert trend_of("amber", "green") == Trend.BETTER
    assert trend_of("green", "red") == Trend.WORSE
    assert trend_of("red", "red") == Trend.SAME
    assert trend_of(None, "red") == Trend.NEW
    assert trend_of("not_applicable", "amber") == Trend.NEW


def test_trend_of_a_merger_combines_its_predecessors(reference, nssg):
    """Z9B2Z (from QMJ and QRV) against QMJ's and QRV's Q4 2025/26 together."""
    q4, q1 = period(2025, 4), period(2026, 1)
    submitted(reference["QMJ"], q4, nssg, {"LG1": "green", "DP1": "green"})
    submitted(reference["QRV"], q4, nssg, {"LG1": "amber", "DP1": "green"})
    submitted(reference["Z9B2Z"], q1, nssg, {"LG1": "green", "DP1": "red"})
    heatmap = _build(nssg, q1, region=reference["Y56"])
    row = _row(heatmap, "Z9B2Z")
    assert [o.code for o in row.compared_with] == ["QMJ", "QRV"]
    assert "QMJ and QRV" in row.compared_text
    lg = _cell(heatmap, "Z9B2Z", "LG")
    assert (lg.previous, lg.trend) == ("amber", Trend.BETTER)  # QRV's amber is the worst
    sa = _cell(heatmap, "Z9B2Z", "DP")
    assert (sa.previous, sa.trend) == ("green", Trend.WORSE)


def test_trend_of_splits(reference, nssg):
    """S0E4D from QNQ and QU9; S9B9J from QNQ, QXU and QNX."""
    q4, q1 = period(2025, 4), period(2026, 1)
    submitted(reference["QNQ"], q4, nssg, {"LG1": "red"})
    submitted(reference["QU9"], q4, nssg, {"LG1": "green"})
    submitted(reference["QXU"], q4, nssg, {"LG1": "amber"})
    submitted(reference["QNX"], q4, nssg, {"LG1": "green"})
    submitted(reference["S0E4D"], q1, nssg, {"LG1": "red"})
    submitted(reference["S9B9J"], q1, nssg, {"LG1": "amber"})
    heatmap = _build(nssg, q1)
    s0 = _row(heatmap, "S0E4D")
    assert [o.code for o in s0.compared_with] == ["QNQ", "QU9"]
    assert _cell(heatmap, "S0E4D", "LG").trend == Trend.SAME  # red against QNQ's red
    s9 = _row(heatmap, "S9B9J")
    assert [o.code for o in s9.compared_with] == ["QNQ", "QNX", "QXU"]
    assert _cell(heatmap, "S9B9J", "LG").trend == Trend.BETTER  # amber against QNQ's red


def test_trend_of_an_acquisition_is_against_its_own_quarter(reference, nssg):
    """QRL, which took over part of QNQ, compares with its own Q4, not QNQ's."""
    q4, q1 = period(2025, 4), period(2026, 1)
    submitted(reference["QNQ"], q4, nssg, {"LG1": "red"})
    submitted(reference["QRL"], q4, nssg, {"LG1": "green"})
    submitted(reference["QRL"], q1, nssg, {"LG1": "green"})
    heatmap = _build(nssg, q1)
    row = _row(heatmap, "QRL")
    assert [o.code for o in row.compared_with] == ["QRL"]
    assert row.compared_text == "Compared with QRL's own previous quarter."
    assert _cell(heatmap, "QRL", "LG").trend == Trend.SAME


def test_trend_without_a_previous_return_is_new(reference, nssg):
    q1 = period(2026, 1)
    submitted(reference["QMF"], q1, nssg, {"LG1": "green"})
    assert _cell(_build(nssg, q1, region=reference["Y56"]), "QMF", "LG").trend == Trend.NEW


# --- Scoping -----------------------------------------------------------------------------


def test_a_region_sees_only_its_icbs(reference, toolkit):
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    heatmap = _build(lead, period(2026, 1))
    assert {row.icb.parent.code for row in heatmap.rows} == {"Y56"}
    assert len(heatmap.rows) == 4


def test_an_icb_sees_only_its_own_row_and_its_predecessors(reference, nssg):
    viewer = member(reference["Z9B2Z"], Role.ICB_VIEWER)
    submitted(reference["QMF"], period(2026, 1), nssg, {"LG1": "red"})
    now = _build(viewer, period(2026, 1))
    assert [row.icb.code for row in now.rows] == ["Z9B2Z"]
    before = _build(viewer, period(2025, 4))
    assert sorted(row.icb.code for row in before.rows) == ["QMJ", "QRV"]


def test_national_roles_see_every_expected_icb(reference, nssg):
    heatmap = _build(nssg, period(2026, 1))
    expected = Organisation.objects.icbs().existing_on(period(2026, 1).ends_on).count()
    assert len(heatmap.rows) == expected
    assert len(heatmap.groups) == 7


def test_cell_detail_reads_through_the_scope(reference, nssg):
    q1 = period(2026, 1)
    submitted(reference["QMF"], q1, nssg, {"LG1": ("amber", "red"), "LG2": "green"})
    lg = Section.objects.get(version=q1.toolkit_version, code="LG")
    detail = cell_detail_get(user=nssg, period=q1, icb=reference["QMF"], section=lg)
    assert [a.standard.code for a in detail.answers] == ["LG1", "LG2"]
    assert (detail.self_rating.rating, detail.validated.rating, detail.differing) == (
        "amber",
        "red",
        1,
    )
    outsider = member(reference["QKK"], Role.ICB_VIEWER)
    hidden = cell_detail_get(user=outsider, period=q1, icb=reference["QMF"], section=lg)
    assert hidden.quarterly_return is None and hidden.answers == []


# --- An ICB's eight quarters ------------------------------------------------------------


def test_icb_history_marks_its_predecessors_quarters(reference, nssg):
    submitted(reference["QMJ"], period(2025, 4), nssg, {"LG1": "amber"})
    submitted(reference["Z9B2Z"], period(2026, 1), nssg, {"LG1": "green"})
    history = icb_history(user=nssg, icb=reference["Z9B2Z"], today=TODAY)
    labels = [(item.period.label, item.row.icb.code, item.is_predecessor) for item in history.rows]
    assert labels[:3] == [
        ("Q3 2026/27", "Z9B2Z", False),
        ("Q2 2026/27", "Z9B2Z", False),
        ("Q1 2026/27", "Z9B2Z", False),
    ]
    assert ("Q4 2025/26", "QMJ", True) in labels and ("Q4 2025/26", "QRV", True) in labels
    assert len({item.period.pk for item in history.rows}) == 7  # 8 periods, Q4 2026/27 to come
    qmj = next(i for i in history.rows if i.row.icb.code == "QMJ" and i.row.rated)
    assert next(c for c in qmj.row.cells if c.column.key == "LG").word == "Amber"


# --- Queries ------------------------------------------------------------------------------


def _queries(user, p, **kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        _build(user, p, **kwargs)
    return len(queries)


def test_query_count_does_not_grow_with_icbs(reference, nssg):
    """Q4 2025/26: QMJ and QRV, the two rows Z9B2Z's team reads, against the
    42 ICBs England's heatmap shows; each with its return and last quarter's."""
    q3, q4 = period(2025, 3), period(2025, 4)
    for icb in Organisation.objects.icbs().existing_on(q4.ends_on):
        submitted(icb, q4, nssg, {}, default="green")
        submitted(icb, q3, nssg, {}, default="amber")
    viewer = member(reference["Z9B2Z"], Role.ICB_VIEWER)
    scope_of(viewer), scope_of(nssg)  # the scope is read once per request, before the page
    assert len(_build(viewer, q4).rows) == 2
    assert len(_build(nssg, q4).rows) >= 40
    for view in View:
        section = Section.objects.get(version=q4.toolkit_version, code="LG")
        chosen = {"view": view, "section": section if view == View.STANDARDS else None}
        assert _queries(viewer, q4, **chosen) == _queries(nssg, q4, **chosen), view


def _toolkit_with(standards: int, year: int, actor) -> ReportingPeriod:
    """A toolkit year of its own with `standards` standards in 5 sections, its
    Q1, and a submitted return rating each standard for two ICBs."""
    version = ToolkitVersion.objects.create(financial_year=year)
    sections = [
        Section.objects.create(version=version, code=f"S{n}", title=f"Section {n}", position=n)
        for n in range(5)
    ]
    for n in range(standards):
        Standard.objects.create(
            version=version, section=sections[n % 5], code=f"T{n}", statement="A standard."
        )
    p = ReportingPeriod.objects.create(
        financial_year=year,
        quarter=1,
        toolkit_version=version,
        opens_on=datetime.date(year, 4, 1),
        due_on=datetime.date(year, 7, 30),
        closes_on=datetime.date(year, 8, 29),
    )
    return p


def test_query_count_does_not_grow_with_standards(reference, nssg):
    counts = []
    for standards, year in ((10, 2030), (60, 2031)):
        p = _toolkit_with(standards, year, nssg)
        for code in ("QMF", "QKK"):
            submitted(reference[code], p, nssg, {}, default="amber")
        heatmap = heatmap_build(user=nssg, period=p, region=reference["Y56"], today=TODAY)
        assert sum(len(c.shown.text) > 0 for c in _row(heatmap, "QMF").cells) == 5
        counts.append(_queries(nssg, p, region=reference["Y56"]))
        lead = Section.objects.get(version=p.toolkit_version, code="S0")
        counts.append(_queries(nssg, p, region=reference["Y56"], view=View.STANDARDS, section=lead))
    assert counts[0] == counts[2]
    assert counts[1] == counts[3]


def test_heatmaps_open_on_the_latest_ended_quarter_with_submissions(reference, nssg):
    # Q2 2026/27 has ended (30 September) but holds no submission yet.
    assert heatmap_period(TODAY).label == "Q2 2026/27"
    submitted(reference["QMF"], period(2026, 1), nssg, {"LG1": "green"})
    assert heatmap_period(TODAY).label == "Q1 2026/27"
    submitted(reference["QMF"], period(2026, 2), nssg, {"LG1": "green"})
    assert heatmap_period(TODAY).label == "Q2 2026/27"


def test_metrics_show_value_and_rating(reference, nssg):
    from assurance.models import Metric, SubmittedMetricValue

    q1 = period(2026, 1)
    ret = submitted(reference["QMF"], q1, nssg, {"LG1": "green"})
    submission = ret.submissions.get()
    rated = Metric.objects.filter(
        version=q1.toolkit_version, green__isnull=False, computed_from=""
    ).first()
    SubmittedMetricValue.objects.create(
        submission=submission, metric=rated, value=Decimal("72.50"), rating="amber"
    )
    heatmap = _build(nssg, q1, region=reference["Y56"], view=View.METRICS)
    cell = _cell(heatmap, "QMF", rated.code)
    assert (cell.word, cell.value) == ("Amber", _metric_value(rated.unit, "72.5"))
    missing = next(c for c in _row(heatmap, "QMF").cells if c.column.key != rated.code)
    assert missing.word == "Not answered"


def _metric_value(unit, number):
    return {"percent": f"{number}%", "days": f"{number} days"}.get(unit, number)


def test_cell_detail_queries_do_not_grow_with_answers(reference, nssg):
    from assurance.models import SubmittedAction

    q1 = period(2026, 1)
    ret = submitted(reference["QMF"], q1, nssg, {}, default="amber")
    for answer in ret.submissions.get().answers.all():
        SubmittedAction.objects.create(answer=answer, description="Recover.", status="in_progress")
    scope_of(nssg)  # read once per request, before the page
    counts = {}
    for code in ("LG", "FG"):
        section = Section.objects.get(version=q1.toolkit_version, code=code)
        with CaptureQueriesContext(connection) as queries:
            detail = cell_detail_get(user=nssg, period=q1, icb=reference["QMF"], section=section)
            for answer in detail.answers:
                list(answer.actions.all()), list(answer.evidence_links.all())
        counts[code] = (len(detail.answers), len(queries))
    assert counts["LG"][0] > counts["FG"][0]
    assert counts["LG"][1] == counts["FG"][1]


def test_icb_history_queries_do_not_grow_with_quarters(reference, nssg):
    scope_of(nssg)
    submitted(reference["Z9B2Z"], period(2026, 1), nssg, {}, default="green")
    with CaptureQueriesContext(connection) as one:
        history = icb_history(user=nssg, icb=reference["Z9B2Z"], today=TODAY)
    assert sum(item.row.rated for item in history.rows) == 1
    for quarter in (2, 3, 4):
        for code in ("QMJ", "QRV"):
            submitted(reference[code], period(2025, quarter), nssg, {}, default="amber")
    with CaptureQueriesContext(connection) as many:
        history = icb_history(user=nssg, icb=reference["Z9B2Z"], today=TODAY)
    assert sum(item.row.rated for item in history.rows) == 7
    assert len(many) == len(one)


def test_standard_trend_matches_codes_across_toolkit_years(reference, nssg):
    """The theme's standards in Q1 2026/27 (2026/27 toolkit) against the same
    codes in the predecessors' Q4 2025/26 (2025/26 toolkit)."""
    q4, q1 = period(2025, 4), period(2026, 1)
    assert q4.toolkit_version_id != q1.toolkit_version_id
    submitted(reference["QMJ"], q4, nssg, {"LG5": "green", "LG6": "red"})
    submitted(reference["QRV"], q4, nssg, {"LG5": "amber", "LG6": "red"})
    submitted(reference["Z9B2Z"], q1, nssg, {"LG5": "amber", "LG6": "amber"})
    heatmap = _build(nssg, q1, region=reference["Y56"], view=View.THEME)
    assert (_cell(heatmap, "Z9B2Z", "LG5").trend, _cell(heatmap, "Z9B2Z", "LG6").trend) == (
        Trend.SAME,
        Trend.BETTER,
    )
