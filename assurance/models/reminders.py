"""Deadline reminders: one row per reminder e-mail to one person about one
ICB's return for one period, on one occasion (14 and 3 days before the due
date, the day after it, and each week while it is overdue and not submitted).

The row is the claim: `assurance.reminders` inserts it in a transaction
before anything is sent, and the unique constraint on (ICB, period,
recipient, occasion) is what makes a reminder go out once even when the task
runs twice or two workers race — the second insert finds the first's row and
does nothing. The e-mail is sent after that transaction commits, and
`sent_at` is set once it went.

Keyed by the return's ICB and period, not by the return row: a return nobody
has started yet is exactly the one most in need of a reminder, and (ICB,
period) is what identifies a return (`return_one_per_icb_per_period`). The
return's history page lists them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from organisations.models import Organisation
from organisations.scoping import ScopedQuerySet


class ReturnReminder(models.Model):
    icb = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(
        "assurance.ReportingPeriod", on_delete=models.PROTECT, related_name="reminders"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    occasion = models.CharField(
        max_length=30, help_text="before_14, before_3, day_after or overdue_week_N."
    )
    on = models.DateField(help_text="The day (Europe/London) the reminder was for.")
    claim = models.UUIDField(
        default=uuid.uuid4, db_index=True, help_text="The run that claimed it (or last retried it)."
    )
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "icb"

    class Meta:
        ordering = ["period", "icb", "on", "recipient__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["icb", "period", "recipient", "occasion"],
                name="return_reminder_once_per_recipient_and_occasion",
            )
        ]

    def __str__(self) -> str:
        return f"{self.icb.code} {self.period} {self.occasion} to {self.recipient}"

    @property
    def occasion_label(self) -> str:
        from assurance.reminders import occasion_label

        return occasion_label(self.occasion)
