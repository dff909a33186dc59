"""A whole return submitted through the API with tokens, beside one made in
the browser through the pages: the return, its answers, its audit trail and
its submission come out the same (only who and which ICB differ)."""

import json
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from assurance.models import Answer, MetricValue, QuarterlyReturn, Submission
from assurance.services.register import post_types_load
from organisations.audit import system_actor
from organisations.models import AuditEvent, Role
from tests.api.conftest import token_client
from tests.factories import enrol_totp, member

NARRATIVE = "Board minutes of 3 November show {code} is met."
EXPLANATION = "Interim cover agreed with the neighbouring ICB."


def _answer(standard) -> dict:
    return {
        "rating": "green",
        "narrative": NARRATIVE.format(code=standard.code),
        "explanation": EXPLANATION if standard.register_groups else "",
    }


def _submit_in_the_browser(client, editor, approver, version):
    client.force_login(editor)
    assert client.post(reverse("assurance:return_start", args=["QMF", 2026, 3])).status_code == 302
    for section in version.sections.order_by("position"):
        data = {}
        for st in section.standards.order_by("position"):
            data[f"{st.code}-revision"] = 0
            data[f"{st.code}-action_rows"] = 1
            for key, value in _answer(st).items():
                data[f"{st.code}-{key}"] = value
        for m in section.metrics.order_by("position"):
            data[f"{m.code}-revision"] = 0
            if not m.is_computed:
                data[f"{m.code}-value"] = "3"
        url = reverse("assurance:return_section", args=["QMF", 2026, 3, section.code])
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
    client.force_login(approver)
    done = client.post(
        reverse("assurance:return_submit", args=["QMF", 2026, 3]), {"declaration": "yes"}
    )
    assert done.status_code == 302


def _submit_through_the_api(editor, approver, version):
    api = token_client(editor, name="ICB assurance system")
    started = api.post(
        "/api/v1/returns/", {"icb": "Z9B2Z", "financial_year": 2026, "quarter": 3}, format="json"
    )
    assert started.status_code == 201
    base = "/api/v1/returns/Z9B2Z/2026/3/"
    for section in version.sections.order_by("position"):
        for st in section.standards.order_by("position"):
            saved = api.put(
                f"{base}answers/{st.code}/", {**_answer(st), "revision": 0}, format="json"
            )
            assert saved.status_code == 200, saved.json()
            assert saved.json()["revision"] == 1
        for m in section.metrics.order_by("position"):
            if not m.is_computed:
                saved = api.put(
                    f"{base}metric-values/{m.code}/", {"value": "3", "revision": 0}, format="json"
                )
                assert saved.status_code == 200, saved.json()
    check = api.get(f"{base}check/").json()
    assert check == {"passes": True, "count": 0, "problems": []}
    # The editor may not submit: the same words as the page.
    refused = api.post(f"{base}submit/", {"declaration": True}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Only NHS West and North London Integrated Care Board's approver can submit this return."
    )
    signer = token_client(approver, name="ICB sign-off")
    no_declaration = signer.post(f"{base}submit/", {"declaration": False}, format="json")
    assert no_declaration.status_code == 400
    assert no_declaration.json()["errors"] == {
        "declaration": ["Tick the declaration to confirm the return is accurate."]
    }
    done = signer.post(f"{base}submit/", {"declaration": True}, format="json")
    assert done.status_code == 201, done.json()
    assert done.json()["version"] == 1


def _same_words(text: str, ret) -> str:
    """Take out what names the ICB."""
    for word in (ret.icb.name, ret.icb.code):
        text = text.replace(word, "ICB")
    return text


def _trail(ret) -> list:
    events = AuditEvent.objects.filter(
        parent_type=ContentType.objects.get_for_model(QuarterlyReturn), parent_id=str(ret.pk)
    ).select_related("actor")
    return sorted(
        (
            e.action,
            _same_words(json.dumps(e.changes, sort_keys=True), ret),
            e.reason,
            e.ip_address,
            e.user_agent,
            sorted(m.role for m in e.actor.memberships.all()),
            e.organisation_id == ret.icb_id,
        )
        for e in events
    )


def _answers(ret) -> list:
    return [
        (a.standard.code, a.rating, a.narrative, a.explanation, a.not_applicable_reason, a.revision)
        for a in Answer.objects.filter(quarterly_return=ret)
        .select_related("standard")
        .order_by("standard__code")
    ]


def _values(ret) -> list:
    return list(
        MetricValue.objects.filter(quarterly_return=ret)
        .order_by("metric__code")
        .values_list("metric__code", "value", "not_available_reason", "revision")
    )


def _submission(ret) -> dict:
    s = Submission.objects.get(quarterly_return=ret)
    return {
        "version": s.version,
        "late": s.late,
        "declaration": s.declaration,
        "role": _same_words(s.submitted_by_role, ret),
        "answers": sorted(
            (
                a.standard.code,
                a.rating,
                a.narrative,
                a.explanation,
                a.register_holds,
                _same_words(json.dumps(a.register_check, sort_keys=True), ret),
            )
            for a in s.answers.select_related("standard")
        ),
        "values": sorted(
            (v.metric.code, v.value, v.computed_value, v.rating)
            for v in s.metric_values.select_related("metric")
        ),
    }


@pytest.mark.django_db
def test_a_return_submitted_through_the_api_is_the_same_as_one_from_the_pages(
    client, reference, toolkit
):
    post_types_load(actor=system_actor())
    version = toolkit[2026]
    api_editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    api_approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    page_editor = member(reference["QMF"], Role.ICB_EDITOR)
    page_approver = member(reference["QMF"], Role.ICB_APPROVER)
    for user in (api_approver, page_approver):
        enrol_totp(user)

    _submit_in_the_browser(client, page_editor, page_approver, version)
    _submit_through_the_api(api_editor, api_approver, version)

    by_page = QuarterlyReturn.objects.get(icb__code="QMF")
    by_api = QuarterlyReturn.objects.get(icb__code="Z9B2Z")
    assert by_api.status == by_page.status == "submitted"
    assert _answers(by_api) == _answers(by_page)
    assert len(_answers(by_api)) == version.standards.count()
    assert _values(by_api) == _values(by_page)
    assert all(v[1] == Decimal("3") for v in _values(by_api))
    assert _submission(by_api) == _submission(by_page)
    trail = _trail(by_api)
    assert trail == _trail(by_page)
    assert [t[0] for t in trail].count("return.answer_saved") == version.standards.count()
