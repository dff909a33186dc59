"""The word-level difference and the standard-by-standard comparison of
`assurance.return_diff`, in memory: no database, plain stand-ins for the
toolkit's sections, standards and metrics."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import get_template

from assurance.return_diff import (
    ActionSnapshot,
    DiffPiece,
    MetricSnapshot,
    ReturnSnapshot,
    StandardSnapshot,
    return_compare,
    text_change,
    word_diff,
)


def pieces(old, new):
    return [(p.kind, p.text) for p in word_diff(old, new)]


def test_an_inserted_word():
    assert pieces("The board reviews the plan.", "The board reviews the new plan.") == [
        ("same", "The board reviews the "),
        ("added", "new "),
        ("same", "plan."),
    ]


def test_a_deleted_word():
    assert pieces("Audits are done quarterly and monthly.", "Audits are done quarterly.") == [
        ("same", "Audits are done quarterly"),
        ("removed", " and monthly"),
        ("same", "."),
    ]


def test_a_replaced_word_is_removed_then_added():
    assert pieces("Training is at 80% today.", "Training is at 95% today.") == [
        ("same", "Training is at "),
        ("removed", "80"),
        ("added", "95"),
        ("same", "% today."),
    ]


def test_punctuation_is_its_own_token():
    # Only the full stop became a comma: the word "met" is the same on both sides.
    assert pieces("The standard is met.", "The standard is met,") == [
        ("same", "The standard is met"),
        ("removed", "."),
        ("added", ","),
    ]
    assert pieces("The standard is met.", "The standard is met, mostly.") == [
        ("same", "The standard is met"),
        ("added", ", mostly"),
        ("same", "."),
    ]


def test_words_with_apostrophes_and_hyphens_stay_whole():
    assert pieces("The ICB's follow-up plan", "The ICB’s follow-up plan") == [
        ("same", "The "),
        ("removed", "ICB's"),
        ("added", "ICB’s"),
        ("same", " follow-up plan"),
    ]


def test_line_breaks_are_kept_and_compared():
    changed = pieces("First line.\nSecond line.", "First line.\n\nSecond line, revised.")
    assert changed == [
        ("same", "First line."),
        ("removed", "\n"),
        ("added", "\n\n"),
        ("same", "Second line"),
        ("added", ", revised"),
        ("same", "."),
    ]
    # Windows line endings read as the same text.
    assert text_change("a\r\nb", "a\nb") is None


def test_the_pieces_rebuild_both_texts():
    old = "Named nurse in post since May.\nSupervision: monthly (see minutes)."
    new = "Named nurse in post since June!\nSupervision: quarterly, see minutes."
    diff = word_diff(old, new)
    assert "".join(p.text for p in diff if p.kind != "added") == old
    assert "".join(p.text for p in diff if p.kind != "removed") == new


def test_unchanged_text_is_no_change():
    assert text_change("Same words.", "  Same words.\n") is None
    assert text_change("", "") is None
    change = text_change("", "Now written.")
    assert change.pieces == (DiffPiece("added", "Now written."),)
    assert change.added == "Now written." and change.removed == ""


def test_html_looking_text_is_escaped_when_rendered():
    change = text_change("Plain <b>bold</b> text", 'Plain <script>alert("x")</script> text')
    html = get_template("assurance/returns/compare_macros.jinja").template.module.diff(change)
    assert "<script" not in html and "<b>" not in html
    assert "&lt;" in html and "alert(&#34;x&#34;)" in html
    assert '<ins><span class="nhsuk-u-visually-hidden">[added: </span>' in html
    assert '<del><span class="nhsuk-u-visually-hidden">[removed: </span>' in html
    change = text_change("Plain text", "Plain <i>new</i> text")
    html = get_template("assurance/returns/compare_macros.jinja").template.module.diff(change)
    assert "[added: </span>&lt;i&gt;new&lt;/i&gt;<span" in html


def render(old, new):
    macros = get_template("assurance/returns/compare_macros.jinja").template.module
    return str(macros.diff(text_change(old, new)))


def test_only_words_are_marked_never_the_spaces_around_them():
    html = render("Board minutes show it.", "Board minutes and the audit show it.")
    assert "minutes <ins><span" in html and "audit<span" in html and "</ins> show" in html
    piece = DiffPiece("added", " and the audit\n")
    assert (piece.lead, piece.core, piece.trail) == (" ", "and the audit", "\n")


def test_a_change_of_line_breaks_alone_shows_the_new_layout_unmarked():
    html = render("First.\nSecond.", "First.\n\nSecond.")
    assert "<ins>" not in html and "<del>" not in html
    assert "First.\n\nSecond." in html


# --- Standard by standard ---------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A stand-in for a section, standard or metric: what the comparison reads."""

    pk: int
    code: str
    position: int
    section: "Item | None" = None
    title: str = ""
    name: str = ""


LG = Item(1, "LG", 1, title="Leadership and governance")
TR = Item(2, "TR", 2, title="Training")
LG1, LG2, TR1 = Item(11, "LG1", 1, LG), Item(12, "LG2", 2, LG), Item(21, "TR1", 1, TR)
M1 = Item(31, "TR-M1", 1, TR, name="Staff trained")

DUE = datetime.date(2027, 3, 31)


def action(description, owner="Deputy chief nurse", due=DUE, status="not_started"):
    labels = {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}
    return ActionSnapshot(description, owner, due, status, labels[status])


def answer(standard, rating="green", **fields):
    labels = {"red": "Red", "amber": "Amber", "green": "Green", "not_applicable": "Not applicable"}
    return StandardSnapshot(standard, rating, labels.get(rating, ""), **fields)


def snapshot(label, *answers, metrics=()):
    return ReturnSnapshot(
        label, {a.standard.pk: a for a in answers}, {m.metric.pk: m for m in metrics}
    )


def test_only_what_changed_is_listed_with_a_summary():
    old = snapshot(
        "Version 1",
        answer(LG1, "amber", narrative="Board minutes.", actions=(action("Recruit a nurse"),)),
        answer(LG2, narrative="Unchanged."),
        answer(TR1, narrative="Training at 80%."),
        metrics=[MetricSnapshot(M1, Decimal("80"), "", None, "amber")],
    )
    new = snapshot(
        "Version 2",
        answer(LG1, "green", narrative="Board minutes and audit.", evidence=("audit.pdf",)),
        answer(LG2, narrative="Unchanged."),
        answer(TR1, narrative="Training at 80%."),
        metrics=[MetricSnapshot(M1, Decimal("95.50"), "", None, "green")],
    )
    comparison = return_compare(old, new)
    assert comparison.summary == "1 standard and 1 metric changed in 2 sections."
    [lg, tr] = comparison.sections
    assert lg.section == LG and [c.standard for c in lg.standards] == [LG1]
    change = lg.standards[0]
    assert change.rating == ("Amber", "Green")
    assert change.narrative.added == " and audit"
    assert [(a.kind, a.old.description) for a in change.actions] == [("removed", "Recruit a nurse")]
    assert change.evidence_added == ("audit.pdf",) and change.evidence_removed == ()
    assert tr.standards == ()
    assert tr.metrics[0].fields == {"Figure": ("80", "95.5"), "RAG": ("Amber", "Green")}


def test_nothing_changed():
    same = answer(LG1, narrative="Same.")
    comparison = return_compare(snapshot("Version 1", same), snapshot("Version 2", same))
    assert comparison.sections == ()
    assert comparison.summary == "Nothing changed between version 1 and version 2."


def test_sections_and_standards_come_in_toolkit_order():
    old = snapshot("Version 1", answer(TR1), answer(LG2), answer(LG1))
    new = snapshot(
        "Version 2", answer(TR1, "red"), answer(LG2, "red"), answer(LG1, "not_applicable")
    )
    comparison = return_compare(old, new)
    assert [s.section.code for s in comparison.sections] == ["LG", "TR"]
    assert [c.standard.code for c in comparison.sections[0].standards] == ["LG1", "LG2"]
    assert comparison.summary == "3 standards changed in 2 sections."


def test_a_standard_answered_on_one_side_only_is_compared_with_nothing():
    comparison = return_compare(
        snapshot("Version 1"), snapshot("Current draft", answer(LG1, "red", narrative="New."))
    )
    [change] = comparison.sections[0].standards
    assert change.rating == ("Not rated", "Red")
    assert change.narrative.added == "New."


def test_actions_added_removed_and_changed():
    old = snapshot(
        "Version 1",
        answer(
            LG1,
            "red",
            actions=(
                action("Recruit a named nurse for children"),
                action("Audit supervision records", status="in_progress"),
                action("Write to the provider"),
            ),
        ),
    )
    new = snapshot(
        "Version 2",
        answer(
            LG1,
            "red",
            actions=(
                action("Audit supervision records", owner="Head of safeguarding", status="done"),
                action("Recruit a named nurse for adults", due=datetime.date(2027, 6, 30)),
                action("Train the board"),
            ),
        ),
    )
    [change] = return_compare(old, new).sections[0].standards
    kinds = [(a.kind, (a.new or a.old).description) for a in change.actions]
    assert kinds == [
        ("changed", "Audit supervision records"),
        ("changed", "Recruit a named nurse for adults"),
        ("added", "Train the board"),
        ("removed", "Write to the provider"),
    ]
    audit, recruit = change.actions[0], change.actions[1]
    assert audit.description is None
    assert audit.fields == {
        "Owner": ("Deputy chief nurse", "Head of safeguarding"),
        "Status": ("In progress", "Done"),
    }
    assert recruit.description.removed == "children" and recruit.description.added == "adults"
    assert recruit.fields == {"Due": ("31 March 2027", "30 June 2027")}


def test_an_unchanged_action_is_not_listed():
    same = (action("Recruit a nurse"),)
    old = snapshot("Version 1", answer(LG1, "amber", actions=same))
    new = snapshot("Version 2", answer(LG1, "amber", actions=same, narrative="Now explained."))
    [change] = return_compare(old, new).sections[0].standards
    assert change.actions == () and change.narrative.added == "Now explained."


def test_metric_reasons_and_draft_figures():
    old = snapshot("Version 1", metrics=[MetricSnapshot(M1, None, "Audit late", None, "not_rated")])
    draft = snapshot("Current draft", metrics=[MetricSnapshot(M1, None, "Audit due in May")])
    [change] = return_compare(old, draft).sections[0].metrics
    # The draft has no computed RAG: only what was typed is compared.
    assert change.fields == {"Why not available": ("Audit late", "Audit due in May")}
    same = snapshot("Current draft", metrics=[MetricSnapshot(M1, None, "Audit late")])
    assert return_compare(old, same).sections == ()
