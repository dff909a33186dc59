"""The portal's one idea of "today" and its one way of writing a date.

Safeguarding deadlines, vacancies and supervision intervals are counted in
England's calendar: "today" is the date in Europe/London (the project's
TIME_ZONE), never the server's UTC date, which is yesterday for the first
hour of every summer day.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.utils import timezone

LONDON = zoneinfo.ZoneInfo("Europe/London")


def today(now: datetime.datetime | None = None) -> datetime.date:
    """The calendar day in Europe/London at the instant `now` (default: now)."""
    return timezone.localdate(now or timezone.now(), timezone=LONDON)


def nhs_date(value: datetime.date | datetime.datetime | None, empty: str = "") -> str:
    """A date as the NHS style guide writes it: 1 July 2022."""
    if value is None:
        return empty
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.day} {value:%B %Y}"


def nhs_datetime(value: datetime.datetime | None, empty: str = "") -> str:
    """A moment as people read it: 3 May 2026, 14:05 (London time)."""
    if value is None:
        return empty
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local.day} {local:%B %Y}, {local:%H:%M}"
