"""Demo: the rest of England. The demo is made by hand around its personas,
in London (`assurance.demo_history`, `reviews.demo`). Without more, England's
pages and the NSSG's national report would show six regions whose ICBs never
sent a return, hold no post and lead no review: not a report anyone would
put before the Board.

So every ICB outside London gets, from the national data generator (seeded:
the same every time), its quarterly returns from 2025/26 to the last closed
quarter (`assurance.national_history`, made by generated people who cannot
sign in) and the registers of the ICB and the providers it leads
(`registers_generate`: a closed ICB's as on its last day); the reviews app
adds their reviews (`reviews.demo`). London and the personas' data are left
as the demo makes them, but for the registers of the London ICBs it leaves
empty.

Run by `manage.py load_demo_data` after the London history; never in
production. Made once: running it again adds nothing.
"""

from __future__ import annotations

import random

from django.db import transaction
from django.db.models import Q

from assurance.demo_history import REGION
from assurance.models import Post, PostType
from assurance.national_data import registers_generate
from assurance.national_history import national_history_generate
from assurance.national_people import GENERATED_DOMAIN
from assurance.register_counts import register_changed
from organisations.models import Commissioning, Organisation, User
from saaf.dates import today

SEED = 1
SINCE = 2025  # the shipped toolkits' years: the reports' last complete year, and this one


def outside_icbs():
    """The real ICBs outside the demo's own region, closed ones included."""
    return Organisation.objects.icbs().filter(is_synthetic=False).exclude(parent__code=REGION)


def populate() -> None:
    if not Organisation.objects.filter(code=REGION).exists():
        return
    on = today()
    outside = outside_icbs()
    with transaction.atomic():
        # The generated people are made with the history: there once, made once.
        if not User.objects.filter(email__endswith=GENERATED_DOMAIN).exists():
            excluded = frozenset(
                Organisation.objects.icbs().exclude(pk__in=outside).values_list("pk", flat=True)
            )
            national_history_generate(seed=SEED, today=on, since=SINCE, excluded=excluded)
        # Also London's ICBs whose register the demo leaves empty (not the
        # personas' two): a regional lead sees every ICB's register.
        led = Commissioning.objects.filter(icb__in=outside, is_lead=True).values("provider")
        icbs = Organisation.objects.icbs().filter(is_synthetic=False)
        unregistered = list(
            Organisation.objects.filter(Q(pk__in=icbs) | Q(pk__in=led)).exclude(
                pk__in=Post.objects.values("organisation")
            )
        )
        if unregistered:
            post_types = list(PostType.objects.order_by("required_for", "display_order", "code"))
            rng = random.Random(f"demo-registers-{SEED}")  # noqa: S311 (made-up data)
            registers_generate(rng, unregistered, post_types, today=on)
            register_changed()
