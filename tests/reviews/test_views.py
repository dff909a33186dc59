"""The tracker's pages through the test client: every page for every role,
404 out of scope, 403 for readers who may not change, forms that refuse NHS
numbers, and query counts that do not grow with the number of reviews."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import services
from reviews.models import Action, ActionStatus, Review, Stage
from tests.reviews.conftest import NOTIFIED

READERS_OF_Z9 = ["z9_editor", "z9_approver", "z9_viewer", "london_lead", "london_nurse", "nssg",
                 "national_admin"]  # fmt: skip
CHANGERS = {"z9_editor", "z9_approver"}


@pytest.fixture
def filled(people, world, make_review):
    """A Z9B2Z review involving QMF with a recommendation and an action, and one
    Z9B2Z review QMF is not involved in."""
    editor = people["z9_editor"]
    review = make_review(
        reference="Z9-SAR-1",
        icbs=[world["qmf"]],
        abuse_themes=["neglect"],
        learning_themes=["supervision"],
        expected_publication_on=datetime.date(2026, 9, 1),
    )
    recommendation = services.recommendation_create(actor=editor, review=review, text="Train.")
    action = services.action_create(
        actor=editor,
        recommendation=recommendation,
        description="Run supervision audit.",
        owner=world["z9_trust"],
        due_on=datetime.date(2026, 6, 1),
    )
    private = make_review(reference="Z9-PRIVATE", providers=[world["shared"]])
    return {
        "review": review,
        "recommendation": recommendation,
        "action": action,
        "private": private,
    }


def pages(filled, world):
    review, recommendation, action = filled["review"], filled["recommendation"], filled["action"]
    return {
        "tracker": reverse("reviews:tracker", args=[world["z9"].code]),
        "review": reverse("reviews:review_detail", args=[review.pk]),
        "review_new": reverse("reviews:review_new", args=[world["z9"].code]),
        "review_edit": reverse("reviews:review_edit", args=[review.pk]),
        "recommendation_new": reverse("reviews:recommendation_new", args=[review.pk]),
        "recommendation_edit": reverse("reviews:recommendation_edit", args=[recommendation.pk]),
        "action_new": reverse("reviews:action_new", args=[recommendation.pk]),
        "action_edit": reverse("reviews:action_edit", args=[action.pk]),
        "action_complete": reverse("reviews:action_complete", args=[action.pk]),
    }


@pytest.mark.parametrize("who", READERS_OF_Z9)
def test_every_page_for_each_role_that_reads_z9(client, people, world, filled, who):
    client.force_login(people[who])
    for name, url in pages(filled, world).items():
        response = client.get(url)
        if name in ("tracker", "review"):
            assert response.status_code == 200, (name, who)
        else:
            assert response.status_code == (200 if who in CHANGERS else 403), (name, who)


@pytest.mark.parametrize("who", ["qe1_editor", "north_west_lead"])
def test_other_regions_get_404_everywhere(client, people, world, filled, who):
    client.force_login(people[who])
    for name, url in pages(filled, world).items():
        assert client.get(url).status_code == 404, name


def test_an_involved_icb_reads_but_does_not_change(client, people, world, filled):
    client.force_login(people["qmf_editor"])
    url = pages(filled, world)
    assert client.get(url["review"]).status_code == 200
    assert client.get(url["review_edit"]).status_code == 403
    assert client.post(url["recommendation_new"], {"text": "Mine"}).status_code == 403
    # The review QMF is not involved in (only a provider QMF commissions is) is a 404.
    private = reverse("reviews:review_detail", args=[filled["private"].pk])
    assert client.get(private).status_code == 404
    tracker = client.get(reverse("reviews:tracker", args=["QMF"])).content.decode()
    assert "Z9-SAR-1" in tracker and "Z9-PRIVATE" not in tracker


def test_start_sends_icb_people_to_their_tracker_and_lists_icbs_for_regions(client, people, filled):
    client.force_login(people["z9_viewer"])
    response = client.get(reverse("reviews:start"))
    assert response.status_code == 302 and response.url == reverse(
        "reviews:tracker", args=["Z9B2Z"]
    )
    client.force_login(people["london_lead"])
    page = client.get(reverse("reviews:start")).content.decode()
    assert "NHS West and North London Integrated Care Board" in page
    assert "Lancashire" not in page


def test_anonymous_is_sent_to_sign_in(client, filled):
    response = client.get(reverse("reviews:review_detail", args=[filled["review"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_review_page_shows_themes_timeline_actions_and_history(client, people, filled):
    client.force_login(people["z9_viewer"])
    page = client.get(reverse("reviews:review_detail", args=[filled["review"].pk])).content.decode()
    assert "Neglect or acts of omission" in page and "Supervision" in page
    assert "1 September 2026</strong>: Expected publication (expected)" in page
    assert "Run supervision audit." in page and "Overdue" in page
    history = page.split('id="history-heading"', 1)[1]
    assert "Action added" in history and "Review recorded" in history
    assert "Change the review" not in page  # a viewer


def test_the_chain_shows_on_both_reviews(client, people, make_review):
    children = {"convening_body": "children_partnership", "age_group": "child"}
    rapid = make_review(kind="rapid_review", reference="RR-1", **children)
    cspr = make_review(kind="cspr", reference="CSPR-1", continues=rapid, **children)
    client.force_login(people["z9_viewer"])
    for review in (rapid, cspr):
        page = client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()
        chain = page.split(">Chain</h2>", 1)[1].split("</ol>", 1)[0]
        assert chain.index("RR-1") < chain.index("CSPR-1")


def _review_post(world, **overrides):
    data = {
        "kind": "sar",
        "reference": "CAMDEN-SAR-77",
        "convening_body": "sab",
        "area": world["camden"].pk,
        "age_group": "adult",
        "stage": "notified",
        "notified_on_day": "4",
        "notified_on_month": "5",
        "notified_on_year": "2026",
        "icbs": [world["qmf"].pk],
        "abuse_themes": ["neglect", "self_neglect"],
        "learning_themes": ["training"],
    }
    return data | overrides


def test_an_editor_records_a_review_through_the_form(client, people, world):
    client.force_login(people["z9_editor"])
    response = client.post(reverse("reviews:review_new", args=["Z9B2Z"]), _review_post(world))
    review = Review.objects.get(reference="CAMDEN-SAR-77")
    assert response.status_code == 302
    assert response.url == reverse("reviews:review_detail", args=[review.pk])
    assert review.lead_icb == world["z9"] and list(review.icbs.all()) == [world["qmf"]]
    assert [t.code for t in review.abuse_themes] == ["neglect", "self_neglect"]


def test_the_form_refuses_an_nhs_number_and_says_so(client, people, world):
    client.force_login(people["z9_editor"])
    url = reverse("reviews:review_new", args=["Z9B2Z"])
    assert "Record no personal identifiers" in client.get(url).content.decode()
    response = client.post(url, _review_post(world, reference="SAR 943 476 5919"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Remove the NHS number (943 476 5919)" in page and "nhsuk-error-summary" in page
    assert not Review.objects.exists()
    # A wrong check digit is not an NHS number.
    client.post(url, _review_post(world, reference="SAR 943 476 5918"))
    assert Review.objects.filter(reference="SAR 943 476 5918").exists()


def test_too_many_abuse_themes_is_a_field_error(client, people, world):
    client.force_login(people["z9_editor"])
    response = client.post(
        reverse("reviews:review_new", args=["Z9B2Z"]),
        _review_post(world, abuse_themes=["neglect", "physical", "sexual", "financial"]),
    )
    assert response.status_code == 200
    assert "Choose at most 3 abuse or vulnerability themes." in response.content.decode()


def test_editing_a_review_records_the_change(client, people, world, filled):
    client.force_login(people["z9_approver"])
    review = filled["review"]
    data = _review_post(
        world,
        reference=review.reference,
        stage="published",
        published_on_day="10",
        published_on_month="9",
        published_on_year="2026",
        expected_publication_on_day="1",
        expected_publication_on_month="9",
        expected_publication_on_year="2026",
        delay_reason="Awaiting the inquest.",
    )
    response = client.post(reverse("reviews:review_edit", args=[review.pk]), data)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.stage == Stage.PUBLISHED and review.slippage_days() == 9


def test_adding_and_completing_an_action_through_the_forms(client, people, world, filled):
    client.force_login(people["z9_editor"])
    recommendation = filled["recommendation"]
    response = client.post(
        reverse("reviews:action_new", args=[recommendation.pk]),
        {
            "description": "Refresh training.",
            "owner": world["z9"].pk,
            "due_on_day": "1",
            "due_on_month": "12",
            "due_on_year": "2026",
            "status": "in_progress",
        },
    )
    assert response.status_code == 302
    action = Action.objects.get(description="Refresh training.")
    url = reverse("reviews:action_complete", args=[action.pk])
    response = client.post(
        url, {"completed_on_day": "4", "completed_on_month": "5", "completed_on_year": "2026"}
    )
    assert "Describe the evidence that the action is complete, or upload a file." in (
        response.content.decode()
    )
    response = client.post(
        url,
        {
            "completed_on_day": "4",
            "completed_on_month": "5",
            "completed_on_year": "2026",
            "evidence": "Training log presented to committee.",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETED and action.completed_on == NOTIFIED


def test_tracker_queries_do_not_grow_with_reviews(client, people, world, make_review):
    client.force_login(people["z9_viewer"])
    url = reverse("reviews:tracker", args=["Z9B2Z"])

    def add(n):
        review = make_review(reference=f"R-{n}", icbs=[world["qmf"]], stage=Stage.SCOPING)
        recommendation = services.recommendation_create(
            actor=people["z9_editor"], review=review, text="R."
        )
        for owner in (world["z9"], world["z9_trust"]):
            services.action_create(
                actor=people["z9_editor"],
                recommendation=recommendation,
                description="A.",
                owner=owner,
                due_on=datetime.date(2026, 6, 1),
            )

    add(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(2, 7):
        add(n)
    with CaptureQueriesContext(connection) as six:
        page = client.get(url).content.decode()
    assert "R-6" in page
    assert len(six) == len(one), [q["sql"] for q in six.captured_queries]


def test_review_page_queries_do_not_grow_with_actions(client, people, world, filled):
    client.force_login(people["z9_viewer"])
    url = reverse("reviews:review_detail", args=[filled["review"].pk])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(3):
        recommendation = services.recommendation_create(
            actor=people["z9_editor"], review=filled["review"], text="More."
        )
        services.action_create(
            actor=people["z9_editor"],
            recommendation=recommendation,
            description="A.",
            owner=world["z9"],
            due_on=datetime.date(2026, 12, 1),
        )
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)


def test_each_small_form_has_its_button(client, people, world, filled):
    client.force_login(people["z9_editor"])
    url = pages(filled, world)
    for name, text in [
        ("recommendation_new", "Add recommendation"),
        ("recommendation_edit", "Save recommendation"),
        ("action_new", "Add action"),
        ("action_edit", "Save action"),
        ("action_complete", "Complete action"),
    ]:
        page = client.get(url[name]).content.decode()
        form = page.split('<form method="post"', 1)[1].split("</form>", 1)[0]
        button = form.rsplit("<button", 1)[1].split("</button>", 1)[0]
        assert text in button, name


def test_dates_already_entered_survive_an_error(client, people, world):
    client.force_login(people["z9_editor"])
    response = client.post(
        reverse("reviews:review_new", args=["Z9B2Z"]),
        _review_post(world, reference="SAR 943 476 5919"),
    )
    page = response.content.decode()
    for part, value in (("day", "4"), ("month", "5"), ("year", "2026")):
        field = page.split(f'name="notified_on_{part}"', 1)[1].split(">", 1)[0]
        assert f'value="{value}"' in field or f'value="0{value}"' in field, part
