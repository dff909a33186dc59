"""The posts register through the API: the same findings as the page, as of
a date, scoped, with bad dates refused in the page's words."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assurance.models import PostType
from assurance.services.register import post_create, post_types_load, tenure_add
from organisations.audit import system_actor
from organisations.models import Role
from tests.api.conftest import token_client
from tests.factories import enrol_totp, member


def test_the_register_shows_holders_and_findings_as_of_a_day(reference, editor):
    post_types_load(actor=system_actor())
    post_type = PostType.objects.get(code="ICB_DES_NURSE_SC")
    post = post_create(actor=editor, organisation=reference["Z9B2Z"], post_type=post_type)
    tenure_add(
        actor=editor,
        post=post,
        holder_name="Sam Patel",
        whole_time_equivalent=1,
        start_date=datetime.date(2026, 5, 1),
        last_supervision=datetime.date(2026, 5, 1),
        training_level=5,
    )
    api = token_client(editor)
    today = api.get("/api/v1/register/Z9B2Z/").json()
    row = next(r for r in today["registers"][0]["rows"] if r["post_type"] == "ICB_DES_NURSE_SC")
    assert [h["name"] for h in row["holders"]] == ["Sam Patel"]
    assert not any(
        f["post_type"] == "ICB_DES_NURSE_SC" and f["kind"] == "missing" for f in today["findings"]
    )
    before = api.get("/api/v1/register/Z9B2Z/?on=2026-04-15").json()
    assert before["on"] == "2026-04-15"
    row = next(r for r in before["registers"][0]["rows"] if r["post_type"] == "ICB_DES_NURSE_SC")
    assert row["holders"] == []  # not yet in post on 15 April
    assert any(
        f["post_type"] == "ICB_DES_NURSE_SC" and f["kind"] in ("vacant", "missing")
        for f in before["findings"]
    )


def test_a_date_before_the_icb_is_refused_in_the_pages_words(reference, editor):
    response = token_client(editor).get("/api/v1/register/Z9B2Z/?on=2025-01-01")
    assert response.status_code == 400
    assert response.json()["errors"]["on"] == [
        "Enter a date on or after 1 April 2026, when this ICB was established."
    ]
    bad = token_client(editor).get("/api/v1/register/Z9B2Z/?on=2026-02-31")
    assert bad.status_code == 400 and "real date" in bad.json()["errors"]["on"][0]


def test_another_regions_register_is_not_found(reference, editor):
    api = token_client(editor)
    assert api.get("/api/v1/register/QHL/").json() == api.get("/api/v1/register/NOPE/").json()
    assert api.get("/api/v1/register/QHL/").status_code == 404
    lead_user = member(reference["Y60"], Role.REGIONAL_LEAD)
    enrol_totp(lead_user)
    lead = token_client(lead_user)
    assert lead.get("/api/v1/register/QHL/").status_code == 200


def test_list_queries_do_not_grow_with_rows(reference, editor, q3):
    from assurance.services.returns import quarterly_return_start

    api = token_client(editor)
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/v1/organisations/?page_size=5").status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert api.get("/api/v1/organisations/?page_size=100").status_code == 200
    assert len(many) == len(few)
    quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)
    with CaptureQueriesContext(connection) as detail:
        assert api.get("/api/v1/returns/Z9B2Z/2026/3/").status_code == 200
    assert len(detail) <= 20
