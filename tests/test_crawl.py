"""Every persona walks the demo portal by following its links: no page answers
with a server error; nothing but the sign-in pages opens to someone signed
out; and another ICB's return, register and evidence are not found.
A sweep (PostgreSQL pass only)."""

import re
from collections import deque
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from organisations.models import User

pytestmark = pytest.mark.heavy

PERSONAS = [
    "approver.z9b2z",
    "editor.z9b2z",
    "viewer.z9b2z",
    "approver.qmf",
    "lead.london",
    "chiefnurse.london",
    "nssg",
    "admin",
]
# Links that change state on GET or leave the portal are not followed.
SKIP = re.compile(r"^/(accounts/logout|admin/logout|static/|media/)|\?.*(format|download)=")
# Enough to reach each kind of page a persona has (the lists come first).
PAGES_PER_PERSONA = 60


def _links(html: str) -> list[str]:
    return [
        link.replace("&amp;", "&")
        for link in re.findall(r'href="(/[^"#]*)"', html)
        if not SKIP.search(link)
    ]


def crawl(client: Client, start: str = "/") -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < PAGES_PER_PERSONA:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = response.status_code
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            for link in _links(response.content.decode(errors="replace")):
                if link not in seen:
                    queue.append(link)
    return seen


@pytest.fixture
def demo(reference, toolkit, settings, monkeypatch, with_demo_history):
    # The whole demo, as `scripts/run` loads it: the returns' history included.
    settings.DEBUG = True
    monkeypatch.setenv("SAAF_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("load_demo_data", stdout=StringIO())
    return {name: User.objects.get(email__startswith=f"{name}@") for name in PERSONAS}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_persona_walks_the_portal_without_a_server_error(demo):
    walked = {}
    for name, user in demo.items():
        pages = crawl(signed_in(user))
        errors = {path: status for path, status in pages.items() if status >= 500}
        assert not errors, f"{name}: {errors}"
        walked[name] = pages
    # Signed out, every page the national admin reached is closed (sign-in or 404).
    anonymous = Client()
    opened = []
    for path in walked["admin"]:
        status = anonymous.get(path).status_code
        assert status < 500, path
        if status == 200 and not path.startswith("/accounts/"):
            opened.append(path)
    assert not opened, f"open to anyone signed out: {opened}"
    # QMF's approver cannot open Z9B2Z's returns, ICB register or evidence files.
    qmf = signed_in(demo["approver.qmf"])
    private = [
        path
        for path in walked["viewer.z9b2z"]
        if path.startswith(("/returns/Z9B2Z/", "/register/icbs/Z9B2Z", "/evidence/"))
    ]
    assert private, "the Z9B2Z viewer reached no return, register or evidence page"
    leaks = [path for path in private if qmf.get(path).status_code not in (403, 404)]
    assert not leaks, f"QMF's approver opened: {leaks}"
