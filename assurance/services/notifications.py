"""Sending a return's e-mails: the one write a notification makes is the
audit event that says it went out (and to how many people).

Called by the task `assurance.return_event_notify` after the change it is
about has committed (`notify_after_commit`), never inside the request's
transaction: a change that rolls back tells nobody, and a slow or failing
mail server never holds row locks or fails the user's request.
"""

from __future__ import annotations

import logging

from django.core.mail import get_connection
from django.db import transaction

from assurance import notifications
from assurance.models import QuarterlyReturn, ReturnComment, Submission
from assurance.selectors import (
    return_icb_recipients,
    return_region_recipients,
    return_reviewer_id,
)
from organisations.audit import audit_record
from organisations.choices import OrganisationKind
from organisations.models import AuditAction, AuditEvent, User
from organisations.permissions import is_system, permission_require

logger = logging.getLogger("saaf.notifications")

# The events that are told to the other party, and what the e-mail is about.
NOTIFIED_ACTIONS = (
    AuditAction.RETURN_SUBMITTED,
    AuditAction.RETURN_SENT_BACK,
    AuditAction.RETURN_ACCEPTED,
    AuditAction.RETURN_COMMENTED,
)


def _already_sent(event: AuditEvent, quarterly_return: QuarterlyReturn) -> bool:
    return (
        AuditEvent.objects.for_object(quarterly_return)
        .filter(action=AuditAction.RETURN_NOTIFIED, changes__event=event.pk)
        .exists()
    )


def _message(
    event: AuditEvent, ret: QuarterlyReturn
) -> tuple[notifications.Notification, list[User]]:
    """The notification about `event` and its recipients."""
    action = AuditAction(event.action)
    if action == AuditAction.RETURN_SUBMITTED:
        submission = Submission.objects.get(pk=event.target_id)
        submission.quarterly_return = ret
        recipients = return_region_recipients(ret, exclude_user_id=event.actor_id)
        return notifications.return_submitted(submission), recipients
    if action == AuditAction.RETURN_SENT_BACK:
        recipients = return_icb_recipients(ret, exclude_user_id=event.actor_id)
        return notifications.return_sent_back(ret, event), recipients
    if action == AuditAction.RETURN_ACCEPTED:
        version = ret.submissions.order_by("-version").values_list("version", flat=True).first()
        recipients = return_icb_recipients(ret, exclude_user_id=event.actor_id)
        return notifications.return_accepted(ret, event, version), recipients
    comment = ReturnComment.objects.select_related(
        "author_organisation", "standard__section", "parent"
    ).get(pk=event.target_id)
    comment.quarterly_return = ret
    # The other party: the side the author is not on (the organisation they
    # commented as). A regional comment goes to the ICB's team; an ICB's to
    # the region's leads, the lead reviewing the return, and — for a reply —
    # the regional colleague being answered (the chief nurse, say).
    to_region = comment.author_organisation.kind != OrganisationKind.REGION
    if to_region:
        named = {return_reviewer_id(ret), comment.parent.author_id if comment.parent else None}
        recipients = return_region_recipients(
            ret, also_user_ids=named - {None}, exclude_user_id=comment.author_id
        )
    else:
        recipients = return_icb_recipients(ret, exclude_user_id=comment.author_id)
    return notifications.return_commented(comment, to_region=to_region), recipients


def return_event_notify(*, actor: User, event_id: int) -> int:
    """E-mail the other party about a return's audit event (submitted,
    returned, accepted, commented) and record that it went out; returns how
    many people it was sent to.

    Safe to run twice: an event already told is not told again. An event that
    no longer exists (a task queued by a change since rolled back in a test
    database) sends nothing."""
    permission_require(is_system(actor), "Only the system sends the portal's e-mails.")
    event = (
        AuditEvent.objects.select_related("actor")
        .filter(pk=event_id, action__in=NOTIFIED_ACTIONS)
        .first()
    )
    ret = None
    if event is not None:
        ret = (
            QuarterlyReturn.objects.select_related("icb__parent", "completed_by", "period")
            .filter(pk=event.parent_id)
            .first()
        )
    if ret is None:
        logger.warning("No return event %s to notify: nothing sent.", event_id)
        return 0
    if _already_sent(event, ret):
        logger.info("Return event %s was already notified: nothing sent again.", event_id)
        return 0
    notification, recipients = _message(event, ret)
    if recipients:
        # Raises on a mail server's failure, before anything is recorded: the
        # task retries, and the event is marked told only once it was.
        get_connection().send_messages([notifications.email_message(notification, recipients)])
    else:
        logger.warning("Nobody to tell about %s on %s: no e-mail sent.", event.action, ret)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.RETURN_NOTIFIED,
            target=ret,
            parent=ret,
            organisation=ret.icb,
            changes={
                "about": event.action_label,
                "recipients": len(recipients),
                "event": event.pk,
            },
        )
    logger.info(
        "Return %s: %r sent to %d people (event %s).",
        ret,
        notification.subject,
        len(recipients),
        event.pk,
    )
    return len(recipients)
