"""Comments on a quarterly return, by the ICB and its region.

A comment is only ever added: there is no edit and no delete, so a comment
others have replied to never changes under them (a correction is a new
comment). Any state of the return takes comments, a draft included: the
conversation often starts before the submission.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assurance.models import QuarterlyReturn, ReturnComment, Standard
from assurance.models.comments import COMMENT_TEXT_MAX_LENGTH
from assurance.permissions import return_commenting_membership
from assurance.tasks import notify_after_commit
from organisations.audit import audit_record
from organisations.models import AuditAction, User
from organisations.permissions import permission_require
from saaf.nhs_forms import refuse_control_characters


def return_comment_add(
    *,
    actor: User,
    quarterly_return: QuarterlyReturn,
    text: str,
    standard: Standard | None = None,
    parent: ReturnComment | None = None,
) -> ReturnComment:
    """Add `actor`'s comment to the return, on one of its standards or the
    return as a whole, or as a reply to `parent` (a reply stays on the
    parent's standard). Only the ICB's editors and approver (or the
    completing successor's) and the region's lead and chief nurse comment."""
    membership = return_commenting_membership(actor, quarterly_return)
    permission_require(
        membership is not None,
        f"Only {quarterly_return.icb.name}'s editors and approver and its region's "
        "safeguarding lead and chief nurse comment on its return.",
    )
    text = text.replace("\r\n", "\n").strip()  # a browser's line breaks, kept as one
    if not text:
        raise ValidationError({"text": "Write the comment before posting it."})
    if len(text) > COMMENT_TEXT_MAX_LENGTH:
        raise ValidationError({"text": "Keep the comment to 5,000 characters or fewer."})
    try:
        refuse_control_characters(text)
    except ValidationError as error:
        raise ValidationError({"text": error.messages}) from None
    if parent is not None:
        if parent.quarterly_return_id != quarterly_return.pk:
            raise ValidationError("Reply to a comment on this return.")
        if standard is not None and standard.pk != parent.standard_id:
            raise ValidationError("A reply stays on the standard of the comment it answers.")
        standard_id = parent.standard_id
    else:
        if (
            standard is not None
            and standard.version_id != quarterly_return.period.toolkit_version_id
        ):
            raise ValidationError("Comment on a standard of this return's toolkit.")
        standard_id = standard.pk if standard else None
    with transaction.atomic():
        comment = ReturnComment.objects.create(
            quarterly_return=quarterly_return,
            standard_id=standard_id,
            parent=parent,
            author=actor,
            author_name=actor.get_full_name() or actor.email,
            author_organisation=membership.organisation,
            author_role=membership.get_role_display(),
            text=text,
            created_at=timezone.now(),
        )
        event = audit_record(
            actor=actor,
            action=AuditAction.RETURN_COMMENTED,
            target=comment,
            parent=quarterly_return,
            organisation=quarterly_return.icb,
            changes={
                "text": [None, text],
                "standard": [None, comment.standard.code if comment.standard else None],
                "reply_to": [None, parent.pk if parent else None],
            },
        )
        notify_after_commit(event)  # the other party, once this commits
    return comment
