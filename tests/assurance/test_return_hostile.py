"""The return's section page under hostile input: every field of a standard's
answer, its action row, its evidence and a metric, with each hostile text —
never a 500, never a half-saved answer, never an unescaped script."""

import pytest
from django.db import transaction
from django.urls import reverse

from assurance.models import Answer, MetricValue, ReportingPeriod, ReturnAction
from assurance.services.returns import quarterly_return_start
from organisations.models import AuditEvent, Role
from tests.assurance.test_hostile_input import HOSTILE
from tests.factories import member

pytestmark = pytest.mark.heavy

FIELDS = [
    "LG1-rating",
    "LG1-not_applicable_reason",
    "LG1-narrative",
    "LG1-revision",
    "LG1-action_rows",
    "LG1-a0-description",
    "LG1-a0-owner",
    "LG1-a0-status",
    "LG1-a0-due_on_day",
    "LG1-a0-due_on_year",
    "LG1-evidence-effective_on_month",
    "LG1-evidence-remove",
]


def test_the_section_page_survives_hostile_text(client, reference, toolkit):
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    client.force_login(editor)
    metric = period.toolkit_version.metrics.exclude(computed_from__gt="").first()
    url = reverse("assurance:return_section", args=["Z9B2Z", 2026, 3, "LG"])
    metric_url = reverse("assurance:return_section", args=["Z9B2Z", 2026, 3, metric.section.code])
    baseline = {
        "LG1-revision": "0",
        "LG1-action_rows": "1",
        "LG1-rating": "red",
        "LG1-narrative": "Named GP vacant.",
        "LG1-a0-description": "Recruit",
        "LG1-a0-owner": "Deputy chief nurse",
        "LG1-a0-status": "in_progress",
        "LG1-a0-due_on_day": "31",
        "LG1-a0-due_on_month": "3",
        "LG1-a0-due_on_year": "2027",
        "draft": "1",
    }
    problems = []
    targets = [(url, baseline, FIELDS)]
    metric_baseline = {f"{metric.code}-revision": "0", f"{metric.code}-value": "50", "draft": "1"}
    targets.append(
        (
            metric_url,
            metric_baseline,
            [f"{metric.code}-value", f"{metric.code}-not_available_reason"],
        )
    )
    for address, base, keys in targets:
        for key in keys:
            for label, text in HOSTILE.items():
                with transaction.atomic():
                    events = AuditEvent.objects.count()
                    response = client.post(address, {**base, key: text})
                    status = response.status_code
                    answers = list(Answer.objects.filter(quarterly_return=ret).values())
                    if status >= 500:
                        problems.append(f"{key}={label}: {status}")
                    elif status == 302:
                        if AuditEvent.objects.count() <= events:
                            problems.append(f"{key}={label}: saved without an audit event")
                    elif status in (400, 409):
                        # The refused answer or figure is not saved, not even in part.
                        if address == url and (answers or ReturnAction.objects.exists()):
                            problems.append(f"{key}={label}: refused but saved the answer")
                        if address == metric_url and MetricValue.objects.exists():
                            problems.append(f"{key}={label}: refused but saved the figure")
                        body = response.content.decode()
                        if "<script>alert(1)</script>" in body:
                            problems.append(f"{key}={label}: script tag not escaped")
                        if "Ensure this value" in body:
                            problems.append(f"{key}={label}: Django's default message")
                    else:
                        problems.append(f"{key}={label}: unexpected {status}")
                    transaction.set_rollback(True)
    assert not problems, "\n".join(problems)
