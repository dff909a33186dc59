"""Evidence files through the API: uploaded into a draft answer (checked by
content as on the pages), listed on the answer, downloaded only in scope,
taken off again."""

from django.core.files.uploadedfile import SimpleUploadedFile

from assurance.services.returns import quarterly_return_start
from organisations.models import Role
from tests.api.conftest import token_client
from tests.factories import member

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
BASE = "/api/v1/returns/Z9B2Z/2026/3/answers/LG1/"


def test_upload_read_download_and_remove_evidence(reference, editor, q3):
    quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)
    api = token_client(editor)
    upload = SimpleUploadedFile("board minutes.pdf", PDF, content_type="application/pdf")
    added = api.post(
        f"{BASE}evidence/", {"file": upload, "effective_on": "2026-10-01"}, format="multipart"
    )
    assert added.status_code == 201, added.json()
    evidence = added.json()
    assert evidence["content_type"] == "application/pdf" and evidence["size"] == len(PDF)
    answer = api.get(BASE).json()
    assert [f["id"] for f in answer["evidence_files"]] == [evidence["id"]]
    download = api.get(f"/api/v1/evidence/{evidence['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]

    stranger = token_client(member(reference["QHL"], Role.ICB_EDITOR))
    hidden = stranger.get(f"/api/v1/evidence/{evidence['id']}/")
    assert hidden.status_code == 404
    assert hidden.json() == stranger.get("/api/v1/evidence/999999/").json()

    removed = api.delete(f"{BASE}evidence/{evidence['id']}/")
    assert removed.status_code == 204
    assert api.get(BASE).json()["evidence_files"] == []


def test_a_program_renamed_as_a_pdf_is_refused(reference, editor, q3):
    quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)
    fake = SimpleUploadedFile("minutes.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    refused = token_client(editor).post(
        f"{BASE}evidence/", {"file": fake, "effective_on": "2026-10-01"}, format="multipart"
    )
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["detail"]
