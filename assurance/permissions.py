"""Who may read and change the toolkit and the reporting periods.

Every signed-in user with a role reads them (ICBs answer the toolkit,
regions review against it, the NSSG reads the results); only the national
admin changes them. Fetch helpers answer a missing version, section,
standard, metric or period with 404.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

from assurance.models import Metric, ReportingPeriod, Section, Standard, ToolkitVersion
from organisations.permissions import is_national_admin, roles_of


def can_read_toolkit(user) -> bool:
    return bool(roles_of(user))


def can_manage_toolkit(user) -> bool:
    """Manage toolkit versions and reporting periods: the national admin only."""
    return is_national_admin(user)


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
