"""Heatmaps and timeliness through the API: the same matrix as the page
(`heatmap_build`), scoped the same way, its choices checked with messages to
act on, a region out of scope not found, and a fixed number of queries."""

import pytest

from assurance.heatmap import heatmap_build
from organisations.models import Role
from organisations.reference_data import NATIONAL_CODE
from tests.api.conftest import token_client
from tests.assurance.heatmap_helpers import period, submitted
from tests.factories import member

pytestmark = pytest.mark.django_db

Q3 = "/api/v1/periods/2026/3/"


@pytest.fixture
def nssg(reference, toolkit):
    return member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)


@pytest.fixture
def rated(reference, nssg):
    q3 = period(2026, 3)
    submitted(
        reference["Z9B2Z"],
        q3,
        nssg,
        {"LG1": "green", "LG2": ("amber", "red"), "LG3": "not_applicable"},
        default="green",
        late=True,
    )
    submitted(reference["QHL"], q3, nssg, {}, default="green")
    return q3


def _row(body, code):
    return next(r for g in body["groups"] for r in g["rows"] if r["icb"]["code"] == code)


def test_the_national_matrix_is_the_pages(reference, nssg, rated):
    body = token_client(nssg).get(Q3 + "heatmap/").json()
    page = heatmap_build(user=nssg, period=rated)
    assert body["view"] == "sections" and body["basis"] == "validated"
    assert [c["key"] for c in body["columns"]] == [c.key for c in page.columns]
    assert body["total_rows"] == page.total_rows == len(page.rows)
    row = _row(body, "Z9B2Z")
    assert row["state"] == "rated" and "Late" in row["marks"]
    lg = next(c for c in row["cells"] if c["column"] == "LG")
    assert lg["rating"] == "red"  # validated red on LG2 is the worst
    assert lg["self_assessed"] == "amber" and lg["differs"] is True
    assert lg["counts"] == {"green": lg["counts"]["green"], "red": 1, "not_applicable": 1}
    # Regions as the page groups them, with England's counts per column.
    assert [g["region"]["code"] for g in body["groups"]] == [g.region.code for g in page.groups]
    assert len(body["counts"]) == len(body["columns"])


def test_choices_narrow_and_wrong_ones_say_what_to_fix(nssg, rated):
    api = token_client(nssg)
    standards = api.get(Q3 + "heatmap/?view=standards&section=LG&basis=self").json()
    assert [c["key"] for c in standards["columns"]][:3] == ["LG1", "LG2", "LG3"]
    lg2 = next(c for c in _row(standards, "Z9B2Z")["cells"] if c["column"] == "LG2")
    assert lg2["rating"] == "amber"  # self-assessed
    only_red = api.get(Q3 + "heatmap/?rating=red").json()
    assert [r["icb"]["code"] for g in only_red["groups"] for r in g["rows"]] == ["Z9B2Z"]
    assert only_red["shown_rows"] == 1 and only_red["total_rows"] > 1

    missing_section = api.get(Q3 + "heatmap/?view=standards")
    assert missing_section.status_code == 400
    assert missing_section.json()["errors"] == {
        "section": ["Choose the section whose standards to show."]
    }
    wrong = api.get(Q3 + "heatmap/?view=grid&section=XX").json()
    assert wrong["errors"]["view"] == ['"grid" is not one of sections, standards, metrics, theme.']
    unknown = api.get(Q3 + "heatmap/?section=XX").json()
    assert unknown["errors"] == {"section": ["Choose a section of this quarter's toolkit."]}


def test_a_region_reads_its_own_heatmap_not_anothers(reference, lead, rated):
    api = token_client(lead)
    own = api.get(Q3 + "regions/Y56/heatmap/").json()
    assert {r["icb"]["code"] for g in own["groups"] for r in g["rows"]} >= {"Z9B2Z"}
    assert own["region"]["code"] == "Y56"
    other = api.get(Q3 + "regions/Y60/heatmap/")
    assert other.status_code == 404
    assert other.json() == api.get(Q3 + "regions/NOPE/heatmap/").json()
    # England's heatmap holds only the rows the region may read.
    national = api.get(Q3 + "heatmap/").json()
    assert {g["region"]["code"] for g in national["groups"]} == {"Y56"}
    # An ICB's team reads its own row, and no region's heatmap.
    editor = token_client(member(reference["Z9B2Z"], Role.ICB_EDITOR))
    mine = editor.get(Q3 + "heatmap/").json()
    assert [r["icb"]["code"] for g in mine["groups"] for r in g["rows"]] == ["Z9B2Z"]
    assert editor.get(Q3 + "regions/Y56/heatmap/").status_code == 404


def test_timeliness_rows_as_the_lists_show_them(reference, nssg, rated):
    api = token_client(nssg)
    rows = api.get(Q3 + "timeliness/?region=Y56").json()
    by_code = {r["icb"]["code"]: r for r in rows}
    assert by_code["Z9B2Z"]["late"] is True and by_code["Z9B2Z"]["timeliness"] == "Late"
    assert by_code["Z9B2Z"]["state"] == "accepted" and by_code["Z9B2Z"]["version"] == 1
    assert {r["region"] for r in rows} == {"Y56"}
    everywhere = api.get(Q3 + "timeliness/").json()
    assert by_code["Z9B2Z"] in everywhere and len(everywhere) > len(rows)
    assert api.get(Q3 + "timeliness/?region=Z9B2Z").status_code == 404  # not a region
    editor = token_client(member(reference["Z9B2Z"], Role.ICB_EDITOR))
    assert [r["icb"]["code"] for r in editor.get(Q3 + "timeliness/").json()] == ["Z9B2Z"]
    assert editor.get(Q3 + "timeliness/?region=Y56").status_code == 404


def test_queries_do_not_grow_with_the_icbs(reference, nssg, rated, django_assert_max_num_queries):
    api = token_client(nssg)
    api.get(Q3 + "heatmap/")  # the token's user and scope, warmed as any client's
    with django_assert_max_num_queries(20):
        assert api.get(Q3 + "heatmap/?view=standards&section=LG").status_code == 200
    with django_assert_max_num_queries(20):
        assert api.get(Q3 + "heatmap/?view=metrics").status_code == 200
    with django_assert_max_num_queries(12):
        assert len(api.get(Q3 + "timeliness/").json()) > 10


def test_an_icbs_quarters_and_record(reference, nssg, rated):
    api = token_client(member(reference["Z9B2Z"], Role.ICB_EDITOR))
    history = api.get("/api/v1/icbs/Z9B2Z/heatmap/?basis=self").json()
    assert history["basis"] == "self" and history["icb"]["code"] == "Z9B2Z"
    q3 = next(q for q in history["quarters"] if (q["financial_year"], q["quarter"]) == (2026, 3))
    assert q3["state"] == "rated" and q3["predecessor"] is False
    lg = next(c for c in q3["cells"] if c["column"] == "LG")
    assert lg["rating"] == "amber"  # self-assessed: the region's red is not shown
    record = api.get("/api/v1/icbs/Z9B2Z/record/").json()
    q3 = next(q for q in record if (q["financial_year"], q["quarter"]) == (2026, 3))
    assert q3["state"] == "late" and q3["label"] == "Late" and q3["status"] == "accepted"
    assert api.get("/api/v1/icbs/Z9B2Z/heatmap/?basis=differ").json()["errors"]["basis"] == [
        '"differ" is not one of self, validated.'
    ]
    for path in ("heatmap", "record"):
        hidden = api.get(f"/api/v1/icbs/QHL/{path}/")
        assert hidden.status_code == 404
        assert hidden.json() == api.get(f"/api/v1/icbs/ZZZZZ/{path}/").json()
        assert api.get(f"/api/v1/icbs/Y56/{path}/").status_code == 404
