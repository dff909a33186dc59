"""What changed between two versions of a return, standard by standard.

Both sides are `ReturnSnapshot`s — a submission as it was kept, or the
current draft — read by `assurance.selectors` (`submission_snapshot`,
`draft_snapshot`); this module only compares them, in memory, and returns
dataclasses the compare page renders. Only what changed is kept: a rating,
a reason for not applicable, the narrative and the explanation as a
word-level difference, actions added, removed or changed (owner, due date,
status), evidence files added or removed, and metric figures or reasons.

Texts are compared as words, punctuation and white space (line breaks
included), so "met." becoming "met," shows as one changed comma, not a
changed word. The pieces are plain text: the template escapes them.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

# A word (with an inner apostrophe or hyphen: "ICB's", "follow-up"), one
# punctuation mark, or a run of white space.
_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]|\s+")

# Two leftover actions are one action changed when their descriptions are at
# least this alike (difflib's ratio over words); otherwise one was removed and
# another added.
ACTION_LIKENESS = 0.5


# --- Word-level differences -------------------------------------------------------------


@dataclass(frozen=True)
class DiffPiece:
    """A run of text that is the same on both sides, added, or removed."""

    kind: str  # "same", "added" or "removed"
    text: str

    # The page marks only the words: white space at either end of a change
    # is shown unmarked, and a change of white space alone (a line break)
    # shows the new layout without marks.
    @property
    def lead(self) -> str:
        return self.text[: len(self.text) - len(self.text.lstrip())]

    @property
    def core(self) -> str:
        return self.text.strip()

    @property
    def trail(self) -> str:
        return self.text[len(self.text.rstrip()) :] if self.core else ""


@dataclass(frozen=True)
class TextChange:
    """A text on both sides and the pieces that turn one into the other."""

    old: str
    new: str
    pieces: tuple[DiffPiece, ...]

    @property
    def added(self) -> str:
        return "".join(p.text for p in self.pieces if p.kind == "added")

    @property
    def removed(self) -> str:
        return "".join(p.text for p in self.pieces if p.kind == "removed")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.replace("\r\n", "\n"))


def _words(text: str) -> list[str]:
    return [t for t in tokens(text) if not t.isspace()]


def word_diff(old: str, new: str) -> tuple[DiffPiece, ...]:
    """The pieces that turn `old` into `new`, word by word: a replaced run is
    its removed words then its added ones; neighbours of one kind are joined."""
    before, after = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    pieces: list[DiffPiece] = []

    def add(kind: str, words: list[str]) -> None:
        text = "".join(words)
        if not text:
            return
        if pieces and pieces[-1].kind == kind:
            pieces[-1] = DiffPiece(kind, pieces[-1].text + text)
        else:
            pieces.append(DiffPiece(kind, text))

    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            add("same", before[i1:i2])
        else:
            add("removed", before[i1:i2])
            add("added", after[j1:j2])
    return tuple(pieces)


def text_change(old: str, new: str) -> TextChange | None:
    """The change from `old` to `new`, or None when they read the same (line
    endings and surrounding white space aside)."""
    old, new = (old or "").replace("\r\n", "\n"), (new or "").replace("\r\n", "\n")
    if old.strip() == new.strip():
        return None
    return TextChange(old, new, word_diff(old, new))


# --- What each side holds ---------------------------------------------------------------


@dataclass(frozen=True)
class ActionSnapshot:
    description: str
    owner: str
    due_on: datetime.date | None
    status: str
    status_label: str


@dataclass(frozen=True)
class StandardSnapshot:
    """A standard's answer on one side (empty fields where it was not answered)."""

    standard: object  # assurance.models.Standard, with its section
    rating: str = ""
    rating_label: str = ""
    not_applicable_reason: str = ""
    narrative: str = ""
    explanation: str = ""
    actions: tuple[ActionSnapshot, ...] = ()
    evidence: tuple[str, ...] = ()  # the files' names


@dataclass(frozen=True)
class MetricSnapshot:
    """A metric's figure on one side. `computed_value` and `rating` are what
    the portal computed at submission: None for the draft, which has not been
    computed, so they are compared only between two submissions."""

    metric: object  # assurance.models.Metric, with its section
    value: Decimal | None = None
    not_available_reason: str = ""
    computed_value: Decimal | None = None
    rating: str | None = None


@dataclass(frozen=True)
class ReturnSnapshot:
    """One side of a comparison: "Version 2" or "Current draft"."""

    label: str
    standards: dict[int, StandardSnapshot]  # by standard id
    metrics: dict[int, MetricSnapshot]  # by metric id
    is_draft: bool = False


# --- What changed -----------------------------------------------------------------------


@dataclass(frozen=True)
class ActionChange:
    """An action added (`old` None), removed (`new` None) or changed: its
    description as a word diff and the fields that differ, as (old, new)."""

    old: ActionSnapshot | None
    new: ActionSnapshot | None
    description: TextChange | None = None
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        return "removed" if self.new is None else "changed"


@dataclass(frozen=True)
class StandardChange:
    standard: object
    rating: tuple[str, str] | None  # the labels, old and new
    not_applicable_reason: TextChange | None
    narrative: TextChange | None
    explanation: TextChange | None
    actions: tuple[ActionChange, ...]
    evidence_added: tuple[str, ...]
    evidence_removed: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(
            self.rating
            or self.not_applicable_reason
            or self.narrative
            or self.explanation
            or self.actions
            or self.evidence_added
            or self.evidence_removed
        )


@dataclass(frozen=True)
class MetricChange:
    """A metric whose figure, reason, computed value or RAG differs: each
    field that differs as (old, new) text."""

    metric: object
    fields: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class SectionChanges:
    section: object
    standards: tuple[StandardChange, ...]
    metrics: tuple[MetricChange, ...]


@dataclass(frozen=True)
class ReturnComparison:
    old_label: str
    new_label: str
    sections: tuple[SectionChanges, ...]  # only those with a change

    @property
    def standard_count(self) -> int:
        return sum(len(s.standards) for s in self.sections)

    @property
    def metric_count(self) -> int:
        return sum(len(s.metrics) for s in self.sections)

    @property
    def summary(self) -> str:
        """ "4 standards changed in 2 sections", or that nothing changed."""
        if not self.sections:
            return f"Nothing changed between {self.old_label.lower()} and {self.new_label.lower()}."
        parts = []
        if self.standard_count:
            parts.append(_count(self.standard_count, "standard"))
        if self.metric_count:
            parts.append(_count(self.metric_count, "metric"))
        return f"{' and '.join(parts)} changed in {_count(len(self.sections), 'section')}."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _money(value: Decimal | None) -> str:
    """A figure as people write it: 3 not 3.00, 12.5 not 12.50."""
    if value is None:
        return "none"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _action_changes(
    old: tuple[ActionSnapshot, ...], new: tuple[ActionSnapshot, ...]
) -> tuple[ActionChange, ...]:
    """Actions matched by their description first; the leftovers are paired
    in order where their descriptions are alike, else added and removed."""
    left_old, left_new = list(old), list(new)
    pairs: list[tuple[ActionSnapshot, ActionSnapshot]] = []
    for action in list(left_old):
        same = next((a for a in left_new if a.description == action.description), None)
        if same is not None:
            pairs.append((action, same))
            left_old.remove(action)
            left_new.remove(same)
    for action in list(left_old):
        alike = next(
            (
                a
                for a in left_new
                if difflib.SequenceMatcher(
                    None, _words(action.description), _words(a.description), autojunk=False
                ).ratio()
                >= ACTION_LIKENESS
            ),
            None,
        )
        if alike is not None:
            pairs.append((action, alike))
            left_old.remove(action)
            left_new.remove(alike)
    changes = []
    for before, after in pairs:
        fields = {}
        if before.owner != after.owner:
            fields["Owner"] = (before.owner or "none", after.owner or "none")
        if before.due_on != after.due_on:
            fields["Due"] = (_day(before.due_on), _day(after.due_on))
        if before.status != after.status:
            fields["Status"] = (before.status_label, after.status_label)
        description = text_change(before.description, after.description)
        if fields or description:
            changes.append(ActionChange(before, after, description, fields))
    changes += [ActionChange(a, None) for a in left_old]
    changes += [ActionChange(None, a) for a in left_new]
    # In the order the new side lists them, removed ones last.
    order = {id(a): i for i, a in enumerate(new)}
    changes.sort(key=lambda c: order.get(id(c.new), len(new)))
    return tuple(changes)


def _day(day: datetime.date | None) -> str:
    from saaf.dates import nhs_date

    return nhs_date(day) if day else "not set"


def standard_compare(old: StandardSnapshot, new: StandardSnapshot) -> StandardChange:
    """What changed in one standard's answer."""
    evidence_old, evidence_new = set(old.evidence), set(new.evidence)
    return StandardChange(
        standard=new.standard,
        rating=(
            (old.rating_label or "Not rated", new.rating_label or "Not rated")
            if old.rating != new.rating
            else None
        ),
        not_applicable_reason=text_change(old.not_applicable_reason, new.not_applicable_reason),
        narrative=text_change(old.narrative, new.narrative),
        explanation=text_change(old.explanation, new.explanation),
        actions=_action_changes(old.actions, new.actions),
        evidence_added=tuple(sorted(evidence_new - evidence_old)),
        evidence_removed=tuple(sorted(evidence_old - evidence_new)),
    )


def metric_compare(old: MetricSnapshot, new: MetricSnapshot) -> MetricChange | None:
    """What changed in one metric's figure, or None."""
    fields = {}
    if old.value != new.value:
        fields["Figure"] = (_money(old.value), _money(new.value))
    if old.not_available_reason.strip() != new.not_available_reason.strip():
        fields["Why not available"] = (
            old.not_available_reason or "none",
            new.not_available_reason or "none",
        )
    both_computed = old.rating is not None and new.rating is not None
    if both_computed and old.computed_value != new.computed_value:
        fields["Computed by the portal"] = (_money(old.computed_value), _money(new.computed_value))
    if both_computed and old.rating != new.rating:
        fields["RAG"] = (_rag(old.rating), _rag(new.rating))
    return MetricChange(new.metric, fields) if fields else None


def _rag(rating: str) -> str:
    from assurance.rating import Rating

    return Rating(rating).label if rating in Rating.values else rating


def return_compare(old: ReturnSnapshot, new: ReturnSnapshot) -> ReturnComparison:
    """Every standard and metric that changed from `old` to `new`, by section
    in toolkit order; a standard on one side only is compared with an empty
    answer."""
    standard_ids = sorted(
        set(old.standards) | set(new.standards),
        key=lambda pk: _position((new.standards.get(pk) or old.standards[pk]).standard),
    )
    metric_ids = sorted(
        set(old.metrics) | set(new.metrics),
        key=lambda pk: _position((new.metrics.get(pk) or old.metrics[pk]).metric),
    )
    by_section: dict[int, tuple[object, list, list]] = {}

    def section_of(item) -> tuple[object, list, list]:
        section = item.section
        return by_section.setdefault(section.pk, (section, [], []))

    for pk in standard_ids:
        before, after = old.standards.get(pk), new.standards.get(pk)
        standard = (after or before).standard
        change = standard_compare(
            before or StandardSnapshot(standard), after or StandardSnapshot(standard)
        )
        if change.changed:
            section_of(standard)[1].append(change)
    for pk in metric_ids:
        before, after = old.metrics.get(pk), new.metrics.get(pk)
        metric = (after or before).metric
        change = metric_compare(before or MetricSnapshot(metric), after or MetricSnapshot(metric))
        if change:
            section_of(metric)[2].append(change)
    sections = sorted(by_section.values(), key=lambda s: (s[0].position, s[0].code))
    return ReturnComparison(
        old.label,
        new.label,
        tuple(SectionChanges(s, tuple(st), tuple(m)) for s, st, m in sections),
    )


def _position(item) -> tuple:
    return (item.section.position, item.section.code, item.position, item.code)
