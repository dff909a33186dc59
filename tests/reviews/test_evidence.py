"""Evidence of completion for actions: files accepted by content through
`saaf.uploads`, audited, downloaded only by those who read the action (404
to everyone else, signed out included), and completion refused without
evidence text or a file."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from organisations.models import AuditAction, AuditEvent
from organisations.permissions import NotPermitted
from reviews import services
from reviews.models import ActionEvidenceFile, ActionStatus
from tests.reviews.conftest import NOTIFIED

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def action(people, world, make_review):
    """An action of a Z9B2Z review QMF is involved in, owned by Z9B2Z's trust."""
    review = make_review(icbs=[world["qmf"]])
    recommendation = services.recommendation_create(
        actor=people["z9_editor"], review=review, text="Audit supervision."
    )
    return services.action_create(
        actor=people["z9_editor"],
        recommendation=recommendation,
        description="Run a supervision audit.",
        owner=world["z9_trust"],
        due_on=datetime.date(2026, 9, 1),
    )


def test_completing_with_a_file_and_no_text(people, action):
    services.action_complete(
        actor=people["z9_editor"],
        action=action,
        completed_on=NOTIFIED,
        files=[SimpleUploadedFile("audit report.pdf", PDF)],
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETED and action.evidence == ""
    (evidence,) = action.evidence_files.all()
    assert evidence.display_name == "audit report.pdf"
    assert evidence.content_type == "application/pdf" and evidence.size == len(PDF)
    assert evidence.storage_name.startswith("review-evidence/Z9B2Z/")
    assert "audit" not in evidence.storage_name  # a random name, not the original
    with default_storage.open(evidence.storage_name, "rb") as handle:
        assert handle.read() == PDF
    event = AuditEvent.objects.get(action=AuditAction.ACTION_COMPLETED)
    assert event.changes["files"] == [None, ["audit report.pdf"]]
    action.full_clean()  # a file is evidence enough for the model too


def test_completing_without_text_or_file_is_refused(people, action):
    with pytest.raises(ValidationError, match="or upload a file"):
        services.action_complete(
            actor=people["z9_editor"], action=action, completed_on=NOTIFIED, evidence="  "
        )
    action.refresh_from_db()
    assert action.status == ActionStatus.NOT_STARTED


def test_a_file_added_earlier_is_evidence_enough(people, action):
    services.action_evidence_add(
        actor=people["z9_editor"], action=action, uploaded=SimpleUploadedFile("a.png", PNG)
    )
    event = AuditEvent.objects.get(action=AuditAction.ACTION_EVIDENCE_ADDED)
    assert event.changes == {"file": [None, "a.png"], "size": [None, len(PNG)]}
    services.action_complete(actor=people["z9_editor"], action=action, completed_on=NOTIFIED)
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETED


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("setup.exe", EXE, "not a kind of file"),
        ("minutes.pdf", EXE, "Windows program"),  # type by content, not by name
        ("photo.png", PDF, "named as a PNG image"),
        ("notes.txt", EXE, "named as a text file"),
    ],
)
def test_files_are_checked_by_content_and_nothing_is_kept(people, action, name, content, message):
    with pytest.raises(ValidationError, match=message):
        services.action_complete(
            actor=people["z9_editor"],
            action=action,
            completed_on=NOTIFIED,
            evidence="Done.",
            files=[SimpleUploadedFile(name, content)],
        )
    action.refresh_from_db()
    assert action.status == ActionStatus.NOT_STARTED
    assert not ActionEvidenceFile.objects.exists()
    assert (
        not default_storage.exists("review-evidence/Z9B2Z")
        or not default_storage.listdir("review-evidence/Z9B2Z")[1]
    )


def test_a_refused_completion_removes_the_stored_file(people, action):
    services.action_complete(
        actor=people["z9_editor"], action=action, completed_on=NOTIFIED, evidence="Done."
    )
    with pytest.raises(ValidationError, match="already completed"):
        services.action_complete(
            actor=people["z9_editor"],
            action=action,
            completed_on=NOTIFIED,
            files=[SimpleUploadedFile("late.pdf", PDF)],
        )
    assert not ActionEvidenceFile.objects.exists()
    assert default_storage.listdir("review-evidence/Z9B2Z")[1] == []


def test_only_the_lead_icbs_editors_add_files(people, action):
    for who in ("z9_viewer", "qmf_editor", "london_lead"):
        with pytest.raises(NotPermitted):
            services.action_evidence_add(
                actor=people[who], action=action, uploaded=SimpleUploadedFile("a.pdf", PDF)
            )
    assert not ActionEvidenceFile.objects.exists()


def test_download_is_scoped(client, people, world, action, make_review):
    evidence = services.action_evidence_add(
        actor=people["z9_editor"], action=action, uploaded=SimpleUploadedFile("a.pdf", PDF)
    )
    address = reverse("reviews:action_evidence_download", args=[evidence.pk])
    assert client.get(address).status_code == 404  # signed out: as if there were no file
    for who in ("z9_viewer", "qmf_viewer", "london_lead", "nssg"):
        client.force_login(people[who])
        response = client.get(address)
        assert response.status_code == 200, who
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
    for who in ("qe1_editor", "north_west_lead"):
        client.force_login(people[who])
        assert client.get(address).status_code == 404, who
    # A provider QMF also commissions (Z9B2Z leads it) gives QMF no sight of
    # another review's action or its evidence.
    other = make_review(reference="CAMDEN-SAR-02")
    recommendation = services.recommendation_create(
        actor=people["z9_editor"], review=other, text="R."
    )
    hidden_action = services.action_create(
        actor=people["z9_editor"],
        recommendation=recommendation,
        description="A.",
        owner=world["shared"],
        due_on=datetime.date(2026, 9, 1),
    )
    hidden = services.action_evidence_add(
        actor=people["z9_editor"], action=hidden_action, uploaded=SimpleUploadedFile("b.pdf", PDF)
    )
    client.force_login(people["qmf_viewer"])
    hidden_address = reverse("reviews:action_evidence_download", args=[hidden.pk])
    assert client.get(hidden_address).status_code == 404
    client.force_login(people["z9_viewer"])
    assert client.get(hidden_address).status_code == 200
    assert client.get(reverse("reviews:action_evidence_download", args=[99999])).status_code == 404


def test_completing_through_the_form_with_a_file(client, people, action):
    client.force_login(people["z9_editor"])
    response = client.post(
        reverse("reviews:action_complete", args=[action.pk]),
        {
            "completed_on_day": "4",
            "completed_on_month": "5",
            "completed_on_year": "2026",
            "evidence_file": SimpleUploadedFile("minutes.pdf", EXE),
        },
    )
    assert response.status_code == 200
    assert "Windows program" in response.content.decode()
    response = client.post(
        reverse("reviews:action_complete", args=[action.pk]),
        {
            "completed_on_day": "4",
            "completed_on_month": "5",
            "completed_on_year": "2026",
            "evidence_file": SimpleUploadedFile("minutes.pdf", PDF),
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("reviews:review_detail", args=[action.recommendation.review_id]))
    evidence = ActionEvidenceFile.objects.get()
    assert reverse("reviews:action_evidence_download", args=[evidence.pk]) in page.content.decode()


def test_adding_a_file_through_the_form(client, people, action):
    client.force_login(people["z9_editor"])
    url = reverse("reviews:action_evidence_new", args=[action.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"file": SimpleUploadedFile("log.csv", b"date,count\n1,2\n")})
    assert response.status_code == 302
    assert ActionEvidenceFile.objects.get().content_type == "text/csv"
    client.force_login(people["qmf_editor"])
    assert client.get(url).status_code == 403


def test_removing_a_file_keeps_a_completed_actions_only_evidence(
    people, action, django_capture_on_commit_callbacks
):
    editor = people["z9_editor"]
    first = services.action_evidence_add(
        actor=editor, action=action, uploaded=SimpleUploadedFile("a.pdf", PDF)
    )
    second = services.action_evidence_add(
        actor=editor, action=action, uploaded=SimpleUploadedFile("b.png", PNG)
    )
    services.action_complete(actor=editor, action=action, completed_on=NOTIFIED)
    with pytest.raises(NotPermitted):
        services.action_evidence_remove(actor=people["qmf_editor"], evidence=first)
    with django_capture_on_commit_callbacks(execute=True):
        services.action_evidence_remove(actor=editor, evidence=first)
    assert not default_storage.exists(first.storage_name)
    event = AuditEvent.objects.get(action=AuditAction.ACTION_EVIDENCE_REMOVED)
    assert event.changes == {"file": ["a.pdf", None]}
    with pytest.raises(ValidationError, match="only evidence"):
        services.action_evidence_remove(actor=editor, evidence=second)
    assert default_storage.exists(second.storage_name)
    assert list(action.evidence_files.all()) == [second]


def test_removing_a_file_through_the_page(client, people, action):
    evidence = services.action_evidence_add(
        actor=people["z9_editor"], action=action, uploaded=SimpleUploadedFile("a.pdf", PDF)
    )
    url = reverse("reviews:action_evidence_remove", args=[evidence.pk])
    client.force_login(people["qe1_editor"])
    assert client.post(url).status_code == 404
    client.force_login(people["qmf_viewer"])
    assert client.post(url).status_code == 403  # reads the review, does not change it
    client.force_login(people["z9_editor"])
    assert "Remove a.pdf" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not ActionEvidenceFile.objects.exists()
