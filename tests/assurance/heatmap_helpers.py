"""Submitted returns for the heatmap tests, written as rows.

A heatmap only reads submissions, so the tests insert them as the submit
service leaves them (a return, its numbered submissions and their answers):
the services' own tests cover how they get there, and hundreds of returns
through the completeness check would make the query-count tests slow.
Inserts are what the immutability triggers allow."""

from __future__ import annotations

import datetime

from django.utils import timezone

from assurance.models import (
    DECLARATION_TEXT,
    QuarterlyReturn,
    ReportingPeriod,
    ReturnStatus,
    Standard,
    Submission,
    SubmittedAnswer,
)
from organisations.models import Organisation, User


def period(financial_year: int, quarter: int) -> ReportingPeriod:
    return ReportingPeriod.objects.select_related("toolkit_version").get(
        financial_year=financial_year, quarter=quarter
    )


def submitted(
    icb: Organisation,
    in_period: ReportingPeriod,
    by: User,
    ratings: dict[str, str | tuple[str, str]],
    *,
    status: str = ReturnStatus.ACCEPTED,
    late: bool = False,
    versions: int = 1,
    default: str | None = None,
) -> QuarterlyReturn:
    """`icb`'s return for the period, submitted `versions` times; the latest
    version's answers rate each standard code in `ratings` (a rating, or
    (self, validated)), every other standard of the toolkit `default` if
    given. Earlier versions rate everything green."""
    ret = QuarterlyReturn.objects.create(icb=icb, period=in_period, status=status, started_by=by)
    standards = list(Standard.objects.filter(version=in_period.toolkit_version_id))
    for version in range(1, versions + 1):
        submission = Submission.objects.create(
            quarterly_return=ret,
            version=version,
            submitted_at=timezone.now() - datetime.timedelta(days=versions - version),
            submitted_by=by,
            submitted_by_name="Test approver",
            submitted_by_role="ICB approver",
            declaration=DECLARATION_TEXT,
            late=late,
        )
        rows = []
        for standard in standards:
            given = "green" if version < versions else ratings.get(standard.code, default)
            if given is None:
                continue
            own, validated = given if isinstance(given, tuple) else (given, None)
            rows.append(
                SubmittedAnswer(
                    submission=submission,
                    standard=standard,
                    rating=own,
                    validated_rating=validated,
                    validated_rationale="Checked against the evidence." if validated else None,
                )
            )
        SubmittedAnswer.objects.bulk_create(rows)
    return ret
