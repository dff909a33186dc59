"""Browser tests: Debian's Chromium (never a downloaded browser) driven by
Playwright against pytest-django's live server, signing in by session cookie,
with an axe-core accessibility check.

Run with the PostgreSQL pass (scripts/test), or alone:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/saaf REDIS_URL=redis://127.0.0.1:6379/15 \\
    DJANGO_ALLOW_ASYNC_UNSAFE=true .venv/bin/pytest tests/browser -q
Build the CSS first (scripts/setup): axe's contrast checks read it.
"""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client

# Playwright's sync API runs an event loop; Django refuses ORM calls from a
# thread with one unless told this is safe (it is: one thread per test).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's browser, launched from Debian's Chromium."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run scripts/setup (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def sign_in(live_server, context):
    """Sign `user` in to the browser by session cookie (force_login), without
    the sign-in form. Roles that require MFA also need enrol_totp(user)."""

    def sign_in_as(user):
        client = Client()
        client.force_login(user)
        session_cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session_cookie.value,
                    "url": live_server.url,
                }
            ]
        )
        return user

    return sign_in_as


_axe = Axe()


def assert_accessible(page) -> None:
    """Fail on any serious or critical axe-core violation, saying which rule
    and which elements."""
    results = _axe.run(page)
    problems = [
        violation
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    if problems:
        lines = [f"Accessibility problems on {page.url}:"]
        for violation in problems:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']} — {targets}"
            )
        pytest.fail("\n".join(lines))
