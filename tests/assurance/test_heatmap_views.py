"""The heatmap pages: who reads which (scoping both ways), what a cell
says and links to, the switches and filters (bad choices explained), the
exports equal to the page, the drill-down and an ICB's quarters, the home
panel and navigation, and page query counts that do not grow."""

import csv
import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from assurance.heatmap import heatmap_build
from assurance.heatmap_export import cell_text
from assurance.models import ReturnStatus
from organisations.models import Organisation, Role
from organisations.reference_data import NATIONAL_CODE
from tests.assurance.heatmap_helpers import period, submitted
from tests.factories import enrol_totp, member

pytestmark = pytest.mark.django_db


def signed_in(client, organisation, role):
    user = member(organisation, role)
    enrol_totp(user)
    client.force_login(user)
    return user


def text_of(page: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def region_url(p, code, fmt=None, **params):
    args = [p.financial_year, p.quarter, code]
    if fmt:
        url = reverse("assurance:heatmap_region_export", args=[*args, fmt])
    else:
        url = reverse("assurance:heatmap_region", args=args)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return url + ("?" + query if query else "")


def national_url(p, fmt=None, **params):
    args = [p.financial_year, p.quarter]
    if fmt:
        url = reverse("assurance:heatmap_national_export", args=[*args, fmt])
    else:
        url = reverse("assurance:heatmap_national", args=args)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return url + ("?" + query if query else "")


@pytest.fixture
def london_q1(reference, toolkit):
    """Q1 2026/27 in London: QMF red (validated), QKK green awaiting review and
    late, QWE missing, Z9B2Z against QMJ's and QRV's Q4; elsewhere QRL."""
    by = member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    q4, q1 = period(2025, 4), period(2026, 1)
    submitted(reference["QMJ"], q4, by, {"LG1": "green"})
    submitted(reference["QRV"], q4, by, {"LG1": "amber"})
    submitted(reference["Z9B2Z"], q1, by, {"LG1": "green", "LG5": "red"})
    submitted(
        reference["QMF"],
        q1,
        by,
        {"LG1": ("amber", "red"), "LG2": "green"},
        status=ReturnStatus.UNDER_REVIEW,
    )
    submitted(reference["QKK"], q1, by, {"LG1": "green"}, status=ReturnStatus.SUBMITTED, late=True)
    submitted(reference["QRL"], q1, by, {"LG1": "red"})
    return q1


# --- Scoping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "role", "own_region", "other_region"),
    [
        ("Y56", Role.REGIONAL_LEAD, 200, 404),
        ("Y56", Role.REGIONAL_CHIEF_NURSE, 200, 404),
        (NATIONAL_CODE, Role.NSSG_MEMBER, 200, 200),
        (NATIONAL_CODE, Role.NATIONAL_ADMIN, 200, 200),
        ("QMF", Role.ICB_VIEWER, 404, 404),
    ],
)
def test_who_reads_a_regions_heatmap(
    client, london_q1, reference, code, role, own_region, other_region
):
    signed_in(client, reference[code], role)
    for fmt in (None, "csv", "xlsx"):
        assert client.get(region_url(london_q1, "Y56", fmt)).status_code == own_region
        assert client.get(region_url(london_q1, "Y61", fmt)).status_code == other_region
    assert client.get(region_url(london_q1, "QMF")).status_code == 404  # an ICB is no region
    assert client.get(region_url(london_q1, "Y56") + "export.pdf").status_code == 404


def test_an_icb_sees_only_its_own_row_on_englands_heatmap(client, london_q1, reference):
    signed_in(client, reference["QMF"], Role.ICB_APPROVER)
    page = text_of(client.get(national_url(london_q1)).content.decode())
    assert "NHS North East London Integrated Care Board" in page
    for neighbour in ("South East London", "West and North London", "South West London"):
        assert neighbour not in page
    exported = client.get(national_url(london_q1, "csv")).content.decode("utf-8-sig")
    assert "QMF" in exported and "QKK" not in exported and "QRL" not in exported


def test_englands_heatmap_adds_up_the_regions(client, london_q1, reference):
    signed_in(client, reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    page = text_of(client.get(national_url(london_q1)).content.decode())
    assert page.count(" summary (standards' answers counted)") == 7
    # LG across England: QMF red (validated) and green, QKK green, Z9B2Z red and green, QRL red.
    assert "All regions" in page and "7 regions 3 red, 3 green" in page
    rows = client.get(national_url(london_q1, "csv")).content.decode("utf-8-sig")
    england = list(csv.reader(io.StringIO(rows)))[-1]
    assert england[:5] == ["England", "", "England summary (answers counted)", "", "3 red, 3 green"]


def test_a_region_sees_only_its_icbs_on_englands_heatmap(client, london_q1, reference):
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    page = client.get(national_url(london_q1)).content.decode()
    assert "NHS South East London Integrated Care Board" in page
    assert "QRL" not in text_of(page)


def test_drill_down_is_scoped(client, london_q1, reference):
    q1 = london_q1
    url = reverse("assurance:heatmap_cell", args=[2026, 1, "QMF", "LG"])
    signed_in(client, reference["QKK"], Role.ICB_VIEWER)
    assert client.get(url).status_code == 404
    client.logout()
    signed_in(client, reference["Y61"], Role.REGIONAL_LEAD)
    assert client.get(url).status_code == 404
    client.logout()
    signed_in(client, reference["QMF"], Role.ICB_VIEWER)
    page = client.get(url)
    assert page.status_code == 200
    # Its team goes back to England's heatmap (its own row), not the region's.
    assert f'href="{national_url(q1)}"' in page.content.decode()
    assert (
        client.get(reverse("assurance:heatmap_cell", args=[2026, 1, "QMF", "XX"])).status_code
        == 404
    )
    assert q1 is not None


def test_icb_history_is_scoped(client, london_q1, reference):
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    assert client.get(reverse("assurance:heatmap_icb", args=["Z9B2Z"])).status_code == 200
    assert client.get(reverse("assurance:heatmap_icb", args=["QMJ"])).status_code == 200
    assert client.get(reverse("assurance:heatmap_icb", args=["QMF"])).status_code == 404
    assert client.get(reverse("assurance:heatmap_icb", args=["Y56"])).status_code == 404


# --- What the page says ---------------------------------------------------------------


def test_region_page_shows_words_counts_marks_trend_and_legend(client, london_q1, reference):
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    response = client.get(region_url(london_q1, "Y56"))
    assert response.status_code == 200
    html = response.content.decode()
    page = text_of(html)
    assert "Red" in page and "1 red, 1 green" in page  # QMF's LG, validated
    assert "Differs : self-assessed 1 amber, 1 green" in page
    assert "Late, Awaiting review" in page  # QKK's marks
    assert "Missing : no return started" in page  # QWE
    assert "Compared with its predecessors QMJ and QRV combined" in page
    assert "Worse than Q4 2025/26" in page  # Z9B2Z red against QRV's amber
    for word in ("Missing", "Draft", "Late", "Awaiting review", "Returned for changes", "Differs"):
        assert word in page  # the legend explains each
    assert 'scope="col">ICB</th>' in html
    assert 'scope="row"' in html and "<caption" in html
    drill = reverse("assurance:heatmap_cell", args=[2026, 1, "QMF", "LG"])
    assert f'href="{drill}"' in html


def test_switches_views_and_bases(client, london_q1, reference):
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    theme = text_of(client.get(region_url(london_q1, "Y56", view="theme")).content.decode())
    assert "Theme heatmap for Q1 2026/27: Joint Forward Plan" in theme
    assert "LG5" in theme and "LG1 " not in theme
    own = text_of(client.get(region_url(london_q1, "Y56", basis="self")).content.decode())
    assert "Differs" not in own.split("London's ICBs")[1]
    differ = text_of(client.get(region_url(london_q1, "Y56", basis="differ")).content.decode())
    assert "No difference" in differ and "Differs : self-assessed" in differ
    standards = client.get(region_url(london_q1, "Y56", view="standards", section="LG"))
    assert "standards of LG" in text_of(standards.content.decode())
    metrics = client.get(region_url(london_q1, "Y56", view="metrics"))
    assert metrics.status_code == 200
    reds = text_of(client.get(region_url(london_q1, "Y56", rating="red")).content.decode())
    assert "Showing 2 of 4 ICBs" in reds


def test_bad_choices_are_explained_and_defaults_used(client, london_q1, reference):
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    response = client.get(region_url(london_q1, "Y56", view="pie", section="ZZ", rating="x"))
    assert response.status_code == 400
    page = text_of(response.content.decode())
    assert "There is a problem" in page
    assert "Choose what to show" in page
    assert "Choose a section of this quarter" in page
    assert "Choose red, amber, green, not applicable, missing or draft" in page
    assert "Heatmap for Q1 2026/27" in page  # the default view is still shown
    missing = client.get(region_url(london_q1, "Y56", view="standards"))
    assert "Choose the section whose standards to show" in text_of(missing.content.decode())


# --- Exports equal the page -----------------------------------------------------------


@pytest.mark.parametrize(
    "params", [{}, {"view": "theme"}, {"basis": "differ"}, {"view": "metrics"}]
)
def test_exports_equal_the_page(client, london_q1, reference, params):
    user = signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    page = text_of(client.get(region_url(london_q1, "Y56", **params)).content.decode())
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(region_url(london_q1, "Y56", "csv", **params)).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert rows[1][0] == "Filters" and any(r and r[0] == "Legend" for r in rows)
    header = rows.index(next(r for r in rows if r[:3] == ["Region", "ODS code", "ICB"]))
    body = rows[header + 1 :]
    heatmap = heatmap_build(
        user=user,
        period=london_q1,
        region=reference["Y56"],
        view=params.get("view", "sections"),
        basis=params.get("basis", "validated"),
    )
    # Every cell of the heatmap is in the export as the page words it.
    for row in heatmap.rows:
        line = next(r for r in body if r[1] == row.icb.code)
        assert line[2] == row.icb.name and line[2] in page
        for index, cell in enumerate(row.cells):
            assert line[4 + index] == cell_text(cell, heatmap)
            assert cell.word in page
            if cell.shown.text and not cell.value:
                assert cell.shown.text in page
    workbook = load_workbook(
        io.BytesIO(client.get(region_url(london_q1, "Y56", "xlsx", **params)).content)
    )
    sheet = workbook.active
    values = [[c if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)]
    assert [str(v) for v in values[header + 1][:4]] == body[0][:4]
    assert [str(v) for v in values[-1]] == [str(v) for v in body[-1]]


def test_export_escapes_formulae(client, reference, toolkit):
    signed_in(client, reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    icb = reference["QMF"]
    Organisation.objects.filter(pk=icb.pk).update(name="=cmd|' /C calc'!A0")
    rows = client.get(region_url(period(2026, 1), "Y56", "csv")).content.decode("utf-8-sig")
    assert "'=cmd" in rows


# --- Drill-down, an ICB's quarters, home and navigation --------------------------------


def test_drill_down_shows_the_answers_and_links_to_review(client, london_q1, reference):
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    url = reverse("assurance:heatmap_cell", args=[2026, 1, "QMF", "LG"])
    page = client.get(url).content.decode()
    text = text_of(page)
    assert "LG1" in text and "LG2" in text
    assert "Checked against the evidence." in text  # the validated rationale
    assert "Differs from the self-assessment" in text
    validation = reverse("assurance:return_validation", args=["QMF", 2026, 1])
    assert f'href="{validation}#standard-LG1"' in page
    assert reverse("assurance:return_section", args=["QMF", 2026, 1, "LG"]) in page
    # No link to rate a return the lead is not reviewing.
    other = client.get(reverse("assurance:heatmap_cell", args=[2026, 1, "QKK", "LG"]))
    assert "Record a validated rating" not in other.content.decode()
    missing = client.get(reverse("assurance:heatmap_cell", args=[2026, 1, "QWE", "LG"]))
    assert "Missing" in text_of(missing.content.decode())


def test_icb_page_shows_predecessors_quarters(client, london_q1, reference):
    signed_in(client, reference["Z9B2Z"], Role.ICB_VIEWER)
    page = text_of(client.get(reverse("assurance:heatmap_icb", args=["Z9B2Z"])).content.decode())
    assert (
        "Q4 2025/26 QMJ's return (NHS North Central London Integrated Care Board) , predecessor"
        in page
    )
    assert "Section ratings over the last eight quarters" in page


def test_each_role_starts_on_its_heatmap(client, reference, toolkit):
    signed_in(client, reference["Y56"], Role.REGIONAL_LEAD)
    start = client.get(reverse("assurance:heatmaps"))
    assert start.status_code == 302 and "/regions/Y56/heatmap/" in start["Location"]
    home = client.get(reverse("organisations:home")).content.decode()
    assert "/regions/Y56/heatmap/" in home
    assert ">Heatmaps<" in home
    client.logout()
    signed_in(client, reference["QMF"], Role.ICB_VIEWER)
    assert client.get(reverse("assurance:heatmaps"))["Location"] == reverse(
        "assurance:heatmap_icb", args=["QMF"]
    )


# --- Queries --------------------------------------------------------------------------------


def test_page_queries_do_not_grow_with_icbs(client, london_q1, reference):
    signed_in(client, reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    client.get(national_url(london_q1))
    with CaptureQueriesContext(connection) as few:
        client.get(national_url(london_q1))
    by = member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    q4 = period(2025, 4)
    for icb in (
        Organisation.objects.icbs().existing_on(london_q1.ends_on).exclude(parent=reference["Y56"])
    ):
        if icb.code != "QRL":  # which the fixture gave a return
            submitted(icb, london_q1, by, {}, default="amber", status=ReturnStatus.SUBMITTED)
        if icb.existed_on(q4.ends_on):
            submitted(icb, q4, by, {}, default="green")
    with CaptureQueriesContext(connection) as many:
        response = client.get(national_url(london_q1))
    assert text_of(response.content.decode()).count("Awaiting review") >= 30
    assert len(many) == len(few)
