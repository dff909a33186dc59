"""Hostile text in every field of every portal form (the register's, the
toolkit's and the periods'): script tags, spreadsheet formulas, 100,000
characters, NUL and other control characters, a right-to-left override.
No request may fail with a server error, and a request either saves the whole
change, with its audit event, or nothing at all."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.db import transaction
from django.forms.models import model_to_dict
from django.urls import reverse

from assurance.forms.register import PostForm, TenureForm
from assurance.forms.toolkit import (
    MetricForm,
    ReportingPeriodForm,
    SectionForm,
    StandardForm,
    ToolkitCopyForm,
)
from assurance.models import (
    Metric,
    Post,
    ReportingPeriod,
    Section,
    Standard,
    Tenure,
    ToolkitVersion,
)
from assurance.services.register import post_create, tenure_add
from organisations.models import AuditEvent, Role
from tests.assurance.test_register_views import signed_in, world  # noqa: F401

# A sweep: every field of every form, seven hostile texts each (PostgreSQL pass only).
pytestmark = pytest.mark.heavy

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "formula": '=HYPERLINK("http://example.invalid/x","Click")',
    "long": "x" * 100_000,
    "digits": "9" * 5_000,
    "nul": "Jo\x00Smith",
    "control": "Jo\x0bSmith\x1b[31m",
    "rtl": "Jo \u202eSmith",
}
COUNTED = (Post, Tenure, ToolkitVersion, Section, Standard, Metric, ReportingPeriod, AuditEvent)


def posted_keys(form_class, **form_kwargs) -> list[tuple[str, ...]]:
    """The names a browser posts for each field of the form, a date field's
    three boxes together (each hostile text goes into all three at once: the
    date is refused or kept whole, and the sweep costs a third)."""
    keys = []
    for name, field in form_class(**form_kwargs).fields.items():
        if isinstance(field.widget, forms.SelectDateWidget):
            keys.append((f"{name}_day", f"{name}_month", f"{name}_year"))
        else:
            keys.append((name,))
    return keys


def date_parts(name: str, day: datetime.date) -> dict[str, str]:
    return {
        f"{name}_day": str(day.day),
        f"{name}_month": str(day.month),
        f"{name}_year": str(day.year),
    }


def state(instance=None):
    counts = tuple(model.objects.count() for model in COUNTED)
    if instance is None:
        return counts
    instance = type(instance).objects.get(pk=instance.pk)
    return counts, model_to_dict(instance)


def attack(client, url: str, baseline: dict, keys, instance=None) -> list[str]:
    """Post `baseline` with each key in turn set to each hostile text; return what went
    wrong. Each attempt is rolled back, so every one starts from the same data."""
    problems = []
    for names in keys:
        key = "/".join(names)
        for label, text in HOSTILE.items():
            data = {**baseline, **dict.fromkeys(names, text)}
            with transaction.atomic():
                before = state(instance)
                events = AuditEvent.objects.count()
                response = client.post(url, data)
                status = response.status_code
                if status >= 500:
                    problems.append(f"{key}={label}: {status}")
                elif status == 302:
                    # Saved: then saved whole, with its audit event.
                    if AuditEvent.objects.count() <= events:
                        problems.append(f"{key}={label}: saved without an audit event")
                else:
                    if status not in (200, 400):
                        problems.append(f"{key}={label}: unexpected {status}")
                    if state(instance) != before:
                        problems.append(f"{key}={label}: refused ({status}) but changed data")
                    body = response.content.decode()
                    if "<script>alert(1)</script>" in body:
                        problems.append(f"{key}={label}: script tag not escaped")
                    if "Ensure this value" in body:
                        problems.append(f"{key}={label}: Django's default length message")
                transaction.set_rollback(True)
    return problems


# --- The register's forms ------------------------------------------------------------


@pytest.fixture
def register_client(client, reference, world):  # noqa: F811
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    return client


def test_post_forms(register_client, reference, world):  # noqa: F811
    z9 = reference["Z9B2Z"]
    new = {
        "post_type": str(world["types"]["ICB_DES_NURSE_SC"].pk),
        "hosted_by": "",
        "notes": "Interim cover arranged.",
        **date_parts("vacant_since", datetime.date(2026, 6, 1)),
    }
    keys = posted_keys(PostForm, organisation=z9)
    problems = attack(register_client, reverse("assurance:post_new", args=["Z9B2Z"]), new, keys)
    post = world["vacant"]
    edit = {k: v for k, v in new.items() if k != "post_type"}
    keys = posted_keys(PostForm, organisation=post.organisation, editing=True)
    url = reverse("assurance:post_edit", args=[post.pk])
    problems += attack(register_client, url, edit, keys, instance=post)
    assert problems == []


def test_tenure_forms(register_client, reference, world):  # noqa: F811
    baseline = {
        "holder_name": "Jo Midwife",
        "holder_email": "jo@example.nhs.uk",
        "capacity": "wte",
        "whole_time_equivalent": "0.6",
        "sessions_per_week": "",
        "training_level": "4",
        **date_parts("start_date", datetime.date(2026, 10, 1)),
        **date_parts("last_supervision", datetime.date(2026, 11, 1)),
        **date_parts("training_date", datetime.date(2026, 5, 1)),
    }
    keys = posted_keys(TenureForm)
    assert ("capacity",) in keys and ("end_date_day", "end_date_month", "end_date_year") in keys
    vacant = world["vacant"]
    problems = attack(
        register_client, reverse("assurance:tenure_new", args=[vacant.pk]), baseline, keys
    )
    tenure = tenure_add(
        actor=world["editor"],
        post=vacant,
        holder_name="Sam Holder",
        whole_time_equivalent=Decimal("1.0"),
        start_date=datetime.date(2026, 9, 2),
    )
    url = reverse("assurance:tenure_edit", args=[tenure.pk])
    problems += attack(register_client, url, baseline, keys, instance=tenure)
    assert problems == []


def test_the_as_of_date(register_client, world):  # noqa: F811
    url = reverse("assurance:register_icb", args=["Z9B2Z"])
    for key in ("on", "on_day", "on_month", "on_year"):
        for label, text in HOSTILE.items():
            response = register_client.get(url, {key: text})
            assert response.status_code == 200, (key, label)
            assert "There is a problem" in response.content.decode(), (key, label)


# --- The toolkit's and the periods' forms -----------------------------------------------


@pytest.fixture
def admin_client(client, national_admin):
    client.force_login(national_admin)
    return client


def test_toolkit_copy_form(admin_client, draft, toolkit):
    baseline = {"source": str(toolkit[2026].pk), "financial_year": "2028"}
    url = reverse("assurance:toolkit_version_copy")
    assert attack(admin_client, url, baseline, posted_keys(ToolkitCopyForm)) == []


def test_section_forms(admin_client, draft):
    baseline = {"code": "OB", "title": "Online safety", "saaf_reference": "4.2"}
    keys = posted_keys(SectionForm)
    url = reverse("assurance:section_create", args=[2027])
    problems = attack(admin_client, url, baseline, keys)
    section = draft.sections.get(code="LG")
    url = reverse("assurance:section_update", args=[2027, "LG"])
    problems += attack(admin_client, url, {**baseline, "code": "LG"}, keys, instance=section)
    assert problems == []


def test_standard_forms(admin_client, draft):
    section = draft.sections.get(code="LG")
    baseline = {
        "section": str(section.pk),
        "code": "LG99",
        "statement": "The ICB has a safeguarding lead.",
        "guidance": "",
        "evidence": "",
        "theme": "",
        "register_finding": "",
    }
    keys = posted_keys(StandardForm, version=draft)
    url = reverse("assurance:standard_create", args=[2027, "LG"])
    problems = attack(admin_client, url, baseline, keys)
    standard = draft.standards.get(code="LG1") if hasattr(draft, "standards") else None
    standard = standard or Standard.objects.get(section__version=draft, code="LG1")
    url = reverse("assurance:standard_update", args=[2027, "LG1"])
    problems += attack(admin_client, url, {**baseline, "code": "LG1"}, keys, instance=standard)
    assert problems == []


def test_metric_forms(admin_client, draft):
    baseline = {
        "section": str(draft.sections.get(code="TR").pk),
        "code": "NEW_METRIC",
        "name": "Staff with level 3 training",
        "unit": "percent",
        "higher_is_better": "True",
        "green": "90",
        "amber": "80",
        "computed_from": "",
    }
    keys = posted_keys(MetricForm, version=draft)
    problems = attack(admin_client, reverse("assurance:metric_create", args=[2027]), baseline, keys)
    metric = draft.metrics.get(code="PREVENT_TRAINED")
    url = reverse("assurance:metric_update", args=[2027, "PREVENT_TRAINED"])
    problems += attack(
        admin_client, url, {**baseline, "code": "PREVENT_TRAINED"}, keys, instance=metric
    )
    assert problems == []


def test_period_form(admin_client, toolkit):
    baseline = {
        **date_parts("opens_on", datetime.date(2026, 4, 1)),
        **date_parts("due_on", datetime.date(2026, 8, 7)),
        **date_parts("closes_on", datetime.date(2026, 9, 30)),
    }
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=1)
    url = reverse("assurance:period_update", args=[2026, 1])
    problems = attack(admin_client, url, baseline, posted_keys(ReportingPeriodForm), period)
    assert problems == []


def test_a_post_set_up_with_hostile_notes_is_refused_whole(register_client, reference, world):  # noqa: F811
    """A control character anywhere refuses the whole form: no post is set up."""
    response = register_client.post(
        reverse("assurance:post_new", args=["Z9B2Z"]),
        {"post_type": str(world["types"]["ICB_DES_NURSE_SC"].pk), "notes": "ok\x1b[2J"},
    )
    assert response.status_code == 200
    assert "Remove the control characters from this text (escape)" in response.content.decode()
    assert not Post.objects.filter(post_type__code="ICB_DES_NURSE_SC").exists()
    # Tabs and new lines are text like any other.
    response = register_client.post(
        reverse("assurance:post_new", args=["Z9B2Z"]),
        {"post_type": str(world["types"]["ICB_DES_NURSE_SC"].pk), "notes": "a\tb\r\nc"},
    )
    assert response.status_code == 302
    assert post_create  # the service is what the view calls
