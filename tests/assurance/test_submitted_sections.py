# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""A submission's answers counted per section (`SubmittedSection`): kept by
the database's triggers as answers are submitted (by the service or in
bulk) and as the region validates them, equal at every step to counting
the answers again."""

from collections import Counter

import pytest

from assurance.models import SubmittedAnswer, SubmittedSection
from assurance.services.submissions import (
    quarterly_return_review_start,
    quarterly_return_submit,
    submitted_answer_validate,
)
from tests.assurance.test_submission import (  # noqa: F401
    approver,
    editor,
    fill_clean,
    lead,
    q3,
    ret,
    save,
)

RATINGS = ("red", "amber", "green", "not_applicable")
FIELDS = (
    *RATINGS,
    *(f"validated_{r}" for r in RATINGS),
    "differing",
    "validated",
    "answers",
)


def counted_again() -> dict[tuple[int, int], tuple[int, ...]]:
    """Each submission's sections counted from its answers, one by one."""
    counts: dict[tuple[int, int], Counter] = {}
    answers = SubmittedAnswer.objects.values_list(
        "submission_id", "standard__section_id", "rating", "validated_rating"
    )
    for submission_id, section_id, rating, validated in answers:
        tally = counts.setdefault((submission_id, section_id), Counter())
        region_rated = validated in ("red", "amber", "green")
        shown = validated if region_rated else rating
        tally[rating] += 1
        tally[f"validated_{shown}"] += 1
        tally["differing"] += int(region_rated and validated != rating)
        tally["validated"] += int(region_rated)
        tally["answers"] += 1
    return {key: tuple(tally[f] for f in FIELDS) for key, tally in counts.items()}


def kept() -> dict[tuple[int, int], tuple[int, ...]]:
    return {
        (row[0], row[1]): tuple(row[2:])
        for row in SubmittedSection.objects.values_list("submission_id", "section_id", *FIELDS)
    }


def assert_kept_equals_counted() -> None:
    again = counted_again()
    assert again, "no submitted answers to compare"
    assert kept() == again


@pytest.fixture
def reviewing(ret, editor, approver, lead):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    return ret


def _answer(ret, code):
    return SubmittedAnswer.objects.select_related("standard").get(
        submission=ret.submissions.order_by("-version").first(), standard__code=code
    )


def _row(answer) -> SubmittedSection:
    return SubmittedSection.objects.get(
        submission_id=answer.submission_id, section_id=answer.standard.section_id
    )


def test_a_submission_is_counted_per_section_and_moves_as_the_region_validates(reviewing, lead):
    assert_kept_equals_counted()
    answer = _answer(reviewing, "LG1")
    assert answer.rating == "green"
    before = _row(answer)
    assert (before.validated_green, before.validated_red, before.differing) == (
        before.green,
        before.red,
        0,
    )

    submitted_answer_validate(
        actor=lead, submitted_answer=answer, rating="red", rationale="No board minutes."
    )
    after = _row(answer)
    assert (after.green, after.red) == (before.green, before.red)  # as the ICB rated them
    assert after.validated_green == before.validated_green - 1
    assert after.validated_red == before.validated_red + 1
    assert after.differing == 1
    assert_kept_equals_counted()

    # Validated as the ICB rated it: no longer differing; a new rationale alone moves nothing.
    submitted_answer_validate(
        actor=lead, submitted_answer=answer, rating="green", rationale="Minutes found."
    )
    submitted_answer_validate(
        actor=lead, submitted_answer=answer, rating="green", rationale="Minutes found, dated."
    )
    again = _row(answer)
    assert (again.validated_green, again.validated_red, again.differing) == (
        before.validated_green,
        before.validated_red,
        0,
    )
    assert_kept_equals_counted()


def test_a_bulk_insert_and_a_bulk_update_are_counted_too(reviewing):
    # Written as the data generator and the admin write: no service involved.
    submission = reviewing.submissions.get()
    SubmittedAnswer.objects.filter(submission=submission, rating="green").update(
        validated_rating="amber", validated_rationale="Bulk."
    )
    assert SubmittedSection.objects.filter(submission=submission, differing__gt=0).exists()
    assert_kept_equals_counted()
