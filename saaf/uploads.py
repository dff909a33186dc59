"""Files people upload as evidence: the one place that decides what is
accepted and how it is stored, for return evidence and the reviews tracker.

A file is accepted only if its content is what its name says (a program
renamed `minutes.pdf` is refused), it is one of the kinds safeguarding teams
share (PDF, Word, Excel, PowerPoint, CSV, plain text, PNG, JPEG) and it is at
most 20 MiB. It is stored through Django's storage API under a random name;
the original name is kept, sanitised, for display only. Files are never
served from a public URL: download views check scope first and send them as
attachments.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # 20 MiB

# Extension → (what content detection must say, what people call it, MIME type).
# CSV and plain text have no magic number: they must read as text instead.
ACCEPTED = {
    "pdf": ("pdf", "PDF", "application/pdf"),
    "doc": ("doc", "Word document", "application/msword"),
    "docx": (
        "docx",
        "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xls": ("xls", "Excel workbook", "application/vnd.ms-excel"),
    "xlsx": (
        "xlsx",
        "Excel workbook",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "ppt": ("ppt", "PowerPoint presentation", "application/vnd.ms-powerpoint"),
    "pptx": (
        "pptx",
        "PowerPoint presentation",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "csv": (None, "CSV file", "text/csv"),
    "txt": (None, "text file", "text/plain"),
    "png": ("png", "PNG image", "image/png"),
    "jpg": ("jpg", "JPEG image", "image/jpeg"),
    "jpeg": ("jpg", "JPEG image", "image/jpeg"),
}
ACCEPTED_IN_WORDS = "PDF, Word, Excel, PowerPoint, CSV, plain text, PNG or JPEG"
_HEAD_BYTES = 8192


@dataclass(frozen=True)
class CheckedUpload:
    display_name: str
    extension: str
    content_type: str
    size: int
    sha256: str


def display_name_clean(name: str) -> str:
    """The uploaded file's name as it may be shown: no folders, no control or
    bidirectional characters, at most 200 characters, never empty."""
    base = PurePath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(
        ch
        for ch in base
        if unicodedata.category(ch)[0] != "C"  # controls, RTL overrides
    )
    base = re.sub(r"\s+", " ", base).strip(" .")
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:200]
    return base or "evidence"


def _described(kind) -> str:
    if kind is None:
        return "a file of an unknown kind"
    names = {"exe": "a Windows program", "elf": "a Linux program", "zip": "a zip archive"}
    return names.get(kind.extension, f"a .{kind.extension} file")


def upload_check(uploaded: UploadedFile) -> CheckedUpload:
    """Refuse, with what to do instead, any file that is too big, of a kind not
    accepted, or whose content is not what its name says."""
    name = display_name_clean(uploaded.name or "")
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in ACCEPTED:
        raise ValidationError(
            f"“{name}” is not a kind of file the portal accepts. Upload a {ACCEPTED_IN_WORDS} file."
        )
    size = uploaded.size or 0
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"“{name}” is {size / 1024 / 1024:.1f} MiB: files must be 20 MiB or smaller. "
            "Split or compress it and upload it again."
        )
    if size == 0:
        raise ValidationError(f"“{name}” is empty. Choose the file again.")
    expected, noun, content_type = ACCEPTED[extension]
    digest = hashlib.sha256()
    uploaded.seek(0)
    head = uploaded.read(_HEAD_BYTES)
    uploaded.seek(0)
    kind = filetype.guess(head)
    if expected is None:
        if kind is not None or b"\x00" in head or not _reads_as_text(head):
            raise ValidationError(
                f"“{name}” is named as a {noun} but is {_described(kind)}. Upload the real {noun}."
            )
    elif kind is None or kind.extension != expected:
        raise ValidationError(
            f"“{name}” is named as a {noun} but its content is {_described(kind)}. Upload "
            f"the real {noun}."
        )
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return CheckedUpload(
        display_name=name,
        extension=extension,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def _reads_as_text(head: bytes) -> bool:
    for encoding in ("utf-8", "cp1252"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            # The head may end inside a multi-byte character: allow that.
            try:
                text = head[:-3].decode(encoding)
            except UnicodeDecodeError:
                continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
        return controls == 0
    return False


def upload_store(uploaded: UploadedFile, *, checked: CheckedUpload, folder: str) -> str:
    """Save the file under a random name in `folder`; returns the storage name."""
    name = f"{folder}/{uuid.uuid4().hex}.{checked.extension}"
    return default_storage.save(name, uploaded)


def upload_delete(storage_name: str) -> None:
    default_storage.delete(storage_name)
