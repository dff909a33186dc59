"""Evidence files: accepted by content, at most 20 MiB, stored under random
names, downloaded only within scope, removed from drafts without losing a
file another answer uses."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assurance.models import AnswerEvidence, EvidenceFile, ReportingPeriod
from assurance.services.returns import evidence_unlink, evidence_upload, quarterly_return_start
from organisations.models import AuditAction, AuditEvent, Role
from organisations.permissions import NotPermitted
from saaf.uploads import MAX_UPLOAD_BYTES, display_name_clean, upload_check
from tests.factories import enrol_totp, member

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # FileSystemStorage follows a changed MEDIA_ROOT (Django's setting_changed).
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def editor(reference):
    return member(reference["Z9B2Z"], Role.ICB_EDITOR)


@pytest.fixture
def ret(editor, reference, toolkit):
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    return quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)


def lg(ret, code="LG1"):
    return ret.period.toolkit_version.standards.get(code=code)


def upload(name, content):
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(
    "name,content",
    [
        ("minutes.pdf", PDF),
        ("photo.PNG", PNG),
        ("figures.csv", b"quarter,value\nQ1,85\n"),
        ("notes.txt", "Réunion du conseil\n".encode()),
    ],
)
def test_accepted_kinds_pass_by_content(name, content):
    checked = upload_check(upload(name, content))
    assert checked.size == len(content) and checked.display_name == name


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("minutes.pdf", EXE, "its content is a Windows program"),
        ("figures.csv", EXE, "is a Windows program"),
        ("report.docx", PDF, "its content is a .pdf file"),
        ("run.exe", EXE, "not a kind of file the portal accepts"),
        ("noextension", PDF, "not a kind of file the portal accepts"),
        ("empty.pdf", b"", "is empty"),
        ("binary.txt", b"abc\x00\x01\x02def", "Upload the real text file"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused(name, content, message):
    with pytest.raises(ValidationError, match=message):
        upload_check(upload(name, content))


def test_twenty_mib_exactly_is_accepted_and_one_byte_more_is_refused():
    exact = PDF + b"0" * (MAX_UPLOAD_BYTES - len(PDF))
    assert upload_check(upload("big.pdf", exact)).size == 20 * 1024 * 1024
    with pytest.raises(ValidationError, match="20 MiB or smaller"):
        upload_check(upload("big.pdf", exact + b"0"))


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\minutes.pdf", "minutes.pdf"),
        ("evil\u202etxt.pdf", "eviltxt.pdf"),
        ("  .pdf", "pdf"),
        ("", "evidence"),
    ],
)
def test_display_names_are_sanitised(raw, clean):
    assert display_name_clean(raw) == clean


def test_upload_links_the_file_to_the_answer_under_a_random_name(editor, ret):
    link = evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=lg(ret),
        uploaded=upload("Board minutes.pdf", PDF),
        effective_on=datetime.date(2026, 10, 14),
    )
    evidence = link.evidence
    assert evidence.display_name == "Board minutes.pdf"
    assert "Board" not in evidence.storage_name and evidence.storage_name.endswith(".pdf")
    assert default_storage.exists(evidence.storage_name)
    assert evidence.icb == ret.icb and evidence.effective_on == datetime.date(2026, 10, 14)
    event = AuditEvent.objects.get(action=AuditAction.RETURN_EVIDENCE_ADDED)
    assert event.changes["file"] == [None, "Board minutes.pdf"]


def test_a_refused_upload_stores_nothing(editor, ret, tmp_path):
    with pytest.raises(ValidationError):
        evidence_upload(
            actor=editor,
            quarterly_return=ret,
            standard=lg(ret),
            uploaded=upload("minutes.pdf", EXE),
            effective_on=datetime.date(2026, 10, 14),
        )
    with pytest.raises(ValidationError, match="between 1 July 2022 and today"):
        evidence_upload(
            actor=editor,
            quarterly_return=ret,
            standard=lg(ret),
            uploaded=upload("minutes.pdf", PDF),
            effective_on=datetime.date(2030, 1, 1),
        )
    assert not EvidenceFile.objects.exists()
    assert not list(tmp_path.rglob("*.pdf"))


def test_only_the_icbs_team_uploads(reference, ret):
    with pytest.raises(NotPermitted):
        evidence_upload(
            actor=member(reference["Z9B2Z"], Role.ICB_VIEWER),
            quarterly_return=ret,
            standard=lg(ret),
            uploaded=upload("minutes.pdf", PDF),
            effective_on=datetime.date(2026, 10, 14),
        )


def test_removing_keeps_a_file_another_answer_uses(editor, ret):
    first = evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=lg(ret),
        uploaded=upload("minutes.pdf", PDF),
        effective_on=datetime.date(2026, 10, 14),
    )
    evidence = first.evidence
    second = AnswerEvidence.objects.create(
        answer=ret.answers.get_or_create(standard=lg(ret, "LG2"))[0],
        evidence=evidence,
        linked_by=editor,
    )
    evidence_unlink(actor=editor, quarterly_return=ret, link=first)
    assert EvidenceFile.objects.filter(pk=evidence.pk).exists()
    assert default_storage.exists(evidence.storage_name)
    evidence_unlink(actor=editor, quarterly_return=ret, link=second)
    assert not EvidenceFile.objects.filter(pk=evidence.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.RETURN_EVIDENCE_REMOVED).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_stored_file_goes_when_its_last_link_goes(reference, toolkit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    link = evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=lg(ret),
        uploaded=upload("minutes.pdf", PDF),
        effective_on=datetime.date(2026, 10, 14),
    )
    name = link.evidence.storage_name
    assert default_storage.exists(name)
    evidence_unlink(actor=editor, quarterly_return=ret, link=link)
    assert not default_storage.exists(name)


def test_download_is_an_attachment_for_readers_in_scope(client, reference, editor, ret):
    link = evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=lg(ret),
        uploaded=upload("Board minutes.pdf", PDF),
        effective_on=datetime.date(2026, 10, 14),
    )
    address = reverse("assurance:evidence_download", args=[link.evidence.pk])
    for role, org in [(Role.ICB_VIEWER, "Z9B2Z"), (Role.REGIONAL_LEAD, "Y56")]:
        reader = member(reference[org], role)
        enrol_totp(reader)
        client.force_login(reader)
        response = client.get(address)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert "Board minutes.pdf" in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(
    "role,org", [(Role.ICB_EDITOR, "QMF"), (Role.REGIONAL_LEAD, "Y61"), (None, None)]
)
def test_download_outside_scope_is_not_found(client, reference, editor, ret, role, org):
    link = evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=lg(ret),
        uploaded=upload("minutes.pdf", PDF),
        effective_on=datetime.date(2026, 10, 14),
    )
    address = reverse("assurance:evidence_download", args=[link.evidence.pk])
    if role is None:
        response = client.get(address)
        assert response.status_code == 404  # signed out: as if there were no file
        assert PDF not in response.content
        return
    outsider = member(reference[org], role)
    enrol_totp(outsider)
    client.force_login(outsider)
    assert client.get(address).status_code == 404
    assert client.get(reverse("assurance:evidence_download", args=[999999])).status_code == 404


def test_uploading_from_the_section_page(client, editor, ret):
    client.force_login(editor)
    section = ret.period.toolkit_version.sections.get(code="LG")
    data = {}
    for st in section.standards.all():
        data[f"{st.code}-revision"] = 0
        data[f"{st.code}-action_rows"] = 1
    data.update(
        {
            "LG1-rating": "green",
            "LG1-evidence-file": upload("minutes.pdf", PDF),
            "LG1-evidence-effective_on_day": "14",
            "LG1-evidence-effective_on_month": "10",
            "LG1-evidence-effective_on_year": "2026",
            "LG2-evidence-file": upload("trojan.pdf", EXE),
            "LG2-evidence-effective_on_day": "14",
            "LG2-evidence-effective_on_month": "10",
            "LG2-evidence-effective_on_year": "2026",
            "draft": "1",
        }
    )
    address = reverse("assurance:return_section", args=["Z9B2Z", 2026, 3, "LG"])
    response = client.post(address, data)
    assert response.status_code == 400
    assert "trojan.pdf" in response.content.decode()
    assert "Windows program" in response.content.decode()
    assert list(EvidenceFile.objects.values_list("display_name", flat=True)) == ["minutes.pdf"]
    page = client.get(address).content.decode()
    assert "minutes.pdf" in page and "14 October 2026" in page
