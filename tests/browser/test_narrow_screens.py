"""At 390 px wide (a phone), no page scrolls sideways: wide tables scroll
inside their own focusable region, and the header wraps between words."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from assurance.models import PostType
from assurance.services.register import post_create, post_types_load, tenure_add
from assurance.toolkit_content import toolkit_content_load
from organisations.audit import system_actor
from organisations.models import Commissioning, Role
from tests.browser.conftest import assert_accessible
from tests.factories import ProviderFactory, enrol_totp, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(reference):
    toolkit_content_load(actor=system_actor())
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
        holder_name="Dr Alexandra Montgomery-Worthington",
        whole_time_equivalent=Decimal("0.8"),
        start_date=datetime.date(2024, 4, 1),
        training_level=4,
    )
    admin = member(
        reference["X24"],
        Role.NATIONAL_ADMIN,
        full_name="Professor Bartholomew Featherstonehaugh-Cholmondeley",
        email="bartholomew.featherstonehaugh-cholmondeley@england.nhs.uk",
    )
    member(reference["Z9B2Z"], Role.ICB_APPROVER, email="second.role@example.nhs.uk")
    enrol_totp(admin)
    return {"admin": admin, "post": post, "editor": editor}


def _pages(world):
    return [
        "/",
        reverse("assurance:register_national"),
        reverse("assurance:register_region", args=["Y56"]),
        reverse("assurance:register_icb", args=["Z9B2Z"]),
        reverse("assurance:post_detail", args=[world["post"].pk]),
        reverse("assurance:toolkit_version_list"),
        reverse("assurance:toolkit_version_detail", args=[2026]),
        reverse("assurance:period_list"),
        reverse("assurance:period_detail", args=[2026, 3]),
        reverse("organisations:organisation", args=["Z9B2Z"]),
        reverse("organisations:user_list"),
        reverse("organisations:user", args=[world["editor"].pk]),
        reverse("mfa_index"),
        reverse("usersessions_list"),
    ]


def test_no_page_scrolls_sideways_at_390px(page, live_server, sign_in, world):
    sign_in(world["admin"])
    page.set_viewport_size(PHONE)
    overflowing = []
    for path in _pages(world):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if widths[0] > widths[1]:
            overflowing.append(f"{path}: {widths[0]} > {widths[1]}")
    assert not overflowing, "Pages wider than the screen:\n" + "\n".join(overflowing)


def test_wide_tables_scroll_in_a_labelled_focusable_region(page, live_server, sign_in, world):
    sign_in(world["admin"])
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("assurance:register_icb", args=["Z9B2Z"]))
    regions = page.locator(".saaf-table-scroll")
    assert regions.count() >= 1
    first = regions.first
    assert first.get_attribute("tabindex") == "0"
    assert first.get_attribute("role") == "region" and first.get_attribute("aria-label")
    # A table wider than the screen scrolls inside its region, which shows a cue.
    assert first.evaluate("e => e.scrollWidth > e.clientWidth")
    assert first.evaluate("e => getComputedStyle(e).backgroundImage") != "none"


def test_the_header_breaks_names_only_between_words(page, live_server, sign_in, world):
    sign_in(world["admin"])
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    styles = page.evaluate(
        """() => [...document.querySelectorAll('.nhsuk-header__account-item, .saaf-header__roles')]
              .map(e => [getComputedStyle(e).wordBreak, getComputedStyle(e).overflowWrap])"""
    )
    assert styles
    for word_break, overflow_wrap in styles:
        assert word_break not in {"break-all", "break-word"}
        assert overflow_wrap not in {"anywhere", "break-word"}
    # Each word of the name sits on one line (one box per word), even at 390 px.
    lines_per_word = page.evaluate(
        """() => {
          const item = document.querySelector('.nhsuk-header__account-item');
          const text = [...item.childNodes].find(
            n => n.nodeType === 3 && n.textContent.includes('Featherstonehaugh'));
          return ['Professor', 'Bartholomew', 'Featherstonehaugh', 'Cholmondeley'].map(word => {
            const range = document.createRange();
            const start = text.textContent.indexOf(word);
            range.setStart(text, start);
            range.setEnd(text, start + word.length);
            return range.getClientRects().length;
          });
        }"""
    )
    assert lines_per_word == [1, 1, 1, 1]


def test_account_and_user_pages_are_accessible(page, live_server, sign_in, world):
    sign_in(world["admin"])
    for path in (
        reverse("mfa_index"),
        reverse("usersessions_list"),
        reverse("organisations:user_list"),
        reverse("organisations:user", args=[world["editor"].pk]),
        "/",
    ):
        page.goto(live_server.url + path)
        assert_accessible(page)
