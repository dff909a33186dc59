"""The national admin's toolkit and reporting-period management through the
API, as on the pages (`assurance.views.toolkit`): start a draft as a copy of
a published version, add, change and remove its sections, standards and
metrics, and publish it (which creates its year's periods); the periods'
writes are in `period_writes`. Each goes through the service the page calls
(`assurance.services.toolkit`), which refuses a published version with the
page's words; everyone else is
refused with the page's words too (everyone with a role reads the toolkit,
so nothing here is hidden: a 404 is a version, item or period that is not
there)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from assurance import selectors
from assurance.api.serializers import (
    MetricSerializer,
    OneOf,
    StandardSerializer,
    ToolkitVersionSerializer,
)
from assurance.findings import FindingKind
from assurance.forms.toolkit import ToolkitCopyForm
from assurance.models import (
    RegisterGroup,
    RegisterScope,
    Section,
    ToolkitVersion,
)
from assurance.models.periods import Quarter
from assurance.models.toolkit import ComputedFrom, MetricUnit, code_validator
from assurance.permissions import (
    can_manage_toolkit,
    metric_get,
    section_get,
    standard_get,
    version_get,
)
from assurance.services import toolkit as services
from saaf.api import TEXT_VALIDATORS, problems

_TEXT = TEXT_VALIDATORS
_LONG = 10_000


def require_manager(user) -> None:
    """The pages' gate (`national_admin_required`), with its words."""
    if not can_manage_toolkit(user):
        raise PermissionDenied("Only the national admin can change the toolkit and periods.")


def _section_named(version: ToolkitVersion, code: str) -> Section:
    """A section named in a body: a field error (not a 404) when it is not one of the version's."""
    found = version.sections.filter(code=code.strip().upper()).first()
    if found is None:
        codes = ", ".join(
            version.sections.order_by("position", "code").values_list("code", flat=True)
        )
        raise ValidationError(
            {"section": f"Choose a section of the {version.label} toolkit: {codes}."}
        )
    return found


class _Upper(serializers.CharField):
    """A code as the page's form takes it: trimmed and upper-cased before it is checked."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return value.strip().upper()


def _code_field(max_length: int = 20, **kwargs):
    kwargs.setdefault(
        "help_text",
        "Capital letters, digits and underscores, starting with a letter; unique within the "
        "version (sent in lower case, it is upper-cased).",
    )
    return _Upper(max_length=max_length, validators=[*_TEXT, code_validator], **kwargs)


# --- Versions -------------------------------------------------------------------------


class ToolkitCopyInputSerializer(serializers.Serializer):
    source = serializers.IntegerField(
        min_value=2000, max_value=2100, help_text="A published version's financial year."
    )
    financial_year = serializers.IntegerField(
        min_value=2000,
        max_value=2100,
        help_text="The draft's financial year: one without a toolkit, from the year before "
        "the latest toolkit's to two years after it (the page's choices).",
    )


def _version_row(version: ToolkitVersion) -> dict:
    return selectors.toolkit_versions_overview().get(pk=version.pk)


def _copy_source(data: dict) -> ToolkitVersion:
    """The copy's source and year, checked against the page form's choices."""
    years = [year for year, _ in ToolkitCopyForm().fields["financial_year"].choices]
    errors = {}
    source = ToolkitVersion.objects.published().filter(financial_year=data["source"]).first()
    if source is None:
        published = ", ".join(
            str(y)
            for y in ToolkitVersion.objects.published()
            .order_by("financial_year")
            .values_list("financial_year", flat=True)
        )
        errors["source"] = f"Copy a published version: {published or 'there is none'}."
    if data["financial_year"] not in years:
        errors["financial_year"] = (
            f'"{data["financial_year"]}" is not one of '
            f"{', '.join(str(y) for y in years) or 'nothing'}."
        )
    if errors:
        raise ValidationError(errors)
    return source


def toolkit_version_copy_respond(request) -> Response:
    """Start a financial year's draft as a copy of a published version (the
    national admin); the source does not change."""
    require_manager(request.user)
    given = ToolkitCopyInputSerializer(data=request.data)
    given.is_valid(raise_exception=True)
    draft = services.toolkit_version_copy(
        actor=request.user,
        source=_copy_source(given.validated_data),
        financial_year=given.validated_data["financial_year"],
    )
    return Response(
        ToolkitVersionSerializer(_version_row(draft)).data, status=status.HTTP_201_CREATED
    )


class ToolkitVersionPublish(GenericAPIView):
    """Publish a draft for good: it becomes its financial year's toolkit and
    its reporting periods are created with the default dates where missing.
    A published version is refused with the page's words."""

    serializer_class = ToolkitVersionSerializer
    pagination_class = None
    queryset = ToolkitVersion.objects.none()

    @extend_schema(
        request=None, responses={200: ToolkitVersionSerializer, **problems(400, 403, 404)}
    )
    def post(self, request, financial_year: int):
        require_manager(request.user)
        version = version_get(financial_year)
        services.toolkit_version_publish(actor=request.user, version=version)
        return Response(ToolkitVersionSerializer(_version_row(version)).data)


# --- Sections -------------------------------------------------------------------------


class SectionInputSerializer(serializers.Serializer):
    code = _code_field()
    title = serializers.CharField(max_length=200, validators=_TEXT)
    saaf_reference = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        validators=_TEXT,
        help_text="SAAF 2022 section numbers.",
    )


class SectionChangeSerializer(SectionInputSerializer):
    """Only the fields sent are changed."""

    saaf_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, validators=_TEXT
    )


class ToolkitSectionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    saaf_reference = serializers.CharField(allow_blank=True)
    standards = serializers.ListField(child=serializers.CharField(), help_text="Their codes.")
    metrics = serializers.ListField(child=serializers.CharField(), help_text="Their codes.")


def _section_data(section: Section) -> dict:
    return {
        "code": section.code,
        "title": section.title,
        "saaf_reference": section.saaf_reference,
        "standards": list(
            section.standards.order_by("position", "code").values_list("code", flat=True)
        ),
        "metrics": list(
            section.metrics.order_by("position", "code").values_list("code", flat=True)
        ),
    }


class _DraftItem(GenericAPIView):
    pagination_class = None
    queryset = ToolkitVersion.objects.none()


class SectionCreate(_DraftItem):
    """Add a section to a draft."""

    serializer_class = ToolkitSectionSerializer

    @extend_schema(
        request=SectionInputSerializer,
        responses={201: ToolkitSectionSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, financial_year: int):
        require_manager(request.user)
        version = version_get(financial_year)
        given = SectionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        section = services.section_create(
            actor=request.user, version=version, **given.validated_data
        )
        return Response(
            ToolkitSectionSerializer(_section_data(section)).data, status=status.HTTP_201_CREATED
        )


class SectionDetail(_DraftItem):
    """Change a draft's section (the fields sent), or remove it with its
    standards and metrics."""

    serializer_class = ToolkitSectionSerializer

    @extend_schema(
        request=SectionChangeSerializer,
        responses={200: ToolkitSectionSerializer, **problems(400, 403, 404)},
    )
    def patch(self, request, financial_year: int, section: str):
        require_manager(request.user)
        found = section_get(version_get(financial_year), section)
        given = SectionChangeSerializer(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        found = services.section_update(actor=request.user, section=found, **given.validated_data)
        return Response(ToolkitSectionSerializer(_section_data(found)).data)

    @extend_schema(responses={204: None, **problems(400, 403, 404)})
    def delete(self, request, financial_year: int, section: str):
        require_manager(request.user)
        found = section_get(version_get(financial_year), section)
        services.section_delete(actor=request.user, section=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Standards ------------------------------------------------------------------------


class StandardInputSerializer(serializers.Serializer):
    code = _code_field()
    statement = serializers.CharField(max_length=_LONG, validators=_TEXT)
    guidance = serializers.CharField(
        max_length=_LONG, required=False, allow_blank=True, default="", validators=_TEXT
    )
    evidence = serializers.CharField(
        max_length=_LONG,
        required=False,
        allow_blank=True,
        default="",
        validators=_TEXT,
        help_text="What an ICB is expected to hold or upload.",
    )
    theme = OneOf(
        choices=Quarter.values,
        required=False,
        allow_null=True,
        default=None,
        help_text="The quarter whose national theme heatmap includes this standard.",
    )
    register_groups = serializers.ListField(
        child=OneOf(choices=RegisterGroup.values),
        required=False,
        default=list,
        max_length=len(RegisterGroup.values),
        help_text="The groups of posts a green rating depends on (none: it does not "
        "depend on the posts register).",
    )
    register_findings = serializers.ListField(
        child=OneOf(choices=list(FindingKind.LABELS)),
        required=False,
        default=list,
        max_length=len(FindingKind.LABELS),
        help_text="The register findings that stand in the way of green.",
    )
    register_scope = OneOf(
        choices=RegisterScope.values,
        required=False,
        default=RegisterScope.ICB_AND_PROVIDERS,
        help_text="Whose posts count (only for a standard with register groups).",
    )
    register_note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", validators=_TEXT
    )


class StandardChangeSerializer(StandardInputSerializer):
    """Only the fields sent are changed; `section` moves it to another section
    of the same version."""

    section = _code_field(required=False)


class ToolkitStandardSerializer(StandardSerializer):
    section = serializers.CharField(source="section.code")
    register_groups = serializers.ListField(child=serializers.CharField())
    register_findings = serializers.ListField(child=serializers.CharField())


def _partial(serializer_class, request) -> dict:
    """The fields sent, validated; the defaults of fields not sent are left out."""
    given = serializer_class(data=request.data, partial=True)
    given.is_valid(raise_exception=True)
    return {name: value for name, value in given.validated_data.items() if name in request.data}


class StandardCreate(_DraftItem):
    """Add a standard to a draft's section."""

    serializer_class = ToolkitStandardSerializer

    @extend_schema(
        request=StandardInputSerializer,
        responses={201: ToolkitStandardSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, financial_year: int, section: str):
        require_manager(request.user)
        found = section_get(version_get(financial_year), section)
        given = StandardInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        standard = services.standard_create(
            actor=request.user, section=found, **given.validated_data
        )
        return Response(ToolkitStandardSerializer(standard).data, status=status.HTTP_201_CREATED)


class StandardDetail(_DraftItem):
    """Change a draft's standard (the fields sent), or remove it."""

    serializer_class = ToolkitStandardSerializer

    @extend_schema(
        request=StandardChangeSerializer,
        responses={200: ToolkitStandardSerializer, **problems(400, 403, 404)},
    )
    def patch(self, request, financial_year: int, standard: str):
        require_manager(request.user)
        version = version_get(financial_year)
        found = standard_get(version, standard)
        values = _partial(StandardChangeSerializer, request)
        if "section" in values:
            values["section"] = _section_named(version, values["section"])
        found = services.standard_update(actor=request.user, standard=found, **values)
        return Response(ToolkitStandardSerializer(found).data)

    @extend_schema(responses={204: None, **problems(400, 403, 404)})
    def delete(self, request, financial_year: int, standard: str):
        require_manager(request.user)
        found = standard_get(version_get(financial_year), standard)
        services.standard_delete(actor=request.user, standard=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Metrics --------------------------------------------------------------------------


def _threshold(**kwargs):
    return serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        coerce_to_string=True,
        **kwargs,
    )


class MetricInputSerializer(serializers.Serializer):
    section = _code_field(help_text="The code of the draft's section it belongs to.")
    code = _code_field(max_length=40)
    name = serializers.CharField(max_length=300, validators=_TEXT)
    unit = OneOf(choices=MetricUnit.values)
    higher_is_better = serializers.BooleanField(
        required=False, default=True, help_text="The direction of the thresholds."
    )
    green = _threshold(help_text="Leave both thresholds null for a figure reported, not rated.")
    amber = _threshold(help_text="Between green and red: at or beyond it is amber.")
    computed_from = OneOf(
        choices=ComputedFrom.values,
        required=False,
        allow_blank=True,
        default="",
        help_text="Empty: the ICB reports it; otherwise the portal computes it.",
    )


class MetricChangeSerializer(MetricInputSerializer):
    """Only the fields sent are changed."""


class ToolkitMetricSerializer(MetricSerializer):
    section = serializers.CharField(source="section.code")


class MetricCreate(_DraftItem):
    """Add a metric to a draft (in the section named)."""

    serializer_class = ToolkitMetricSerializer

    @extend_schema(
        request=MetricInputSerializer,
        responses={201: ToolkitMetricSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, financial_year: int):
        require_manager(request.user)
        version = version_get(financial_year)
        given = MetricInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = dict(given.validated_data)
        values["section"] = _section_named(version, values["section"])
        metric = services.metric_create(actor=request.user, **values)
        return Response(ToolkitMetricSerializer(metric).data, status=status.HTTP_201_CREATED)


class MetricDetail(_DraftItem):
    """Change a draft's metric (the fields sent; thresholds checked against
    its direction and unit), or remove it."""

    serializer_class = ToolkitMetricSerializer

    @extend_schema(
        request=MetricChangeSerializer,
        responses={200: ToolkitMetricSerializer, **problems(400, 403, 404)},
    )
    def patch(self, request, financial_year: int, metric: str):
        require_manager(request.user)
        version = version_get(financial_year)
        found = metric_get(version, metric)
        values = _partial(MetricChangeSerializer, request)
        if "section" in values:
            values["section"] = _section_named(version, values["section"])
        found = services.metric_update(actor=request.user, metric=found, **values)
        return Response(ToolkitMetricSerializer(found).data)

    @extend_schema(responses={204: None, **problems(400, 403, 404)})
    def delete(self, request, financial_year: int, metric: str):
        require_manager(request.user)
        found = metric_get(version_get(financial_year), metric)
        services.metric_delete(actor=request.user, metric=found)
        return Response(status=status.HTTP_204_NO_CONTENT)
