"""Who may read and change what in the reviews tracker.

- Reading: an ICB reads the reviews it leads or is involved in (and those of
  the ICBs it succeeded); a region its ICBs'; the national roles all
  (`Review.objects.visible_to`). A provider's involvement gives no ICB sight
  of a review. An ICB also reads the actions it answers for — those owned by
  it or by a provider it leads — on any review.
- Changing: only the lead ICB's editors and approver, while the ICB exists,
  change a review, its recommendations and its actions (`can_change_review`).

Services check these predicates themselves; fetch helpers answer "not yours"
exactly as "not there" (404).
"""

from __future__ import annotations

from django.http import Http404

from organisations.models import Organisation
from organisations.permissions import is_system
from organisations.scoping import scope_of
from reviews.models import Action, ActionEvidenceFile, Recommendation, Review


def can_record_reviews_for(user, icb: Organisation) -> bool:
    """Record a new review led by `icb`: its editors and approver."""
    return is_system(user) or icb.pk in scope_of(user).write_icb_ids()


def can_change_review(user, review: Review) -> bool:
    """Change the review, its recommendations and actions: the lead ICB's
    editors and approver."""
    return is_system(user) or review.lead_icb_id in scope_of(user).write_icb_ids()


def review_get_visible(user, pk) -> Review:
    review = (
        Review.objects.visible_to(user)
        .select_related("lead_icb", "area", "continues")
        .filter(pk=pk)
        .first()
    )
    if review is None:
        raise Http404("No such review.")
    return review


def recommendation_get_visible(user, pk) -> Recommendation:
    recommendation = (
        Recommendation.objects.visible_to(user)
        .select_related("review__lead_icb")
        .filter(pk=pk)
        .first()
    )
    if recommendation is None:
        raise Http404("No such recommendation.")
    return recommendation


def action_get_visible(user, pk) -> Action:
    action = (
        Action.objects.visible_to(user)
        .select_related("recommendation__review__lead_icb", "owner")
        .filter(pk=pk)
        .first()
    )
    if action is None:
        raise Http404("No such action.")
    return action


def action_evidence_get_visible(user, pk) -> ActionEvidenceFile:
    evidence = (
        ActionEvidenceFile.objects.visible_to(user)
        .select_related("action__recommendation__review__lead_icb")
        .filter(pk=pk)
        .first()
    )
    if evidence is None:
        raise Http404("No such file.")
    return evidence
