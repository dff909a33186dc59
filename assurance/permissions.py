"""Who may read and change what in assurance: the posts register, the
toolkit and the reporting periods.

- The posts register: read within the user's scope; changed only by an ICB's
  editors and approver, for their ICB while it exists and the providers it
  leads as lead commissioner (`can_edit_register`).
- The toolkit and periods: every signed-in user with a role reads them (ICBs
  answer the toolkit, regions review against it, the NSSG reads the
  results); only the national admin changes them (`can_manage_toolkit`).

Services check these predicates themselves; fetch helpers answer a missing
version, section, standard, metric or period with 404.
"""

from __future__ import annotations

import datetime
from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from assurance.models import Metric, ReportingPeriod, Section, Standard, ToolkitVersion
from organisations.choices import Role
from organisations.models import Organisation
from organisations.permissions import has_role, is_national_admin, is_system, permission_require
from organisations.scoping import scope_of
from saaf.dates import nhs_date, today


def can_edit_register(user, organisation: Organisation) -> bool:
    """Change the posts register of `organisation` (its posts and holders)."""
    if is_system(user):
        return True
    return Organisation.objects.changeable_by(user).filter(pk=organisation.pk).exists()


def can_manage_post_types(user) -> bool:
    """The kinds of post the SAAF requires are national reference data."""
    return is_national_admin(user) or is_system(user)


def can_read_toolkit(user) -> bool:
    return has_role(user)


def can_manage_toolkit(user) -> bool:
    """Manage toolkit versions and reporting periods: the national admin only."""
    return is_national_admin(user) or is_system(user)


def toolkit_reader_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_read_toolkit(request.user):
            raise PermissionDenied("You need a role in the portal to read the toolkit.")
        return view(request, *args, **kwargs)

    return wrapped


def national_admin_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_manage_toolkit(request.user):
            raise PermissionDenied("Only the national admin can change the toolkit and periods.")
        return view(request, *args, **kwargs)

    return wrapped


def _get(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404(f"No such {queryset.model._meta.verbose_name}.") from None


def version_get(financial_year: int) -> ToolkitVersion:
    return _get(ToolkitVersion.objects.all(), financial_year=financial_year)


def section_get(version: ToolkitVersion, code: str) -> Section:
    return _get(Section.objects.select_related("version"), version=version, code=code)


def standard_get(version: ToolkitVersion, code: str) -> Standard:
    return _get(Standard.objects.select_related("version", "section"), version=version, code=code)


def metric_get(version: ToolkitVersion, code: str) -> Metric:
    return _get(Metric.objects.select_related("version", "section"), version=version, code=code)


def period_get(financial_year: int, quarter: int) -> ReportingPeriod:
    return _get(
        ReportingPeriod.objects.select_related("toolkit_version"),
        financial_year=financial_year,
        quarter=quarter,
    )


# --- Quarterly returns ------------------------------------------------------------


def return_completing_icb_ids(user) -> frozenset[int]:
    """The current ICBs where `user` drafts returns (editor or approver)."""
    return scope_of(user).write_icb_ids()


def can_edit_return(user, quarterly_return) -> bool:
    """Draft this return: the editors and approver of its ICB while it exists,
    or, for a dissolved ICB, of the successor named to complete it, until it
    locks (`return_lock_refusal`). Nobody else — the national admin included —
    changes an ICB's answers."""
    if not quarterly_return.is_draft or return_lock_refusal(quarterly_return):
        return False
    own = return_completing_icb_ids(user)
    if quarterly_return.completed_by_id is not None:
        return quarterly_return.completed_by_id in own
    return quarterly_return.icb_id in own


def can_name_return_successor(user) -> bool:
    """Name which successor completes a split ICB's outstanding returns."""
    return is_national_admin(user)


def return_get_visible(user, icb_code: str, financial_year: int, quarter: int):
    """The return of `icb_code` for the period, if `user` may read it; 404 otherwise
    (the same answer for "not there" and "not yours")."""
    from assurance.models import QuarterlyReturn

    return _get(
        QuarterlyReturn.objects.visible_to(user).select_related(
            "icb__parent", "completed_by", "period__toolkit_version"
        ),
        icb__code=icb_code,
        period__financial_year=financial_year,
        period__quarter=quarter,
    )


def can_start_return(user, icb, *, successors: set[int]) -> bool:
    """Start `icb`'s return: its own team, or the team of its only successor."""
    own = return_completing_icb_ids(user)
    return icb.pk in own or (len(successors) == 1 and successors <= own)


_UNREAD = object()


def return_state_refusal(quarterly_return, latest=_UNREAD) -> str | None:
    """Why this return cannot be changed now, in words the user can act on;
    None for a draft. Reads its latest submission (one query) when it has one,
    unless the caller has read it (`latest`, None for none)."""
    from assurance.models import ReturnStatus

    status = quarterly_return.status
    if quarterly_return.is_draft:
        return None
    if latest is _UNREAD:
        latest = quarterly_return.submissions.order_by("-version").first()
    when = nhs_date(today(latest.submitted_at)) if latest else "an earlier date"
    version = f" (version {latest.version})" if latest else ""
    if status == ReturnStatus.SUBMITTED:
        return f"Submitted on {when}{version}: awaiting the regional review."
    if status == ReturnStatus.UNDER_REVIEW:
        return f"Submitted on {when}{version}: the region is reviewing it."
    return f"Accepted by the region: version {latest.version if latest else ''} is final."


RESUBMISSION_DAYS = 14


def submission_closes_on(quarterly_return) -> datetime.date:
    """The last day (Europe/London) the return can be changed and submitted:
    the one place this is decided, read by the pages, the services and the
    lock. The period's closing date; for a return the region sent back after
    that date, 14 days from the day it was returned; for a return the
    national team reopened, the new closing date it set — whichever is
    latest."""
    from assurance.models import ReturnStatus

    closes = quarterly_return.period.closes_on
    returned = quarterly_return.returned_on
    if quarterly_return.status == ReturnStatus.RETURNED and returned and returned > closes:
        closes = returned + datetime.timedelta(days=RESUBMISSION_DAYS)
    if quarterly_return.reopened_until and quarterly_return.reopened_until > closes:
        closes = quarterly_return.reopened_until
    return closes


def return_lock_refusal(quarterly_return, on: datetime.date | None = None) -> str | None:
    """Why a draft (or returned) return is locked — no edit, no submission —
    in words the user can act on; None while it is open (on its closing day
    itself included) or when it is not a draft (`return_state_refusal` says
    why then)."""
    if not quarterly_return.is_draft:
        return None
    closes = submission_closes_on(quarterly_return)
    if (on or today()) <= closes:
        return None
    if quarterly_return.reopened_until == closes:
        return (
            f"Reopened until {nhs_date(closes)}, which has passed: ask the national team "
            "to reopen it."
        )
    if closes != quarterly_return.period.closes_on:
        return (
            f"Returned on {nhs_date(quarterly_return.returned_on)} after the period closed: "
            f"resubmission closed on {nhs_date(closes)}. Ask the national team to reopen it."
        )
    return f"Period closed on {nhs_date(closes)}: ask the national team to reopen it."


def can_reopen_return(user, quarterly_return) -> bool:
    """Reopen a locked return: the national admin only."""
    return is_national_admin(user) and return_lock_refusal(quarterly_return) is not None


def return_require_editable(user, quarterly_return) -> None:
    """Refuse a change to a return that is not a draft, is locked since its
    closing date, or is not the user's to draft."""
    refusal = return_state_refusal(quarterly_return)
    if refusal:
        raise ValidationError(f"{refusal} It can no longer be changed.")
    locked = return_lock_refusal(quarterly_return)
    if locked:
        raise ValidationError(locked)
    permission_require(
        can_edit_return(user, quarterly_return),
        f"You cannot change {quarterly_return.icb.name}'s return.",
    )


def return_completing_icb(quarterly_return) -> Organisation:
    """The ICB whose team completes the return: its own, or the successor named."""
    return quarterly_return.completed_by or quarterly_return.icb


def can_submit_return(user, quarterly_return) -> bool:
    """Sign the return off: the approver of the ICB completing it (its own while
    it exists, or the named successor's), never an editor, viewer or region."""
    completing = return_completing_icb(quarterly_return)
    return any(
        m.role == Role.ICB_APPROVER
        and m.organisation_id == completing.pk
        and m.organisation.existed_on(today())
        for m in scope_of(user).memberships
    )


def can_review_return(user, quarterly_return) -> bool:
    """Review, accept or return it: the regional safeguarding lead of the ICB's
    region. Nobody else — the regional chief nurse reads and may comment."""
    region_id = quarterly_return.icb.parent_id
    return any(
        m.role == Role.REGIONAL_LEAD and m.organisation_id == region_id
        for m in scope_of(user).memberships
    )


def return_commenting_membership(user, quarterly_return):
    """The membership by which `user` may comment on the return (its
    organisation and role are kept with the comment), or None: the editors
    and approver of the ICB completing it (its own, or the named successor's),
    and the regional lead and regional chief nurse of its region. Viewers, the
    NSSG and the national team read the comments."""
    from organisations.choices import ICB_WRITE_ROLES, REGIONAL_ROLES

    icbs = {quarterly_return.icb_id, quarterly_return.completed_by_id} - {None}
    day = today()
    for m in scope_of(user).memberships:
        if (
            m.role in ICB_WRITE_ROLES
            and m.organisation_id in icbs
            and m.organisation.existed_on(day)
        ):
            return m
        if m.role in REGIONAL_ROLES and m.organisation_id == quarterly_return.icb.parent_id:
            return m
    return None


def can_comment_on_return(user, quarterly_return) -> bool:
    return return_commenting_membership(user, quarterly_return) is not None
