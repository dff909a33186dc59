"""The reviews tracker's tables, as its pages show them and as they export
to CSV and .xlsx: built once here from the selectors' figures, so the page
and its download cannot disagree, and written through the shared escaping
helpers of `assurance.exports` (free text such as a reference or a reason
for delay may start like a formula)."""

from __future__ import annotations

from assurance.exports import Table, Typed
from reviews.overview import Overview
from reviews.selectors import Tracker
from saaf.dates import nhs_date


def _date(value) -> Typed | str:
    return Typed(nhs_date(value), value) if value else ""


def overview_tables(overview: Overview) -> dict[str, Table]:
    """The overview page's tables by their export name."""
    return {
        "themes": Table(
            "Learning themes",
            ["Theme", "Reviews"],
            [[t.label, t.count] for t in overview.themes],
        ),
        "themes-by-region": Table(
            "Learning themes by region and year",
            ["Theme", "Region", "Year", "Reviews"],
            [[t.label, t.region, t.year, t.count] for t in overview.themes_by_region_year],
        ),
        "recurring-themes": Table(
            "Recurring themes by ICB",
            ["ICB", "Region", "Theme", "Reviews"],
            [[r.icb, r.region, r.label, r.reviews] for r in overview.recurring],
        ),
        "kinds": Table(
            "Reviews by kind",
            ["Kind", "All", "Open", "Published"],
            [[k.label, k.total, k.open, k.published] for k in overview.by_kind],
        ),
        "stages": Table(
            "Reviews by stage",
            ["Stage", "Reviews"],
            [[s.label, s.count] for s in overview.by_stage],
        ),
        "years": Table(
            "Reviews by year",
            ["Financial year of notification", "Reviews notified"],
            [[y.label, y.count] for y in overview.by_year],
        ),
        "actions-by-icb": Table(
            "Review actions by ICB",
            ["ICB", "Region", "Open reviews it leads", "Actions", "Completed", "Overdue"],
            [
                [
                    row.icb.name,
                    row.icb.parent.name if row.icb.parent_id else "",
                    row.open_reviews,
                    row.counts.total,
                    row.counts.completed,
                    row.counts.overdue,
                ]
                for row in overview.actions_by_icb
            ],
        ),
        "slippage": Table(
            "Reviews past their expected publication",
            ["Reference", "Kind", "Lead ICB", "Expected publication", "Days late", "Reason"],
            [
                [
                    s.review.reference,
                    s.review.get_kind_display(),
                    s.review.lead_icb.name,
                    _date(s.review.expected_publication_on),
                    s.days,
                    s.review.delay_reason,
                ]
                for s in overview.slipped
            ],
            subjects=[s.review for s in overview.slipped],
        ),
    }


def tracker_tables(tracker: Tracker) -> dict[str, Table]:
    """The ICB tracker's tables by their export name: its open reviews, the
    actions overdue and due soon, and the recently published reviews."""

    def review_rows(reviews):
        return [
            [
                r.reference,
                r.get_kind_display(),
                r.get_stage_display(),
                r.lead_icb.name,
                r.area.name,
                _date(r.notified_on),
                _date(r.expected_publication_on),
                _date(r.published_on),
                r.slippage_days(tracker.on),
            ]
            for r in reviews
        ]

    def action_rows(actions):
        return [
            [
                a.recommendation.review.reference if a.review_readable else "",
                a.recommendation.number if a.review_readable else "",
                a.description,
                a.owner.name,
                _date(a.due_on),
                a.get_status_display(),
            ]
            for a in actions
        ]

    review_header = [
        "Reference", "Kind", "Stage", "Lead ICB", "Area", "Notified", "Expected publication",
        "Published", "Days late",
    ]  # fmt: skip
    action_header = ["Review", "Recommendation", "Action", "Owner", "Due", "Status"]
    open_reviews = [r for group in tracker.by_stage for r in group.reviews]
    return {
        "open-reviews": Table("Open reviews", review_header, review_rows(open_reviews)),
        "overdue-actions": Table("Overdue actions", action_header, action_rows(tracker.overdue)),
        "actions-due-soon": Table(
            "Actions due in 30 days", action_header, action_rows(tracker.due_soon)
        ),
        "recently-published": Table(
            "Recently published", review_header, review_rows(tracker.recently_published)
        ),
    }
