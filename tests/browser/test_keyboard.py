"""The register by keyboard alone: sign in with the password and the TOTP code,
record a holder on a vacant post, then open that post, now without a finding,
from the register's every-post table. Only Tab, Shift+Tab, Space, the arrow
keys, Enter and typing: no clicks, no filling by selector. Each page passes axe."""

import datetime

import pytest
from playwright.sync_api import expect

from assurance.models import PostType, Tenure
from assurance.services.register import post_create, post_types_load
from organisations.audit import system_actor
from organisations.models import Commissioning, Role
from tests.browser.conftest import assert_accessible
from tests.factories import TEST_TOTP_SECRET, ProviderFactory, enrol_totp, member, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long demo password 42"

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id || "", type: el.type || "",
    text: (el.innerText || el.value || "").trim(), href: el.getAttribute("href") || "",
    visible: box.width > 0 && box.height > 0,
  };
}"""


def tab_to(page, matches, *, limit=400) -> dict:
    """Press Tab until the focused element matches; it must be visible when focused."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused and matches(focused):
            assert focused["visible"], f"focus is on a hidden element: {focused}"
            return focused
    pytest.fail(f"Tab never reached the element on {page.url}")


def by_id(element_id):
    return lambda f: f["id"] == element_id


def link(text, href_part=""):
    return lambda f: f["tag"] == "a" and f["text"].startswith(text) and href_part in f["href"]


def button(text):
    return lambda f: f["tag"] == "button" and f["text"] == text


def type_into(page, element_id, text):
    tab_to(page, by_id(element_id))
    page.keyboard.type(text)


def type_date(page, prefix, day: datetime.date):
    type_into(page, f"{prefix}_day", str(day.day))
    page.keyboard.press("Tab")
    page.keyboard.type(str(day.month))
    page.keyboard.press("Tab")
    page.keyboard.type(str(day.year))


@pytest.fixture
def vacant_midwife(reference):
    post_types_load(actor=system_actor())
    trust = ProviderFactory(
        code="RAL", name="Royal Free London NHS Foundation Trust", provides_maternity=True
    )
    Commissioning.objects.create(icb=reference["Z9B2Z"], provider=trust, is_lead=True)
    approver = member(
        reference["Z9B2Z"], Role.ICB_APPROVER, password=PASSWORD, full_name="Amara Okafor"
    )
    enrol_totp(approver)
    post = post_create(
        actor=approver,
        organisation=trust,
        post_type=PostType.objects.get(code="PRV_NAMED_MIDWIFE"),
        vacant_since=datetime.date(2026, 9, 1),
    )
    return post, approver


def test_keyboard_only_sign_in_record_a_holder_and_reach_the_post(
    live_server, page, vacant_midwife
):
    post, approver = vacant_midwife
    today = datetime.date.today()

    # Sign in: email, password, Enter; then the TOTP code, Enter.
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page)
    type_into(page, "id_login", approver.email)
    type_into(page, "id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    assert_accessible(page)
    type_into(page, "id_code", totp_code(TEST_TOTP_SECRET))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")

    # To the register through the header's navigation.
    tab_to(page, link("Posts register", "/register/"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/register/icbs/Z9B2Z/")
    assert_accessible(page)

    # The vacant post's finding offers to add a holder.
    tab_to(page, link("Add holder", f"/register/posts/{post.pk}/holders/new/"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/register/posts/{post.pk}/holders/new/")
    assert_accessible(page)
    type_into(page, "id_holder_name", "Jo Midwife")
    tab_to(page, by_id("id_capacity"))  # the first radio of the one required choice
    page.keyboard.press("Space")
    type_into(page, "id_whole_time_equivalent", "0.8")
    type_date(page, "id_start_date", today - datetime.timedelta(days=26))
    type_date(page, "id_last_supervision", today)
    tab_to(page, by_id("id_training_level"))
    for _ in range(4):  # Not recorded → Level 4
        page.keyboard.press("ArrowDown")
    tab_to(page, button("Save holder"))
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/register/posts/{post.pk}/")
    expect(page.get_by_text("Jo Midwife saved as named midwife")).to_be_visible()
    assert_accessible(page)
    tenure = Tenure.objects.get(post=post)
    assert str(tenure.whole_time_equivalent) == "0.80" and tenure.training_level == 4

    # Back to the register: the post has no finding now, and its row links to it.
    page.keyboard.press("Shift+Tab")  # from wherever focus is, back into the page
    tab_to(page, link("Back to the register"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/register/icbs/Z9B2Z/")
    assert page.locator("#findings + table").get_by_text("Named midwife").count() == 0
    tab_to(page, link("Named midwife for safeguarding children", f"/register/posts/{post.pk}/"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/register/posts/{post.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Named midwife for safeguarding children"
    )
    expect(page.get_by_role("cell", name="Jo Midwife", exact=True)).to_be_visible()
    expect(page.get_by_text("In post")).to_be_visible()
    assert_accessible(page)
