"""What the portal e-mails about a quarterly return.

Four moments, each told to the other party: the ICB submits (the region's
leads), the region returns the return for changes or accepts it (the ICB's
editors and approver), and someone comments (whoever is on the other side).
Who they are is `assurance.selectors` (`return_region_recipients`,
`return_icb_recipients`); sending, after the change commits, is
`assurance.services.notifications` through `assurance.tasks`.

Every message names the ICB and the period and links to the return, and
carries none of the answers — no rating, narrative, action or metric. An
e-mail leaves the portal's scoping and audit trail: it is forwarded, kept in
personal mailboxes and read on phones, so it only says that something
happened and where to read it. The one text carried is the region's covering
comment on a returned return, which is what the ICB must act on (issue 12).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from assurance.models import QuarterlyReturn, ReturnComment, Submission
from assurance.permissions import return_completing_icb, submission_closes_on
from organisations.models import AuditEvent
from saaf.dates import nhs_date, nhs_datetime

SUBJECT_PREFIX = "SAAF"


@dataclass(frozen=True)
class Notification:
    """One e-mail's words, before it is addressed: the plain-text and HTML
    bodies are both rendered from it (`assurance/email/notification.*`)."""

    subject: str
    paragraphs: tuple[str, ...]
    link: str
    link_text: str
    why: str
    quote_heading: str = ""
    quote: str = ""


def return_link(quarterly_return: QuarterlyReturn, name: str = "return_detail", *extra) -> str:
    """The absolute address of one of the return's pages (`SAAF_BASE_URL`)."""
    period = quarterly_return.period
    path = reverse(
        f"assurance:{name}",
        args=[quarterly_return.icb.code, period.financial_year, period.quarter, *extra],
    )
    return settings.SAAF_BASE_URL.rstrip("/") + path


def _subject(quarterly_return: QuarterlyReturn, what: str) -> str:
    # "NHS North East London ICB": the reference name in full makes subjects
    # long enough for mail clients to cut off the part that says what happened.
    icb = quarterly_return.icb.name.replace("Integrated Care Board", "ICB")
    return f"{SUBJECT_PREFIX}: {icb} {quarterly_return.period.label} return {what}"


def _return_words(quarterly_return: QuarterlyReturn) -> str:
    return f"{quarterly_return.icb.name}'s return for {quarterly_return.period.label}"


def _why_region(quarterly_return: QuarterlyReturn) -> str:
    region = quarterly_return.icb.parent
    return f"You receive this e-mail as part of {region.name}'s regional safeguarding team."


def _why_icb(quarterly_return: QuarterlyReturn) -> str:
    team = return_completing_icb(quarterly_return).name
    return f"You receive this e-mail as an editor or approver of {team}'s returns."


def return_submitted(submission: Submission) -> Notification:
    """To the region's leads: the ICB signed the return off; it awaits review."""
    ret = submission.quarterly_return
    paragraphs = [
        f"{submission.submitted_by_name} ({submission.submitted_by_role}) submitted "
        f"{_return_words(ret)} on {nhs_datetime(submission.submitted_at)}: "
        f"version {submission.version}."
    ]
    if submission.version > 1:
        paragraphs.append("It is a resubmission after the region returned it for changes.")
    if submission.late:
        paragraphs.append(
            f"It is late: it was first submitted after its due date, {nhs_date(ret.period.due_on)}."
        )
    paragraphs.append("Start the review in the portal, then accept the return or return it.")
    return Notification(
        subject=_subject(ret, "submitted"),
        paragraphs=tuple(paragraphs),
        link=return_link(ret),
        link_text="Open the return",
        why=_why_region(ret),
    )


def return_sent_back(quarterly_return: QuarterlyReturn, event: AuditEvent) -> Notification:
    """To the ICB's editors and approver: the region returned the return for
    changes, with its covering comment (kept on the audit event, which a
    later resubmission does not clear)."""
    ret = quarterly_return
    return Notification(
        subject=_subject(ret, "returned for changes"),
        paragraphs=(
            f"{event.actor.get_full_name()} returned {_return_words(ret)} for changes on "
            f"{nhs_datetime(event.occurred_at)}. It is a draft again and keeps its answers.",
            f"Change it and submit it again by {nhs_date(submission_closes_on(ret))}.",
        ),
        quote_heading="The region's covering comment:",
        quote=event.reason,
        link=return_link(ret),
        link_text="Open the return",
        why=_why_icb(ret),
    )


def return_accepted(
    quarterly_return: QuarterlyReturn, event: AuditEvent, version: int | None
) -> Notification:
    """To the ICB's editors and approver: the region accepted the return."""
    ret = quarterly_return
    final = f": version {version} is final" if version else ""
    return Notification(
        subject=_subject(ret, "accepted"),
        paragraphs=(
            f"{event.actor.get_full_name()} accepted {_return_words(ret)} on "
            f"{nhs_datetime(event.occurred_at)}{final}.",
        ),
        link=return_link(ret),
        link_text="Open the return",
        why=_why_icb(ret),
    )


def return_commented(comment: ReturnComment, *, to_region: bool) -> Notification:
    """To the other party: a comment was added, and where to read it.

    Without the comment's text, deliberately: comments discuss the answers
    (why a rating stands, what a narrative leaves out), which no e-mail
    carries, and they are free text that may say more than a rating does.
    The link leads to the comment, where the reader's scope is checked."""
    ret = comment.quarterly_return
    where = "the return"
    page = return_link(ret)
    if comment.standard_id:
        standard = comment.standard
        where = f"standard {standard.code} ({standard.section.title})"
        page = return_link(ret, "return_section", standard.section.code)
    replying = f", replying to {comment.parent.author_name}" if comment.parent_id else ""
    return Notification(
        subject=_subject(ret, "comment added"),
        paragraphs=(
            f"{comment.author_name} ({comment.author_role}, {comment.author_organisation.name}) "
            f"commented on {where} in {_return_words(ret)} on "
            f"{nhs_datetime(comment.created_at)}{replying}.",
            "The comment is not copied into e-mails: read it, and reply, in the portal.",
        ),
        link=f"{page}#comment-{comment.pk}",
        link_text="Read the comment",
        why=_why_region(ret) if to_region else _why_icb(ret),
    )


def email_message(notification: Notification, recipients: list) -> EmailMultiAlternatives:
    """One message to every recipient (colleagues on the same side of the
    return, so they see who else was told), plain text with an HTML
    alternative; the HTML escapes everything it shows."""
    context = {"n": notification}
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=render_to_string("assurance/email/notification.txt", context),
        to=[user.email for user in recipients],
        # RFC 3834: out-of-office replies are not sent back to the portal.
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("assurance/email/notification.html", context), "text/html"
    )
    return message
