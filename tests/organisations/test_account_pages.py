"""allauth's pages as portal pages: the header with its navigation, one Home
in the breadcrumb, sentence case, sessions in words, and an invited user's
way in."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from organisations.audit import system_actor
from organisations.models import Role, User
from organisations.services import user_create, user_invite_send
from organisations.user_agents import user_agent_words
from tests.factories import member

PASSWORD = "correct horse battery staple"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("agent", "words"),
    [
        (CHROME_WINDOWS, "Chrome on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5) AppleWebKit/605.1.15 Version/17.5 "
            "Safari/605.1.15",
            "Safari on Mac",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox on Linux",
        ),
        (CHROME_WINDOWS + " Edg/131.0.0.0", "Edge on Windows"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile "
            "Safari/537.36",
            "Chrome on Android",
        ),
        ("", "Unknown browser"),
        ("curl/8.5.0", "Unknown browser"),
    ],
)
def test_user_agents_in_words(agent, words):
    assert user_agent_words(agent) == words


@pytest.fixture
def editor(reference):
    return member(reference["QMF"], Role.ICB_EDITOR, password=PASSWORD)


ACCOUNT_PAGES = [
    "mfa_index",
    "usersessions_list",
    "account_change_password",
    "mfa_activate_totp",
]


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_account_pages_have_the_portal_header_and_one_home(editor, client, name):
    client.post(reverse("account_login"), {"login": editor.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    html = client.get(reverse(name)).content.decode()
    nav = re.search(r'<nav class="nhsuk-header__navigation.*?</nav>', html, re.S)
    assert nav, "the header's navigation"
    for link in ("Home", "Posts register", "Toolkit", "Reporting periods"):
        assert link in nav.group(0)
    crumbs = re.search(r'<nav class="nhsuk-breadcrumb".*?</nav>', html, re.S).group(0)
    # v10 markup: the back link replaces the trail on small screens (the v9
    # "breadcrumb__back" markup showed a second "Home" on every screen).
    assert "nhsuk-breadcrumb__back" not in crumbs
    assert crumbs.count('class="nhsuk-breadcrumb__link" href="/">Home<') == 1
    # Sentence case: no Title Case headings or buttons from allauth's defaults.
    for title_case in (
        "Two-Factor Authentication",
        "Sign Out Other Sessions",
        "Change Password",
        "Current Password",
        "New Password",
        "Authenticator App",
        "Recovery Codes",
    ):
        assert title_case not in html


def test_security_page_links_sessions_and_password_and_not_email(editor, client):
    client.force_login(editor)
    html = client.get(reverse("mfa_index")).content.decode()
    assert reverse("usersessions_list") in html
    assert reverse("account_change_password") in html
    assert "/accounts/email/" not in html


def test_sessions_page_shows_browsers_in_words_and_sentence_case(editor):
    laptop = Client(HTTP_USER_AGENT=CHROME_WINDOWS)
    phone = Client(HTTP_USER_AGENT=SAFARI_IPHONE)
    for client in (laptop, phone):
        client.post(reverse("account_login"), {"login": editor.email, "password": PASSWORD})
    html = laptop.get(reverse("usersessions_list")).content.decode()
    assert "Chrome on Windows" in html and "Safari on iPhone" in html
    assert "Sign out other sessions" in html
    assert "AppleWebKit" not in html


def test_sign_in_has_no_remember_me(client):
    html = client.get(reverse("account_login")).content.decode().lower()
    assert "remember" not in html


def test_an_invited_user_sets_their_password_then_is_sent_to_sign_in(
    reference, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SAAF_BASE_URL = "http://localhost:8123"
    user = user_create(actor=system_actor(), email="new.starter@example.nhs.uk", full_name="New S")
    with django_capture_on_commit_callbacks(execute=True):
        link = user_invite_send(actor=system_actor(), user=user)
    assert link.startswith("http://localhost:8123/accounts/password/reset/key/")
    assert link in mailoutbox[0].body
    client = Client()
    page = client.get(link.removeprefix("http://localhost:8123"), follow=True)
    html = page.content.decode()
    assert "<h1" in html and "Set your password" in html
    new = "a long and new passphrase 9"
    done = client.post(
        page.redirect_chain[-1][0], {"password1": new, "password2": new}, follow=True
    )
    done_html = done.content.decode()
    assert "Your password is set" in done_html
    assert f'href="{reverse("account_login")}"' in done_html
    assert User.objects.get(pk=user.pk).check_password(new)


def test_sign_up_says_how_accounts_are_made(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert "You cannot create an account here" in html and "Sign Up Closed" not in html
