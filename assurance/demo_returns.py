"""Demo quarterly returns: Z9B2Z's and QMF's drafts for each open period,
partly filled — answers in every rating, action plans, metric values and an
evidence file — through the services, as their teams would have made them.
Run by `manage.py load_demo_data` (registered in `AssuranceConfig.ready()`);
never in production. Runs again without changing what is there."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from assurance.models import QuarterlyReturn, ReportingPeriod
from assurance.services.returns import (
    ActionInput,
    AnswerInput,
    answer_save,
    evidence_upload,
    metric_value_save,
    quarterly_return_start,
)
from organisations.models import Organisation, User
from saaf.dates import today

# A one-page PDF: what a scanned board paper looks like to the upload check.
_MINUTES_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

# (standard code, rating, narrative, actions) — the first two sections' worth.
_ANSWERS = {
    "Z9B2Z": [
        (
            "LG1",
            "green",
            "Executive lead named in the ICB's constitution; reports to the board "
            "quarterly.\nBoard minutes of 14 October attached.",
            [],
        ),  # fmt: skip
        (
            "LG2",
            "amber",
            "Safeguarding committee met twice this quarter; the third meeting was stood down.",
            [("Re-run the stood-down committee meeting", "Deputy chief nurse", 30, "in_progress")],
        ),  # fmt: skip
        ("LG3", "red", "The designated nurse for children in care post is vacant.", []),
    ],
    "QMF": [
        ("LG1", "green", "Chief nurse is the executive lead; board reports monthly.", []),
        ("LG2", "not_applicable", "", []),
    ],
}


def populate() -> None:
    on = today()
    periods = ReportingPeriod.objects.filter(opens_on__lte=on, closes_on__gte=on).select_related(
        "toolkit_version"
    )
    editors = {
        "Z9B2Z": User.objects.filter(email__startswith="editor.z9b2z@").first(),
        "QMF": User.objects.filter(email__startswith="approver.qmf@").first(),
    }
    for period in periods:
        for code, actor in editors.items():
            icb = Organisation.objects.filter(code=code).first()
            if actor is None or icb is None or not icb.existed_on(period.ends_on):
                continue
            if QuarterlyReturn.objects.filter(icb=icb, period=period).exists():
                continue  # already there: leave what people have typed
            _fill(actor, quarterly_return_start(actor=actor, icb=icb, period=period), on)


def _fill(actor: User, ret: QuarterlyReturn, on: datetime.date) -> None:
    standards = {s.code: s for s in ret.period.toolkit_version.standards.all()}
    for code, rating, narrative, actions in _ANSWERS[ret.icb.code]:
        if code not in standards:
            continue
        answer_save(
            actor=actor,
            quarterly_return=ret,
            standard=standards[code],
            answer=AnswerInput(
                rating=rating,
                narrative=narrative,
                actions=[
                    ActionInput(
                        description=what,
                        owner=owner,
                        due_on=on + datetime.timedelta(days=days),
                        status=status,
                    )
                    for what, owner, days, status in actions
                ],
            ),
            revision=0,
        )
    if "LG1" in standards:
        evidence_upload(
            actor=actor,
            quarterly_return=ret,
            standard=standards["LG1"],
            uploaded=SimpleUploadedFile("Board minutes October.pdf", _MINUTES_PDF),
            effective_on=max(ret.period.starts_on, on - datetime.timedelta(days=30)),
        )
    metrics = {m.code: m for m in ret.period.toolkit_version.metrics.all()}
    for code, value in (("PREVENT_TRAINED", Decimal("88")), ("CHILDREN_TRAINED", Decimal("79"))):
        if code in metrics:
            metric_value_save(
                actor=actor, quarterly_return=ret, metric=metrics[code], value=value, revision=0
            )
