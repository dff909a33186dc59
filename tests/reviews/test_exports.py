"""Exports of the tracker's views to CSV and .xlsx: the page's scoping (a
region's export holds only its ICBs' reviews; another ICB's tracker is a
404), and formula-like text escaped by the shared helper."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reviews import services
from reviews.models import Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviews(people, world, make_review):
    z9 = make_review(
        reference='=HYPERLINK("http://evil")',
        learning_themes=["supervision"],
        expected_publication_on=datetime.date(2026, 6, 1),
        delay_reason="@SUM(1+1) waiting for the coroner",
        stage=Stage.SCOPING,
    )
    recommendation = services.recommendation_create(
        actor=people["z9_editor"], review=z9, text="Audit."
    )
    services.action_create(
        actor=people["z9_editor"],
        recommendation=recommendation,
        description="-1 training sessions to plan",
        owner=world["z9_trust"],
        due_on=datetime.date(2026, 6, 1),
    )
    qmf = make_review(
        actor=people["qmf_editor"],
        lead_icb=world["qmf"],
        reference="QMF-ONLY",
        area=world["hackney"],
        learning_themes=["training"],
        expected_publication_on=datetime.date(2026, 6, 1),
    )
    return {"z9": z9, "qmf": qmf}


def _csv(response) -> list[list[str]]:
    text = b"".join(
        response.streaming_content if response.streaming else [response.content]
    ).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _xlsx(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(body)).active


def test_overview_exports_escape_formula_like_text(client, people, reviews):
    client.force_login(people["london_lead"])
    response = client.get(reverse("reviews:overview_export", args=["slippage", "csv"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="reviews-slippage-')
    rows = _csv(response)
    assert rows[0][0] == "Reference"
    z9_row = next(r for r in rows if "HYPERLINK" in r[0])
    assert z9_row[0] == '\'=HYPERLINK("http://evil")'
    assert z9_row[-1] == "'@SUM(1+1) waiting for the coroner"
    sheet = _xlsx(client.get(reverse("reviews:overview_export", args=["slippage", "xlsx"])))
    cells = {c.value: c for row in sheet.iter_rows(min_row=2) for c in row if c.value}
    cell = cells['=HYPERLINK("http://evil")']
    assert cell.data_type == "s" and cell.quotePrefix
    dates = [c for c in cells.values() if isinstance(c.value, datetime.datetime)]
    assert dates and dates[0].value.date() == datetime.date(2026, 6, 1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_overview_exports_keep_the_pages_scope(client, people, reviews, fmt):
    client.force_login(people["z9_viewer"])
    response = client.get(reverse("reviews:overview_export", args=["slippage", fmt]))
    if fmt == "csv":
        references = [row[0] for row in _csv(response)[1:]]
    else:
        references = [row[0].value for row in _xlsx(response).iter_rows(min_row=2)]
    assert references == ["'=HYPERLINK(\"http://evil\")" if fmt == "csv" else
                          "=HYPERLINK(\"http://evil\")"]  # fmt: skip
    client.force_login(people["london_lead"])
    themes = _csv(client.get(reverse("reviews:overview_export", args=["themes", "csv"])))
    assert sorted(themes[1:]) == [["Supervision", "1"], ["Training", "1"]]
    client.force_login(people["north_west_lead"])
    themes = _csv(client.get(reverse("reviews:overview_export", args=["themes", "csv"])))
    assert themes[1:] == []


def test_overview_exports_refuse_unknown_tables_and_formats(client, people, reviews):
    client.force_login(people["london_lead"])
    assert client.get(reverse("reviews:overview_export", args=["nope", "csv"])).status_code == 404
    assert client.get(reverse("reviews:overview_export", args=["themes", "pdf"])).status_code == 404
    client.logout()
    response = client.get(reverse("reviews:overview_export", args=["themes", "csv"]))
    assert response.status_code == 302  # to sign in


def test_tracker_exports_are_scoped_and_escaped(client, people, reviews):
    url = reverse("reviews:tracker_export", args=["Z9B2Z", "overdue-actions", "csv"])
    client.force_login(people["qe1_editor"])
    assert client.get(url).status_code == 404
    client.force_login(people["qmf_viewer"])
    assert client.get(url).status_code == 404  # QMF does not read Z9B2Z's tracker
    client.force_login(people["london_lead"])
    rows = _csv(client.get(url))
    assert rows[0] == ["Review", "Recommendation", "Action", "Owner", "Due", "Status"]
    assert rows[1][2] == "'-1 training sessions to plan"
    open_reviews = _csv(
        client.get(reverse("reviews:tracker_export", args=["Z9B2Z", "open-reviews", "csv"]))
    )
    assert [r[0] for r in open_reviews[1:]] == ['\'=HYPERLINK("http://evil")']
    sheet = _xlsx(
        client.get(reverse("reviews:tracker_export", args=["QMF", "open-reviews", "xlsx"]))
    )
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["QMF-ONLY"]
    page = client.get(reverse("reviews:tracker", args=["Z9B2Z"])).content.decode()
    assert reverse("reviews:tracker_export", args=["Z9B2Z", "open-reviews", "xlsx"]) in page
