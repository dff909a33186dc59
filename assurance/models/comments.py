"""Comments on a quarterly return: the conversation between the ICB and its
region about the return as a whole or about one standard, threaded (a reply
names the comment it answers).

A comment is never edited or deleted (there is no service for either): a
correction is a new comment. Who wrote it, for which organisation and in
which role is kept as written, so the thread still reads right after the
author changes job.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from assurance.models.returns import QuarterlyReturn
from organisations.models import Organisation

COMMENT_TEXT_MAX_LENGTH = 5_000


class ReturnComment(models.Model):
    """One comment on a return (`standard` empty) or on one of its standards;
    `parent` is the comment it replies to, on the same return and standard."""

    quarterly_return = models.ForeignKey(
        QuarterlyReturn, on_delete=models.PROTECT, related_name="comments"
    )
    standard = models.ForeignKey(
        "assurance.Standard", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_name = models.CharField(max_length=200)
    author_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    author_role = models.CharField(max_length=100)
    text = models.TextField(max_length=COMMENT_TEXT_MAX_LENGTH)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["quarterly_return", "standard"])]
        constraints = [
            models.CheckConstraint(
                name="return_comment_not_empty",
                condition=~models.Q(text=""),
                violation_error_message="Write the comment before posting it.",
            ),
            models.CheckConstraint(
                name="return_comment_not_its_own_reply",
                condition=models.Q(parent__isnull=True) | ~models.Q(parent=models.F("id")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_name} on {self.quarterly_return}: {self.text[:60]}"
