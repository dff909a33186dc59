"""The register's pages and exports, as each role meets them."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from assurance.models import Post, PostType, Tenure
from assurance.services.register import (
    post_create,
    post_types_load,
    tenure_add,
    tenure_update,
)
from organisations.audit import system_actor
from organisations.models import Commissioning, Role
from tests.factories import ProviderFactory, enrol_totp, member


@pytest.fixture
def world(reference):
    post_types_load(actor=system_actor())
    types = {pt.code: pt for pt in PostType.objects.all()}
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    trust = ProviderFactory(
        code="RAL", name="Royal Free London NHS Foundation Trust", provides_maternity=True
    )
    Commissioning.objects.create(icb=reference["Z9B2Z"], provider=trust, is_lead=True)
    other_trust = ProviderFactory(code="R1H", name="Barts Health NHS Trust")
    Commissioning.objects.create(icb=reference["QMF"], provider=other_trust, is_lead=True)
    post = post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=types["ICB_DES_DR_SC"]
    )
    tenure_add(
        actor=editor,
        post=post,
        holder_name='=HYPERLINK("http://x")',
        whole_time_equivalent=Decimal("0.8"),
        start_date=datetime.date(2024, 4, 1),
        training_level=4,
        last_supervision=datetime.date.today(),
    )
    vacant = post_create(
        actor=editor,
        organisation=trust,
        post_type=types["PRV_NAMED_MIDWIFE"],
        vacant_since=datetime.date(2026, 9, 1),
    )
    qmf_editor = member(reference["QMF"], Role.ICB_EDITOR)
    qmf_post = post_create(
        actor=qmf_editor, organisation=other_trust, post_type=types["PRV_NAMED_NURSE_SC"]
    )
    return {
        "editor": editor,
        "trust": trust,
        "vacant": vacant,
        "types": types,
        "qmf_post": qmf_post,
        "other_trust": other_trust,
    }


def signed_in(client, organisation, role):
    user = member(organisation, role)
    if role in (Role.ICB_APPROVER, Role.REGIONAL_LEAD, Role.NATIONAL_ADMIN):
        enrol_totp(user)
    client.force_login(user)
    return user


def page_rows(html: str) -> list[list[str]]:
    """The cells of the page's 'Every post' table, as text."""
    table = html.split("Every post, findings first", 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells])
    import html as html_lib

    return [[html_lib.unescape(c) for c in r] for r in rows]


def test_icb_register_shows_findings_first_for_the_icb_and_the_providers_it_leads(
    reference, world, client
):
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    response = client.get(reverse("assurance:register_icb", args=["Z9B2Z"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Royal Free London NHS Foundation Trust" in html
    assert "Barts Health NHS Trust" not in html  # QMF leads it
    assert "Vacant since 1 September 2026." in html
    assert "level 4 recorded; the post needs level 5" in html
    assert "Set up" not in html  # a viewer gets no editing links

    # The ICB's first post in the register's own order becomes filled without a
    # finding: without the sort, that "Filled" row would come first.
    z9 = reference["Z9B2Z"]
    first_type = min(
        (t for t in world["types"].values() if t.is_required_for(z9)),
        key=lambda t: (t.display_order, t.name),
    )
    post = Post.objects.get(organisation=z9, post_type=first_type)
    for tenure in post.tenures.all():
        tenure_update(actor=world["editor"], tenure=tenure, training_level=5)
    rows = page_rows(client.get(reverse("assurance:register_icb", args=["Z9B2Z"])).content.decode())
    statuses = [r[-1] for r in rows]
    assert "Filled" in statuses and statuses[0] != "Filled"
    first_filled = statuses.index("Filled")
    # Every row with a finding comes before every row without one.
    assert all(s not in ("Filled", "Not required") for s in statuses[:first_filled])
    assert all(s in ("Filled", "Not required") for s in statuses[first_filled:])


def test_the_export_has_the_same_rows_as_the_page(reference, world, client):
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    page = page_rows(client.get(reverse("assurance:register_icb", args=["Z9B2Z"])).content.decode())
    csv_response = client.get(reverse("assurance:register_icb_export", args=["Z9B2Z", "csv"]))
    assert csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Organisation", "ODS code", "Post"]
    unescaped = [[c[1:] if c.startswith("'=") else c for c in r] for r in body]
    assert unescaped == page
    # A formula typed into a name is never run by the spreadsheet.
    assert any(c.startswith("'=HYPERLINK") for r in body for c in r)

    # The workbook holds the page's rows too, with real dates (shown as the
    # page shows them) and formula-like text as text, without an apostrophe.
    xlsx = client.get(reverse("assurance:register_icb_export", args=["Z9B2Z", "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active

    def shown(value):
        if isinstance(value, datetime.datetime):
            return f"{value.day} {value:%B %Y}"
        return "" if value is None else value

    cells = [[shown(c) for c in r] for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == header and cells[1:] == page
    assert any(isinstance(c.value, datetime.datetime) for r in sheet.iter_rows() for c in r)


def test_an_icb_user_cannot_see_another_icbs_register(reference, world, client):
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    assert client.get(reverse("assurance:register_icb", args=["QMF"])).status_code == 404
    assert (
        client.get(reverse("assurance:register_icb_export", args=["QMF", "csv"])).status_code == 404
    )
    assert (
        client.get(reverse("assurance:post_detail", args=[world["qmf_post"].pk])).status_code == 404
    )
    assert (
        client.get(reverse("assurance:tenure_new", args=[world["qmf_post"].pk])).status_code == 404
    )
    assert client.get(reverse("assurance:post_new", args=["R1H"])).status_code == 404
    assert client.get(reverse("assurance:register_region", args=["Y56"])).status_code == 404
    assert client.get(reverse("assurance:register_national")).status_code == 404


def test_an_editor_records_a_holder_and_the_finding_goes(reference, world, client):
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    url = reverse("assurance:tenure_new", args=[world["vacant"].pk])
    today = datetime.date.today()
    response = client.post(
        url,
        {
            "holder_name": "Jo Midwife",
            "whole_time_equivalent": "0.6",
            "start_date_day": "1",
            "start_date_month": "10",
            "start_date_year": "2026",
            "last_supervision_day": str(today.day),
            "last_supervision_month": str(today.month),
            "last_supervision_year": str(today.year),
            "training_level": "4",
        },
    )
    assert response.status_code == 302
    assert Tenure.objects.filter(post=world["vacant"], holder_name="Jo Midwife").exists()
    html = client.get(reverse("assurance:register_icb", args=["Z9B2Z"])).content.decode()
    assert "Vacant since 1 September 2026." not in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"whole_time_equivalent": "0"}, "above 0 and at most 1.5"),
        ({"whole_time_equivalent": "1.6"}, "above 0 and at most 1.5"),
        (
            {"end_date_day": "1", "end_date_month": "1", "end_date_year": "2020"},
            "The end date cannot be before the start date.",
        ),
        ({"whole_time_equivalent": ""}, "Enter the whole-time equivalent or the sessions"),
        ({"holder_name": ""}, "Enter the name of the holder."),
    ],
)
def test_bad_input_gets_a_specific_error_and_nothing_is_saved(
    reference, world, client, fields, message
):
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    data = {
        "holder_name": "Jo Midwife",
        "whole_time_equivalent": "0.6",
        "start_date_day": "1",
        "start_date_month": "10",
        "start_date_year": "2026",
    }
    data.update(fields)
    response = client.post(reverse("assurance:tenure_new", args=[world["vacant"].pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert not Tenure.objects.filter(post=world["vacant"]).exists()


def test_two_current_holders_of_a_single_post_are_refused(reference, world, client):
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    post = Post.objects.get(post_type__code="ICB_DES_DR_SC", organisation__code="Z9B2Z")
    response = client.post(
        reverse("assurance:tenure_new", args=[post.pk]),
        {
            "holder_name": "Second Person",
            "whole_time_equivalent": "0.5",
            "start_date_day": "1",
            "start_date_month": "6",
            "start_date_year": "2026",
        },
    )
    assert response.status_code == 200
    assert "is not a job share" in response.content.decode()
    assert post.tenures.count() == 1


def test_setting_up_a_missing_post(reference, world, client):
    signed_in(client, reference["Z9B2Z"], Role.ICB_APPROVER)
    url = reverse("assurance:post_new", args=["Z9B2Z"])
    mca = world["types"]["ICB_DES_MCA"]
    response = client.post(url, {"post_type": mca.pk, "hosted_by": reference["QMF"].pk})
    assert response.status_code == 302
    post = Post.objects.get(organisation__code="Z9B2Z", post_type=mca)
    assert post.hosted_by.code == "QMF"
    refused = client.post(
        url, {"post_type": world["types"]["ICB_DES_NURSE_SC"].pk, "hosted_by": reference["QMF"].pk}
    )
    assert "cannot be hosted elsewhere" in refused.content.decode()


@pytest.mark.parametrize(
    ("code", "role"),
    [
        ("Z9B2Z", Role.ICB_VIEWER),
        ("Y56", Role.REGIONAL_LEAD),
        ("Y56", Role.REGIONAL_CHIEF_NURSE),
        ("X24", Role.NSSG_MEMBER),
        ("X24", Role.NATIONAL_ADMIN),
    ],
)
def test_readers_read_but_change_nothing(reference, world, client, code, role):
    signed_in(client, reference[code], role)
    assert client.get(reverse("assurance:register_icb", args=["Z9B2Z"])).status_code == 200
    assert (
        client.get(reverse("assurance:post_detail", args=[world["vacant"].pk])).status_code == 200
    )
    for url in (
        reverse("assurance:tenure_new", args=[world["vacant"].pk]),
        reverse("assurance:post_new", args=["Z9B2Z"]),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, {"holder_name": "X"}).status_code == 403
    assert not Tenure.objects.filter(post=world["vacant"]).exists()


def test_region_overview_lists_its_icbs_with_counts(reference, world, client):
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    response = client.get(reverse("assurance:register_region", args=["Y56"]))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("NHS West and North London", "NHS North East London", "NHS South East London"):
        assert name in html
    assert "NHS North Central London" not in html  # closed before today
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    reverse("assurance:register_region_export", args=["Y56", "csv"])
                ).content.decode("utf-8-sig")
            )
        )
    )
    z9 = next(r for r in rows if r[1] == "Z9B2Z")
    # 11 ICB posts + 9 for the trust with maternity services; 1 filled.
    assert z9[2:6] == ["20", "1", "18", "1"]
    # Before 1 April 2026 the region had QMJ and QRV instead of Z9B2Z.
    past = client.get(reverse("assurance:register_region", args=["Y56"]) + "?on=2026-03-31")
    assert "NHS North Central London" in past.content.decode()
    assert client.get(reverse("assurance:register_region", args=["Y61"])).status_code == 404


def test_national_overview(reference, world, client, django_assert_max_num_queries):
    signed_in(client, reference["X24"], Role.NSSG_MEMBER)
    # About 13 queries serve any signed-in page (session, user, MFA check, header).
    with django_assert_max_num_queries(22):
        response = client.get(reverse("assurance:register_national"))
    assert response.status_code == 200
    export = client.get(reverse("assurance:register_national_export", args=["csv"]))
    assert isinstance(export, StreamingHttpResponse)  # the national exports stream
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + 36
    assert client.get(reverse("assurance:register")).url == reverse("assurance:register_national")


def test_register_start_sends_each_role_to_its_view(reference, world, client):
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    assert client.get(reverse("assurance:register")).url == reverse(
        "assurance:register_icb", args=["Z9B2Z"]
    )


def test_an_editor_changes_a_post_and_a_viewer_cannot(reference, world, client):
    post = world["vacant"]
    url = reverse("assurance:post_edit", args=[post.pk])
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    assert client.get(url).status_code == 403
    signed_in(client, reference["Z9B2Z"], Role.ICB_EDITOR)
    page = client.get(url).content.decode()
    assert "Change Named midwife for safeguarding children" in page
    response = client.post(url, {"job_share": "on", "notes": "Recruiting: advert closes soon."})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.job_share and post.notes.startswith("Recruiting")
    # Hosting is refused for posts the SAAF wants held in-house, with the reason.
    refused = client.post(url, {"hosted_by": reference["QMF"].pk})
    assert "cannot be hosted elsewhere" in refused.content.decode()
