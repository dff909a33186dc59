"""Writing the annual reports through the API: the regional lead's narrative,
the chief nurse's sign-off and its withdrawal, the national report, the
rollup (the Celery task, answered with its run) and publishing, each refused
with the page's words to anyone the page refuses, and a region's report out
of your reach not found, exactly as a missing one."""

import pytest
from rest_framework.test import APIClient

from organisations.models import AuditAction, AuditEvent
from reporting.models import NationalReport, PublishedReport, RegionalReport, ReportRun, RunState
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

YEAR = 2025
LONDON = f"/api/v1/reports/{YEAR}/regions/Y56/"
NATIONAL = f"/api/v1/reports/{YEAR}/national/"


def _api(user) -> APIClient:
    api = token_client(user)
    api.default_format = "json"
    return api


NARRATIVE = {
    "introduction": "  A year of steady progress.  ",
    "achievements": ["Every ICB returned on time.", "  ", "Named GPs in post everywhere."],
    "priorities": ["Supervision for named nurses."],
}


def test_the_lead_writes_and_the_chief_nurse_signs_off(people):
    lead, nurse = _api(people["lead"]), _api(people["nurse"])
    # Nothing written yet: the chief nurse is told so, as on the page.
    early = nurse.post(LONDON + "sign-off/")
    assert early.status_code == 400
    assert early.json()["detail"] == (
        "There is no report to sign off yet: the lead has not written it."
    )

    saved = lead.put(LONDON + "narrative/", NARRATIVE)
    assert saved.status_code == 200, saved.json()
    body = saved.json()
    assert body["introduction"] == "A year of steady progress."
    assert body["achievements"] == ["Every ICB returned on time.", "Named GPs in post everywhere."]
    assert body["may"] == {"write": True, "sign_off": False, "publish": False}
    assert not body["signed_off"]
    assert AuditEvent.objects.filter(action=AuditAction.REPORT_NARRATIVE_SAVED).count() == 1

    too_many = lead.put(LONDON + "narrative/", {**NARRATIVE, "priorities": ["p"] * 13})
    assert too_many.status_code == 400
    assert too_many.json()["errors"] == {
        "priorities": ["Give at most 12 items, one a line (you gave 13)."]
    }
    # The chief nurse does not write it; the lead does not sign it.
    refused = nurse.put(LONDON + "narrative/", NARRATIVE)
    assert refused.status_code == 403
    assert (
        refused.json()["detail"] == "Only the region's safeguarding lead writes its annual report."
    )
    not_lead = lead.post(LONDON + "sign-off/")
    assert not_lead.status_code == 403
    assert not_lead.json()["detail"] == "Only the region's chief nurse signs off its annual report."

    # The national admin reads a draft regional report only once signed off.
    admin = _api(people["admin"])
    assert admin.get(LONDON).status_code == 404
    signed = nurse.post(LONDON + "sign-off/")
    assert signed.status_code == 200
    assert signed.json()["signed_off"] and signed.json()["signed_off_by"]
    assert admin.get(LONDON).json()["may"] == {"write": False, "sign_off": False, "publish": True}
    again = nurse.post(LONDON + "sign-off/")
    assert again.status_code == 400
    assert again.json()["detail"] == "This report is already signed off."

    frozen = lead.put(LONDON + "narrative/", NARRATIVE)
    assert frozen.status_code == 400
    assert frozen.json()["detail"].startswith("The chief nurse signed this report off on ")
    assert frozen.json()["detail"].endswith(
        "ask them to withdraw the sign-off, with a reason, before changing it."
    )

    no_reason = nurse.post(LONDON + "withdraw-sign-off/", {"reason": "  "})
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"] == {"reason": ["Say why the sign-off is withdrawn."]}
    withdrawn = nurse.post(LONDON + "withdraw-sign-off/", {"reason": "Figures were revised."})
    assert withdrawn.status_code == 200 and not withdrawn.json()["signed_off"]
    event = AuditEvent.objects.get(action=AuditAction.REPORT_UNSIGNED)
    assert event.reason == "Figures were revised."
    twice = nurse.post(LONDON + "withdraw-sign-off/", {"reason": "Again."})
    assert twice.status_code == 400 and twice.json()["detail"] == "This report is not signed off."
    assert lead.put(LONDON + "narrative/", NARRATIVE).status_code == 200


def test_a_regions_report_out_of_reach_is_not_found(people):
    _api(people["lead"]).put(LONDON + "narrative/", NARRATIVE)
    for who in ("midlands", "nssg", "editor"):
        api = _api(people[who])
        for method, suffix, body in (
            ("get", "", None),
            ("put", "narrative/", NARRATIVE),
            ("post", "sign-off/", None),
            ("post", "withdraw-sign-off/", {"reason": "No."}),
            ("post", "publish/", None),
        ):
            hidden = getattr(api, method)(LONDON + suffix, body)
            missing = getattr(api, method)(LONDON.replace("Y56", "Y99") + suffix, body)
            assert hidden.status_code == 404, (who, suffix)
            assert hidden.json() == missing.json()
    # A year without periods is not found either.
    assert _api(people["lead"]).get("/api/v1/reports/2019/regions/Y56/").status_code == 404
    assert RegionalReport.objects.get().introduction == "A year of steady progress."


def test_the_national_report_the_rollup_and_publishing(people):
    admin = _api(people["admin"])
    nssg = _api(people["nssg"])
    assert nssg.get(NATIONAL).status_code == 404  # a draft is the national admins'
    assert admin.put(NATIONAL, {}).status_code == 405  # written at narrative/
    written = admin.put(
        NATIONAL + "narrative/",
        {"foreword": "Our year.", "achievements": ["More returns on time."]},
    )
    assert written.status_code == 200, written.json()
    assert written.json()["foreword"] == "Our year." and written.json()["priorities"] == []
    refused = nssg.put(NATIONAL + "narrative/", {"foreword": "Ours."})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only the national team writes the national report."
    assert NationalReport.objects.get().foreword == "Our year."

    # Publishing before the figures exist: the page's words.
    early = admin.post(NATIONAL + "publish/")
    assert early.status_code == 400
    assert early.json()["detail"] == (
        "The figures have not been computed: compute them (the rollup) before publishing."
    )
    unsigned = admin.post(LONDON + "publish/")
    assert unsigned.status_code == 400
    assert unsigned.json()["detail"] == (
        "London's report is not signed off: its chief nurse signs it off before it can be "
        "published."
    )
    assert nssg.post(NATIONAL + "publish/").status_code == 404
    assert nssg.post(f"/api/v1/reports/{YEAR}/rollup/").json()["detail"] == (
        "Only the national team runs the rollup."
    )

    # A rollup under way (its tasks not run here) is answered again, not doubled.
    started = admin.post(f"/api/v1/reports/{YEAR}/rollup/")
    assert started.status_code == 202, started.json()
    assert started.json()["financial_year"] == YEAR and started.json()["regions_total"] == 7
    assert admin.post(f"/api/v1/reports/{YEAR}/rollup/").json()["id"] == started.json()["id"]
    assert ReportRun.objects.count() == 1


def test_the_rollup_runs_its_tasks_and_publishing_queues_a_version(
    people, eager_tasks, django_capture_on_commit_callbacks
):
    admin = _api(people["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        started = admin.post(f"/api/v1/reports/{YEAR}/rollup/")
    assert started.status_code == 202 and started.json()["state"] == RunState.QUEUED
    progress = admin.get(f"/api/v1/reports/runs/{started.json()['id']}/").json()
    assert progress["state"] == RunState.DONE and progress["regions_done"] == 7
    assert AuditEvent.objects.filter(action=AuditAction.REPORT_ROLLUP_REQUESTED).count() == 1

    with django_capture_on_commit_callbacks(execute=False) as queued:
        published = admin.post(NATIONAL + "publish/")
        same = admin.post(NATIONAL + "publish/")
    assert published.status_code == 202, published.json()
    assert published.json()["state"] == "queued" and published.json()["version"] == 1
    assert same.json()["id"] == published.json()["id"]  # already under way: the same version
    assert len(queued) == 1  # one PDF to make
    assert PublishedReport.objects.count() == 1
