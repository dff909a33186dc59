import datetime
from io import StringIO

from django.core.management import call_command

from assurance.findings import FindingKind, icb_registers
from assurance.models import Post
from organisations.models import Organisation


def test_demo_registers_show_every_kind_of_finding(reference, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("SAAF_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("load_demo_data", stdout=StringIO())
    z9 = Organisation.objects.get(code="Z9B2Z")
    [rollup] = icb_registers([z9], on=datetime.date.today())
    kinds = {f.kind for f in rollup.findings}
    assert kinds == {
        FindingKind.VACANT,
        FindingKind.SUPERVISION_OVERDUE,
        FindingKind.BELOW_LEVEL,
        FindingKind.MISSING,
    }
    assert Post.objects.get(organisation=z9, post_type__code="ICB_DES_MCA").hosted_by.code == "RV3"
    posts = Post.objects.count()
    call_command("load_demo_data", stdout=StringIO())  # again: nothing added
    assert Post.objects.count() == posts


def test_closed_icbs_have_history_up_to_their_last_day(reference, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("SAAF_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("load_demo_data", stdout=StringIO())
    last_day = datetime.date(2026, 3, 31)
    for code in ("QMJ", "QRV", "QM7"):
        icb = Organisation.objects.get(code=code)
        assert icb.closed == last_day
        assert Post.objects.filter(organisation=icb).exists(), code
        [rollup] = icb_registers([icb], on=last_day)
        counts = rollup.counts()
        assert counts["filled"] >= counts["required"] - 2, code
        kinds = {f.kind for f in rollup.findings}
        assert kinds == {
            FindingKind.VACANT,
            FindingKind.SUPERVISION_OVERDUE,
            FindingKind.BELOW_LEVEL,
            FindingKind.MISSING,
        }, code
    # QM7 was split: each of its successors reads its history.
    successors = Organisation.objects.get(code="QM7").successors()
    assert {s.code for s in successors} == {"S1Y5D", "D7T5G"}
    posts = Post.objects.count()
    call_command("load_demo_data", stdout=StringIO())
    assert Post.objects.count() == posts


def test_demo_returns_are_partly_filled_drafts(reference, toolkit, settings, monkeypatch):
    from assurance.models import Answer, AnswerEvidence, MetricValue, QuarterlyReturn, ReturnAction
    from assurance.return_check import return_problems
    from organisations.models import AuditAction, AuditEvent

    settings.DEBUG = True
    monkeypatch.setenv("SAAF_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("load_demo_data", stdout=StringIO())
    returns = QuarterlyReturn.objects.filter(icb__code__in=["Z9B2Z", "QMF"])
    assert {r.icb.code for r in returns} == {"Z9B2Z", "QMF"}
    z9 = returns.filter(icb__code="Z9B2Z").first()
    assert set(Answer.objects.filter(quarterly_return=z9).values_list("rating", flat=True)) == {
        "green", "amber", "red",
    }  # fmt: skip
    assert ReturnAction.objects.filter(answer__quarterly_return=z9).exists()
    assert AnswerEvidence.objects.filter(answer__quarterly_return=z9).exists()
    assert MetricValue.objects.filter(quarterly_return=z9).count() == 2
    check = return_problems(z9)
    assert "no_action" in {p.kind for p in check.problems}  # the red answer with no action yet
    # Made through the services: every answer has its audit event.
    saved = AuditEvent.objects.for_object(z9).filter(action=AuditAction.RETURN_ANSWER_SAVED)
    assert saved.count() == Answer.objects.filter(quarterly_return=z9).count()
    count = returns.count()
    call_command("load_demo_data", stdout=StringIO())  # again: nothing added
    assert QuarterlyReturn.objects.filter(icb__code__in=["Z9B2Z", "QMF"]).count() == count
