"""The toolkit's services: a published version never changes, a copy is
complete and independent, validation says precisely what is wrong, and every
change leaves its audit event."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assurance.models import ReportingPeriod, ToolkitStatus, ToolkitVersion
from assurance.services import toolkit as services
from organisations.models import AuditEvent


def messages(excinfo) -> dict:
    return excinfo.value.message_dict


def events(action):
    return AuditEvent.objects.filter(action=action)


# --- copying ------------------------------------------------------------------------


def test_copy_makes_a_complete_independent_draft(toolkit, national_admin):
    source = toolkit[2026]
    draft = services.toolkit_version_copy(actor=national_admin, source=source)
    assert (draft.financial_year, draft.status, draft.copied_from) == (
        2027,
        ToolkitStatus.DRAFT,
        source,
    )
    for kind in ("sections", "standards", "metrics"):
        theirs = set(getattr(source, kind).values_list("code", flat=True))
        ours = set(getattr(draft, kind).values_list("code", flat=True))
        assert ours == theirs
    assert draft.standards.get(code="LG5").section.version == draft
    assert draft.metrics.get(code="PREVENT_TRAINED").section.version == draft
    copied = draft.standards.get(code="DP1")
    assert copied.register_rule == source.standards.get(code="DP1").register_rule
    assert copied.register_groups == ["designated"]

    services.metric_update(
        actor=national_admin, metric=draft.metrics.get(code="PREVENT_TRAINED"), green=90
    )
    assert source.metrics.get(code="PREVENT_TRAINED").green == 85
    event = events("toolkit_version.copied").get()
    assert event.actor == national_admin
    assert event.changes["copied_from"] == [None, "2026/27"]


def test_copy_refuses_an_existing_year_and_a_draft_source(draft, toolkit, national_admin):
    with pytest.raises(ValidationError) as excinfo:
        services.toolkit_version_copy(actor=national_admin, source=toolkit[2025])
    assert messages(excinfo) == {"financial_year": ["There is already a toolkit for 2026/27."]}
    with pytest.raises(ValidationError) as excinfo:
        services.toolkit_version_copy(actor=national_admin, source=draft)
    assert "is a draft: copy a published version" in messages(excinfo)["source"][0]


# --- published versions never change --------------------------------------------------


def _every_edit(version, actor):
    section = version.sections.get(code="LG")
    standard = version.standards.get(code="LG1")
    metric = version.metrics.get(code="PREVENT_TRAINED")
    return [
        lambda: services.section_create(actor=actor, version=version, code="ZZ", title="New"),
        lambda: services.section_update(actor=actor, section=section, title="Changed"),
        lambda: services.section_delete(actor=actor, section=section),
        lambda: services.standard_create(actor=actor, section=section, code="LG9", statement="S"),
        lambda: services.standard_update(actor=actor, standard=standard, statement="Changed"),
        lambda: services.standard_delete(actor=actor, standard=standard),
        lambda: services.metric_create(
            actor=actor, section=section, code="NEW", name="N", unit="count"
        ),
        lambda: services.metric_update(actor=actor, metric=metric, green=Decimal("90")),
        lambda: services.metric_delete(actor=actor, metric=metric),
        lambda: services.toolkit_version_publish(actor=actor, version=version),
        lambda: services.toolkit_version_delete(actor=actor, version=version),
    ]


@pytest.mark.parametrize("index", range(11))
def test_published_version_refuses_every_edit(toolkit, national_admin, index):
    version = toolkit[2026]
    before = AuditEvent.objects.count()
    edit = _every_edit(version, national_admin)[index]
    with pytest.raises(ValidationError) as excinfo:
        edit()
    assert excinfo.value.messages == [
        "The 2026/27 toolkit is published and can no longer change. To change the toolkit, "
        "start a draft for a later financial year from it and publish that."
    ]
    assert version.sections.count() == 17
    assert version.standards.count() == 58
    assert version.metrics.get(code="PREVENT_TRAINED").green == 85
    assert version.standards.get(code="LG1").statement.startswith("The ICB executive chief nurse")
    assert AuditEvent.objects.count() == before


def test_published_version_refuses_even_through_a_stale_object(draft, national_admin):
    stale = ToolkitVersion.objects.get(pk=draft.pk)
    services.toolkit_version_publish(actor=national_admin, version=draft)
    with pytest.raises(ValidationError):
        services.section_create(actor=national_admin, version=stale, code="ZZ", title="Late")


# --- editing a draft ------------------------------------------------------------------


def test_draft_sections_standards_metrics_change_with_audit(draft, national_admin):
    section = services.section_create(
        actor=national_admin, version=draft, code="ob", title="Online harms"
    )
    assert section.code == "OB" and section.position == 18
    standard = services.standard_create(
        actor=national_admin,
        section=section,
        code="OB1",
        statement="Online safety is in the training offer.",
        theme=3,
    )
    metric = services.metric_create(
        actor=national_admin,
        section=section,
        code="OB_TRAINED",
        name="Staff trained in online safety",
        unit="percent",
        green=Decimal("80"),
        amber=Decimal("60"),
    )
    services.standard_update(actor=national_admin, standard=standard, statement="Changed.")
    services.metric_update(actor=national_admin, metric=metric, amber=Decimal("50"))
    services.section_update(actor=national_admin, section=section, title="Online safety")
    assert events("section.updated").get().changes == {"title": ["Online harms", "Online safety"]}
    assert events("metric.updated").get().changes == {"amber": ["60.00", "50"]}
    services.section_delete(actor=national_admin, section=section)
    deleted = events("section.deleted").get()
    assert deleted.changes["standards"] == [["OB1"], None]
    assert deleted.changes["metrics"] == [["OB_TRAINED"], None]
    assert not draft.standards.filter(code="OB1").exists()
    for action in ("section.created", "standard.created", "metric.created", "standard.updated"):
        assert events(action).get().actor == national_admin


def test_standard_and_metric_removal(draft, national_admin):
    services.standard_delete(actor=national_admin, standard=draft.standards.get(code="MS1"))
    services.metric_delete(actor=national_admin, metric=draft.metrics.get(code="FGM_NEW_CASES"))
    assert draft.standards.count() == 57 and draft.metrics.count() == 15
    assert events("standard.deleted").get().changes["code"] == ["MS1", None]


def test_standard_moves_only_within_its_version(draft, toolkit, national_admin):
    standard = draft.standards.get(code="LG1")
    services.standard_update(
        actor=national_admin, standard=standard, section=draft.sections.get(code="PW")
    )
    assert draft.standards.get(code="LG1").section.code == "PW"
    with pytest.raises(ValidationError) as excinfo:
        services.standard_update(
            actor=national_admin, standard=standard, section=toolkit[2026].sections.get(code="LG")
        )
    assert messages(excinfo) == {"section": ["The section belongs to another toolkit version."]}


# --- validation -------------------------------------------------------------------------


def test_codes_are_unique_within_a_version(draft, national_admin):
    lg = draft.sections.get(code="LG")
    cases = [
        (
            lambda: services.section_create(
                actor=national_admin, version=draft, code="lg", title="x"
            ),
            "The 2027/28 toolkit already has a section with the code LG. Codes are unique "
            "within a version.",
        ),
        (
            lambda: services.standard_create(
                actor=national_admin, section=lg, code="DP1", statement="x"
            ),
            "The 2027/28 toolkit already has a standard with the code DP1. Codes are unique "
            "within a version.",
        ),
        (
            lambda: services.metric_update(
                actor=national_admin,
                metric=draft.metrics.get(code="FGM_NEW_CASES"),
                code="PREVENT_TRAINED",
            ),
            "The 2027/28 toolkit already has a metric with the code PREVENT_TRAINED. Codes "
            "are unique within a version.",
        ),
    ]
    for call, message in cases:
        with pytest.raises(ValidationError) as excinfo:
            call()
        assert messages(excinfo) == {"code": [message]}
    # The same code in another version is fine: that is how codes carry over.
    assert draft.standards.get(code="DP1").code == "DP1"


def test_code_format(draft, national_admin):
    with pytest.raises(ValidationError) as excinfo:
        services.section_create(actor=national_admin, version=draft, code="1 A", title="x")
    assert "capital letters, digits and underscores" in messages(excinfo)["code"][0]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"green": Decimal("80"), "amber": Decimal("85")},
            "amber",
            "Higher is better for this metric, so the amber threshold must be at or below the "
            "green threshold (80).",
        ),
        (
            {"higher_is_better": False, "green": Decimal("85"), "amber": Decimal("75")},
            "amber",
            "Lower is better for this metric, so the amber threshold must be at or above the "
            "green threshold (85).",
        ),
        (
            {"green": Decimal("101")},
            "green",
            "The green threshold is a percentage: enter a number from 0 to 100.",
        ),
        (
            {"amber": Decimal("-1")},
            "amber",
            "The amber threshold is a percentage: enter a number from 0 to 100.",
        ),
        (
            {"amber": None},
            "amber",
            "Enter the amber threshold too, or leave both empty for a figure that is reported "
            "but not rated.",
        ),
    ],
)
def test_threshold_validation_messages(draft, national_admin, values, field, message):
    metric = draft.metrics.get(code="PREVENT_TRAINED")
    with pytest.raises(ValidationError) as excinfo:
        services.metric_update(actor=national_admin, metric=metric, **values)
    assert messages(excinfo)[field] == [message]
    metric.refresh_from_db()
    assert (metric.green, metric.amber) == (85, 75)


def test_thresholds_that_are_allowed(draft, national_admin):
    metric = draft.metrics.get(code="PREVENT_TRAINED")
    services.metric_update(actor=national_admin, metric=metric, green=100, amber=100)
    services.metric_update(actor=national_admin, metric=metric, green=None, amber=None)
    overdue = draft.metrics.get(code="REVIEW_ACTIONS_OVERDUE")
    services.metric_update(actor=national_admin, metric=overdue, green=1, amber=150)
    assert not draft.metrics.get(code="PREVENT_TRAINED").is_rated


# --- publishing -------------------------------------------------------------------------


def test_publish_fixes_the_draft_and_creates_its_periods(draft, national_admin):
    services.toolkit_version_publish(actor=national_admin, version=draft)
    draft.refresh_from_db()
    assert draft.is_published and draft.published_by == national_admin
    periods = ReportingPeriod.objects.of_year(2027)
    assert [p.label for p in periods] == ["Q1 2027/28", "Q2 2027/28", "Q3 2027/28", "Q4 2027/28"]
    assert periods[0].opens_on == datetime.date(2027, 4, 1)
    assert events("toolkit_version.published").get().actor == national_admin
    assert events("reporting_period.created").filter(actor=national_admin).count() == 4


def test_publish_refuses_an_empty_section(draft, national_admin):
    services.section_create(actor=national_admin, version=draft, code="ZZ", title="Empty")
    with pytest.raises(ValidationError) as excinfo:
        services.toolkit_version_publish(actor=national_admin, version=draft)
    assert excinfo.value.messages == [
        "Every section needs at least one standard; these have none: ZZ."
    ]
    draft.refresh_from_db()
    assert draft.is_draft


def test_a_draft_can_be_discarded(draft, national_admin):
    services.toolkit_version_delete(actor=national_admin, version=draft)
    assert not ToolkitVersion.objects.filter(financial_year=2027).exists()
    assert events("toolkit_version.deleted").get().actor == national_admin


# --- periods ----------------------------------------------------------------------------


def test_period_dates_change_with_audit(toolkit, national_admin):
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=1)
    services.reporting_period_update(
        actor=national_admin,
        period=period,
        opens_on=period.opens_on,
        due_on=datetime.date(2026, 8, 7),
        closes_on=datetime.date(2026, 9, 30),
    )
    event = events("reporting_period.updated").get()
    assert event.changes == {
        "due_on": ["2026-07-30", "2026-08-07"],
        "closes_on": ["2026-08-29", "2026-09-30"],
    }


def test_period_dates_in_order(toolkit, national_admin):
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=1)
    with pytest.raises(ValidationError) as excinfo:
        services.reporting_period_update(
            actor=national_admin,
            period=period,
            opens_on=period.opens_on,
            due_on=datetime.date(2026, 9, 1),
            closes_on=datetime.date(2026, 8, 1),
        )
    assert messages(excinfo)["closes_on"] == ["The closing date must be on or after the due date."]
