"""Display decisions for the register pages, made in Python so that templates
only print: which action a finding offers, and the link of each register row."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from assurance.findings import Finding, FindingKind


@dataclass(frozen=True)
class Action:
    text: str  # the link's visible words
    hidden: str  # the rest of its accessible name, for screen readers
    href: str


def finding_action(finding: Finding, *, can_change: bool) -> Action | None:
    """What the findings table offers for `finding`: to an editor, the change that
    resolves it (set up the missing post, add a holder, update the holder); to a
    reader, the post's page; nothing for a post that is not set up."""
    where = f"{finding.post_type.name}, {finding.organisation.name}"
    if can_change:
        if finding.kind == FindingKind.MISSING:
            href = reverse("assurance:post_new", args=[finding.organisation.code])
            return Action("Set up", f" {where}", f"{href}?type={finding.post_type.code}")
        if finding.kind == FindingKind.VACANT:
            href = reverse("assurance:tenure_new", args=[finding.post.pk])
            return Action("Add holder", f" for {where}", href)
        if finding.tenure is not None:
            href = reverse("assurance:tenure_edit", args=[finding.tenure.pk])
            return Action(
                "Update", f" {finding.tenure.holder_name}, {finding.post_type.name}", href
            )
    if finding.post is not None:
        return Action("View", f" {where}", reverse("assurance:post_detail", args=[finding.post.pk]))
    return None


def findings_with_actions(findings: list[Finding], changeable: set[int]) -> list[tuple]:
    """Each finding with its action, for the ICB page's findings table."""
    return [(f, finding_action(f, can_change=f.organisation.pk in changeable)) for f in findings]


def post_links(rows) -> list[str | None]:
    """The post page of each register row (PostRow); None for a post not set up.
    The path is reversed once and each post's id put in it (an ICB's page has a
    hundred rows, and `reverse` costs about 20 µs each)."""
    before, after = reverse("assurance:post_detail", args=[0]).rsplit("/0/", 1)
    return [f"{before}/{row.post.pk}/{after}" if row.post else None for row in rows]
