"""`manage.py benchmark`'s API entry (registered from `AssuranceConfig.ready`):
a page of the returns list as a system reads it, with a machine token."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from assurance.benchmark import BENCHMARK_EMAIL, Bench, Measurement, entry
from organisations.models import User
from organisations.tokens import api_token_create


@entry("api_returns_list", floor_target=3, scale_target=10)
def api_returns_list(bench: Bench) -> Measurement:
    """The first page (50 returns, newest period first) of `/api/v1/returns/`,
    with an API token of the benchmark's national admin (no session): token
    authentication, the throttle's count in the cache, scoping, pagination and
    the serializer. The token is rolled back with the rest."""
    user = User.objects.get(email=BENCHMARK_EMAIL)
    _, secret = api_token_create(actor=user, user=user, name="Benchmark", days=1)
    client = Client(headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"})
    return bench.measure("api_returns_list", reverse("api:returns"), client=client)
