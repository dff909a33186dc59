"""The region's and the nation's view: counts by kind, stage and year,
overdue actions by ICB, slippage and learning themes, within the reader's
scope; theme counts checked against a direct count; the page's queries do
not grow with the number of reviews; the chart is an accessible SVG."""

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import services
from reviews.models import LearningTheme, Review, ReviewKind, Stage
from reviews.overview import reviews_overview
from tests.factories import PlaceFactory

ON = datetime.date(2026, 11, 20)


@pytest.fixture
def spread(people, world, make_review):
    """Z9B2Z leads three reviews (two with supervision), QMF one (with
    supervision), QE1 (North West) one (with training)."""
    leeds = PlaceFactory(code="E08000035", name="Leeds test place", parent=world["qe1"])
    made = {
        "z9_a": make_review(
            reference="Z9-A",
            learning_themes=["supervision", "training"],
            expected_publication_on=datetime.date(2026, 9, 1),
            delay_reason="=1+2 awaiting the inquest",
        ),
        "z9_b": make_review(
            reference="+Z9-B",
            kind=ReviewKind.DHR,
            notified_on=datetime.date(2026, 2, 1),
            learning_themes=["supervision", "information_sharing"],
            stage=Stage.PUBLISHED,
            published_on=datetime.date(2026, 8, 1),
            expected_publication_on=datetime.date(2026, 7, 1),
        ),
        "z9_c": make_review(
            reference="Z9-C",
            icbs=[world["qmf"]],
            learning_themes=["escalation"],
            stage=Stage.PUBLISHED,
            published_on=datetime.date(2026, 6, 1),
            expected_publication_on=datetime.date(2026, 7, 1),
        ),
        "qmf": make_review(
            actor=people["qmf_editor"],
            lead_icb=world["qmf"],
            reference="QMF-A",
            area=world["hackney"],
            learning_themes=["supervision"],
        ),
        "qe1": make_review(
            actor=people["qe1_editor"],
            lead_icb=world["qe1"],
            reference="QE1-A",
            area=leeds,
            learning_themes=["training"],
            expected_publication_on=datetime.date(2026, 8, 1),
        ),
    }
    recommendation = services.recommendation_create(
        actor=people["z9_editor"], review=made["z9_a"], text="Audit supervision."
    )
    for due in (datetime.date(2026, 8, 1), datetime.date(2026, 12, 1)):
        services.action_create(
            actor=people["z9_editor"],
            recommendation=recommendation,
            description="Act.",
            owner=world["z9_trust"],
            due_on=due,
        )
    return made


def _direct_theme_counts(user) -> Counter:
    counts: Counter = Counter()
    for review in Review.objects.visible_to(user).prefetch_related("themes"):
        for theme in review.learning_themes:
            counts[theme.code] += 1
    return counts


@pytest.mark.parametrize(
    "who", ["london_lead", "north_west_lead", "nssg", "z9_viewer", "qmf_viewer"]
)
def test_theme_counts_agree_with_a_direct_count(people, spread, who):
    user = people[who]
    overview = reviews_overview(user=user, on=ON)
    direct = _direct_theme_counts(user)
    assert {t.code: t.count for t in overview.themes} == dict(direct)
    labels = dict(LearningTheme.choices)
    by_theme: Counter = Counter()
    for row in overview.themes_by_region_year:
        by_theme[row.label] += row.count
    assert by_theme == Counter({labels[c]: n for c, n in direct.items()})


def test_the_london_view(people, world, spread):
    overview = reviews_overview(user=people["london_lead"], on=ON)
    assert overview.review_count == 4  # not QE1's
    assert [t.label for t in overview.themes][0] == "Supervision"
    assert overview.themes[0].count == 3
    # Supervision recurs in two Z9B2Z reviews; QMF has it once only.
    assert [(r.icb, r.label, r.reviews) for r in overview.recurring] == [
        (world["z9"].name, "Supervision", 2)
    ]
    years = {(r.label, r.year): r.count for r in overview.themes_by_region_year}
    assert years[("Supervision", "2026/27")] == 2 and years[("Supervision", "2025/26")] == 1
    assert {y.label: y.count for y in overview.by_year} == {"2025/26": 1, "2026/27": 3}
    kinds = {k.label: (k.total, k.open, k.published) for k in overview.by_kind}
    assert kinds == {
        "Safeguarding adults review": (3, 3, 1),
        "Domestic homicide review": (1, 1, 1),
    }
    stages = {s.label: s.count for s in overview.by_stage}
    assert stages["Published"] == 2 and stages["Notified"] == 2 and stages["Closed"] == 0
    icbs = {row.icb.code: row for row in overview.actions_by_icb}
    assert "QE1" not in icbs and {"Z9B2Z", "QMF"} <= set(icbs)
    assert (icbs["Z9B2Z"].counts.total, icbs["Z9B2Z"].counts.overdue) == (2, 1)
    assert overview.overdue_total == 1
    # Z9-A is unpublished past 1 September; +Z9-B was published a month late;
    # Z9-C was published early.
    assert overview.slipped_count == 2
    assert [(s.review.reference, s.days) for s in overview.slipped] == [
        ("Z9-A", 80),
        ("+Z9-B", 31),
    ]


def test_regions_and_icbs_see_only_their_own(people, spread):
    north_west = reviews_overview(user=people["north_west_lead"], on=ON)
    assert north_west.review_count == 1
    assert [t.label for t in north_west.themes] == ["Training"]
    assert {row.icb.code for row in north_west.actions_by_icb} >= {"QE1"}
    assert not {"Z9B2Z", "QMF"} & {row.icb.code for row in north_west.actions_by_icb}
    qmf = reviews_overview(user=people["qmf_viewer"], on=ON)
    assert qmf.review_count == 2  # its own and the one it is involved in
    assert [row.icb.code for row in qmf.actions_by_icb] == ["QMF"]
    national = reviews_overview(user=people["nssg"], on=ON)
    assert national.review_count == 5


def test_the_page_shows_the_chart_and_the_same_figures(client, people, spread):
    client.force_login(people["london_lead"])
    page = client.get(reverse("reviews:overview")).content.decode()
    assert 'role="img"' in page
    assert '<title id="theme-chart-title">' in page
    assert "Supervision: 3." in page  # the chart's text alternative
    assert ">Supervision</text>" in page and ">3</text>" in page
    assert "QE1-A" not in page


def test_signed_out_and_roleless_users_get_no_overview(client, people):
    from tests.factories import UserFactory

    assert client.get(reverse("reviews:overview")).status_code == 302  # to sign in
    client.force_login(UserFactory())
    assert client.get(reverse("reviews:overview")).status_code == 404


def test_the_page_queries_do_not_grow_with_reviews(client, people, world, make_review):
    client.force_login(people["london_lead"])
    url = reverse("reviews:overview")

    def add(n):
        review = make_review(
            reference=f"R-{n}",
            learning_themes=["supervision", "training"],
            expected_publication_on=datetime.date(2026, 6, 1),
        )
        recommendation = services.recommendation_create(
            actor=people["z9_editor"], review=review, text="R."
        )
        services.action_create(
            actor=people["z9_editor"],
            recommendation=recommendation,
            description="A.",
            owner=world["z9"],
            due_on=datetime.date(2026, 6, 1),
        )

    add(0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(1, 6):
        add(n)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    assert ">6</text>" in page  # six reviews with supervision


def test_national_readers_narrow_the_overview_to_a_region(client, people, world, spread):
    london = reviews_overview(user=people["nssg"], on=ON, region=world["london"])
    assert london.review_count == 4
    assert {row.icb.parent_id for row in london.actions_by_icb} == {world["london"].pk}
    assert sum(t.count for t in london.themes) == 6
    client.force_login(people["nssg"])
    page = client.get(reverse("reviews:overview"), {"region": "Y56"}).content.decode()
    assert 'name="region"' in page and "QE1-A" not in page
    export = client.get(reverse("reviews:overview_export", args=["themes", "csv"]) + "?region=Y62")
    assert export.content.decode("utf-8-sig").splitlines()[1:] == ["Training,1"]
    # A region out of scope, or a code that is not a region, is not found.
    client.force_login(people["london_lead"])
    assert client.get(reverse("reviews:overview"), {"region": "Y62"}).status_code == 404
    assert client.get(reverse("reviews:overview"), {"region": "Z9B2Z"}).status_code == 404
    assert 'name="region"' not in client.get(reverse("reviews:overview")).content.decode()
