"""Signing in for real: password, then the TOTP code, in Chromium."""

import pytest
from playwright.sync_api import expect

from organisations.models import Role
from tests.browser.conftest import assert_accessible
from tests.factories import TEST_TOTP_SECRET, enrol_totp, member, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long demo password 42"


def test_z9b2z_approver_signs_in_with_password_and_totp(live_server, page, reference):
    user = member(
        reference["Z9B2Z"], Role.ICB_APPROVER, password=PASSWORD, full_name="Amara Okafor"
    )
    enrol_totp(user)

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    assert_accessible(page)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/accounts/2fa/authenticate/**")
    assert_accessible(page)
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Incorrect code").first).to_be_visible()
    page.get_by_label("Code", exact=True).fill(totp_code(TEST_TOTP_SECRET))
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{live_server.url}/")
    expect(
        page.get_by_role(
            "heading", name="NHS West and North London Integrated Care Board", exact=False
        ).first
    ).to_be_visible()
    assert "Amara Okafor" in page.locator("header").inner_text()
    page.goto(f"{live_server.url}/organisations/QMJ/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "NHS North Central London Integrated Care Board"
    )
    response = page.goto(f"{live_server.url}/organisations/QMF/")
    assert response.status == 404


def test_an_approver_without_mfa_must_set_it_up_first(live_server, page, reference):
    user = member(reference["QMF"], Role.ICB_APPROVER, password=PASSWORD)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # allauth asks for the password again before any change to MFA.
    page.wait_for_url("**/accounts/reauthenticate/**")
    assert_accessible(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/**")
    assert_accessible(page)
    # Until they do, the portal's pages send them back here.
    page.goto(f"{live_server.url}/organisations/QMF/")
    assert "/accounts/2fa/totp/activate/" in page.url
    secret = page.get_by_label("Key to type into the app instead").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.wait_for_url(lambda url: "/totp/activate/" not in url)
    page.goto(f"{live_server.url}/organisations/QMF/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "NHS North East London Integrated Care Board"
    )
