"""Home pages that say what to do next: the reporting periods with their due
dates and days left, and the register's findings for the user's scope, from
assurance through the home-panel registry of organisations."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assurance.findings import icb_registers
from assurance.models import PostType, ReportingPeriod, Tenure
from assurance.panels import PeriodDue, periods_due, register_scopes
from assurance.services.register import (
    post_create,
    post_types_load,
    tenure_add,
    tenure_update,
)
from assurance.toolkit_content import toolkit_published_dates
from organisations.audit import system_actor
from organisations.models import Commissioning, Organisation, Role
from organisations.panels import home_panels
from saaf.dates import today as london_today
from tests.factories import ProviderFactory, enrol_totp, member


@pytest.fixture
def register_world(reference, toolkit):
    """Post types, a filled post and a vacancy at Z9B2Z, a provider it leads."""
    post_types_load(actor=system_actor())
    types = {pt.code: pt for pt in PostType.objects.all()}
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    trust = ProviderFactory(code="RAL", name="Royal Free London NHS Foundation Trust")
    Commissioning.objects.create(icb=reference["Z9B2Z"], provider=trust, is_lead=True)
    post = post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=types["ICB_DES_DR_SC"]
    )
    tenure_add(
        actor=editor,
        post=post,
        holder_name="Dr A Holder",
        whole_time_equivalent=Decimal("0.8"),
        start_date=datetime.date(2024, 4, 1),
        training_level=4,
    )
    return types


def signed_in(client, user):
    enrol_totp(user)
    client.force_login(user)
    return client


def test_periods_due_are_the_next_two_by_due_date_with_days_left(toolkit):
    q3 = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    today = q3.due_on - datetime.timedelta(days=10)
    due = periods_due(today=today)
    assert len(due) == 2
    assert due[0].period.due_on <= due[1].period.due_on
    assert all(d.period.closes_on >= today for d in due)
    first = next(d for d in due if d.period == q3)
    assert first.days_left == 10 and first.days_text == "10 days left"


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (2, "2 days left"),
        (1, "1 day left"),
        (0, "Due today"),
        (-1, "1 day overdue"),
        (-5, "5 days overdue"),
    ],
)
def test_days_left_in_words(toolkit, days, text):
    period = ReportingPeriod.objects.first()
    assert PeriodDue(period, None, days).days_text == text


def test_no_periods_after_the_last_one_closes(toolkit):
    last = ReportingPeriod.objects.order_by("-closes_on").first()
    assert periods_due(today=last.closes_on + datetime.timedelta(days=1)) == []


def test_panels_come_from_assurance_through_the_registry(reference, toolkit):
    user = member(reference["QMF"], Role.ICB_VIEWER)
    assert [p.name for p in home_panels(user=user)] == ["returns", "periods", "register"]
    nobody = member(reference["QMF"], Role.ICB_VIEWER)
    nobody.memberships.all().delete()
    nobody = type(nobody).objects.get(pk=nobody.pk)
    assert home_panels(user=nobody) == []


def _expected(icbs, on):
    return sum(len(r.findings) for r in icb_registers(icbs, on=on))


def test_register_scope_counts_match_the_register(reference, register_world):
    today = london_today()
    icb_user = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    [icb_scope] = register_scopes(user=icb_user)
    assert icb_scope.kind == "icb"
    assert icb_scope.findings == _expected([reference["Z9B2Z"]], today) > 0

    region_user = member(reference["Y56"], Role.REGIONAL_LEAD)
    [region_scope] = register_scopes(user=region_user)
    london_icbs = Organisation.objects.icbs().filter(parent=reference["Y56"]).existing_on(today)
    assert region_scope.icb_count == london_icbs.count()
    assert region_scope.findings == _expected(london_icbs, today)

    national = member(reference["X24"], Role.NATIONAL_ADMIN)
    [national_scope] = register_scopes(user=national)
    every_icb = Organisation.objects.icbs().existing_on(today)
    assert national_scope.icb_count == every_icb.count()
    assert national_scope.findings == _expected(every_icb, today)
    assert national_scope.findings > region_scope.findings > icb_scope.findings


def test_icb_home_shows_periods_and_its_findings_with_a_link(client, reference, register_world):
    page = signed_in(client, member(reference["Z9B2Z"], Role.ICB_APPROVER)).get("/")
    html = page.content.decode()
    for due in periods_due():
        assert due.period.label in html and due.days_text in html
    [scope] = register_scopes(user=page.wsgi_request.user)
    assert f"{scope.findings} findings" in html
    assert reverse("assurance:register_icb", args=["Z9B2Z"]) in html
    assert reverse("organisations:user_list") not in html
    assert "Manage toolkit versions" not in html  # the header links to the toolkit anyway


def test_region_home_links_to_its_regional_register(client, reference, register_world):
    html = signed_in(client, member(reference["Y56"], Role.REGIONAL_LEAD)).get("/").content
    assert reverse("assurance:register_region", args=["Y56"]).encode() in html
    assert b"across" in html


def test_national_admin_home_links_to_users_toolkits_and_periods(client, reference, register_world):
    html = signed_in(client, member(reference["X24"], Role.NATIONAL_ADMIN)).get("/").content
    for url in (
        reverse("organisations:user_list"),
        reverse("assurance:toolkit_version_list"),
        reverse("assurance:period_list"),
        reverse("assurance:register_national"),
    ):
        assert url.encode() in html
    assert b"Manage toolkit versions" in html and b"Manage reporting periods" in html


@pytest.mark.parametrize(
    ("code", "role"),
    [("Z9B2Z", Role.ICB_APPROVER), ("Y56", Role.REGIONAL_LEAD), ("X24", Role.NATIONAL_ADMIN)],
)
def test_home_panels_take_a_fixed_number_of_queries(
    client, reference, register_world, django_assert_max_num_queries, code, role
):
    client = signed_in(client, member(reference[code], role))
    client.get("/")  # records the session
    cache.clear()  # the register panel counts, not its kept counts
    with django_assert_max_num_queries(40) as first:
        assert client.get("/").status_code == 200
    # More posts, holders and providers in scope do not add queries.
    types = register_world
    editor = member(reference["QMF"], Role.ICB_EDITOR)
    for n in range(3):
        trust = ProviderFactory()
        Commissioning.objects.create(icb=reference["QMF"], provider=trust, is_lead=True)
        post = post_create(actor=editor, organisation=trust, post_type=types["PRV_NAMED_NURSE_SC"])
        tenure_add(
            actor=editor,
            post=post,
            holder_name=f"Nurse {n}",
            whole_time_equivalent=Decimal("1"),
            start_date=datetime.date(2025, 1, 1),
            training_level=3,
        )
    cache.clear()
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get("/").status_code == 200


def test_shipped_toolkits_carry_their_publication_dates(toolkit):
    dates = toolkit_published_dates()
    assert set(dates) == {2025, 2026}
    for year, version in toolkit.items():
        assert version.published_on == dates[year]
    assert toolkit[2025].published_on < datetime.date(2025, 4, 1)
    assert toolkit[2026].published_on < datetime.date(2026, 4, 1)


def test_the_icb_home_shows_each_open_periods_return(client, reference, toolkit):
    from django.urls import reverse

    from assurance.models import ReportingPeriod
    from assurance.services.returns import AnswerInput, answer_save, quarterly_return_start

    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    client.force_login(editor)
    open_periods = ReportingPeriod.objects.filter(
        opens_on__lte=london_today(), closes_on__gte=london_today()
    )
    page = client.get(reverse("organisations:home")).content.decode()
    for period in open_periods:
        assert f"{period.label} return: {reference['Z9B2Z'].name}" in page
    assert "Not started" in page
    period = open_periods.order_by("-due_on").first()
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    answer_save(
        actor=editor,
        quarterly_return=ret,
        standard=period.toolkit_version.standards.first(),
        answer=AnswerInput(rating="green"),
        revision=0,
    )
    page = client.get(reverse("organisations:home")).content.decode()
    sections = period.toolkit_version.sections.count()
    assert f"Draft</strong>: 0 of {sections} sections complete" in page
    assert (
        reverse("assurance:return_detail", args=["Z9B2Z", period.financial_year, period.quarter])
        in page
    )


def test_the_panels_counts_are_kept_until_the_register_changes(reference, register_world):
    """Counted once a minute at most (a national reader's is the whole
    register), and at once after a change through the register's services."""
    national = member(reference["X24"], Role.NATIONAL_ADMIN)
    [first] = register_scopes(user=national)
    with CaptureQueriesContext(connection) as counted:
        [again] = register_scopes(user=national)
    assert again.findings == first.findings and again.counts == first.counts
    assert not any("assurance_post" in q["sql"] for q in counted.captured_queries)
    # The holder leaves: a filled post becomes vacant, a finding more.
    held = Tenure.objects.get(post__organisation=reference["Z9B2Z"], holder_name="Dr A Holder")
    tenure_update(
        actor=member(reference["Z9B2Z"], Role.ICB_EDITOR),
        tenure=held,
        end_date=london_today() - datetime.timedelta(days=1),
    )
    [after] = register_scopes(user=national)
    assert after.counts["filled"] == first.counts["filled"] - 1
    assert after.counts["vacant"] == first.counts["vacant"] + 1
