from django.urls import path, register_converter

from assurance.views import (
    carry_forward,
    heatmaps,
    register,
    return_lists,
    return_signoff,
    return_versions,
    return_workbook,
    returns,
    toolkit,
)


class ExportFormat:
    """An export's suffix: csv or xlsx, nothing else (anything else is a 404)."""

    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormat, "export_format")

app_name = "assurance"

_RETURN = "returns/<str:code>/<int:financial_year>/<int:quarter>/"

_PERIOD = "periods/<int:financial_year>/q<int:quarter>/"

urlpatterns = [
    # Lists of returns: the user's own, an ICB's across periods, a region's
    # and England's for one period (with their exports).
    path("returns/", return_lists.returns_start, name="returns"),
    path("returns/<str:code>/", return_lists.icb_returns, name="icb_returns"),
    path(_PERIOD + "returns/", return_lists.period_returns, name="period_returns"),
    path(
        _PERIOD + "returns/export.<export_format:fmt>",
        return_lists.period_returns,
        name="period_returns_export",
    ),
    path(
        _PERIOD + "regions/<str:code>/returns/",
        return_lists.region_returns,
        name="region_returns",
    ),
    path(
        _PERIOD + "regions/<str:code>/returns/export.<export_format:fmt>",
        return_lists.region_returns,
        name="region_returns_export",
    ),
    # RAG heatmaps: England's and a region's for a period (with exports), the
    # answers behind a cell, and an ICB's last eight quarters.
    path("heatmaps/", heatmaps.heatmap_start, name="heatmaps"),
    path("heatmaps/icbs/<str:code>/", heatmaps.heatmap_icb, name="heatmap_icb"),
    path(_PERIOD + "heatmap/", heatmaps.heatmap_national, name="heatmap_national"),
    path(
        _PERIOD + "heatmap/export.<export_format:fmt>",
        heatmaps.heatmap_national,
        name="heatmap_national_export",
    ),
    path(
        _PERIOD + "regions/<str:code>/heatmap/",
        heatmaps.heatmap_region,
        name="heatmap_region",
    ),
    path(
        _PERIOD + "regions/<str:code>/heatmap/export.<export_format:fmt>",
        heatmaps.heatmap_region,
        name="heatmap_region_export",
    ),
    path(
        _PERIOD + "heatmap/icbs/<str:code>/sections/<str:section>/",
        heatmaps.heatmap_cell,
        name="heatmap_cell",
    ),
    path(_RETURN, returns.return_detail, name="return_detail"),
    path(_RETURN + "start/", returns.return_start, name="return_start"),
    path(_RETURN + "history/", returns.return_history, name="return_history"),
    path(
        _RETURN + "carry-forward/",
        carry_forward.return_carry_forward,
        name="return_carry_forward",
    ),
    path(
        _RETURN + "sections/<str:section>/confirm/",
        carry_forward.return_section_confirm,
        name="return_section_confirm",
    ),
    path(_RETURN + "submit/", return_signoff.return_submit, name="return_submit"),
    path(_RETURN + "review/", return_signoff.return_review, name="return_review"),
    path(_RETURN + "reopen/", return_signoff.return_reopen, name="return_reopen"),
    path(_RETURN + "comments/", return_signoff.return_comment, name="return_comment"),
    path(_RETURN + "validation/", return_signoff.return_validation, name="return_validation"),
    path(_RETURN + "versions/", return_versions.return_version_list, name="return_versions"),
    path(
        _RETURN + "versions/compare/",
        return_versions.return_version_compare,
        name="return_version_compare",
    ),
    path(
        _RETURN + "versions/<int:version>/",
        return_versions.return_version_detail,
        name="return_version_detail",
    ),
    path(_RETURN + "sections/<str:section>/", returns.return_section, name="return_section"),
    path(_RETURN + "workbook.xlsx", return_workbook.return_workbook_draft, name="return_workbook"),
    path(
        _RETURN + "workbook/v<int:version>.xlsx",
        return_workbook.return_workbook_version,
        name="return_workbook_version",
    ),
    path(
        _RETURN + "workbook/template.xlsx",
        return_workbook.return_workbook_template,
        name="return_workbook_template",
    ),
    path(
        _RETURN + "workbook/upload/",
        return_workbook.return_workbook_upload_page,
        name="return_workbook_upload",
    ),
    path("evidence/<int:pk>/", returns.evidence_download, name="evidence_download"),
    path("toolkit/", toolkit.toolkit_version_list, name="toolkit_version_list"),
    path("toolkit/new/", toolkit.toolkit_version_copy, name="toolkit_version_copy"),
    path(
        "toolkit/<int:financial_year>/",
        toolkit.toolkit_version_detail,
        name="toolkit_version_detail",
    ),
    path(
        "toolkit/<int:financial_year>/publish/",
        toolkit.toolkit_version_publish,
        name="toolkit_version_publish",
    ),
    path(
        "toolkit/<int:financial_year>/sections/new/", toolkit.section_create, name="section_create"
    ),
    path(
        "toolkit/<int:financial_year>/sections/<str:code>/",
        toolkit.section_detail,
        name="section_detail",
    ),
    path(
        "toolkit/<int:financial_year>/sections/<str:code>/edit/",
        toolkit.section_update,
        name="section_update",
    ),
    path(
        "toolkit/<int:financial_year>/sections/<str:code>/delete/",
        toolkit.section_delete,
        name="section_delete",
    ),
    path(
        "toolkit/<int:financial_year>/sections/<str:code>/standards/new/",
        toolkit.standard_create,
        name="standard_create",
    ),
    path(
        "toolkit/<int:financial_year>/standards/<str:code>/edit/",
        toolkit.standard_update,
        name="standard_update",
    ),
    path(
        "toolkit/<int:financial_year>/standards/<str:code>/delete/",
        toolkit.standard_delete,
        name="standard_delete",
    ),
    path("toolkit/<int:financial_year>/metrics/new/", toolkit.metric_create, name="metric_create"),
    path(
        "toolkit/<int:financial_year>/metrics/<str:code>/edit/",
        toolkit.metric_update,
        name="metric_update",
    ),
    path(
        "toolkit/<int:financial_year>/metrics/<str:code>/delete/",
        toolkit.metric_delete,
        name="metric_delete",
    ),
    path("periods/", toolkit.period_list, name="period_list"),
    path(
        "periods/<int:financial_year>/q<int:quarter>/", toolkit.period_detail, name="period_detail"
    ),
    path(
        "periods/<int:financial_year>/q<int:quarter>/edit/",
        toolkit.period_update,
        name="period_update",
    ),
    path(
        "periods/<int:financial_year>/q<int:quarter>/splits/<str:code>/",
        toolkit.period_split_successor,
        name="period_split_successor",
    ),
    # The posts register.
    path("register/", register.register_start, name="register"),
    path("register/national/", register.register_national, name="register_national"),
    path(
        "register/national/export.<export_format:fmt>",
        register.register_national,
        name="register_national_export",
    ),
    path(
        "register/national/organisations.<export_format:fmt>",
        register.register_national_organisations,
        name="register_national_organisations_export",
    ),
    path("register/regions/<str:code>/", register.register_region, name="register_region"),
    path(
        "register/regions/<str:code>/export.<export_format:fmt>",
        register.register_region,
        name="register_region_export",
    ),
    path("register/icbs/<str:code>/", register.register_icb, name="register_icb"),
    path(
        "register/icbs/<str:code>/export.<export_format:fmt>",
        register.register_icb,
        name="register_icb_export",
    ),
    path("register/organisations/<str:code>/posts/new/", register.post_new, name="post_new"),
    path("register/posts/<int:pk>/", register.post_detail, name="post_detail"),
    path("register/posts/<int:pk>/edit/", register.post_edit, name="post_edit"),
    path("register/posts/<int:pk>/holders/new/", register.tenure_new, name="tenure_new"),
    path("register/holders/<int:pk>/edit/", register.tenure_edit, name="tenure_edit"),
]
