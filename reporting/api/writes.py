"""Writing the annual reports through the API, as on the pages
(`reporting.views`, `reporting.views_published`): a region's report read and
its narrative written by its lead, signed off (and the sign-off withdrawn,
with a reason) by its chief nurse; the national report read and written by
the national admins, who also run the rollup of the year's figures (a
Celery task per region: the answer is the run, whose progress
`reports/runs/{id}/` shows) and publish a report as a frozen PDF (made by a
task: the answer is the version, whose progress `reports/published/{id}/`
shows). Each goes through the service the page calls, which refuses with the
page's words; a region's report that is not yours to read is not found,
exactly as a missing one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from assurance.models.periods import financial_year_label
from organisations.api.serializers import OrganisationLinkSerializer
from organisations.models import Organisation
from organisations.reference_data import NATIONAL_CODE
from reporting import services
from reporting.api.views import PublicationSerializer, ReportRunSerializer
from reporting.models import NationalReport, RegionalReport
from reporting.permissions import (
    can_publish_reports,
    can_read_national_report,
    can_read_regional_report,
    can_run_rollup,
    can_sign_off_regional_report,
    can_write_national_report,
    can_write_regional_report,
    region_get_for_report,
)
from reporting.selectors import national_report_for, regional_report_for, report_years
from saaf.api import TEXT_VALIDATORS, problems

_TEXT = TEXT_VALIDATORS


def _year(financial_year: int) -> int:
    """A year with reporting periods (the pages' `_year`), else not found."""
    if financial_year not in report_years():
        raise Http404("No reporting periods in that year.")
    return financial_year


def _items(help_text: str):
    # The service refuses more than its items or longer ones, with its words;
    # here only a shape no page could send.
    return serializers.ListField(
        child=serializers.CharField(
            max_length=services.MAX_TEXT_LENGTH, allow_blank=True, validators=_TEXT
        ),
        max_length=100,
        required=False,
        default=list,
        help_text=help_text,
    )


def _text(help_text: str):
    return serializers.CharField(
        max_length=2 * services.MAX_TEXT_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        validators=_TEXT,
        help_text=help_text,
    )


_ITEMS = (
    f"Short items (at most {services.MAX_ITEMS}, each up to "
    f"{services.MAX_ITEM_LENGTH} characters); blank ones are dropped."
)
_WHOLE = "Saved whole: what is not sent is emptied, as on the page."


# --- A region's report ----------------------------------------------------------------


class RegionalNarrativeSerializer(serializers.Serializer):
    introduction = _text(f"A short introduction to the region's year. {_WHOLE}")
    achievements = _items(f"Key achievements and outcomes. {_ITEMS}")
    priorities = _items(f"Priorities for next year. {_ITEMS}")


class RegionalReportMaySerializer(serializers.Serializer):
    write = serializers.BooleanField(help_text="Change the narrative (the lead, until signed off).")
    sign_off = serializers.BooleanField(help_text="Sign it off or withdraw it (the chief nurse).")
    publish = serializers.BooleanField(help_text="Publish it once signed off (national admins).")


class RegionalReportSerializer(serializers.Serializer):
    region = OrganisationLinkSerializer()
    financial_year = serializers.IntegerField()
    label = serializers.CharField()
    introduction = serializers.CharField(allow_blank=True)
    achievements = serializers.ListField(child=serializers.CharField())
    priorities = serializers.ListField(child=serializers.CharField())
    signed_off = serializers.BooleanField()
    signed_off_at = serializers.DateTimeField(allow_null=True)
    signed_off_by = serializers.CharField(allow_null=True, help_text="The chief nurse's name.")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="Null: never written.")
    may = RegionalReportMaySerializer(help_text="What you may do with it now.")


def _regional_data(user, report: RegionalReport) -> dict:
    region = report.region
    return {
        "region": region,
        "financial_year": report.financial_year,
        "label": financial_year_label(report.financial_year),
        "introduction": report.introduction,
        "achievements": report.achievements,
        "priorities": report.priorities,
        "signed_off": report.is_signed_off,
        "signed_off_at": report.signed_off_at,
        "signed_off_by": (
            report.signed_off_by.get_full_name() or report.signed_off_by.email
            if report.signed_off_by_id
            else None
        ),
        "updated_at": report.updated_at if report.pk else None,
        "may": {
            "write": can_write_regional_report(user, region) and not report.is_signed_off,
            "sign_off": can_sign_off_regional_report(user, region),
            "publish": can_publish_reports(user) and report.is_signed_off,
        },
    }


def _regional(request, financial_year: int, region: str) -> tuple[Organisation, int]:
    """The region (404 unless you write, sign or read its report as the
    national team) and the year (404 without periods), as the pages fetch them."""
    found = region_get_for_report(request.user, region)
    return found, _year(financial_year)


def _regional_reload(region: Organisation, financial_year: int) -> RegionalReport:
    return regional_report_for(region, financial_year)


class _RegionalView(GenericAPIView):
    serializer_class = RegionalReportSerializer
    pagination_class = None
    queryset = RegionalReport.objects.none()

    def answer(self, request, region, financial_year) -> Response:
        report = _regional_reload(region, financial_year)
        return Response(RegionalReportSerializer(_regional_data(request.user, report)).data)


class RegionalReportDetail(_RegionalView):
    """A region's annual report: its narrative and sign-off. Its lead and chief
    nurse read it; the national admins once it is signed off."""

    @extend_schema(responses={200: RegionalReportSerializer, **problems(404)})
    def get(self, request, financial_year: int, region: str):
        found, financial_year = _regional(request, financial_year, region)
        report = _regional_reload(found, financial_year)
        if not can_read_regional_report(request.user, report):
            raise Http404("No such report.")
        return Response(RegionalReportSerializer(_regional_data(request.user, report)).data)


class RegionalReportNarrative(_RegionalView):
    """The lead writes the region's introduction, key achievements and outcomes,
    and priorities for next year; a signed-off report is refused until its
    chief nurse withdraws the sign-off."""

    @extend_schema(
        request=RegionalNarrativeSerializer,
        responses={200: RegionalReportSerializer, **problems(400, 403, 404)},
    )
    def put(self, request, financial_year: int, region: str):
        found, financial_year = _regional(request, financial_year, region)
        if not can_write_regional_report(request.user, found):
            raise PermissionDenied("Only the region's safeguarding lead writes its annual report.")
        given = RegionalNarrativeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.regional_report_narrative_save(
            actor=request.user, region=found, financial_year=financial_year, **given.validated_data
        )
        return self.answer(request, found, financial_year)


class RegionalReportSignOff(_RegionalView):
    """The chief nurse signs the report off, which freezes its narrative."""

    @extend_schema(
        request=None, responses={200: RegionalReportSerializer, **problems(400, 403, 404)}
    )
    def post(self, request, financial_year: int, region: str):
        found, financial_year = _regional(request, financial_year, region)
        if not can_sign_off_regional_report(request.user, found):
            raise PermissionDenied("Only the region's chief nurse signs off its annual report.")
        report = _regional_reload(found, financial_year)
        if not report.pk:
            raise ValidationError(
                "There is no report to sign off yet: the lead has not written it."
            )
        services.regional_report_sign_off(actor=request.user, report=report)
        return self.answer(request, found, financial_year)


class UnsignInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=services.MAX_ITEM_LENGTH,
        validators=_TEXT,
        help_text="The regional lead sees it; it is kept in the report's history.",
        error_messages={
            "required": "Say why the sign-off is withdrawn.",
            "blank": "Say why the sign-off is withdrawn.",
        },
    )


class RegionalReportUnsign(_RegionalView):
    """The chief nurse withdraws the sign-off, saying why, so the lead can change it."""

    @extend_schema(
        request=UnsignInputSerializer,
        responses={200: RegionalReportSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, financial_year: int, region: str):
        found, financial_year = _regional(request, financial_year, region)
        if not can_sign_off_regional_report(request.user, found):
            raise PermissionDenied("Only the region's chief nurse can withdraw its sign-off.")
        given = UnsignInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        report = _regional_reload(found, financial_year)
        if not report.is_signed_off:
            raise ValidationError("This report is not signed off.")
        services.regional_report_unsign(
            actor=request.user, report=report, reason=given.validated_data["reason"]
        )
        return self.answer(request, found, financial_year)


# --- The national report --------------------------------------------------------------


class NationalNarrativeSerializer(serializers.Serializer):
    foreword = _text(f"The foreword. {_WHOLE}")
    achievements = _items(f"National key achievements and outcomes. {_ITEMS}")
    priorities = _items(f"National priorities for next year. {_ITEMS}")
    health_and_justice = _text(
        "The directly commissioned secure and detained estate has no returns: this section "
        "is narrative only."
    )


class NationalReportMaySerializer(serializers.Serializer):
    write = serializers.BooleanField()
    run_rollup = serializers.BooleanField()
    publish = serializers.BooleanField()


class NationalReportSerializer(serializers.Serializer):
    financial_year = serializers.IntegerField()
    label = serializers.CharField()
    foreword = serializers.CharField(allow_blank=True)
    achievements = serializers.ListField(child=serializers.CharField())
    priorities = serializers.ListField(child=serializers.CharField())
    health_and_justice = serializers.CharField(allow_blank=True)
    published = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True, help_text="Null: never written.")
    may = NationalReportMaySerializer(help_text="What you may do with it now.")


def _national_data(user, financial_year: int, report: NationalReport | None) -> dict:
    report = report or NationalReport(financial_year=financial_year)
    return {
        "financial_year": financial_year,
        "label": financial_year_label(financial_year),
        "foreword": report.foreword,
        "achievements": report.achievements,
        "priorities": report.priorities,
        "health_and_justice": report.health_and_justice,
        "published": report.published,
        "published_at": report.published_at,
        "updated_at": report.updated_at if report.pk else None,
        "may": {
            "write": can_write_national_report(user),
            "run_rollup": can_run_rollup(user),
            "publish": can_publish_reports(user),
        },
    }


class _NationalView(GenericAPIView):
    serializer_class = NationalReportSerializer
    pagination_class = None
    queryset = NationalReport.objects.none()


class NationalReportDetail(_NationalView):
    """The national report's parts: its draft is the national admins'; the NSSG
    and the regions read it once published."""

    @extend_schema(responses={200: NationalReportSerializer, **problems(404)})
    def get(self, request, financial_year: int):
        financial_year = _year(financial_year)
        report = national_report_for(financial_year)
        if not can_read_national_report(request.user, report):
            raise Http404("No such report.")
        return Response(
            NationalReportSerializer(_national_data(request.user, financial_year, report)).data
        )


class NationalReportNarrative(_NationalView):
    """The national admins write the foreword, the national update and the
    Health & Justice section. Once published the text can still be corrected:
    publishing again makes a new version."""

    @extend_schema(
        request=NationalNarrativeSerializer,
        responses={200: NationalReportSerializer, **problems(400, 403, 404)},
    )
    def put(self, request, financial_year: int):
        financial_year = _year(financial_year)
        if not can_write_national_report(request.user):
            raise PermissionDenied("Only the national team writes the national report.")
        given = NationalNarrativeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        report = services.national_report_save(
            actor=request.user, financial_year=financial_year, **given.validated_data
        )
        return Response(
            NationalReportSerializer(_national_data(request.user, financial_year, report)).data
        )


# --- The rollup and publishing --------------------------------------------------------


class RollupStart(GenericAPIView):
    """Start the rollup of the year's figures (the national admins): a task per
    region, queued once this commits. A rollup of the year already under way
    is answered instead of a second one. Follow its progress at
    `reports/runs/{id}/`."""

    serializer_class = ReportRunSerializer
    pagination_class = None
    queryset = NationalReport.objects.none()

    @extend_schema(request=None, responses={202: ReportRunSerializer, **problems(403, 404)})
    def post(self, request, financial_year: int):
        financial_year = _year(financial_year)
        if not can_run_rollup(request.user):
            raise PermissionDenied("Only the national team runs the rollup.")
        run = services.report_run_start(actor=request.user, financial_year=financial_year)
        return Response(ReportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


def _publish(request, financial_year: int, area: Organisation) -> Response:
    published = services.report_publish(
        actor=request.user, financial_year=financial_year, area=area
    )
    published = type(published).objects.select_related("area").get(pk=published.pk)
    return Response(PublicationSerializer(published).data, status=status.HTTP_202_ACCEPTED)


_PUBLISHED = (
    "A new version, whose PDF a task makes once this commits (follow it at "
    "`reports/published/{id}/`); a publication of the same report already under way is "
    "answered instead. Refused with the page's words until the figures are computed."
)


class RegionalReportPublish(GenericAPIView):
    """Publish a region's signed-off report (the national admins): not found
    for anyone else, as on the page."""

    serializer_class = PublicationSerializer
    pagination_class = None
    queryset = RegionalReport.objects.none()

    @extend_schema(
        request=None,
        responses={202: PublicationSerializer, **problems(400, 404)},
        description=_PUBLISHED,
    )
    def post(self, request, financial_year: int, region: str):
        if not can_publish_reports(request.user):
            raise Http404("No such report.")
        found = region_get_for_report(request.user, region)
        return _publish(request, _year(financial_year), found)


class NationalReportPublish(GenericAPIView):
    """Publish the national report (the national admins): not found for anyone
    else, as on the page."""

    serializer_class = PublicationSerializer
    pagination_class = None
    queryset = NationalReport.objects.none()

    @extend_schema(
        request=None,
        responses={202: PublicationSerializer, **problems(400, 404)},
        description=_PUBLISHED,
    )
    def post(self, request, financial_year: int):
        if not can_publish_reports(request.user):
            raise Http404("No such report.")
        national = Organisation.objects.get(code=NATIONAL_CODE)
        return _publish(request, _year(financial_year), national)
