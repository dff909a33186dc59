"""The narrative, sign-off and withdrawal, the national parts, and who reads
which report: services and pages, the not-permitted cases included."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from organisations.models import AuditEvent, Role
from organisations.permissions import NotPermitted
from reporting.models import NationalReport, RegionalReport
from reporting.selectors import acronyms_used
from reporting.services import (
    national_report_save,
    regional_report_narrative_save,
    regional_report_sign_off,
    regional_report_unsign,
)
from tests.assurance.conftest import with_totp
from tests.factories import member
from tests.reporting.conftest import YEAR

pytestmark = pytest.mark.django_db


def _write(lead, london, **changes):
    values = {
        "introduction": "A year of steady improvement.",
        "achievements": ["All ICBs have a designated nurse for children in care."],
        "priorities": ["CP-IS coverage of every unscheduled care setting."],
    } | changes
    return regional_report_narrative_save(actor=lead, region=london, financial_year=YEAR, **values)


def test_the_lead_writes_and_the_chief_nurse_signs_off_which_freezes(lead, chief_nurse, london):
    report = _write(lead, london, achievements=["  First  ", "", "Second"])
    assert report.achievements == ["First", "Second"]
    with pytest.raises(NotPermitted):
        regional_report_sign_off(actor=lead, report=report)
    regional_report_sign_off(actor=chief_nurse, report=report)
    report.refresh_from_db()
    assert report.signed_off_by == chief_nurse and report.is_signed_off
    with pytest.raises(ValidationError, match="withdraw the sign-off"):
        _write(lead, london, introduction="Changed")
    assert RegionalReport.objects.get().introduction == "A year of steady improvement."


def test_withdrawing_the_sign_off_needs_a_reason_and_is_audited(lead, chief_nurse, london):
    report = regional_report_sign_off(actor=chief_nurse, report=_write(lead, london))
    with pytest.raises(ValidationError):
        regional_report_unsign(actor=chief_nurse, report=report, reason="  ")
    with pytest.raises(NotPermitted):
        regional_report_unsign(actor=lead, report=report, reason="Mine")
    regional_report_unsign(actor=chief_nurse, report=report, reason="Add the Prevent figures.")
    event = AuditEvent.objects.get(action="report.unsigned")
    assert event.reason == "Add the Prevent figures." and event.actor == chief_nurse
    _write(lead, london, introduction="With Prevent.")  # the lead may change it again


def test_an_empty_report_cannot_be_signed_off_and_bad_items_say_what_to_fix(
    lead, chief_nurse, london
):
    report = _write(lead, london, achievements=[], priorities=[])
    with pytest.raises(ValidationError, match="at least one key achievement"):
        regional_report_sign_off(actor=chief_nurse, report=report)
    with pytest.raises(ValidationError) as refused:
        _write(lead, london, priorities=["x" * 401])
    assert "Item 1 is longer than 400" in str(refused.value)
    other_region_lead = member(london.__class__.objects.get(code="Y63"), Role.REGIONAL_LEAD)
    with pytest.raises(NotPermitted):
        _write(other_region_lead, london)


def test_who_sees_which_draft(client, lead, chief_nurse, london, national_admin, nssg, reference):
    _write(lead, london)
    regional = reverse("reporting:regional", args=[YEAR, "Y56"])
    national = reverse("reporting:national", args=[YEAR])
    other_lead = with_totp(member(reference["Y63"], Role.REGIONAL_LEAD))
    icb_viewer = member(reference["QMF"], Role.ICB_VIEWER)
    expected = {
        lead: (200, 404),
        chief_nurse: (200, 404),
        national_admin: (404, 200),  # a regional draft is its authors' level only
        nssg: (404, 404),  # the national draft too
        other_lead: (404, 404),
        icb_viewer: (404, 404),
    }
    for user, (regional_status, national_status) in expected.items():
        client.force_login(user)
        assert client.get(regional).status_code == regional_status, user
        assert client.get(national).status_code == national_status, user
    # Signed off, the national team reads the region's report; published, the NSSG
    # reads the national report.
    regional_report_sign_off(actor=chief_nurse, report=RegionalReport.objects.get())
    client.force_login(national_admin)
    assert client.get(regional).status_code == 200
    NationalReport.objects.create(financial_year=YEAR, published=True)
    client.force_login(nssg)
    assert client.get(national).status_code == 200
    client.force_login(icb_viewer)
    assert client.get(regional).status_code == 404


def test_the_pages_write_sign_and_withdraw(client, lead, chief_nurse, london):
    client.force_login(lead)
    edit = reverse("reporting:regional_edit", args=[YEAR, "Y56"])
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {"introduction": "Intro", "achievements": "One\nTwo\n", "priorities": "Three"},
    )
    assert response.status_code == 302
    assert RegionalReport.objects.get().achievements == ["One", "Two"]
    response = client.post(edit, {"introduction": "x\x00y", "achievements": "", "priorities": ""})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    sign_off = reverse("reporting:regional_sign_off", args=[YEAR, "Y56"])
    assert client.post(sign_off).status_code == 403  # the lead cannot sign
    assert not RegionalReport.objects.get().is_signed_off

    client.force_login(chief_nurse)
    page = client.get(reverse("reporting:regional", args=[YEAR, "Y56"])).content.decode()
    assert "Sign off the report" in page and "Two" in page
    client.post(reverse("reporting:regional_sign_off", args=[YEAR, "Y56"]))
    assert RegionalReport.objects.get().is_signed_off
    unsign = reverse("reporting:regional_unsign", args=[YEAR, "Y56"])
    response = client.post(unsign, {"reason": ""})
    assert response.status_code == 200 and "Say why" in response.content.decode()
    client.post(unsign, {"reason": "Add the year's reviews."})
    assert not RegionalReport.objects.get().is_signed_off


def test_the_national_admin_writes_the_national_parts(client, national_admin, nssg):
    with pytest.raises(NotPermitted):
        national_report_save(
            actor=nssg,
            financial_year=YEAR,
            foreword="",
            achievements=[],
            priorities=[],
            health_and_justice="",
        )
    client.force_login(national_admin)
    response = client.post(
        reverse("reporting:national_edit", args=[YEAR]),
        {
            "foreword": "The NSSG thanks every ICB.",
            "achievements": "LeDeR reviews completed on time",
            "priorities": "DoLS to LPS",
            "health_and_justice": "Secure estate assured.",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("reporting:national", args=[YEAR])).content.decode()
    assert "The NSSG thanks every ICB." in page
    # The glossary lists the acronyms the report uses, and not the others.
    assert "Learning from lives and deaths" in page and "Liberty Protection Safeguards" in page
    assert "Female genital mutilation" not in page


def test_acronyms_are_matched_as_whole_words():
    found = dict(acronyms_used(["Two SARs", "CP-IS coverage", "ICBs", "LPS.", "CSPRs", "MCAX"]))
    assert set(found) == {"SAR", "CP-IS", "ICB", "LPS", "CSPR"}


def test_the_home_page_links_the_reports_of_the_users_level(
    client, lead, national_admin, reference
):
    client.force_login(lead)
    page = client.get(reverse("organisations:home")).content.decode()
    assert "Annual reports" in page and "/reports/2025/regions/Y56/" in page
    assert "/reports/2025/national/" not in page
    client.force_login(national_admin)
    assert "/reports/2025/national/" in client.get(reverse("organisations:home")).content.decode()
    client.force_login(member(reference["QMF"], Role.ICB_VIEWER))
    assert 'id="panel-reports"' not in client.get(reverse("organisations:home")).content.decode()


def test_a_region_task_that_fails_marks_the_run_failed_and_a_new_run_can_start(
    national_admin, london, settings
):
    from reporting.models import ReportRun, RunState
    from reporting.tasks import report_region_rollup

    run = ReportRun.objects.create(financial_year=YEAR, requested_by=national_admin)
    # No part for this region in the run: not transient, so no retry.
    result = report_region_rollup.apply(args=(run.pk, london.pk), throw=False)
    assert result.failed()
    run.refresh_from_db()
    assert run.state == RunState.FAILED and "DoesNotExist" in run.error
    again = ReportRun.objects.create(financial_year=YEAR, requested_by=national_admin)
    assert again.state == RunState.QUEUED  # a failed run does not block the next
