"""Reviews through the API: those an ICB leads or is involved in, with their
recommendations and actions; another region's are not found."""

import datetime

from reviews import services
from reviews.models.choices import AgeGroup, ConveningBody, ReviewKind
from tests.api.conftest import token_client
from tests.factories import PlaceFactory


def test_a_review_with_its_recommendations_and_actions(reference, editor):
    camden = PlaceFactory(code="E09000007", name="Camden", parent=reference["Z9B2Z"])
    review = services.review_create(
        actor=editor,
        lead_icb=reference["Z9B2Z"],
        kind=ReviewKind.SAR,
        reference="CAMDEN-SAR-01",
        convening_body=ConveningBody.SAB,
        area=camden,
        age_group=AgeGroup.ADULT,
        notified_on=datetime.date(2026, 5, 4),
    )
    recommendation = services.recommendation_create(
        actor=editor, review=review, text="Share discharge plans with adult social care."
    )
    services.action_create(
        actor=editor,
        recommendation=recommendation,
        description="Audit discharge letters.",
        owner=reference["Z9B2Z"],
        due_on=datetime.date(2026, 12, 31),
    )
    api = token_client(editor)
    listed = api.get("/api/v1/reviews/?icb=Z9B2Z").json()
    assert [r["reference"] for r in listed["results"]] == ["CAMDEN-SAR-01"]
    detail = api.get(f"/api/v1/reviews/{review.pk}/").json()
    assert detail["lead_icb"] == "Z9B2Z" and detail["area"] == "E09000007"
    [rec] = detail["recommendations"]
    assert rec["number"] == 1
    assert [a["description"] for a in rec["actions"]] == ["Audit discharge letters."]
    assert rec["actions"][0]["owner"] == "Z9B2Z"

    from organisations.models import Role
    from tests.factories import member

    stranger = token_client(member(reference["QHL"], Role.ICB_EDITOR))
    hidden = stranger.get(f"/api/v1/reviews/{review.pk}/")
    assert hidden.status_code == 404
    assert hidden.json() == stranger.get("/api/v1/reviews/999999/").json()
    assert stranger.get("/api/v1/reviews/").json()["results"] == []
