"""The national admin changes a standard's register rule with checkboxes in
a real browser: a rule without findings is refused with what to fix, a good
one is saved and said in words; each page passes axe."""

import pytest
from playwright.sync_api import expect

from assurance.models import ToolkitVersion
from assurance.services.register import post_types_load
from assurance.services.toolkit import toolkit_version_copy
from assurance.toolkit_content import toolkit_content_load
from organisations.audit import system_actor
from organisations.models import Role
from organisations.reference_data import NATIONAL_CODE
from tests.browser.conftest import assert_accessible
from tests.factories import enrol_totp, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_national_admin_sets_a_register_rule(live_server, page, sign_in, reference):
    toolkit_content_load(actor=system_actor())
    post_types_load(actor=system_actor())
    admin = member(reference[NATIONAL_CODE], Role.NATIONAL_ADMIN, full_name="Nia Admin")
    enrol_totp(admin)
    toolkit_version_copy(actor=admin, source=ToolkitVersion.objects.get(financial_year=2026))
    sign_in(admin)

    page.goto(f"{live_server.url}/toolkit/2027/sections/DP/")
    expect(page.get_by_role("main")).to_contain_text(
        "Green needs: no missing or vacant designated professional posts in the ICB."
    )
    assert_accessible(page)

    page.get_by_role("link", name="Change standard DP1").click()
    expect(page.get_by_label("Designated professionals (ICB)")).to_be_checked()
    assert_accessible(page)
    page.get_by_label("Required post missing").uncheck()
    page.get_by_label("Vacant", exact=True).uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Choose which findings stand in the way of green for the groups chosen"
    )
    assert_accessible(page)

    page.get_by_label("Named GPs (ICB)").check()
    page.get_by_label("Vacant", exact=True).check()
    page.get_by_label("Training below level").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("main")).to_contain_text(
        "Green needs: no vacant designated professional or named GP posts in the ICB, and none "
        "whose holder is trained below the post's level."
    )
    dp1 = ToolkitVersion.objects.get(financial_year=2027).standards.get(code="DP1")
    assert dp1.register_groups == ["designated", "named_gp"]
    assert dp1.register_findings == ["vacant", "below_level"]
