"""The register rule on the toolkit pages: said in words to every reader, set
with checkboxes by the national admin on a draft, refused with what to fix."""

import html

import pytest
from django.urls import reverse

from assurance.services.register import post_types_load
from organisations.audit import system_actor
from organisations.models import AuditEvent, Role
from tests.assurance.conftest import with_totp
from tests.factories import member

DP1_WORDS = "Green needs: no missing or vacant designated professional posts in the ICB."
DP3_WORDS = (
    "Green needs: no designated professional, named GP or named professional posts in the ICB "
    "or the providers it leads whose holder is overdue for supervision."
)


def url(name, *args):
    return reverse(f"assurance:{name}", args=args)


@pytest.fixture
def admin_client(client, national_admin):
    client.force_login(national_admin)
    return client


def page(response) -> str:
    return html.unescape(response.content.decode())


def test_every_reader_sees_the_rules_in_words(client, reference, toolkit):
    client.force_login(with_totp(member(reference["QE1"], Role.ICB_VIEWER)))
    version_page = page(client.get(url("toolkit_version_detail", 2026)))
    assert "Standards that depend on the posts register" in version_page
    assert DP1_WORDS in version_page and DP3_WORDS in version_page
    assert "MC1" in version_page and "PV1" in version_page
    section_page = page(client.get(url("section_detail", 2026, "DP")))
    assert DP1_WORDS in section_page and DP3_WORDS in section_page
    assert "Does not depend on the posts register" in section_page  # DP5
    mc_page = page(client.get(url("section_detail", 2026, "MC")))
    assert (
        "Green needs: no missing or vacant MCA lead posts in the ICB or the providers it leads."
        in mc_page
    )


def _lg1(draft, **rule):
    return {
        "section": draft.sections.get(code="LG").pk,
        "code": "LG1",
        "statement": draft.standards.get(code="LG1").statement,
        "evidence": "Scheme of delegation.",
        **rule,
    }


def test_the_admin_ticks_a_rule_onto_a_draft_standard(admin_client, draft):
    post_types_load(actor=system_actor())
    form = page(admin_client.get(url("standard_update", 2027, "DP1")))
    assert 'type="checkbox"' in form and 'value="designated" checked' in form
    response = admin_client.post(
        url("standard_update", 2027, "LG1"),
        _lg1(
            draft,
            register_groups=["leadership"],
            register_findings=["missing", "vacant"],
            register_scope="icb",
        ),
    )
    assert response.status_code == 302
    lg1 = draft.standards.get(code="LG1")
    assert (lg1.register_groups, lg1.register_findings, lg1.register_scope) == (
        ["leadership"],
        ["missing", "vacant"],
        "icb",
    )
    event = AuditEvent.objects.filter(action="standard.updated").latest("id")
    assert event.changes["register_groups"] == [[], ["leadership"]]
    assert "Green needs: no missing or vacant executive lead posts in the ICB." in page(
        admin_client.get(url("section_detail", 2027, "LG"))
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"register_groups": ["designated"]},
            "Choose which findings stand in the way of green for the groups chosen",
        ),
        (
            {"register_findings": ["vacant"]},
            "Choose the groups of posts whose findings count",
        ),
        (
            {"register_groups": ["nurses"], "register_findings": ["vacant"]},
            "Select a valid choice. nurses is not one of the available choices.",
        ),
        (
            {
                "register_groups": ["designated"],
                "register_findings": ["vacant"],
                "register_scope": "providers",
            },
            "There are no designated professional posts in the providers the ICB leads",
        ),
        (
            {"register_note": "Only if the post is funded."},
            "A register note explains a register rule",
        ),
    ],
)
def test_a_rule_that_cannot_be_evaluated_is_shown_on_the_form(admin_client, draft, rule, message):
    post_types_load(actor=system_actor())
    events = AuditEvent.objects.count()
    response = admin_client.post(url("standard_update", 2027, "LG1"), _lg1(draft, **rule))
    assert response.status_code == 400
    text = page(response)
    assert "There is a problem" in text
    assert message in text
    assert draft.standards.get(code="LG1").register_groups == []
    assert AuditEvent.objects.count() == events


def test_clearing_the_groups_and_findings_unlinks_the_standard(admin_client, draft):
    dp1 = draft.standards.get(code="DP1")
    response = admin_client.post(
        url("standard_update", 2027, "DP1"),
        {"section": dp1.section_id, "code": "DP1", "statement": dp1.statement},
    )
    assert response.status_code == 302
    dp1.refresh_from_db()
    assert dp1.register_rule is None
    assert DP1_WORDS not in page(admin_client.get(url("toolkit_version_detail", 2027)))
