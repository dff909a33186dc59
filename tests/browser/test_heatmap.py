"""The heatmaps in Chromium: London's lead opens the latest closed
quarter's heatmap, switches to the theme heatmap, drills into a red cell,
records a validated rating with a rationale and sees the "differs" marker;
axe finds nothing serious on the heatmap, theme and drill-down pages. And
England's heatmap printed to PDF in print media: A4 landscape, one region a
page, every cell's word in its text."""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from assurance.heatmap import heatmap_build
from assurance.models import ReturnStatus, SubmittedAnswer
from organisations.models import Organisation, Role
from organisations.reference_data import NATIONAL_CODE
from tests.assurance.heatmap_helpers import period, submitted
from tests.browser.conftest import assert_accessible
from tests.factories import enrol_totp, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_lead_drills_into_a_red_cell_and_validates_it(
    live_server, page, sign_in, reference, toolkit
):
    by = member(reference[NATIONAL_CODE], Role.NATIONAL_ADMIN)
    q4, q1 = period(2025, 4), period(2026, 1)  # Q1 2026/27: the latest closed quarter
    submitted(reference["QMJ"], q4, by, {}, default="green")
    submitted(reference["QRV"], q4, by, {}, default="amber")
    submitted(
        reference["Z9B2Z"],
        q1,
        by,
        {"LG5": "red", "LG6": "green", "LG7": "amber"},
        default="green",
        status=ReturnStatus.UNDER_REVIEW,
    )
    submitted(reference["QMF"], q1, by, {}, default="green", late=True)
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    enrol_totp(lead)
    sign_in(lead)

    page.goto(live_server.url + "/")
    # The heatmap opens on the latest ended quarter with submissions: Q1 2026/27.
    page.get_by_role("link", name="Heatmaps", exact=True).first.click()
    page.get_by_role("heading", name="Heatmap for Q1 2026/27").wait_for()
    assert_accessible(page)

    page.goto(f"{live_server.url}/periods/2026/q1/regions/Y56/heatmap/?view=pie&rating=blue")
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert_accessible(page)  # the filters' errors, with the default heatmap below
    page.get_by_role("combobox", name="Show").select_option("sections")
    page.get_by_role("combobox", name="Only ICBs with").select_option("")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("heading", name="Heatmap for Q1 2026/27").wait_for()
    page.get_by_role("link", name="Theme: Joint Forward Plan").click()
    page.get_by_role("heading", name="Theme heatmap for Q1 2026/27").wait_for()
    assert_accessible(page)
    row = page.get_by_role("row").filter(has_text="NHS West and North London")
    row.get_by_role("link", name="Red – LG5, the answers behind it").click()
    page.get_by_role("heading", name="LG Leadership and governance").wait_for()
    expect(page.locator("#standard-LG5").get_by_text("Red").first).to_be_visible()
    assert_accessible(page)

    page.locator("#standard-LG5").get_by_role("link", name="Record a validated rating").click()
    lg5 = page.locator("#standard-LG5")
    lg5.get_by_label("Amber").check()
    lg5.get_by_label("Rationale for LG5").fill(
        "The plan names the priorities; resourcing is partial."
    )
    lg5.get_by_role("button", name="Record validated rating for LG5").click()
    expect(page.get_by_text("LG5: validated rating recorded.")).to_be_visible()
    answer = SubmittedAnswer.objects.get(
        standard__code="LG5", submission__quarterly_return__icb__code="Z9B2Z"
    )
    assert (answer.rating, answer.validated_rating) == ("red", "amber")

    page.goto(f"{live_server.url}/periods/2026/q1/regions/Y56/heatmap/?view=theme")
    row = page.get_by_role("row").filter(has_text="NHS West and North London")
    expect(row.get_by_text("Differs", exact=False).first).to_be_visible()
    expect(row.get_by_role("link", name="Amber – LG5, the answers behind it")).to_be_visible()
    page.get_by_role("link", name="Where they differ").click()
    row = page.get_by_role("row").filter(has_text="NHS West and North London")
    expect(row.get_by_text("self-assessed 1 red")).to_be_visible()

    page.get_by_role("link", name="NHS West and North London Integrated Care Board").click()
    heading = page.get_by_role("heading", name="Section ratings over the last eight quarters")
    expect(heading).to_be_visible()
    expect(page.get_by_text("QRV's return").first).to_be_visible()
    assert_accessible(page)


def test_englands_heatmap_prints_one_region_a_page_with_every_word(
    live_server, page, sign_in, reference, toolkit
):
    nssg = member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    q4, q1 = period(2025, 4), period(2026, 1)
    icbs = list(Organisation.objects.icbs().existing_on(q1.ends_on).order_by("code"))
    ratings = ["green", "amber", "red", "not_applicable"]
    for index, icb in enumerate(icbs):
        if index % 9 == 4:
            continue  # missing
        # Every standard of section n rated by turns, so sections differ.
        chosen = {f"LG{n}": ratings[(index + n) % 4] for n in range(1, 8)} | {
            f"DP{n}": ratings[(index * 2 + n) % 3] for n in range(1, 6)
        }
        submitted(icb, q1, nssg, chosen, default=ratings[index % 3])
    for icb in Organisation.objects.icbs().existing_on(q4.ends_on):
        submitted(icb, q4, nssg, {}, default="amber")
    sign_in(nssg)

    page.goto(f"{live_server.url}/periods/2026/q1/heatmap/")
    assert_accessible(page)
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    width, height = float(pdf.pages[0].mediabox.width), float(pdf.pages[0].mediabox.height)
    assert width > height  # landscape
    assert abs(width - 841.89) < 2 and abs(height - 595.28) < 2  # A4 in points

    texts = [p.extract_text() for p in pdf.pages]
    heatmap = heatmap_build(user=nssg, period=q1)
    assert len(heatmap.groups) == 7
    region_pages = [t for t in texts if "Region:" in t]
    # The title and legend's page, one page per region, then all regions' counts.
    assert len(region_pages) == 7 == len(texts) - 2
    assert "All regions ·" in texts[-1]
    for group in heatmap.groups:
        [text] = [t for t in region_pages if f"Region: {group.region.name} ·" in t]
        assert text.count("Region:") == 1
        words = [c.word for row in group.rows for c in row.cells]
        # A missing row says so beside the ICB's name and across its cells.
        words += [row.state_word for row in group.rows if not row.rated] * 2
        flat = " ".join(text.split())
        for word in ("Red", "Amber", "Green", "Missing"):
            assert len(re.findall(rf"\b{word}\b", flat)) == words.count(word), (
                group.region.name,
                word,
            )
        assert len(re.findall(r"Not\s+applicable", flat)) == words.count("Not applicable")
