"""The toolkit and period pages as the national admin uses them, and as
everyone else reads them: every write page refuses every other role."""

import datetime

import pytest
from django.urls import reverse

from assurance.models import ReportingPeriod, ToolkitVersion
from organisations.models import AuditEvent, Role
from organisations.reference_data import NATIONAL_CODE
from tests.assurance.conftest import with_totp
from tests.factories import UserFactory, member

# Where each role other than the national admin is held (None: any region).
ROLE_HOMES = {
    Role.ICB_VIEWER: "QE1",
    Role.ICB_EDITOR: "QE1",
    Role.ICB_APPROVER: "QE1",
    Role.REGIONAL_LEAD: None,
    Role.REGIONAL_CHIEF_NURSE: None,
    Role.NSSG_MEMBER: NATIONAL_CODE,
}

WRITE_PAGES = [
    ("toolkit_version_copy", []),
    ("toolkit_version_publish", [2027]),
    ("section_create", [2027]),
    ("section_update", [2027, "LG"]),
    ("section_delete", [2027, "LG"]),
    ("standard_create", [2027, "LG"]),
    ("standard_update", [2027, "LG1"]),
    ("standard_delete", [2027, "LG1"]),
    ("metric_create", [2027]),
    ("metric_update", [2027, "PREVENT_TRAINED"]),
    ("metric_delete", [2027, "PREVENT_TRAINED"]),
    ("period_update", [2026, 1]),
]
READ_PAGES = [
    ("toolkit_version_list", []),
    ("toolkit_version_detail", [2026]),
    ("section_detail", [2026, "LG"]),
    ("period_list", []),
    ("period_detail", [2025, 4]),
]


def url(name, *args):
    return reverse(f"assurance:{name}", args=args)


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(client, national_admin):
    return signed_in(client, national_admin)


@pytest.fixture
def region_code(reference):
    return next(o.code for o in reference.values() if o.kind == "region")


@pytest.mark.parametrize("role", list(ROLE_HOMES))
def test_every_other_role_reads_but_cannot_change(client, reference, draft, region_code, role):
    user = with_totp(member(reference[ROLE_HOMES[role] or region_code], role))
    signed_in(client, user)
    for name, args in READ_PAGES:
        assert client.get(url(name, *args)).status_code == 200, name
    before = AuditEvent.objects.count()
    for name, args in WRITE_PAGES:
        assert client.get(url(name, *args)).status_code == 403, name
        assert client.post(url(name, *args), {"title": "x"}).status_code == 403, name
    assert AuditEvent.objects.count() == before
    page = client.get(url("toolkit_version_detail", 2027)).content.decode()
    assert "Publish 2027/28" not in page


def test_a_user_without_a_role_reads_nothing(client, toolkit):
    signed_in(client, UserFactory())
    for name, args in READ_PAGES:
        assert client.get(url(name, *args)).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, draft):
    for name, args in READ_PAGES + WRITE_PAGES:
        response = client.get(url(name, *args))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_national_admin_reaches_every_write_page(admin_client, draft):
    for name, args in WRITE_PAGES:
        assert admin_client.get(url(name, *args)).status_code == 200, name


def test_admin_prepares_and_publishes_next_year(admin_client, toolkit):
    response = admin_client.post(
        url("toolkit_version_copy"), {"source": toolkit[2026].pk, "financial_year": 2027}
    )
    assert response.status_code == 302 and response.url == url("toolkit_version_detail", 2027)
    response = admin_client.post(
        url("metric_update", 2027, "PREVENT_TRAINED"),
        {
            "section": ToolkitVersion.objects.get(financial_year=2027).sections.get(code="TR").pk,
            "code": "PREVENT_TRAINED",
            "name": "Staff with Prevent training",
            "unit": "percent",
            "higher_is_better": "True",
            "green": "90",
            "amber": "80",
            "computed_from": "",
        },
    )
    assert response.status_code == 302
    assert admin_client.post(url("toolkit_version_publish", 2027)).status_code == 302
    new = ToolkitVersion.objects.get(financial_year=2027)
    assert new.is_published
    assert new.metrics.get(code="PREVENT_TRAINED").green == 90
    assert toolkit[2026].metrics.get(code="PREVENT_TRAINED").green == 85
    assert ReportingPeriod.objects.of_year(2027).count() == 4
    page = admin_client.get(url("toolkit_version_detail", 2027)).content.decode()
    assert "Green at or above 90%" in page


def test_threshold_errors_are_shown_on_the_field(admin_client, draft):
    response = admin_client.post(
        url("metric_update", 2027, "PREVENT_TRAINED"),
        {
            "section": draft.sections.get(code="TR").pk,
            "code": "PREVENT_TRAINED",
            "name": "Staff with Prevent training",
            "unit": "percent",
            "higher_is_better": "True",
            "green": "80",
            "amber": "90",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "the amber threshold must be at or below the green threshold (80)" in page
    assert draft.metrics.get(code="PREVENT_TRAINED").green == 85


def test_duplicate_code_is_refused_on_the_page(admin_client, draft):
    response = admin_client.post(
        url("standard_create", 2027, "LG"),
        {"section": draft.sections.get(code="LG").pk, "code": "lg2", "statement": "Again."},
    )
    assert response.status_code == 400
    assert "already has a standard with the code LG2" in response.content.decode()


def test_editing_a_published_version_is_refused_with_a_reason(admin_client, toolkit):
    for method in ("get", "post"):
        response = getattr(admin_client, method)(url("metric_update", 2026, "PREVENT_TRAINED"))
        assert response.status_code == 409
        assert "The 2026/27 toolkit is published and can no longer change" in (
            response.content.decode()
        )
    assert toolkit[2026].metrics.get(code="PREVENT_TRAINED").green == 85


def test_admin_adds_and_removes_a_section(admin_client, draft):
    response = admin_client.post(
        url("section_create", 2027), {"code": "ob", "title": "Online safety", "saaf_reference": ""}
    )
    assert response.status_code == 302
    assert draft.sections.filter(code="OB").exists()
    assert admin_client.post(url("section_delete", 2027, "OB")).status_code == 302
    assert not draft.sections.filter(code="OB").exists()


def test_period_pages(admin_client, toolkit):
    page = admin_client.get(url("period_list")).content.decode()
    assert "Q4 2025/26" in page and "Child sexual abuse and exploitation" in page
    detail = admin_client.get(url("period_detail", 2026, 1)).content.decode()
    assert "36 ICBs in England must return" in detail
    assert "in your scope" not in detail  # national: all 36 listed
    response = admin_client.post(
        url("period_update", 2026, 1),
        {
            "opens_on_day": "1",
            "opens_on_month": "4",
            "opens_on_year": "2026",
            "due_on_day": "7",
            "due_on_month": "8",
            "due_on_year": "2026",
            "closes_on_day": "30",
            "closes_on_month": "9",
            "closes_on_year": "2026",
        },
    )
    assert response.status_code == 302
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=1)
    assert period.due_on == datetime.date(2026, 8, 7)
    assert AuditEvent.objects.filter(action="reporting_period.updated").exists()


@pytest.mark.parametrize(
    "role,org,seen,unseen",
    [
        (Role.ICB_VIEWER, "QMF", {"QMF"}, {"QMJ", "QE1"}),
        (Role.REGIONAL_LEAD, "Y56", {"QMF", "QMJ"}, {"QE1"}),
    ],
)
def test_period_page_lists_the_expected_icbs_of_the_readers_scope(
    client, toolkit, reference, role, org, seen, unseen
):
    reader = with_totp(member(reference[org], role))
    client.force_login(reader)
    # Q4 2025/26: the ICBs before the reorganisation, QMJ among them.
    page = client.get(url("period_detail", 2025, 4)).content.decode()
    assert "42 ICBs in England must return" in page
    for code in seen:
        assert reference[code].name in page
    for code in unseen:
        assert reference[code].name not in page
