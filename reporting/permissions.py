"""Who may read and write the annual reports.

- A regional report: its region's lead writes the narrative, its regional
  chief nurse signs it off (and may withdraw the sign-off with a reason).
  While a draft it is read by those two only (its authors' level); once
  signed off the national team reads it too, to build the national report.
- The national report: national admins write it and run the rollup; its
  draft is theirs alone. NSSG members and the regions read it once
  published.
- A published report (its frozen PDF): NSSG members and national admins
  download every one, national and regional; a region's lead and chief
  nurse download their own region's. National admins publish.
- The returns behind a figure are listed within the reader's own scope
  (`QuarterlyReturn.objects.visible_to`), whatever the figure counted.

Fetch helpers answer "not yours" exactly as "not there": 404.
"""

from __future__ import annotations

from django.http import Http404

from organisations.choices import Role
from organisations.models import Organisation, OrganisationKind
from organisations.permissions import is_national, is_national_admin, is_system
from organisations.scoping import scope_of
from reporting.models import NationalReport, PublishedReport, RegionalReport


def _holds(user, role: str, region: Organisation) -> bool:
    return any(
        m.role == role and m.organisation_id == region.pk for m in scope_of(user).memberships
    )


def is_region_author(user, region: Organisation) -> bool:
    """The region's lead or chief nurse: the level that writes and signs its report."""
    return _holds(user, Role.REGIONAL_LEAD, region) or _holds(
        user, Role.REGIONAL_CHIEF_NURSE, region
    )


def can_write_regional_report(user, region: Organisation) -> bool:
    return _holds(user, Role.REGIONAL_LEAD, region)


def can_sign_off_regional_report(user, region: Organisation) -> bool:
    return _holds(user, Role.REGIONAL_CHIEF_NURSE, region)


def can_read_regional_report(user, report: RegionalReport) -> bool:
    if is_region_author(user, report.region) or is_system(user):
        return True
    return report.is_signed_off and is_national_admin(user)


def can_write_national_report(user) -> bool:
    return is_national_admin(user) or is_system(user)


def can_run_rollup(user) -> bool:
    return is_national_admin(user) or is_system(user)


def can_read_national_report(user, report: NationalReport | None) -> bool:
    if can_write_national_report(user):
        return True
    if report is None or not report.published:
        return False
    return is_national(user) or bool(scope_of(user).region_ids)


def region_get_for_report(user, code: str) -> Organisation:
    """A region whose report `user` may read as an author or the national
    team; 404 for anyone else and for a code that is not a region's."""
    try:
        region = Organisation.objects.get(code=code, kind=OrganisationKind.REGION)
    except Organisation.DoesNotExist:
        raise Http404("No such region.") from None
    if not (is_region_author(user, region) or is_national_admin(user) or is_system(user)):
        raise Http404("No such region.")
    return region


def can_publish_reports(user) -> bool:
    return is_national_admin(user) or is_system(user)


def can_download_published_report(user, published: PublishedReport) -> bool:
    """The national team (national admins and NSSG members) reads every
    published report; a region's authors read their own region's."""
    if is_national(user) or is_system(user):
        return True
    return published.area.kind == OrganisationKind.REGION and is_region_author(user, published.area)


def published_reports_downloadable(user):
    """The published versions `user` may download, as a queryset (the archive)."""
    published = PublishedReport.objects.published()
    if is_national(user) or is_system(user):
        return published
    own = [
        m.organisation_id
        for m in scope_of(user).memberships
        if m.role in (Role.REGIONAL_LEAD, Role.REGIONAL_CHIEF_NURSE)
    ]
    return published.filter(area_id__in=own, area__kind=OrganisationKind.REGION)


def published_report_get_downloadable(user, pk: int) -> PublishedReport:
    """A published version `user` may download; 404 for one that is not
    theirs, not published yet, or not there."""
    published = (
        PublishedReport.objects.published().select_related("area", "superseded_by").filter(pk=pk)
    ).first()
    if published is None or not can_download_published_report(user, published):
        raise Http404("No such published report.")
    return published
