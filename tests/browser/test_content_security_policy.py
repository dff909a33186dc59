"""With the Content-Security-Policy on, no page of a representative list shows
a violation in Chromium's console: home pages for each role, the registers,
the toolkit and periods, the account pages (security, TOTP set-up with its
QR code, sessions) and the Django admin."""

import pytest
from django.conf import settings
from django.test import Client

from assurance.services.register import post_types_load
from assurance.toolkit_content import toolkit_content_load
from organisations.audit import system_actor
from organisations.models import Role
from organisations.services import membership_grant
from tests.factories import UserFactory, enrol_totp, member, sign_in_with_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"

# Reports every violation to the page, whatever Chromium prints in the console.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sample})`);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every console message about the policy and every
    violation event collected."""
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.add_init_script(WATCH_VIOLATIONS)
    page.csp_console = console
    return page


def use_session(context, live_server, client: Client) -> None:
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.clear_cookies()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def visit(page, live_server, path: str) -> None:
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 200, (
        f"{path}: {response and response.status}"
    )
    assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}, path
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__cspViolations") + page.csp_console
    assert not violations, f"CSP violations on {path}: {violations}"
    # The NHS.UK frontend's module ran (it needs its nonce): the page is marked.
    assert "nhsuk-frontend-supported" in (page.get_attribute("body", "class") or ""), path


def test_no_page_breaks_the_content_security_policy(live_server, watched, context, reference):
    toolkit_content_load(actor=system_actor())
    post_types_load(actor=system_actor())

    for code, role, paths in [
        ("QMF", Role.ICB_EDITOR, ["/", "/register/", "/register/icbs/QMF/"]),
        ("Y56", Role.REGIONAL_CHIEF_NURSE, ["/", "/register/"]),
        ("X24", Role.NSSG_MEMBER, ["/", "/register/national/", "/toolkit/", "/periods/"]),
    ]:
        user = member(reference[code], role, password=PASSWORD)
        client = Client()
        client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        use_session(context, live_server, client)
        for path in paths:
            visit(watched, live_server, path)

    # An approver setting up TOTP (the QR code is a data: image), then the
    # account pages of a national admin signed in with password and TOTP.
    approver = member(reference["QMF"], Role.ICB_APPROVER, password=PASSWORD)
    client = Client()
    client.post("/accounts/login/", {"login": approver.email, "password": PASSWORD})
    use_session(context, live_server, client)
    visit(watched, live_server, "/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})  # allauth asks first
    visit(watched, live_server, "/accounts/2fa/totp/activate/")
    assert watched.locator("img[src^='data:']").count() == 1

    admin = UserFactory(password=PASSWORD)
    membership_grant(
        actor=system_actor(), user=admin, organisation=reference["X24"], role=Role.NATIONAL_ADMIN
    )
    enrol_totp(admin)
    client = Client()
    sign_in_with_totp(client, admin, PASSWORD)
    use_session(context, live_server, client)
    for path in [
        "/",
        "/toolkit/",
        "/periods/",
        "/accounts/2fa/",
        "/accounts/sessions/",
        "/accounts/password/change/",
    ]:
        visit(watched, live_server, path)

    # The Django admin is not an NHS.UK page: check it has no violation.
    for path in ["/admin/", "/admin/organisations/membership/add/", "/admin/organisations/user/"]:
        response = watched.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        watched.wait_for_load_state("load")
        violations = watched.evaluate("window.__cspViolations") + watched.csp_console
        assert not violations, f"CSP violations on {path}: {violations}"
