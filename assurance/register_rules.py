"""What the posts register says about a toolkit standard and its metrics.

A standard linked to the register (`Standard.register_groups`, `_findings`,
`_scope`) cannot be rated green while the ICB's register shows a finding of
one of the rule's kinds in one of its groups of posts. This module gives that
rule its words, checks it for an ICB on a date and computes the register's
metrics. What a finding *is* (missing, vacant, supervision overdue, trained
below level) is decided in `assurance.findings` only: everything here reads
its registers and filters them, so a rule and a register page never disagree.

Every check reads one roll-up of the ICB's register (`icb_registers`), of
the posts of its rules' groups, in a fixed number of queries however many
posts, providers or standards there are. The metrics need only the
register's counts by post type (`assurance.register_counts.icb_post_type_counts`,
which tests hold equal to the roll-up's), read without building each post
and holder.
Results are plain dataclasses with `to_dict()`, so a submitted return can keep
what the register said on the day.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from assurance.findings import Finding, FindingKind, IcbRegister, PostRow, icb_registers
from assurance.metric_providers import ComputedValue
from assurance.models import Metric, PostType, RegisterGroup, RegisterScope, Standard
from assurance.models.register import PostRequiredFor
from organisations.models import Organisation, OrganisationKind

# Finding kinds about the post itself, and about one of its holders.
POST_KINDS = (FindingKind.MISSING, FindingKind.VACANT)
HOLDER_KINDS = (FindingKind.SUPERVISION_OVERDUE, FindingKind.BELOW_LEVEL)
FINDING_KINDS = (*POST_KINDS, *HOLDER_KINDS)

# How the rule's words name a post of each group ("no vacant named GP posts").
GROUP_WORDS = {
    RegisterGroup.DESIGNATED: "designated professional",
    RegisterGroup.NAMED_GP: "named GP",
    RegisterGroup.NAMED: "named professional",
    RegisterGroup.MCA: "MCA lead",
    RegisterGroup.PREVENT: "Prevent lead",
    RegisterGroup.LEADERSHIP: "executive lead",
}
SCOPE_WORDS = {
    RegisterScope.ICB: "in the ICB",
    RegisterScope.PROVIDERS: "in the providers the ICB leads",
    RegisterScope.ICB_AND_PROVIDERS: "in the ICB or the providers it leads",
}
HOLDER_WORDS = {
    FindingKind.SUPERVISION_OVERDUE: "overdue for supervision",
    FindingKind.BELOW_LEVEL: "trained below the post's level",
}


def finding_kind_choices() -> list[tuple[str, str]]:
    return [(kind, FindingKind.LABELS[kind]) for kind in FINDING_KINDS]


def _or(words: Sequence[str]) -> str:
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


# --- The rule ----------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRule:
    """A standard's register rule: the groups of posts it covers, the finding
    kinds that break it and whose posts count."""

    groups: tuple[str, ...]
    kinds: tuple[str, ...]
    scope: str = RegisterScope.ICB_AND_PROVIDERS
    note: str = ""

    @classmethod
    def of(cls, standard: Standard) -> RegisterRule | None:
        if not standard.register_groups:
            return None
        return cls(
            tuple(standard.register_groups),
            tuple(standard.register_findings),
            standard.register_scope,
            standard.register_note,
        )

    @property
    def words(self) -> str:
        """The rule as the toolkit pages say it: "Green needs: no missing or
        vacant designated professional posts in the ICB."."""
        posts = f"{_or([GROUP_WORDS[g] for g in self.groups])} posts {SCOPE_WORDS[self.scope]}"
        missing = [k for k in POST_KINDS if k in self.kinds]
        holders = _or([HOLDER_WORDS[k] for k in HOLDER_KINDS if k in self.kinds])
        if missing and holders:
            return (
                f"Green needs: no {' or '.join(missing)} {posts}, and none whose holder is "
                f"{holders}."
            )
        if missing:
            return f"Green needs: no {' or '.join(missing)} {posts}."
        return f"Green needs: no {posts} whose holder is {holders}."

    def covers(self, row: PostRow, icb: Organisation) -> bool:
        """Whether a line of the ICB's roll-up is one of the rule's posts."""
        own = row.organisation.pk == icb.pk
        in_scope = {
            RegisterScope.ICB: own,
            RegisterScope.PROVIDERS: not own,
        }.get(self.scope, True)
        return in_scope and row.required and row.post_type.register_group in self.groups

    def to_dict(self) -> dict[str, Any]:
        return {
            "groups": list(self.groups),
            "kinds": list(self.kinds),
            "scope": self.scope,
            "note": self.note,
            "words": self.words,
        }


def register_rule_normalised(*, groups: list, kinds: list) -> tuple[list[str], list[str]]:
    """The lists in the order the choices are listed, each entry once."""
    return (
        [g for g in RegisterGroup.values if g in groups],
        [k for k in FINDING_KINDS if k in kinds],
    )


def register_rule_errors(*, groups: Any, kinds: Any, scope: str, note: str) -> dict[str, str]:
    """What is wrong with a register rule, by field, in words the national
    admin can act on; empty when it is a rule the portal can evaluate."""
    errors: dict[str, str] = {}
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        return {"register_groups": "Choose the register groups from the list."}
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        return {"register_findings": "Choose the findings that count from the list."}
    unknown_groups = [g for g in groups if g not in RegisterGroup.values]
    if unknown_groups:
        errors["register_groups"] = (
            f"{_or(unknown_groups)}: not a register group. Choose from: "
            f"{', '.join(RegisterGroup.labels)}."
        )
    unknown_kinds = [k for k in kinds if k not in FINDING_KINDS]
    if unknown_kinds:
        errors["register_findings"] = (
            f"{_or(unknown_kinds)}: not a kind of register finding. Choose from: "
            f"{', '.join(FindingKind.LABELS[k] for k in FINDING_KINDS)}."
        )
    if errors:
        return errors
    if groups and not kinds:
        errors["register_findings"] = (
            "Choose which findings stand in the way of green for the groups chosen, or clear "
            "the groups if the standard does not depend on the register."
        )
    elif kinds and not groups:
        errors["register_groups"] = (
            "Choose the groups of posts whose findings count, or clear the findings if the "
            "standard does not depend on the register."
        )
    elif note and not groups:
        errors["register_note"] = (
            "A register note explains a register rule: choose its groups and findings, or "
            "clear the note."
        )
    if groups and scope in RegisterScope.values and scope != RegisterScope.ICB_AND_PROVIDERS:
        errors.update(_out_of_scope_errors(groups, scope))
    return errors


def _out_of_scope_errors(groups: list[str], scope: str) -> dict[str, str]:
    """A group with no posts on the chosen side (designated posts are ICB
    posts; named posts are providers') would make a rule that never finds
    anything. Judged from the post types loaded, so nothing is refused before
    they are."""
    required_for = "icb" if scope == RegisterScope.ICB else "provider"
    sides: dict[str, set[str]] = {}
    for group, side in PostType.objects.filter(register_group__in=groups).values_list(
        "register_group", "required_for"
    ):
        sides.setdefault(group, set()).add(side)
    empty = [g for g in groups if g in sides and required_for not in sides[g]]
    if not empty:
        return {}
    return {
        "register_scope": f"There are no {_or([GROUP_WORDS[g] for g in empty])} posts "
        f"{SCOPE_WORDS[scope]}: choose whose posts count so that every group chosen has some, "
        "or remove the group."
    }


# --- Checking it for an ICB on a day ------------------------------------------------------


@dataclass(frozen=True)
class ConcernedPost:
    """A post that breaks a rule: `post_id` is None for a post never set up."""

    kind: str
    post_id: int | None
    post_type_code: str
    name: str
    organisation_code: str
    organisation_name: str
    detail: str
    tenure_id: int | None = None

    @classmethod
    def of(cls, finding: Finding) -> ConcernedPost:
        return cls(
            kind=finding.kind,
            post_id=finding.post.pk if finding.post else None,
            post_type_code=finding.post_type.code,
            name=finding.post_type.name,
            organisation_code=finding.organisation.code,
            organisation_name=finding.organisation.name,
            detail=finding.detail,
            tenure_id=finding.tenure.pk if finding.tenure else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "post_id": self.post_id,
            "post_type_code": self.post_type_code,
            "name": self.name,
            "organisation_code": self.organisation_code,
            "organisation_name": self.organisation_name,
            "detail": self.detail,
            "tenure_id": self.tenure_id,
        }


@dataclass(frozen=True)
class RegisterCheck:
    """Whether a standard's register rule held for an ICB on a day, and why
    not: counts per finding kind of the rule and every post concerned."""

    standard_code: str
    icb_code: str
    on: datetime.date
    rule: RegisterRule
    holds: bool
    counts: dict[str, int]
    posts_required: int
    posts_filled: int
    concerned: tuple[ConcernedPost, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "standard_code": self.standard_code,
            "icb_code": self.icb_code,
            "on": self.on.isoformat(),
            "rule": self.rule.to_dict(),
            "holds": self.holds,
            "counts": dict(self.counts),
            "posts_required": self.posts_required,
            "posts_filled": self.posts_filled,
            "concerned": [post.to_dict() for post in self.concerned],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegisterCheck:
        rule = data["rule"]
        return cls(
            standard_code=data["standard_code"],
            icb_code=data["icb_code"],
            on=datetime.date.fromisoformat(data["on"]),
            rule=RegisterRule(
                tuple(rule["groups"]), tuple(rule["kinds"]), rule["scope"], rule["note"]
            ),
            holds=data["holds"],
            counts=dict(data["counts"]),
            posts_required=data["posts_required"],
            posts_filled=data["posts_filled"],
            concerned=tuple(ConcernedPost(**post) for post in data["concerned"]),
        )


def _rollup(icb: Organisation, on: datetime.date, groups: set[str]) -> IcbRegister:
    if icb.kind != OrganisationKind.ICB:
        raise ValueError(f"{icb.name} is not an ICB: register rules are checked for ICBs.")
    [rollup] = icb_registers([icb], on=on, groups=groups)
    return rollup


def _check(standard: Standard, rule: RegisterRule, rollup: IcbRegister) -> RegisterCheck:
    rows = [row for register in rollup.all for row in register.rows if rule.covers(row, rollup.icb)]
    findings = [f for row in rows for f in row.findings if f.kind in rule.kinds]
    return RegisterCheck(
        standard_code=standard.code,
        icb_code=rollup.icb.code,
        on=rollup.own.on,
        rule=rule,
        holds=not findings,
        counts={kind: sum(1 for f in findings if f.kind == kind) for kind in rule.kinds},
        posts_required=len(rows),
        posts_filled=sum(1 for row in rows if row.holders),
        concerned=tuple(ConcernedPost.of(f) for f in findings),
    )


def standards_register_check(
    *, standards: Iterable[Standard], icb: Organisation, on: datetime.date
) -> dict[str, RegisterCheck]:
    """The register check of every register-linked standard among `standards`
    (a version's, say) for `icb` on `on`, by standard code: one roll-up of the
    register for all of them."""
    ruled = [(s, rule) for s in standards if (rule := s.register_rule) is not None]
    if not ruled:
        return {}
    # Only the posts of the rules' groups: a rule covers no other.
    rollup = _rollup(icb, on, {group for _, rule in ruled for group in rule.groups})
    return {standard.code: _check(standard, rule, rollup) for standard, rule in ruled}


def standard_register_check(
    *, standard: Standard, icb: Organisation, on: datetime.date
) -> RegisterCheck:
    """Whether `standard`'s register rule holds for `icb` on `on`."""
    if standard.register_rule is None:
        raise ValueError(f"Standard {standard.code} does not depend on the posts register.")
    return standards_register_check(standards=[standard], icb=icb, on=on)[standard.code]


# --- The register's metrics -----------------------------------------------------------------

# The posts a designated-and-named metric counts: the ICB's designated
# professionals and named GPs, and its providers' named professionals.
DESIGNATED_AND_NAMED = (RegisterGroup.DESIGNATED, RegisterGroup.NAMED_GP, RegisterGroup.NAMED)


def _percent(part: int, whole: int) -> Decimal:
    # Rounded down, so that 199 of 200 never shows as the 100% a green needs.
    return (Decimal(100) * part / whole).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


def _covered(post_types: list[PostType], rule: RegisterRule) -> list[PostType]:
    """The post types whose required posts `rule` covers (`RegisterRule.covers`:
    a required post is the ICB's own exactly when its type is an ICB's)."""
    sides = {
        RegisterScope.ICB: {PostRequiredFor.ICB},
        RegisterScope.PROVIDERS: {PostRequiredFor.PROVIDER},
    }.get(rule.scope, {PostRequiredFor.ICB, PostRequiredFor.PROVIDER})
    return [
        pt for pt in post_types if pt.register_group in rule.groups and pt.required_for in sides
    ]


def _designated_filled(code: str, post_types: list[PostType], counts: dict) -> ComputedValue:
    """The share of the ICB's required designated posts with a holder on the day."""
    rule = RegisterRule((RegisterGroup.DESIGNATED,), POST_KINDS, RegisterScope.ICB)
    covered = _covered(post_types, rule)
    required = sum(counts[pt.pk]["required"] for pt in covered)
    if not required:
        return ComputedValue(code, None, "Not computed: no designated posts are required.")
    filled = sum(counts[pt.pk]["filled"] for pt in covered)
    return ComputedValue(
        code, _percent(filled, required), f"{filled} of {required} required posts filled."
    )


def _supervision_current(code: str, post_types: list[PostType], counts: dict) -> ComputedValue:
    """The share of holders of designated and named posts (ICB and the
    providers it leads) whose supervision is within the interval."""
    rule = RegisterRule(DESIGNATED_AND_NAMED, (FindingKind.SUPERVISION_OVERDUE,))
    covered = [pt for pt in _covered(post_types, rule) if pt.supervision_applies]
    holders = sum(counts[pt.pk]["holders"] for pt in covered)
    if not holders:
        return ComputedValue(code, None, "Not computed: no designated or named post has a holder.")
    overdue = sum(counts[pt.pk][kind] for pt in covered for kind in rule.kinds)
    return ComputedValue(
        code,
        _percent(holders - overdue, holders),
        f"{holders - overdue} of {holders} holders supervised within the interval.",
    )


REGISTER_METRICS: dict[str, Callable[[str, list[PostType], dict], ComputedValue]] = {
    "DESIGNATED_FILLED": _designated_filled,
    "SUPERVISION_CURRENT": _supervision_current,
}


def register_metric_values(
    *, metrics: Sequence[Metric], icb: Organisation, on: datetime.date
) -> dict[str, ComputedValue]:
    """The posts register's provider of computed metrics (registered in
    `AssuranceConfig.ready()`): every metric it knows, from the register's
    counts by post type (`register_counts.icb_post_type_counts`)."""
    from assurance.register_counts import icb_post_type_counts

    known = [m for m in metrics if m.code in REGISTER_METRICS]
    if not known:
        return {}
    if icb.kind != OrganisationKind.ICB:
        raise ValueError(f"{icb.name} is not an ICB: register rules are checked for ICBs.")
    post_types, counts = icb_post_type_counts(icb, on=on)
    return {m.code: REGISTER_METRICS[m.code](m.code, post_types, counts) for m in known}
