"""Writing reviews through the API: a review recorded and changed, its
recommendations and actions added and changed, an action completed with its
evidence; through the tracker's services, so refused with the page's words,
audited the same, and what is not yours not found."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organisations.models import AuditAction, AuditEvent, Organisation, Role
from reviews.models import Action, ActionEvidenceFile, Review
from tests.api.conftest import session_client, token_client
from tests.factories import PlaceFactory, member

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _api(user):
    client = token_client(user)
    client.default_format = "json"  # as a system sends it
    return client


@pytest.fixture
def camden(reference):
    return PlaceFactory(code="E09000007", name="Camden", parent=reference["Z9B2Z"])


def _body(**changes):
    body = {
        "lead_icb": "Z9B2Z",
        "kind": "sar",
        "reference": "CAMDEN-SAR-02",
        "convening_body": "sab",
        "area": "E09000007",
        "age_group": "adult",
        "notified_on": "2026-06-01",
        "abuse_themes": [],
    }
    body.update(changes)
    return body


def test_a_review_recorded_changed_and_its_actions_completed(reference, editor, camden):
    api = _api(editor)
    other_icb = (
        Organisation.objects.icbs()
        .current()
        .filter(parent=reference["Z9B2Z"].parent)
        .exclude(code="Z9B2Z")
        .first()
    )
    made = api.post("/api/v1/reviews/", _body(icbs=[other_icb.code]), format="json")
    assert made.status_code == 201, made.json()
    review = made.json()
    assert review["reference"] == "CAMDEN-SAR-02" and review["icbs"] == [other_icb.code]
    assert review["stage"] == "notified" and review["area"] == "E09000007"
    pk = review["id"]
    assert AuditEvent.objects.filter(action=AuditAction.REVIEW_CREATED).count() == 1

    changed = api.patch(
        f"/api/v1/reviews/{pk}/",
        {"stage": "scoping", "decision_on": "2026-06-20"},
        format="json",
    ).json()
    assert changed["stage"] == "scoping" and changed["decision_on"] == "2026-06-20"
    assert changed["icbs"] == [other_icb.code]  # what was not sent stays

    rec = api.post(
        f"/api/v1/reviews/{pk}/recommendations/", {"text": "Share plans."}, format="json"
    )
    assert rec.status_code == 201 and rec.json()["number"] == 1
    rec_id = rec.json()["id"]
    assert (
        api.put(f"/api/v1/recommendations/{rec_id}/", {"text": "Share discharge plans."}).json()[
            "text"
        ]
        == "Share discharge plans."
    )
    action = api.post(
        f"/api/v1/recommendations/{rec_id}/actions/",
        {"description": "Audit letters.", "owner": other_icb.code, "due_on": "2026-12-31"},
        format="json",
    )
    assert action.status_code == 201, action.json()
    action_id = action.json()["id"]
    assert action.json()["status"] == "not_started"
    moved = api.patch(f"/api/v1/actions/{action_id}/", {"status": "in_progress"}, format="json")
    assert moved.json()["status"] == "in_progress"

    # Completing needs evidence, as on the page.
    bare = api.post(
        f"/api/v1/actions/{action_id}/complete/", {"completed_on": "2026-11-01"}, format="json"
    )
    assert bare.status_code == 400
    assert bare.json()["errors"] == {
        "evidence": ["Describe the evidence that the action is complete, or upload a file."]
    }
    done = api.post(
        f"/api/v1/actions/{action_id}/complete/",
        {"completed_on": "2026-11-01", "evidence": "Audit presented to the committee."},
        format="json",
    ).json()
    assert done["status"] == "completed" and done["completed_on"] == "2026-11-01"
    again = api.post(
        f"/api/v1/actions/{action_id}/complete/",
        {"completed_on": "2026-11-02", "evidence": "Again."},
        format="json",
    )
    assert again.status_code == 400
    assert again.json()["detail"] == "This action is already completed."
    detail = api.get(f"/api/v1/reviews/{pk}/").json()
    [recommendation] = detail["recommendations"]
    assert recommendation["id"] == rec_id
    assert recommendation["actions"][0]["status"] == "completed"
    kinds = set(
        AuditEvent.objects.filter(
            action__in=[
                AuditAction.RECOMMENDATION_CREATED,
                AuditAction.RECOMMENDATION_UPDATED,
                AuditAction.ACTION_CREATED,
                AuditAction.ACTION_UPDATED,
                AuditAction.ACTION_COMPLETED,
            ]
        ).values_list("action", flat=True)
    )
    assert len(kinds) == 5


def test_bad_input_says_what_to_fix(reference, editor, camden):
    api = _api(editor)
    wrong = api.post(
        "/api/v1/reviews/",
        _body(kind="inquest", area="E00000000", providers=["NOPE"]),
        format="json",
    ).json()
    assert wrong["errors"]["kind"][0].startswith('"inquest" is not one of ')
    area = api.post("/api/v1/reviews/", _body(area="Z9B2Z"), format="json").json()
    assert area["errors"] == {
        "area": ["Z9B2Z: not a local authority area: give a place's ODS code."]
    }
    providers = api.post("/api/v1/reviews/", _body(providers=["NOPE"]), format="json").json()
    assert providers["errors"] == {"providers": ["NOPE: not a provider the lead ICB commissions."]}
    made = api.post("/api/v1/reviews/", _body(), format="json").json()
    rec = api.post(f"/api/v1/reviews/{made['id']}/recommendations/", {"text": "X."}).json()
    owner = api.post(
        f"/api/v1/recommendations/{rec['id']}/actions/",
        {"description": "Audit.", "owner": "QHL", "due_on": "2026-12-31"},
        format="json",
    ).json()
    assert owner["errors"]["owner"][0].startswith("QHL: cannot own an action of this review")
    completed = api.post(
        f"/api/v1/recommendations/{rec['id']}/actions/",
        {"description": "Audit.", "owner": "Z9B2Z", "due_on": "2026-12-31", "status": "completed"},
        format="json",
    ).json()
    assert completed["errors"]["status"][0] == (
        '"completed" is not one of not_started, in_progress.'
    )


def test_only_the_lead_icbs_editors_write_and_others_find_nothing(reference, editor, camden, lead):
    made = _api(editor).post("/api/v1/reviews/", _body(), format="json").json()
    review = Review.objects.get(pk=made["id"])
    viewer = _api(member(reference["Z9B2Z"], Role.ICB_VIEWER))
    refused = viewer.patch(f"/api/v1/reviews/{review.pk}/", {"stage": "scoping"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        f"Only the editors and approver of {reference['Z9B2Z'].name}, which leads the review, "
        "can change it."
    )
    new = viewer.post("/api/v1/reviews/", _body(reference="X-1"), format="json")
    assert new.status_code == 403
    assert new.json()["detail"] == (
        f"Only the editors and approver of {reference['Z9B2Z'].name} can record reviews it leads."
    )
    # The region reads the review, and changes nothing.
    regional = _api(lead)
    assert regional.get(f"/api/v1/reviews/{review.pk}/").status_code == 200
    assert (
        regional.post(f"/api/v1/reviews/{review.pk}/recommendations/", {"text": "X."}).status_code
        == 403
    )
    # Another region's ICB: the review, its recommendation, its action are not found.
    rec = _api(editor).post(
        f"/api/v1/reviews/{review.pk}/recommendations/", {"text": "Share plans."}
    )
    action = _api(editor).post(
        f"/api/v1/recommendations/{rec.json()['id']}/actions/",
        {"description": "Audit.", "owner": "Z9B2Z", "due_on": "2026-12-31"},
        format="json",
    )
    stranger = _api(member(reference["QHL"], Role.ICB_EDITOR))
    for url, missing, method, body in [
        (f"/api/v1/reviews/{review.pk}/", "/api/v1/reviews/999999/", "patch", {}),
        (f"/api/v1/recommendations/{rec.json()['id']}/", "/api/v1/recommendations/999999/",
         "put", {"text": "X."}),
        (f"/api/v1/actions/{action.json()['id']}/", "/api/v1/actions/999999/", "patch", {}),
        (f"/api/v1/actions/{action.json()['id']}/complete/", "/api/v1/actions/999999/complete/",
         "post", {"completed_on": "2026-11-01", "evidence": "x"}),
    ]:  # fmt: skip
        hidden = getattr(stranger, method)(url, body, format="json")
        assert hidden.status_code == 404, url
        assert hidden.json() == getattr(stranger, method)(missing, body, format="json").json()
    assert Action.objects.get().status == "not_started"
    # Another region's ICB as lead: not found, as a missing one.
    other = _api(editor).post("/api/v1/reviews/", _body(lead_icb="QHL"), format="json")
    assert other.status_code == 404


def test_the_browser_session_needs_its_csrf_token(editor, camden):
    browser = session_client(editor)
    assert browser.post("/api/v1/reviews/", _body(), format="json").status_code == 403
    assert not Review.objects.exists()
    assert browser.get("/api/v1/reviews/").status_code == 200


def test_an_action_completed_with_an_evidence_file(reference, editor, camden):
    api = _api(editor)
    made = api.post("/api/v1/reviews/", _body(), format="json").json()
    rec = api.post(f"/api/v1/reviews/{made['id']}/recommendations/", {"text": "X."}).json()
    action = api.post(
        f"/api/v1/recommendations/{rec['id']}/actions/",
        {"description": "Audit.", "owner": "Z9B2Z", "due_on": "2026-12-31"},
    ).json()
    done = api.post(
        f"/api/v1/actions/{action['id']}/complete/",
        {
            "completed_on": "2026-11-01",
            "evidence_file": SimpleUploadedFile("audit.pdf", PDF, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed" and done.json()["evidence"] == ""
    [kept] = ActionEvidenceFile.objects.filter(action_id=action["id"])
    assert kept.display_name == "audit.pdf"


def test_evidence_files_on_an_action(reference, editor, camden):
    api = _api(editor)
    made = api.post("/api/v1/reviews/", _body(), format="json").json()
    rec = api.post(f"/api/v1/reviews/{made['id']}/recommendations/", {"text": "X."}).json()
    action = api.post(
        f"/api/v1/recommendations/{rec['id']}/actions/",
        {"description": "Audit.", "owner": "Z9B2Z", "due_on": "2026-12-31"},
    ).json()
    url = f"/api/v1/actions/{action['id']}/evidence/"
    added = api.post(
        url,
        {"file": SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")},
        format="multipart",
    )
    assert added.status_code == 201, added.json()
    evidence = added.json()
    assert evidence["name"] == "plan.pdf" and evidence["size"] == len(PDF)
    detail = api.get(f"/api/v1/reviews/{made['id']}/").json()
    assert detail["recommendations"][0]["actions"][0]["evidence_files"][0]["id"] == evidence["id"]
    file_url = f"/api/v1/action-evidence/{evidence['id']}/"
    download = api.get(file_url)
    assert b"".join(download.streaming_content) == PDF
    assert download["X-Content-Type-Options"] == "nosniff"

    stranger = _api(member(reference["QHL"], Role.ICB_EDITOR))
    for method in ("get", "delete"):
        hidden = getattr(stranger, method)(file_url)
        assert hidden.status_code == 404
        assert hidden.json() == getattr(stranger, method)("/api/v1/action-evidence/999999/").json()
    viewer = _api(member(reference["Z9B2Z"], Role.ICB_VIEWER))
    assert viewer.get(file_url).status_code == 200
    assert viewer.delete(file_url).status_code == 403
    bad = api.post(url, {"file": SimpleUploadedFile("x.exe", b"MZ\x90\x00")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["errors"]
    assert api.delete(file_url).status_code == 204
    assert not ActionEvidenceFile.objects.exists()
