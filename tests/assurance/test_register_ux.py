"""What a new user met on the register: the "as it was on" date, closed ICBs,
posts reachable from every row and organisation page, findings that are
right, and each form's messages in the portal's words."""

import datetime
import importlib
import inspect
import pkgutil
import re
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

import assurance.forms
from assurance.findings import FindingKind, icb_registers, registers_for
from assurance.models import Post, PostType, Tenure
from assurance.presenters import finding_action
from assurance.services.register import post_create, post_update, tenure_add, tenure_update
from organisations.models import Role
from saaf.nhs_forms import PortalFormMixin
from tests.assurance.test_register_views import page_rows, signed_in, world  # noqa: F401
from tests.factories import member

TODAY = timezone.localdate()


def register_url(code="Z9B2Z", **params):
    url = reverse("assurance:register_icb", args=[code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def holder(**overrides):
    values = {
        "holder_name": "Dr A Example",
        "start_date": datetime.date(2025, 1, 6),
        "whole_time_equivalent": Decimal("1.0"),
        "training_level": 5,
        "training_date": datetime.date(2025, 3, 1),
        "last_supervision": TODAY,
    }
    values.update(overrides)
    return values


# --- 1. The "as it was on" date ------------------------------------------------------


def test_the_date_is_an_nhs_date_input(reference, world, client):  # noqa: F811
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    html = client.get(register_url()).content.decode()
    for part, value in (("day", TODAY.day), ("month", TODAY.month), ("year", TODAY.year)):
        assert re.search(rf'name="on_{part}"[^>]*value="{value}"', html), part
    assert "nhsuk-date-input" in html and "Show the register as it was on" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"on_day": "27/11/2026", "on_month": "", "on_year": ""}, "Enter a real date"),
        ({"on_day": "27/11/2026"}, "must include a day, a month and a year"),
        ({"on": "2026-13-45"}, "Enter a real date"),
        ({"on_day": "45", "on_month": "13", "on_year": "2026"}, "Enter a real date"),
        ({"on": "0001-01-01"}, "Enter a date on or after"),
        ({"on_day": "30", "on_month": "6", "on_year": "2022"}, "Enter a date on or after"),
        ({"on": "9999-12-31"}, "Enter a date on or before"),
        ({"on": str(TODAY + datetime.timedelta(days=1))}, "Enter a date on or before"),
        ({"on": "\x00"}, "Enter a real date"),
    ],
)
def test_a_date_that_cannot_be_is_an_error_on_the_page(
    reference,
    world,  # noqa: F811
    client,
    params,
    message,
):
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    for url in (
        reverse("assurance:register_icb", args=["Z9B2Z"]),
        reverse("assurance:register_region", args=["Y56"]),
    ):
        if "regions" in url:
            signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
        response = client.get(url, params)
        assert response.status_code == 200
        html = response.content.decode()
        assert "There is a problem" in html and message in html
        assert 'href="#id_on_day"' in html  # the summary links to the day box
        assert "<title>Error: " in html
        if "on or after" in message:  # the region's first day; a new ICB's own
            first = "1 July 2022, when ICBs" if "regions" in url else "1 April 2026, when this"
            assert first in html
        # The register is still there, as it stands today.
        assert f"as they stood on {TODAY.day} {TODAY:%B %Y}" in html
    export = reverse("assurance:register_icb_export", args=["Z9B2Z", "csv"])
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    response = client.get(export, params)
    assert response.status_code == 400 and message in response.content.decode()


def test_a_date_from_the_three_boxes_or_a_link(reference, world, client):  # noqa: F811
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    for params in ({"on_day": "1", "on_month": "10", "on_year": "2026"}, {"on": "2026-10-01"}):
        response = client.get(register_url(), params)
        assert response.status_code == 200
        html = response.content.decode()
        assert "There is a problem" not in html
        assert "as they stood on 1 October 2026" in html
        assert 'name="on_month" type="text" value="10"' in html.replace("\n", " ") or re.search(
            r'name="on_month"[^>]*value="10"', html
        )


def test_as_of_a_date_only_what_was_true_then(reference, world, client):  # noqa: F811
    editor, z9 = world["editor"], reference["Z9B2Z"]
    types = world["types"]
    # A post set up with a vacancy from 1 September 2026 (world["vacant"]), and one
    # whose first holder started on 1 October 2026.
    later = post_create(actor=editor, organisation=z9, post_type=types["ICB_DES_NURSE_SC"])
    tenure_add(actor=editor, post=later, **holder(start_date=datetime.date(2026, 10, 1)))
    Post.objects.filter(pk=later.pk).update(created_at=timezone.now() - relativedelta(years=1))

    def finding_for(code, on):
        [rollup] = icb_registers([z9], on=on)
        return {f.post_type.code: f for f in rollup.findings}.get(code)

    # Before the vacancy began, the midwife post was not in the register: missing.
    assert finding_for("PRV_NAMED_MIDWIFE", datetime.date(2026, 8, 31)).kind == "missing"
    vacant = finding_for("PRV_NAMED_MIDWIFE", datetime.date(2026, 9, 1))
    assert vacant.kind == "vacant" and vacant.detail == "Vacant since 1 September 2026."
    # Set up a year ago, its holder starting later: vacant then, with no date after the day.
    early = finding_for("ICB_DES_NURSE_SC", datetime.date(2026, 1, 15))
    assert early.kind == "vacant" and early.detail == "Vacant."
    assert finding_for("ICB_DES_NURSE_SC", datetime.date(2026, 10, 1)) is None
    # A vacancy recorded from a day after the one shown never says "since" that day.
    Post.objects.filter(pk=later.pk).update(vacant_since=datetime.date(2026, 3, 1))
    assert finding_for("ICB_DES_NURSE_SC", datetime.date(2026, 1, 15)).detail == "Vacant."

    signed_in(client, z9, Role.ICB_VIEWER)
    html = client.get(register_url(on="2026-08-31")).content.decode()
    assert "Vacant since 1 September 2026" not in html


# --- 2. A closed ICB's register --------------------------------------------------------


@pytest.fixture
def qmj_history(reference, world):  # noqa: F811
    """QMJ's designated doctor, in post until QMJ's last day."""
    qmj = reference["QMJ"]
    post = Post(organisation=qmj, post_type=world["types"]["ICB_DES_DR_SC"])
    post.full_clean()
    post.save()
    Tenure.objects.create(
        post=post,
        **holder(
            holder_name="Dr Closed Icb",
            start_date=datetime.date(2023, 1, 1),
            end_date=datetime.date(2026, 3, 31),
            last_supervision=datetime.date(2026, 3, 1),
        ),
    )
    return post


def test_a_closed_icbs_register_opens_on_its_last_day(reference, qmj_history, client):
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    response = client.get(register_url("QMJ"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" not in html
    assert "as they stood on 31 March 2026" in html
    assert "This ICB closed on 31 March 2026." in html
    assert "Succeeded on 1 April 2026 by" in html
    assert reverse("assurance:register_icb", args=["Z9B2Z"]) in html
    rows = page_rows(html)
    [doctor] = [r for r in rows if r[2] == "Designated doctor for safeguarding children"]
    assert doctor[3] == "Dr Closed Icb" and doctor[-1] == "Filled"
    # Its export is of the same day.
    export = client.get(reverse("assurance:register_icb_export", args=["QMJ", "csv"]))
    assert "register-QMJ-2026-03-31.csv" in export["Content-Disposition"]
    # Nobody may change a closed ICB's register: its findings offer only to view.
    assert "Add holder" not in html and "Set up<" not in html


def test_a_closed_icb_never_reports_todays_missing_posts(reference, qmj_history, client):
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    response = client.get(register_url("QMJ", on=str(TODAY)))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a date on or before 31 March 2026, the ICB&#39;s last day." in html
    assert "as they stood on 31 March 2026" in html
    assert "Dr Closed Icb" in html  # in post on its last day, not vacant today


def test_a_new_icb_points_to_its_predecessors_for_earlier_dates(reference, world, client):  # noqa: F811
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    html = client.get(register_url(on="2026-01-15")).content.decode()
    assert "Enter a date on or after 1 April 2026, when this ICB was established." in html
    assert "For earlier dates, read the registers of its predecessors" in html
    assert reverse("assurance:register_icb", args=["QMJ"]) in html
    assert reverse("assurance:register_icb", args=["QRV"]) in html


# --- 3. Every post reachable --------------------------------------------------------------


def post_column_links(html: str) -> list[tuple[str, str | None]]:
    table = html.split("Every post, findings first", 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody", 1)[1]
    out = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        link = re.search(r'href="([^"]+)"', cells[2])
        status = re.sub(r"<[^>]+>", "", cells[3]).strip()
        out.append((status, link.group(1) if link else None))
    return out


def test_every_row_of_the_register_links_to_its_post(reference, world, client):  # noqa: F811
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    html = client.get(register_url()).content.decode()
    rows = post_column_links(html)
    posts = Post.objects.filter(organisation__in=[reference["Z9B2Z"], world["trust"]])
    assert {link for _, link in rows if link} == {
        reverse("assurance:post_detail", args=[p.pk]) for p in posts
    }
    assert all(link or status == "Not set up" for status, link in rows)
    for _, link in rows:
        if link:
            assert client.get(link).status_code == 200


@pytest.mark.parametrize("code", ["Z9B2Z", "RAL"])
def test_organisation_pages_list_their_posts(reference, world, client, code):  # noqa: F811
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    html = client.get(reverse("organisations:organisation", args=[code])).content.decode()
    assert "Safeguarding posts" in html
    for post in Post.objects.filter(organisation__code=code):
        assert f'href="{reverse("assurance:post_detail", args=[post.pk])}"' in html
    assert reverse("assurance:register_icb", args=["Z9B2Z"]) in html


# --- 4. Findings that are right --------------------------------------------------------------


def test_a_holder_new_in_post_is_not_overdue_supervision(reference, world):  # noqa: F811
    editor, z9 = world["editor"], reference["Z9B2Z"]
    post = post_create(actor=editor, organisation=z9, post_type=world["types"]["ICB_DES_NURSE_SC"])
    tenure = tenure_add(
        actor=editor,
        post=post,
        **holder(start_date=TODAY - datetime.timedelta(days=26), last_supervision=None),
    )

    def overdue(on):
        [register] = registers_for([z9], on=on)
        return [
            f
            for f in register.findings
            if f.post == post and f.kind == FindingKind.SUPERVISION_OVERDUE
        ]

    assert overdue(TODAY) == []
    later = TODAY + relativedelta(months=4)
    [finding] = overdue(later)
    started = tenure.start_date
    assert finding.detail == (
        f"Dr A Example: no supervision recorded since starting on {started.day} {started:%B %Y}."
    )
    # A supervision recorded since counts from its own date.
    tenure_update(actor=editor, tenure=tenure, last_supervision=TODAY)
    assert overdue(later - relativedelta(months=1)) == []


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("start_date", "The start date must be today or in the past"),
        ("last_supervision", "The date of the last supervision must be today or in the past"),
        ("training_date", "The training date must be today or in the past"),
    ],
)
def test_future_dates_are_refused_by_the_service(reference, world, field, label):  # noqa: F811
    future = datetime.date(2030, 1, 1)
    with pytest.raises(ValidationError) as error:
        tenure_add(actor=world["editor"], post=world["vacant"], **holder(**{field: future}))
    [message] = error.value.message_dict[field]
    assert message.startswith(label) and "enter a date on or before" in message
    assert not Tenure.objects.filter(post=world["vacant"]).exists()


def test_tomorrow_is_in_the_future_too(reference, world):  # noqa: F811
    tomorrow = TODAY + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="must be today or in the past"):
        tenure_add(actor=world["editor"], post=world["vacant"], **holder(last_supervision=tomorrow))
    tenure_add(actor=world["editor"], post=world["vacant"], **holder(last_supervision=TODAY))


def test_a_vacancy_cannot_begin_in_the_future(reference, world):  # noqa: F811
    with pytest.raises(ValidationError) as error:
        post_create(
            actor=world["editor"],
            organisation=reference["Z9B2Z"],
            post_type=world["types"]["ICB_DES_NURSE_SC"],
            vacant_since=datetime.date(2030, 1, 1),
        )
    assert "The vacant since date must be today or in the past" in str(error.value)
    with pytest.raises(ValidationError):
        post_update(
            actor=world["editor"], post=world["vacant"], vacant_since=datetime.date(2030, 1, 1)
        )
    assert not Post.objects.filter(post_type__code="ICB_DES_NURSE_SC").exists()


def test_future_dates_are_refused_on_the_form(reference, world, client):  # noqa: F811
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    response = client.post(
        reverse("assurance:tenure_new", args=[world["vacant"].pk]),
        {
            "holder_name": "Jo Midwife",
            "capacity": "wte",
            "whole_time_equivalent": "0.6",
            "start_date_day": "1",
            "start_date_month": "1",
            "start_date_year": "2030",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The start date must be today or in the past: enter a date on or before" in html
    assert 'href="#id_start_date_day"' in html
    response = client.post(
        reverse("assurance:post_edit", args=[world["vacant"].pk]),
        {"vacant_since_day": "1", "vacant_since_month": "1", "vacant_since_year": "2030"},
    )
    assert "The vacant since date must be today or in the past" in response.content.decode()


def test_finding_texts_read_as_sentences(reference, world):  # noqa: F811
    [register] = registers_for([reference["Z9B2Z"]], on=TODAY)
    details = {f.post_type.code: f.detail for f in register.findings}
    assert details["ICB_DES_MCA"] == "No designated MCA lead recorded."
    assert details["ICB_NAMED_GP_C"] == "No named GP for children's safeguarding recorded."
    assert details["ICB_DES_DR_SC"].endswith(
        ": training at level 4 recorded; the post needs level 5."
    )
    assert all(
        f.detail[0].isupper() and f.detail.endswith(".")
        for f in register.findings
        if f.kind in (FindingKind.MISSING, FindingKind.VACANT)
    )
    assert details["ICB_PREVENT_LEAD"] == "No Prevent lead recorded."
    in_sentence = {t.code: t.name_in_sentence for t in PostType.objects.all()}
    assert in_sentence["ICB_DES_MCA"] == "designated MCA lead"
    assert in_sentence["PRV_MCA_LEAD"] == "Mental Capacity Act (MCA) lead"
    assert in_sentence["ICB_EXEC_LEAD"].startswith("executive lead")


def test_length_errors_are_in_the_portals_words(reference, world, client):  # noqa: F811
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    response = client.post(
        reverse("assurance:tenure_new", args=[world["vacant"].pk]),
        {"holder_name": "x" * 201, "capacity": "wte", "whole_time_equivalent": "0.6"},
    )
    html = response.content.decode()
    assert "Name of the holder must be 200 characters or fewer: shorten it (it has 201)." in html
    assert "Ensure this value" not in html


def test_wte_or_sessions_is_one_required_choice(reference, world, client):  # noqa: F811
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    url = reverse("assurance:tenure_new", args=[world["vacant"].pk])
    html = client.get(url).content.decode()
    assert re.search(r'type="radio"[^>]*value="wte"', html.replace("\n", " ")) or (
        'name="capacity" type="radio" value="wte"' in html
    )
    assert "Whole-time equivalent or sessions" in html
    assert "(optional)" not in html.split("Whole-time equivalent or sessions")[1][:400]
    data = {
        "holder_name": "Dr Sessional",
        "start_date_day": "1",
        "start_date_month": "10",
        "start_date_year": "2026",
    }
    response = client.post(url, data)
    assert "Enter the whole-time equivalent or the sessions per week" in response.content.decode()
    assert 'href="#id_capacity"' in response.content.decode()
    response = client.post(url, {**data, "capacity": "sessions"})
    assert "Enter the sessions per week, for example 4." in response.content.decode()
    # Sessions chosen: a stray whole-time equivalent is not kept.
    response = client.post(
        url,
        {**data, "capacity": "sessions", "sessions_per_week": "4", "whole_time_equivalent": "1"},
    )
    assert response.status_code == 302
    tenure = Tenure.objects.get(holder_name="Dr Sessional")
    assert tenure.sessions_per_week == Decimal("4") and tenure.whole_time_equivalent is None
    # Editing: the choice starts as recorded.
    html = client.get(reverse("assurance:tenure_edit", args=[tenure.pk])).content.decode()
    assert re.search(r'value="sessions"[^>]*checked', html)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"whole_time_equivalent": None}, "Enter the whole-time equivalent or the sessions"),
        ({"sessions_per_week": Decimal("4")}, "not both"),
    ],
)
def test_exactly_one_of_wte_or_sessions_in_the_service(reference, world, values, message):  # noqa: F811
    with pytest.raises(ValidationError, match=message):
        tenure_add(actor=world["editor"], post=world["vacant"], **holder(**values))
    tenure = tenure_add(actor=world["editor"], post=world["vacant"], **holder())
    with pytest.raises(ValidationError, match=message):
        tenure_update(actor=world["editor"], tenure=tenure, **values)


# --- 5. Decisions in Python -------------------------------------------------------------------


def test_the_action_each_finding_offers(reference, world):  # noqa: F811
    editor, z9 = world["editor"], reference["Z9B2Z"]
    overdue_post = post_create(
        actor=editor, organisation=z9, post_type=world["types"]["ICB_DES_NURSE_SC"]
    )
    tenure_add(
        actor=editor, post=overdue_post, **holder(last_supervision=datetime.date(2025, 1, 6))
    )
    [register] = registers_for([z9, world["trust"]], on=TODAY)[:1]
    [trust_register] = registers_for([world["trust"]], on=TODAY)
    by_kind = {f.kind: f for f in [*register.findings, *trust_register.findings]}
    missing = by_kind[FindingKind.MISSING]
    action = finding_action(missing, can_change=True)
    assert action.text == "Set up" and f"?type={missing.post_type.code}" in action.href
    assert finding_action(missing, can_change=False) is None
    vacant = by_kind[FindingKind.VACANT]
    assert finding_action(vacant, can_change=True).text == "Add holder"
    assert finding_action(vacant, can_change=False).href == reverse(
        "assurance:post_detail", args=[vacant.post.pk]
    )
    overdue = by_kind[FindingKind.SUPERVISION_OVERDUE]
    action = finding_action(overdue, can_change=True)
    assert action.text == "Update" and action.hidden.startswith(" Dr A Example")
    assert action.href == reverse("assurance:tenure_edit", args=[overdue.tenure.pk])


def test_a_holders_status(reference, world):  # noqa: F811
    tenure = Tenure(start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 6, 30))
    assert tenure.status_on(datetime.date(2026, 3, 1)) == ("In post", "green")
    assert tenure.status_on(datetime.date(2026, 7, 1)) == ("Ended", "grey")
    assert tenure.status_on(datetime.date(2025, 12, 31)) == ("Starts later", "grey")


def test_the_icb_page_loop_has_no_business_conditions():
    from pathlib import Path

    import assurance

    template = Path(assurance.__file__).parent / "jinja2/assurance/register/icb.jinja"
    loop = template.read_text().split("{% for finding, action in findings %}", 1)[1]
    loop = loop.split("{% endfor %}", 1)[0]
    assert "finding.kind" not in loop and "changeable" not in loop


# --- 8. Control characters, export suffixes ----------------------------------------------------


def portal_form_classes():
    modules = [
        importlib.import_module(f"assurance.forms.{m.name}")
        for m in pkgutil.iter_modules(assurance.forms.__path__)
    ]
    modules.append(importlib.import_module("organisations.admin"))
    found = set()
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                found.add(cls)
    return found


def test_every_portal_form_refuses_control_characters():
    classes = portal_form_classes()
    assert len(classes) >= 8
    for cls in classes:
        assert issubclass(cls, PortalFormMixin), f"{cls.__name__} is not a portal form"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Jo\x0bSmith", "vertical tab"),
        ("Jo\x1bSmith", "escape"),
        ("Jo\x00Smith", "NUL"),
        ("Jo\x07Smith", "U+0007"),
        ("Jo\x7fSmith", "DEL"),
    ],
)
def test_control_characters_are_refused_with_what_to_remove(
    reference,
    world,  # noqa: F811
    client,
    text,
    named,
):
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    response = client.post(
        reverse("assurance:tenure_new", args=[world["vacant"].pk]),
        {
            "holder_name": text,
            "capacity": "wte",
            "whole_time_equivalent": "0.6",
            "start_date_day": "1",
            "start_date_month": "10",
            "start_date_year": "2026",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Remove the control characters from this text ({named})" in html
    assert "Null characters are not allowed" not in html
    assert not Tenure.objects.filter(post=world["vacant"]).exists()


@pytest.mark.parametrize("suffix", ["pdf", "CSV", "csvx", "xlsx.exe", "json", "csv/"])
def test_an_export_with_another_suffix_is_missing(reference, world, client, suffix):  # noqa: F811
    user = member(reference["X24"], Role.NSSG_MEMBER)
    client.force_login(user)
    for path in (
        "/register/icbs/Z9B2Z/export.",
        "/register/regions/Y56/export.",
        "/register/national/export.",
    ):
        assert client.get(path + suffix).status_code == 404, path + suffix
        assert client.get(path + "csv").status_code == 200


def test_a_provider_page_links_the_register_only_when_its_lead_icb_is_in_sight(
    reference,
    world,  # noqa: F811
    client,
):
    from organisations.models import Commissioning

    Commissioning.objects.create(icb=reference["QMF"], provider=world["trust"], is_lead=False)
    signed_in(client, reference["QMF"], Role.ICB_VIEWER)
    html = client.get(reverse("organisations:organisation", args=["RAL"])).content.decode()
    assert "Safeguarding posts" in html
    assert f'href="{reverse("assurance:post_detail", args=[world["vacant"].pk])}"' in html
    assert reverse("assurance:register_icb", args=["Z9B2Z"]) not in html
    assert (
        client.get(reverse("assurance:post_detail", args=[world["vacant"].pk])).status_code == 200
    )
