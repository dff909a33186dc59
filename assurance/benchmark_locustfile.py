"""The users of `manage.py benchmark`'s load entry, for locust (run headless by
`assurance.benchmark_load`, never imported by Django).

Each simulated user is a signed-in national admin with a session of its own
and an API token of its own, both made by the benchmark and named in the plan
file (`SAAF_LOAD_PLAN`, JSON): it arrives at a random moment of the first
`start_spread` seconds (everyone at once would queue behind each other for
the first second and make the percentiles of a burst), opens the floor page
once, then picks pages
at random by weight — the home page, England's and a region's heatmap, the
largest return's task list and section page, a page of the returns list
through the API — reading each for `think_seconds` (5 to 15) before the next. Anything
but a 200 (a redirect to sign in included) is a failure. Every request is
named after its page, so the floor's own times under the same load can be
read apart.
"""

import json
import os
import random

import gevent
from locust import FastHttpUser, between, task

with open(os.environ["SAAF_LOAD_PLAN"], encoding="utf-8") as plan_file:
    PLAN = json.load(plan_file)

PAGES = PLAN["pages"]  # name: path
WEIGHTS = PLAN["weights"]  # name: weight
_identities = iter(PLAN["identities"])


class SignedInUser(FastHttpUser):
    wait_time = between(*PLAN["think_seconds"])

    def on_start(self) -> None:
        # More users than identities cannot happen: the plan has one each.
        identity = next(_identities)
        self.page_headers = {
            "Cookie": f"{PLAN['cookie_name']}={identity['session']}",
            # Read as HTTPS where the settings trust a proxy (production mode).
            "X-Forwarded-Proto": "https",
        }
        self.api_headers = {
            "Authorization": f"Bearer {identity['token']}",
            "Accept": "application/json",
            "X-Forwarded-Proto": "https",
        }
        gevent.sleep(random.uniform(0, PLAN["start_spread"]))  # noqa: S311 (not a secret)
        self.get("floor")

    def get(self, name: str) -> None:
        headers = self.api_headers if name.startswith("api_") else self.page_headers
        with self.client.get(
            PAGES[name], name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}, not 200")

    @task(WEIGHTS["floor"])
    def floor(self) -> None:
        self.get("floor")

    @task(WEIGHTS["home"])
    def home(self) -> None:
        self.get("home")

    @task(WEIGHTS["heatmap_national"])
    def heatmap_national(self) -> None:
        self.get("heatmap_national")

    @task(WEIGHTS["heatmap_region"])
    def heatmap_region(self) -> None:
        self.get("heatmap_region")

    @task(WEIGHTS["return_task_list"])
    def return_task_list(self) -> None:
        self.get("return_task_list")

    @task(WEIGHTS["return_section"])
    def return_section(self) -> None:
        self.get("return_section")

    @task(WEIGHTS["api_returns_list"])
    def api_returns_list(self) -> None:
        self.get("api_returns_list")
