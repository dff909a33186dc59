from io import StringIO

from django.core.management import call_command

from reviews.models import Action, ActionStatus, Review, ReviewKind
from saaf.dates import today


def test_demo_reviews_cover_kinds_chain_and_every_action_state(reference, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("SAAF_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("load_demo_data", stdout=StringIO())
    assert set(Review.objects.values_list("lead_icb__code", flat=True)) == {"Z9B2Z", "QMF"}
    assert {ReviewKind.RAPID_REVIEW, ReviewKind.CSPR, ReviewKind.SAR, ReviewKind.DHR} <= set(
        Review.objects.values_list("kind", flat=True)
    )
    assert Review.objects.get(kind=ReviewKind.CSPR).continues.kind == ReviewKind.RAPID_REVIEW
    day = today()
    for code in ("Z9B2Z", "QMF"):
        actions = list(Action.objects.filter(recommendation__review__lead_icb__code=code))
        assert {a.status for a in actions} == set(ActionStatus.values)
        assert any(a.is_overdue(day) for a in actions)
    reviews = Review.objects.count()
    call_command("load_demo_data", stdout=StringIO())  # again: nothing added
    assert Review.objects.count() == reviews
