"""Demo records for the assurance app: post types, and posts registers for
the demo ICBs (Z9B2Z, QMF) and the providers they lead, with the kinds of
gap a regional lead looks for. Dates are relative to today. The ICBs that
closed on 31 March 2026 into Z9B2Z (QMJ and QRV) and one that was split
(QM7) get register history up to their last day, so their successors have
history to read. Called by `manage.py load_demo_data`; never in production."""

from __future__ import annotations

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from assurance.models import Post, PostType, Tenure
from assurance.register_counts import register_changed
from assurance.services.register import post_create, post_types_load, tenure_add
from organisations.audit import audit_record, system_actor
from organisations.models import AuditAction, Organisation, User

# Posts left vacant, or whose holder is overdue supervision or below level,
# so that every kind of finding shows in the demo.
_VACANT = {("Z9B2Z", "ICB_DES_NURSE_CIC"), ("RAL", "PRV_NAMED_MIDWIFE"), ("RYJ", "PRV_MCA_LEAD")}
_OVERDUE = {("Z9B2Z", "ICB_DES_DR_SC"), ("RV3", "PRV_NAMED_ADULT")}
_BELOW_LEVEL = {("RAL", "PRV_NAMED_DR_CIC")}
_NOT_SET_UP = {("RKE", "PRV_PREVENT_LEAD"), ("QMF", "ICB_PREVENT_LEAD")}
# Closed ICBs with history: on their last day, one post vacant, one holder overdue
# supervision, one below level and one post never set up.
_CLOSED_WITH_HISTORY = {
    "QMJ": ("ICB_DES_NURSE_CIC", "ICB_DES_DR_CD", "ICB_DES_ADULT", "ICB_PREVENT_LEAD"),
    "QRV": ("ICB_DES_MCA", "ICB_DES_NURSE_SC", "ICB_DES_DR_CIC", "ICB_NAMED_GP_A"),
    "QM7": ("ICB_DES_DR_SC", "ICB_DES_NURSE_CIC", "ICB_DES_ADULT", "ICB_PREVENT_LEAD"),
}
_NAMES = [
    "Dr Priya Shah", "Sam Okoye", "Dr Rachel Green", "Tom Brennan", "Aisha Rahman",
    "Dr Owen Price", "Grace Lin", "Michael Adeyemi", "Dr Laura Kent", "Helen Marsh",
    "Joseph Nolan", "Dr Fatima Ali", "Ruth Evans", "Daniel Cole", "Sophie Turner",
]  # fmt: skip


def populate() -> None:
    post_types_load(actor=system_actor())
    today = timezone.localdate()
    editors = {
        "Z9B2Z": User.objects.filter(email__startswith="editor.z9b2z@").first(),
        "QMF": User.objects.filter(email__startswith="approver.qmf@").first(),
    }
    post_types = list(PostType.objects.all())
    names = iter(_NAMES * 20)
    with transaction.atomic():
        for icb_code, actor in editors.items():
            if actor is None:
                continue
            icb = Organisation.objects.get(code=icb_code)
            led = [
                c.provider for c in icb.commissioned.filter(is_lead=True).select_related("provider")
            ]
            for org in [icb, *led]:
                if Post.objects.filter(organisation=org).exists():
                    continue  # already populated: leave what people have changed
                for post_type in post_types:
                    if post_type.is_required_for(org):
                        _fill(actor, org, post_type, names, today)
        for code, gaps in _CLOSED_WITH_HISTORY.items():
            icb = Organisation.objects.filter(code=code, closed__isnull=False).first()
            if icb is not None and not Post.objects.filter(organisation=icb).exists():
                _history(icb, post_types, gaps, names)
                register_changed()


def _fill(actor, org, post_type, names, today: datetime.date) -> None:
    key = (org.code, post_type.code)
    if key in _NOT_SET_UP:
        return
    hosted_by = None
    if post_type.code == "ICB_DES_MCA" and org.code == "Z9B2Z":
        hosted_by = Organisation.objects.filter(code="RV3").first()
    job_share = post_type.code == "ICB_NAMED_GP_C"
    post = post_create(
        actor=actor,
        organisation=org,
        post_type=post_type,
        hosted_by=hosted_by,
        job_share=job_share,
        vacant_since=today - relativedelta(months=2) if key in _VACANT else None,
    )
    if key in _VACANT:
        return
    level = post_type.training_level
    for _ in range(2 if job_share else 1):
        tenure_add(
            actor=actor,
            post=post,
            holder_name=next(names),
            whole_time_equivalent=Decimal("0.5") if job_share else Decimal("1.0"),
            start_date=today - relativedelta(years=2, months=len(post_type.code)),
            last_supervision=today
            - (relativedelta(months=5) if key in _OVERDUE else relativedelta(weeks=3)),
            training_level=(level - 1 if key in _BELOW_LEVEL else level) if level else None,
            training_date=today - relativedelta(months=8) if level else None,
        )


def _history(icb: Organisation, post_types, gaps, names) -> None:
    """A closed ICB's register up to its last day. Nobody can change a closed ICB's
    register through the services, so the demo writes it directly, each record
    validated as the services would and audited as demo data."""
    vacant, overdue, below, not_set_up = gaps
    last = icb.closed
    for post_type in post_types:
        if not post_type.is_required_for(icb) or post_type.code == not_set_up:
            continue
        post = Post(
            organisation=icb,
            post_type=post_type,
            job_share=False,
            vacant_since=last - relativedelta(months=4) if post_type.code == vacant else None,
        )
        post.full_clean()
        post.save()
        audit_record(
            actor=system_actor(),
            action=AuditAction.POST_CREATED,
            target=post,
            organisation=icb,
            reason="demo data",
        )
        if post_type.code == vacant:
            continue
        level = post_type.training_level
        tenure = Tenure(
            post=post,
            holder_name=next(names),
            whole_time_equivalent=Decimal("0.8"),
            start_date=icb.established + relativedelta(months=len(post_type.code) % 7),
            end_date=last,
            last_supervision=last
            - (relativedelta(months=6) if post_type.code == overdue else relativedelta(weeks=4)),
            training_level=(level - 1 if post_type.code == below else level) if level else None,
            training_date=last - relativedelta(months=10) if level else None,
        )
        tenure.full_clean()
        tenure.save()
        audit_record(
            actor=system_actor(),
            action=AuditAction.POST_HOLDER_ADDED,
            target=tenure,
            parent=post,
            organisation=icb,
            reason="demo data",
        )
