"""The register's overviews and exports read a fixed number of queries,
however many providers there are."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assurance.national_data import national_data_generate
from assurance.services.register import post_types_load
from organisations.audit import system_actor
from organisations.models import Role
from tests.factories import enrol_totp, member

TODAY = datetime.date.today()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.heavy  # generates national data twice: once, in the PostgreSQL pass
def test_overview_query_counts_do_not_grow_with_providers(reference, settings, client):
    post_types_load(actor=system_actor())
    user = member(reference["X24"], Role.NATIONAL_ADMIN)
    enrol_totp(user)
    client.force_login(user)
    urls = [
        reverse("assurance:register_national"),
        reverse("assurance:register_region", args=["Y56"]),
        reverse("assurance:register_national_export", args=["csv"]),
        reverse("assurance:register_national_export", args=["xlsx"]),
        reverse("assurance:register_region_export", args=["Y56", "xlsx"]),
        reverse("assurance:register_national_organisations_export", args=["csv"]),
        reverse("assurance:register_national_organisations_export", args=["xlsx"]),
    ]
    _queries(client, urls[0])  # the first request of a session does a little more
    before = [_queries(client, url) for url in urls]
    settings.DEBUG = True
    national_data_generate(providers=120, scale=2, seed=5, today=TODAY)
    settings.DEBUG = False
    assert [_queries(client, url) for url in urls] == before
