"""The API's Swagger UI under the portal's Content-Security-Policy: signed
in, it loads its scripts and styles from our own static files (no other
origin), shows every operation, takes a token in "Authorize" and runs a call
with it, with nothing in the console."""

import re

import pytest

from organisations.models import Role
from organisations.tokens import api_token_create
from tests.factories import member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI}`);
});
"""


def test_swagger_loads_locally_under_the_csp_and_authorizes_a_token(
    page, live_server, sign_in, reference
):
    editor = sign_in(member(reference["Z9B2Z"], Role.ICB_EDITOR))
    _, secret = api_token_create(actor=editor, user=editor, name="Swagger", days=1)
    console, requests = [], []
    page.on(
        "console",
        lambda m: console.append(m.text) if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda error: console.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.add_init_script(WATCH_VIOLATIONS)

    response = page.goto(f"{live_server.url}/api/v1/docs/")
    assert response.status == 200
    assert "script-src" in response.headers["content-security-policy"]
    page.get_by_text("SAAF portal API").first.wait_for()
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 20

    # Authorize with the token, then try one call with it.
    page.get_by_role("button", name=re.compile("Authorize")).first.click()
    page.locator("#auth-bearer-value").fill(secret)
    page.locator(".modal-ux button.modal-btn.authorize").first.click()
    page.locator(".modal-ux button.btn-done").first.click()
    me = page.locator("#operations-me-me_retrieve")
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/me/")) as answered:
        me.get_by_role("button", name="Execute").click()
    answer = answered.value
    assert answer.status == 200
    assert answer.json()["authenticated_by"] == "token", answer.request.all_headers()

    assert all(url.startswith(live_server.url) for url in requests), [
        url for url in requests if not url.startswith(live_server.url)
    ]
    assert any("/static/drf_spectacular_sidecar/" in url for url in requests)
    assert page.evaluate("window.__cspViolations") == []
    assert console == []


def test_redoc_loads_locally_under_the_csp(page, live_server, sign_in, reference):
    """ReDoc renders from our files; the one thing refused is its "by Redocly"
    logo from the vendor's CDN (blocked by the CSP, so never fetched)."""
    sign_in(member(reference["Z9B2Z"], Role.ICB_VIEWER))
    console, missing = [], []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: console.append(str(error)))
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.add_init_script(WATCH_VIOLATIONS)
    assert page.goto(f"{live_server.url}/api/v1/redoc/").status == 200
    page.get_by_role("heading", name=re.compile("SAAF portal API")).first.wait_for()
    page.get_by_text("Start the ICB's return").first.wait_for(state="attached")
    logo = "img-src blocked https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert set(page.evaluate("window.__cspViolations")) <= {logo}
    assert missing == []
    # Chromium's own favicon probe may 404; nothing else may complain.
    assert [m for m in console if "logo-mini.svg" not in m and "404" not in m] == []


def test_the_api_tokens_page_is_accessible_and_shows_a_new_token_once(
    page, live_server, sign_in, reference
):
    from tests.browser.conftest import assert_accessible

    sign_in(member(reference["Z9B2Z"], Role.ICB_EDITOR))
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(f"{live_server.url}/account/api-tokens/")
    assert_accessible(page)
    page.get_by_label("Name").fill("Our dashboard")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("saaf_")
    assert_accessible(page)
    page.goto(f"{live_server.url}/account/api-tokens/")
    assert "Our dashboard" in page.content() and token not in page.content()
    assert page.evaluate("window.__cspViolations") == []
