"""The home page of each kind of role and the organisation page, through the
test client: what each role sees, what is a 404, and how many queries it takes."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organisations.models import Commissioning, Role
from tests.factories import ProviderFactory, enrol_totp, member


@pytest.fixture
def client_for(client):
    """Sign in as `user`, enrolling a TOTP authenticator for roles that need MFA."""

    def sign_in(user):
        enrol_totp(user)
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def providers(reference):
    made = {}
    for code, lead, others in [
        ("RZ9B1", "Z9B2Z", ["QMF"]),
        ("RQMJ1", "QMJ", []),
        ("RQMF1", "QMF", []),
    ]:
        provider = ProviderFactory(code=code, provides_maternity=code == "RZ9B1")
        Commissioning.objects.create(icb=reference[lead], provider=provider, is_lead=True)
        for other in others:
            Commissioning.objects.create(icb=reference[other], provider=provider)
        made[code] = provider
    return made


def organisation_url(code):
    return reverse("organisations:organisation", args=[code])


# --- Signed out ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/organisations/QMF/"])
def test_anonymous_is_sent_to_sign_in(client, reference, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# --- Home pages ------------------------------------------------------------------


def test_icb_home_shows_the_icb_its_people_providers_and_predecessors(
    client_for, reference, providers
):
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER, full_name="Ada Approver")
    member(reference["Z9B2Z"], Role.ICB_VIEWER, full_name="Vic Viewer")

    response = client_for(approver).get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "NHS West and North London Integrated Care Board" in page
    assert "Z9B2Z" in page and "London" in page and "1 April 2026" in page
    assert "Ada Approver" in page and "Vic Viewer" in page and "ICB viewer" in page
    assert providers["RZ9B1"].name in page  # led by Z9B2Z
    assert providers["RQMF1"].name not in page
    assert organisation_url("QMJ") in page and organisation_url("QRV") in page
    # The header: who is signed in, in what role, and a sign-out form.
    assert "ICB approver, NHS West and North London Integrated Care Board" in page
    assert f'action="{reverse("account_logout")}"' in page
    assert "csrfmiddlewaretoken" in page


def test_regional_home_lists_the_regions_icbs_current_and_past(client_for, reference):
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)

    page = client_for(lead).get("/").content.decode()

    for code in ["QMF", "QKK", "QWE", "Z9B2Z", "QMJ", "QRV"]:
        assert organisation_url(code) in page
    assert "31 March 2026" in page and "Closed" in page and "Current" in page
    assert organisation_url("QHL") not in page  # Midlands


def test_national_home_counts_icbs_per_region(client_for, reference, providers):
    nssg = member(reference["X24"], Role.NSSG_MEMBER)

    page = client_for(nssg).get("/").content.decode()

    assert page.count('<td class="nhsuk-table__cell"><a href="/organisations/Y') == 7
    london = page[page.index(organisation_url("Y56")) :].split("</tr>")[0]
    counts = re.findall(r"numeric\">(\d+)<", london)
    assert counts == ["4", "6", "3"]  # current ICBs, all ICBs, providers


def test_user_without_a_role_is_told_whom_to_ask(client_for, reference):
    from tests.factories import UserFactory

    response = client_for(UserFactory()).get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "You do not have a role in the portal yet" in page
    assert "national safeguarding team" in page


def test_user_with_several_memberships_gets_a_section_for_each(client_for, reference):
    user = member(reference["QKK"], Role.ICB_VIEWER)
    member(reference["QMF"], Role.ICB_EDITOR, email=user.email)

    page = client_for(user).get("/").content.decode()

    assert 'id="section-QMF"' in page and 'id="section-QKK"' in page
    assert "ICB editor" in page and "ICB viewer" in page


# --- Organisation page -----------------------------------------------------------


def test_successor_approver_reads_predecessors_but_not_a_neighbour(client_for, reference):
    client = client_for(member(reference["Z9B2Z"], Role.ICB_APPROVER))

    qmj = client.get(organisation_url("QMJ"))
    assert qmj.status_code == 200
    page = qmj.content.decode()
    assert "NHS North Central London Integrated Care Board" in page
    assert "Merger" in page and organisation_url("Z9B2Z") in page  # its successor, linked
    assert client.get(organisation_url("QRV")).status_code == 200

    not_found = client.get(organisation_url("QMF"))
    assert not_found.status_code == 404
    assert "Page not found" in not_found.content.decode()
    assert client.get(organisation_url("NOPE")).status_code == 404


def test_icb_page_lists_predecessors_providers_and_members(client_for, reference, providers):
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER, full_name="Ada Approver")

    page = client_for(approver).get(organisation_url("Z9B2Z")).content.decode()

    assert "Predecessors" in page and "QMJ" in page and "QRV" in page
    assert providers["RZ9B1"].name in page and "Lead" in page
    assert "Ada Approver" in page


def test_provider_page_shows_its_attributes_and_commissioners(client_for, reference, providers):
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)

    page = client_for(approver).get(organisation_url("RZ9B1")).content.decode()

    assert "Yes: a named midwife is required" in page
    assert "NHS North East London Integrated Care Board" in page  # QMF, unlinked
    assert organisation_url("QMF") not in page
    assert organisation_url("Z9B2Z") in page


def test_regional_lead_reads_own_region_but_not_another(client_for, reference):
    client = client_for(member(reference["Y56"], Role.REGIONAL_LEAD))

    for code in ["Y56", "QMF", "QKK", "Z9B2Z", "QMJ", "QRV"]:
        assert client.get(organisation_url(code)).status_code == 200, code
    assert client.get(organisation_url("QHL")).status_code == 404
    assert client.get(organisation_url("Y60")).status_code == 404


@pytest.mark.parametrize("role", [Role.NSSG_MEMBER, Role.NATIONAL_ADMIN])
def test_national_roles_read_every_organisation(client_for, reference, role):
    client = client_for(member(reference["X24"], role))

    for code in ["X24", "Y60", "QHL", "QMF", "QMJ", "Z9B2Z"]:
        assert client.get(organisation_url(code)).status_code == 200, code


def test_mfa_roles_without_an_authenticator_are_sent_to_set_one_up(client, reference):
    client.force_login(member(reference["Z9B2Z"], Role.ICB_APPROVER))

    response = client.get("/")

    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))


# --- Query counts ----------------------------------------------------------------

# Every signed-in request costs about 13 queries before the page's own: the
# session, the user, allauth's user-session row, the MFA check and the header's
# roles. The pages add a handful, never one per row (the organisation page two
# for its safeguarding posts and their holders).
MAX_QUERIES = 22
# The home page also shows the panels the apps above contribute (reporting
# periods, returns and heatmaps: four queries; register findings: five),
# whatever the scope's size: the test's second check is that the count does
# not grow with the rows.
HOME_MAX_QUERIES = 20 + 8


def add_rows(reference, n=5):
    for _ in range(n):
        member(reference["Z9B2Z"], Role.ICB_VIEWER)
        Commissioning.objects.create(
            icb=reference["Z9B2Z"], provider=ProviderFactory(), is_lead=True
        )


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("code", "role"),
    [("Z9B2Z", Role.ICB_APPROVER), ("Y56", Role.REGIONAL_LEAD), ("X24", Role.NSSG_MEMBER)],
)
def test_home_pages_take_a_fixed_number_of_queries(
    client_for, reference, providers, django_assert_max_num_queries, code, role
):
    client = client_for(member(reference[code], role))
    client.get("/")  # the first request records the session (allauth.usersessions)
    before = count_queries(client, "/")
    add_rows(reference)

    with django_assert_max_num_queries(HOME_MAX_QUERIES):
        assert client.get("/").status_code == 200
    assert count_queries(client, "/") == before


@pytest.mark.parametrize("code", ["Z9B2Z", "Y56", "RZ9B1", "QMJ"])
def test_organisation_page_takes_a_fixed_number_of_queries(
    client_for, reference, providers, django_assert_max_num_queries, code
):
    client = client_for(member(reference["X24"], Role.NATIONAL_ADMIN))
    client.get(organisation_url(code))  # the first request records the session
    before = count_queries(client, organisation_url(code))
    add_rows(reference)

    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(organisation_url(code)).status_code == 200
    assert count_queries(client, organisation_url(code)) == before
