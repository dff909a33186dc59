"""Demo reviews for the demo ICBs (Z9B2Z, QMF): reviews of different kinds
and stages, a rapid review that became a CSPR, parallel reviews, slippage,
and recommendations with actions in every state (not started, in progress,
overdue, completed). Made through the services as the ICBs' demo personas;
dates are relative to today. Called by `manage.py load_demo_data`; never in
production. Leaves an ICB alone once it leads any review."""

from __future__ import annotations

import datetime
import random

from dateutil.relativedelta import relativedelta
from django.db import transaction

from organisations.audit import system_actor
from organisations.models import Organisation, User
from reviews import services
from reviews.models import Review
from saaf.dates import today

# Per review: (key, kind, reference, convening body, area code, age group, stage,
#   months since notification, extras). Extras may name involved ICBs and
#   providers, themes, the review it continues, parallel reviews, expected and
#   actual publication (months from today), and recommendations with actions
#   (owner code, due in months from today, state, what will be done).
_Z9 = [
    {
        "key": "rr", "kind": "rapid_review", "reference": "CAMDEN-RR-2025-04",
        "convening_body": "children_partnership", "area": "E09000007", "age_group": "child",
        "stage": "closed", "notified": 14, "abuse": ["neglect"],
        "learning": ["voice_of_the_child", "information_sharing"],
    },
    {
        "key": "cspr", "kind": "cspr", "reference": "CAMDEN-CSPR-2025-02",
        "convening_body": "children_partnership", "area": "E09000007", "age_group": "child",
        "stage": "report_drafted", "notified": 13, "continues": "rr", "expected": -1,
        "delay_reason": "Awaiting the outcome of criminal proceedings.",
        "abuse": ["neglect", "emotional"], "learning": ["voice_of_the_child", "supervision",
        "information_sharing"], "providers": ["RAL", "DEMO-GP-Z1"],
        "recommendations": [
            ("Health partners should strengthen the voice of the child in assessments.", [
                ("RAL", -3, "completed", "Add the child's words to the referral template."),
                ("DEMO-GP-Z1", -1, "overdue", "Record who the child lives with at each visit."),
                ("Z9B2Z", 1, "in_progress", "Audit how GPs record the voice of the child."),
            ]),
            ("Safeguarding supervision should include cases of long-standing neglect.", [
                ("RAL", 3, "not_started", "Add long-standing neglect to the supervision policy."),
                ("Z9B2Z", -2, "completed", "Brief designated professionals on the learning."),
            ]),
        ],
    },
    {
        "key": "sar", "kind": "sar", "reference": "ISLINGTON-SAR-2025-01",
        "convening_body": "sab", "area": "E09000019", "age_group": "adult",
        "stage": "published", "notified": 18, "expected": -3, "published": -2,
        "delay_reason": "The family asked for more time to contribute.",
        "icbs": ["QMF"], "providers": ["RKE", "RV3"], "abuse": ["self_neglect"],
        "learning": ["mental_capacity", "professional_curiosity", "think_family"],
        "recommendations": [
            ("Mental capacity assessments should be recorded for decisions about care.", [
                ("RKE", -4, "completed", "Re-issue mental capacity guidance to ward staff."),
                ("RV3", -1, "overdue", "Audit capacity assessments in community teams."),
                ("Z9B2Z", 2, "in_progress", "Run a learning event on professional curiosity."),
            ]),
        ],
    },
    {
        "key": "dhr", "kind": "dhr", "reference": "BRENT-DHR-2026-01",
        "convening_body": "community_safety", "area": "E09000005", "age_group": "adult",
        "stage": "scoping", "notified": 3, "expected": 9, "abuse": ["domestic"],
        "learning": ["domestic_abuse_awareness", "risk_assessment"],
    },
    {
        "key": "mhhr", "kind": "mhhr", "reference": "BRENT-MHHR-2026-01",
        "convening_body": "other", "area": "E09000005", "age_group": "adult",
        "stage": "in_progress", "notified": 3, "parallel": ["dhr"], "providers": ["RV3"],
        "learning": ["risk_assessment", "transition"],
        "recommendations": [
            ("Risk assessments should be shared when care moves between teams.", [
                ("RV3", 1, "not_started", "Share risk assessments at every transfer of care."),
            ]),
        ],
    },
    {
        "key": "leder", "kind": "leder", "reference": "CAMDEN-LEDER-2026-07",
        "convening_body": "other", "area": "E09000007", "age_group": "transition",
        "stage": "notified", "notified": 1, "learning": ["transition", "primary_care_support"],
    },
]  # fmt: skip

_QMF = [
    {
        "key": "sar", "kind": "sar", "reference": "HACKNEY-SAR-2025-03",
        "convening_body": "sab", "area": "E09000012", "age_group": "adult",
        "stage": "in_progress", "notified": 10, "expected": -1,
        "delay_reason": "Delayed by a parallel police investigation.",
        "providers": ["R1H"], "abuse": ["financial", "self_neglect"],
        "learning": ["professional_curiosity", "escalation", "mental_capacity"],
        "recommendations": [
            ("Escalation routes for concerns about self-neglect should be clear to staff.", [
                ("R1H", -2, "overdue", "Publish the escalation route for self-neglect concerns."),
                ("QMF", 0, "in_progress", "Check the escalation route is used, by a case audit."),
                ("RQX", -5, "completed", "Add self-neglect to level 3 safeguarding training."),
            ]),
        ],
    },
    {
        "key": "dhr", "kind": "dhr", "reference": "TOWERHAMLETS-DHR-2025-02",
        "convening_body": "community_safety", "area": "E09000030", "age_group": "adult",
        "stage": "published", "notified": 20, "expected": -2, "published": -1,
        "abuse": ["domestic", "physical"], "learning": ["domestic_abuse_awareness",
        "information_sharing", "training"],
        "recommendations": [
            ("Routine enquiry about domestic abuse should be embedded in maternity care.", [
                ("R1H", -6, "completed", "Make routine enquiry part of every antenatal booking."),
                ("RWK", 2, "not_started", "Train perinatal staff in routine enquiry."),
            ]),
        ],
    },
    {
        "key": "cdr", "kind": "cdr", "reference": "HACKNEY-CDR-2026-11",
        "convening_body": "cdop", "area": "E09000012", "age_group": "child",
        "stage": "notified", "notified": 1,
    },
    {
        "key": "mappa", "kind": "mappa", "reference": "TOWERHAMLETS-MAPPA-2026-01",
        "convening_body": "other", "area": "E09000030", "age_group": "adult",
        "stage": "report_drafted", "notified": 8, "expected": 1, "parallel": ["dhr"],
        "learning": ["information_sharing", "risk_assessment"],
    },
]  # fmt: skip


def populate() -> None:
    personas = {
        "Z9B2Z": (User.objects.filter(email__startswith="editor.z9b2z@").first(), _Z9),
        "QMF": (User.objects.filter(email__startswith="approver.qmf@").first(), _QMF),
    }
    day = today()
    with transaction.atomic():
        for code, (actor, specs) in personas.items():
            icb = Organisation.objects.filter(code=code).first()
            if actor is None or icb is None or Review.objects.filter(lead_icb=icb).exists():
                continue
            made: dict[str, Review] = {}
            for spec in specs:
                made[spec["key"]] = _review(actor, icb, spec, made, day)


def _months(day: datetime.date, months: int) -> datetime.date:
    return day + relativedelta(months=months)


def _orgs(codes) -> list[Organisation]:
    return list(Organisation.objects.filter(code__in=codes))


def _review(actor, icb, spec: dict, made: dict, day: datetime.date) -> Review:
    notified_on = _months(day, -spec["notified"])
    review = services.review_create(
        actor=actor,
        lead_icb=icb,
        kind=spec["kind"],
        reference=spec["reference"],
        convening_body=spec["convening_body"],
        area=Organisation.objects.get(code=spec["area"]),
        age_group=spec["age_group"],
        notified_on=notified_on,
        stage=spec["stage"],
        decision_on=notified_on + datetime.timedelta(days=7) if spec["notified"] > 1 else None,
        panel_on=notified_on + datetime.timedelta(days=28) if spec["notified"] > 1 else None,
        expected_publication_on=_months(day, spec["expected"]) if "expected" in spec else None,
        published_on=_months(day, spec["published"]) if "published" in spec else None,
        delay_reason=spec.get("delay_reason", ""),
        continues=made.get(spec.get("continues", "")),
        icbs=_orgs(spec.get("icbs", [])),
        providers=_orgs(spec.get("providers", [])),
        abuse_themes=spec.get("abuse", []),
        learning_themes=spec.get("learning", []),
        parallel_reviews=[made[key] for key in spec.get("parallel", [])],
    )
    owners = {o.code: o for o in Organisation.objects.filter(code__in=_owner_codes(spec))}
    for text, actions in spec.get("recommendations", []):
        recommendation = services.recommendation_create(actor=actor, review=review, text=text)
        for owner, due_in, state, description in actions:
            due_on = _months(day, due_in)
            action = services.action_create(
                actor=actor,
                recommendation=recommendation,
                description=description,
                owner=owners[owner],
                due_on=due_on,
                status="in_progress" if state == "in_progress" else "not_started",
            )
            if state == "completed":
                services.action_complete(
                    actor=actor,
                    action=action,
                    completed_on=min(day, due_on),
                    evidence="Audit report presented to the safeguarding committee.",
                )
    return review


def _owner_codes(spec: dict) -> set[str]:
    return {action[0] for _, actions in spec.get("recommendations", []) for action in actions}


def populate_england() -> None:
    """The reviews of the ICBs outside London (`assurance.demo_england`),
    from the national data generator: each ICB's since April 2022, a closed
    one's until its last day. Made once: an ICB that leads or takes part in
    a review already is left alone."""
    from assurance.demo_england import SEED, outside_icbs
    from reviews.models import ReviewICB
    from reviews.national_data import national_reviews_generate

    day = today()
    involved = ReviewICB.objects.values("icb")
    without = (
        outside_icbs().exclude(pk__in=Review.objects.values("lead_icb")).exclude(pk__in=involved)
    )
    icbs = list(without.existing_on(day).order_by("code"))
    closed = list(without.filter(closed__lt=day).order_by("code"))
    if not icbs and not closed:
        return
    rng = random.Random(f"demo-reviews-{SEED}")  # noqa: S311 (made-up data)
    with transaction.atomic():
        national_reviews_generate(rng, icbs, today=day, actor=system_actor(), closed=closed)
