"""The REST API's root, /api/v1/: each app's resources from its own `api/`
package, the OpenAPI schema and its Swagger UI and ReDoc pages (behind
sign-in, from our own static files)."""

from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from assurance.api import (
    carry_forward,
    heatmap_cell,
    heatmaps,
    period_writes,
    register,
    returns,
    toolkit,
    toolkit_writes,
)
from organisations.api import tokens as token_views
from organisations.api import views as organisations
from reporting.api import views as reports
from reporting.api import writes as report_writes
from reviews.api import views as reviews
from reviews.api import writes as review_writes
from saaf.api_docs import ApiDocs, ApiRedoc, redoc_csp

_RETURN = returns.RETURN_PATH
_REPORT = "reports/<int:financial_year>/"


class NoSuchEndpoint(APIView):
    """Any other path under /api/v1/: a problem-details 404 (after
    authentication, so an anonymous caller learns nothing), not an HTML page."""

    def _missing(self, request, *args, **kwargs):
        raise NotFound("No such endpoint.")

    get = post = put = patch = delete = _missing


app_name = "api"

urlpatterns = [
    path("me/", organisations.Me.as_view(), name="me"),
    path("tokens/", token_views.TokenList.as_view(), name="tokens"),
    path("organisations/", organisations.OrganisationList.as_view(), name="organisations"),
    path(
        "organisations/<str:code>/",
        organisations.OrganisationDetail.as_view(),
        name="organisation",
    ),
    path("register/<str:code>/", register.IcbRegister.as_view(), name="register"),
    path("toolkit-versions/", toolkit.ToolkitVersionList.as_view(), name="toolkit_versions"),
    path(
        "toolkit-versions/<int:financial_year>/",
        toolkit.ToolkitVersionDetail.as_view(),
        name="toolkit_version",
    ),
    path(
        "toolkit-versions/<int:financial_year>/publish/",
        toolkit_writes.ToolkitVersionPublish.as_view(),
        name="toolkit_version_publish",
    ),
    path(
        "toolkit-versions/<int:financial_year>/sections/",
        toolkit_writes.SectionCreate.as_view(),
        name="toolkit_sections",
    ),
    path(
        "toolkit-versions/<int:financial_year>/sections/<str:section>/",
        toolkit_writes.SectionDetail.as_view(),
        name="toolkit_section",
    ),
    path(
        "toolkit-versions/<int:financial_year>/sections/<str:section>/standards/",
        toolkit_writes.StandardCreate.as_view(),
        name="toolkit_standards",
    ),
    path(
        "toolkit-versions/<int:financial_year>/standards/<str:standard>/",
        toolkit_writes.StandardDetail.as_view(),
        name="toolkit_standard",
    ),
    path(
        "toolkit-versions/<int:financial_year>/metrics/",
        toolkit_writes.MetricCreate.as_view(),
        name="toolkit_metrics",
    ),
    path(
        "toolkit-versions/<int:financial_year>/metrics/<str:metric>/",
        toolkit_writes.MetricDetail.as_view(),
        name="toolkit_metric",
    ),
    path("periods/", toolkit.PeriodList.as_view(), name="periods"),
    path(
        "periods/<int:financial_year>/<int:quarter>/",
        toolkit.PeriodDetail.as_view(),
        name="period",
    ),
    path(
        "periods/<int:financial_year>/<int:quarter>/completeness/",
        toolkit.PeriodCompleteness.as_view(),
        name="period_completeness",
    ),
    path(
        "periods/<int:financial_year>/<int:quarter>/splits/",
        period_writes.PeriodSplits.as_view(),
        name="period_splits",
    ),
    path(
        "periods/<int:financial_year>/<int:quarter>/timeliness/",
        heatmaps.PeriodTimeliness.as_view(),
        name="period_timeliness",
    ),
    path(
        "periods/<int:financial_year>/<int:quarter>/heatmap/",
        heatmaps.NationalHeatmap.as_view(),
        name="heatmap_national",
    ),
    path(
        "periods/<int:financial_year>/<int:quarter>/regions/<str:region>/heatmap/",
        heatmaps.RegionHeatmap.as_view(),
        name="heatmap_region",
    ),
    path(
        "periods/<int:financial_year>/<int:quarter>/heatmap/icbs/<str:code>/sections/<str:section>/",
        heatmap_cell.HeatmapCell.as_view(),
        name="heatmap_cell",
    ),
    path("icbs/<str:code>/heatmap/", heatmaps.IcbHeatmap.as_view(), name="icb_heatmap"),
    path("icbs/<str:code>/record/", heatmaps.IcbRecord.as_view(), name="icb_record"),
    path("returns/", returns.ReturnList.as_view(), name="returns"),
    path(_RETURN, returns.ReturnDetail.as_view(), name="return"),
    path(_RETURN + "answers/", returns.BulkAnswers.as_view(), name="return_answers"),
    path(
        _RETURN + "answers/<str:standard>/",
        returns.AnswerDetail.as_view(),
        name="return_answer",
    ),
    path(
        _RETURN + "answers/<str:standard>/evidence/",
        returns.AnswerEvidenceList.as_view(),
        name="return_answer_evidence",
    ),
    path(
        _RETURN + "answers/<str:standard>/evidence/<int:evidence>/",
        returns.AnswerEvidenceDetail.as_view(),
        name="return_answer_evidence_file",
    ),
    path("evidence/<int:evidence>/", returns.EvidenceDownload.as_view(), name="evidence"),
    path(
        _RETURN + "metric-values/<str:metric>/",
        returns.MetricValueDetail.as_view(),
        name="return_metric_value",
    ),
    path(_RETURN + "check/", returns.ReturnCheck.as_view(), name="return_check"),
    path(_RETURN + "submit/", returns.ReturnSubmit.as_view(), name="return_submit"),
    path(_RETURN + "review/start/", returns.ReviewStart.as_view(), name="return_review_start"),
    path(_RETURN + "review/accept/", returns.ReviewAccept.as_view(), name="return_review_accept"),
    path(_RETURN + "review/return/", returns.ReviewReturn.as_view(), name="return_review_return"),
    path(
        _RETURN + "validated-ratings/<str:standard>/",
        returns.ValidatedRating.as_view(),
        name="return_validated_rating",
    ),
    path(
        _RETURN + "carry-forward/",
        carry_forward.ReturnCarryForward.as_view(),
        name="return_carry_forward",
    ),
    path(
        _RETURN + "sections/<str:section>/confirm/",
        carry_forward.SectionConfirm.as_view(),
        name="return_section_confirm",
    ),
    path(_RETURN + "reopen/", carry_forward.ReturnReopen.as_view(), name="return_reopen"),
    path(_RETURN + "comments/", returns.CommentList.as_view(), name="return_comments"),
    path(_RETURN + "submissions/", returns.SubmissionList.as_view(), name="return_submissions"),
    path(
        _RETURN + "submissions/<int:version>/",
        returns.SubmissionDetail.as_view(),
        name="return_submission",
    ),
    path("reviews/", reviews.ReviewList.as_view(), name="reviews"),
    path("reviews/<int:pk>/", reviews.ReviewDetail.as_view(), name="review"),
    path(
        "reviews/<int:pk>/recommendations/",
        review_writes.ReviewRecommendations.as_view(),
        name="review_recommendations",
    ),
    path(
        "recommendations/<int:recommendation>/",
        review_writes.RecommendationDetail.as_view(),
        name="recommendation",
    ),
    path(
        "recommendations/<int:recommendation>/actions/",
        review_writes.RecommendationActions.as_view(),
        name="recommendation_actions",
    ),
    path("actions/<int:action>/", review_writes.ActionDetail.as_view(), name="action"),
    path(
        "actions/<int:action>/evidence/",
        review_writes.ActionEvidenceList.as_view(),
        name="action_evidence",
    ),
    path(
        "action-evidence/<int:action_evidence>/",
        review_writes.ActionEvidenceDetail.as_view(),
        name="action_evidence_file",
    ),
    path(
        "actions/<int:action>/complete/",
        review_writes.ActionComplete.as_view(),
        name="action_complete",
    ),
    path("reports/", reports.ReportList.as_view(), name="reports"),
    path(
        _REPORT + "regions/<str:region>/",
        report_writes.RegionalReportDetail.as_view(),
        name="report_regional",
    ),
    path(
        _REPORT + "regions/<str:region>/narrative/",
        report_writes.RegionalReportNarrative.as_view(),
        name="report_regional_narrative",
    ),
    path(
        _REPORT + "regions/<str:region>/sign-off/",
        report_writes.RegionalReportSignOff.as_view(),
        name="report_regional_sign_off",
    ),
    path(
        _REPORT + "regions/<str:region>/withdraw-sign-off/",
        report_writes.RegionalReportUnsign.as_view(),
        name="report_regional_unsign",
    ),
    path(
        _REPORT + "regions/<str:region>/publish/",
        report_writes.RegionalReportPublish.as_view(),
        name="report_regional_publish",
    ),
    path(
        _REPORT + "national/", report_writes.NationalReportDetail.as_view(), name="report_national"
    ),
    path(
        _REPORT + "national/narrative/",
        report_writes.NationalReportNarrative.as_view(),
        name="report_national_narrative",
    ),
    path(
        _REPORT + "national/publish/",
        report_writes.NationalReportPublish.as_view(),
        name="report_national_publish",
    ),
    path(_REPORT + "rollup/", report_writes.RollupStart.as_view(), name="report_rollup"),
    path("reports/runs/", reports.ReportRunList.as_view(), name="report_runs"),
    path("reports/runs/<int:run>/", reports.ReportRunDetail.as_view(), name="report_run"),
    path("reports/published/", reports.PublishedReportList.as_view(), name="reports_published"),
    path(
        "reports/published/<int:published>/",
        reports.PublicationDetail.as_view(),
        name="report_publication",
    ),
    path(
        "reports/published/<int:published>/pdf/",
        reports.PublishedReportDownload.as_view(),
        name="report_pdf",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocs.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", redoc_csp(ApiRedoc.as_view(url_name="api:schema")), name="redoc"),
    # Last: whatever else is asked under /api/v1/ is a problem-details 404.
    re_path(r"^[\s\S]*$", extend_schema(exclude=True)(NoSuchEndpoint).as_view(), name="no_such"),
]
