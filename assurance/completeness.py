"""Completeness and timeliness of a period's returns: how many ICBs were
expected, how many submitted on time, late or not at all, and how many the
region accepted, per region and for England.

The one selector for these figures: the period page, the region's and the
national lists, heatmaps, reports and the API read it, so they all count the
same way:

- expected: the ICBs that existed on the quarter's last day
  (`assurance.selectors.expected_icbs`);
- submitted: the return has at least one submission; on time or late by its
  first submission's mark (`Submission.late`: a resubmission the region asked
  for never makes a return late);
- not submitted: expected and never submitted (no return, or a draft);
- accepted: the region accepted its latest version.

Counted in SQL, one query whatever the number of ICBs and returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from assurance.models import QuarterlyReturn, ReportingPeriod, ReturnStatus, Submission
from organisations.models import Organisation


@dataclass(frozen=True)
class Completeness:
    """One row: a region's figures (`region_code` set) or England's (None)."""

    region_code: str | None
    region_name: str
    expected: int
    on_time: int
    late: int
    accepted: int

    @property
    def submitted(self) -> int:
        return self.on_time + self.late

    @property
    def not_submitted(self) -> int:
        return self.expected - self.submitted


def period_completeness(period: ReportingPeriod) -> list[Completeness]:
    """Each region's figures for `period`, by region name, then England's
    total (last row)."""
    first = Submission.objects.filter(
        quarterly_return__icb=OuterRef("pk"), quarterly_return__period=period, version=1
    ).values("late")[:1]
    accepted = QuarterlyReturn.objects.filter(
        icb=OuterRef("pk"), period=period, status=ReturnStatus.ACCEPTED
    )
    rows = (
        Organisation.objects.icbs()
        .existing_on(period.ends_on)
        .annotate(first_late=Subquery(first), is_accepted=Exists(accepted))
        .values("parent__code", "parent__name")
        .annotate(
            expected=Count("pk"),
            on_time=Count("pk", filter=Q(first_late=False)),
            late=Count("pk", filter=Q(first_late=True)),
            accepted=Count("pk", filter=Q(is_accepted=True)),
        )
        .order_by("parent__name")
    )
    regions = [
        Completeness(
            region_code=row["parent__code"],
            region_name=row["parent__name"],
            expected=row["expected"],
            on_time=row["on_time"],
            late=row["late"],
            accepted=row["accepted"],
        )
        for row in rows
    ]
    england = Completeness(
        region_code=None,
        region_name="England",
        expected=sum(r.expected for r in regions),
        on_time=sum(r.on_time for r in regions),
        late=sum(r.late for r in regions),
        accepted=sum(r.accepted for r in regions),
    )
    return [*regions, england]
