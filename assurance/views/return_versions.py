"""Pages of a return's versions: the list of its submissions with what the
region made of each, one submission read as it was kept, and what changed
between two versions (or the latest one and the current draft). Each page
starts from the user's scope like the return's other pages (404 outside it,
and for a version that does not exist); the reads are in
`assurance.selectors` and the comparison in `assurance.return_diff`."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from assurance.forms.versions import DRAFT, VersionCompareForm
from assurance.models.returns import ActionStatus
from assurance.permissions import can_review_return, return_get_visible
from assurance.register_rules import RegisterCheck
from assurance.return_diff import return_compare
from assurance.selectors import (
    draft_snapshot,
    return_versions,
    submission_contents,
    submission_snapshot,
    submission_snapshots,
)


def _compare_form(ret, versions: list[int], data=None) -> VersionCompareForm:
    return VersionCompareForm(data, versions=versions, draft=ret.is_draft and bool(versions))


@require_GET
def return_version_list(request: HttpRequest, code: str, financial_year: int, quarter: int):
    """Every submitted version, oldest first: who submitted it, when, whether
    late, the declaration, and the region's outcome; and the form that picks
    two to compare."""
    ret = return_get_visible(request.user, code, financial_year, quarter)
    rows = return_versions(user=request.user, quarterly_return=ret)
    versions = [row.submission.version for row in rows]
    form = _compare_form(ret, versions)
    if len(versions) >= 2:
        form.initial = {"from": str(versions[-2]), "to": str(versions[-1])}
    elif versions and ret.is_draft:
        form.initial = {"from": str(versions[-1]), "to": DRAFT}
    return render(
        request,
        "assurance/returns/versions.jinja",
        {
            "ret": ret,
            "rows": rows,
            "form": form,
            "can_compare": len(versions) >= 2 or (versions and ret.is_draft),
        },
    )


@require_GET
def return_version_detail(
    request: HttpRequest, code: str, financial_year: int, quarter: int, version: int
):
    """One submission read-only, by section and standard, as it was kept: the
    answers, actions, metrics with their RAG as text, the evidence files (each
    downloaded through the scoped view), the register's check of that day,
    and the region's validated ratings on this version."""
    ret = return_get_visible(request.user, code, financial_year, quarter)
    submission = ret.submissions.filter(version=version).first()
    if submission is None:
        raise Http404("No such version of the return.")
    submission.quarterly_return = ret
    sections = submission_contents(submission)
    checks = {
        a.pk: RegisterCheck.from_dict(a.register_check)
        for s in sections
        for a in s.answers
        if a.register_check
    }
    latest = ret.submissions.order_by("-version").values_list("version", flat=True).first()
    return render(
        request,
        "assurance/returns/version.jinja",
        {
            "ret": ret,
            "submission": submission,
            "sections": sections,
            "register_checks": checks,
            "latest_version": latest,
            "validated": any(a.validated_rating for s in sections for a in s.answers),
            "action_statuses": dict(ActionStatus.choices),
        },
    )


@require_GET
def return_version_compare(request: HttpRequest, code: str, financial_year: int, quarter: int):
    """What changed from one version to a later one (`?from=1&to=2`), or to
    the current draft (`to=draft`), standard by standard. Without a choice it
    compares the latest two; a choice that cannot be compared is answered on
    the page with what to choose instead."""
    ret = return_get_visible(request.user, code, financial_year, quarter)
    submissions = {s.version: s for s in ret.submissions.order_by("version")}
    versions = list(submissions)
    data = request.GET if ("from" in request.GET or "to" in request.GET) else None
    if data is None and len(versions) >= 2:
        data = {"from": str(versions[-2]), "to": str(versions[-1])}
    elif data is None and versions and ret.is_draft:
        data = {"from": str(versions[-1]), "to": DRAFT}
    form = _compare_form(ret, versions, data)
    comparison = None
    status = 200
    if not versions or data is None:
        pass  # nothing submitted, or one version and no draft: the page says so
    elif form.is_valid():
        old = submissions[form.cleaned_data["from"]]
        old.quarterly_return = ret
        to = form.cleaned_data["to"]
        if to == DRAFT:
            comparison = return_compare(submission_snapshot(old), draft_snapshot(ret))
        else:
            submissions[to].quarterly_return = ret
            comparison = return_compare(*submission_snapshots(old, submissions[to]))
    else:
        status = 400
    return render(
        request,
        "assurance/returns/compare.jinja",
        {
            "ret": ret,
            "form": form,
            "versions": versions,
            "comparison": comparison,
            "chosen": form.cleaned_data if comparison else {},
            "is_reviewer": can_review_return(request.user, ret),
        },
        status=status,
    )
