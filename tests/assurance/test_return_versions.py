# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""The versions of a return as each role reads them: the list with the
region's outcome of each, one version read as it was submitted, and the
differences between two versions or the latest one and the draft, with a
clear answer to a bad choice; scoped like the return; query counts fixed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from markupsafe import escape  # as the Jinja2 pages escape (an apostrophe as &#39;)

from assurance.models import Submission
from assurance.services.returns import ActionInput, evidence_upload
from assurance.services.submissions import (
    quarterly_return_accept,
    quarterly_return_review_start,
    quarterly_return_send_back,
    quarterly_return_submit,
    submitted_answer_validate,
)
from organisations.models import Role
from saaf.dates import today
from tests.assurance.test_submission import (  # noqa: F401
    PDF,
    approver,
    editor,
    fill_clean,
    lead,
    q3,
    ret,
    save,
)
from tests.factories import enrol_totp, member


def url(name, ret, *extra):
    p = ret.period
    return reverse(f"assurance:{name}", args=[ret.icb.code, p.financial_year, p.quarter, *extra])


def signed_in(client, user):
    enrol_totp(user)
    client.force_login(user)
    return user


@pytest.fixture
def two_versions(ret, editor, approver, lead):
    """Version 1 returned by London's lead with a covering comment and a
    validated rating; LG1 changed in the draft; version 2 submitted."""
    fill_clean(editor, ret)
    save(
        editor,
        ret,
        "LG2",
        rating="amber",
        narrative="Board minutes show LG2 is partly met.\nThe audit follows.",
        actions=[
            ActionInput(
                description="Audit the board's minutes", owner="Board secretary", due_on=today()
            )
        ],
    )
    v1 = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    submitted_answer_validate(
        actor=lead,
        submitted_answer=v1.answers.get(standard__code="LG1"),
        rating="amber",
        rationale="No <b>audit</b> yet.",
    )
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="LG1: show the audit.")
    save(
        editor, ret, "LG1", rating="green", narrative="Board minutes and the audit show LG1 is met."
    )
    save(
        editor,
        ret,
        "LG2",
        rating="green",
        narrative="Board minutes show LG2 is met.\nThe audit follows.",
        actions=[],
    )
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    return ret


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_each_version_and_what_the_region_made_of_it(
    client, two_versions, approver, lead
):
    ret = two_versions
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    quarterly_return_accept(actor=lead, quarterly_return=ret, comment="Thank you: assured.")
    signed_in(client, approver)
    page = client.get(url("return_versions", ret)).content.decode()
    assert page.count('<h2 class="nhsuk-heading-m" id="version-') == 2
    assert "Returned for changes" in page and "LG1: show the audit." in page
    assert "Accepted" in page and "Thank you: assured." in page
    assert escape(lead.get_full_name()) in page  # an O'Connor is escaped
    assert escape(approver.get_full_name()) in page and "ICB approver" in page
    assert "I confirm this return is an accurate account" in page
    assert f'href="{url("return_version_detail", ret, 2)}"' in page
    assert f'href="{url("return_version_compare", ret)}?from=1&amp;to=2"' in page
    assert 'name="from"' in page and 'name="to"' in page


def test_a_submission_awaiting_review_and_one_never_reviewed(client, ret, editor, approver):
    fill_clean(editor, ret)
    signed_in(client, approver)
    page = client.get(url("return_versions", ret)).content.decode()
    assert "has not been submitted yet" in page
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    page = client.get(url("return_versions", ret)).content.decode()
    assert "Awaiting review" in page and "Version 1" in page


# --- One version ---------------------------------------------------------------------------


def test_a_version_reads_as_it_was_submitted(client, two_versions, editor, approver):
    ret = two_versions
    signed_in(client, editor)
    page = client.get(url("return_version_detail", ret, 1)).content.decode()
    assert "Version 1 as submitted" in page
    assert "A later version replaced this one" in page
    assert f'href="{url("return_version_detail", ret, 2)}"' in page
    assert 'href="#section-LG"' in page and 'id="section-LG"' in page
    # Line breaks kept (the page shows them), the text escaped.
    assert '<span class="saaf-narrative">Board minutes show LG2 is partly met.\n' in page
    assert "Audit the board&#39;s minutes — Board secretary" in page
    # The lead's validated rating on this version, escaped.
    assert "Region&#39;s validated rating" in page and "No &lt;b&gt;audit&lt;/b&gt; yet." in page
    # The register's check as it was kept with the version.
    assert "Posts register at submission" in page
    # Version 2 has LG2's new narrative and no validated rating yet.
    page = client.get(url("return_version_detail", ret, 2)).content.decode()
    assert "Board minutes show LG2 is met." in page and "partly" not in page
    assert "Region&#39;s validated rating" not in page
    assert "What changed since version 1" in page


def test_evidence_files_link_to_the_scoped_download(client, ret, editor, approver, reference):
    fill_clean(editor, ret)
    evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=ret.period.toolkit_version.standards.get(code="LG1"),
        uploaded=SimpleUploadedFile("board <minutes>.pdf", PDF, content_type="application/pdf"),
        effective_on=today(),
    )
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    link = Submission.objects.get().answers.get(standard__code="LG1").evidence_links.get()
    signed_in(client, approver)
    page = client.get(url("return_version_detail", ret, 1)).content.decode()
    href = reverse("assurance:evidence_download", args=[link.evidence_id])
    assert f'href="{href}"' in page and escape(link.evidence.display_name) in page
    assert client.get(href).status_code == 200
    client.force_login(member(reference["QMF"], Role.ICB_VIEWER))  # another London ICB
    assert client.get(href).status_code == 404


def test_an_unknown_version_is_a_404(client, two_versions, approver):
    signed_in(client, approver)
    assert client.get(url("return_version_detail", two_versions, 3)).status_code == 404
    assert client.get(url("return_version_detail", two_versions, 0)).status_code == 404


@pytest.mark.parametrize("page", ["return_versions", "return_version_compare"])
def test_out_of_scope_is_a_404(client, two_versions, reference, page):
    signed_in(client, member(reference["QMF"], Role.ICB_APPROVER))
    assert client.get(url(page, two_versions)).status_code == 404
    assert client.get(url("return_version_detail", two_versions, 1)).status_code == 404
    client.logout()
    assert client.get(url(page, two_versions)).status_code in (302, 404)


@pytest.mark.parametrize(
    "role,org",
    [(Role.REGIONAL_CHIEF_NURSE, "Y56"), (Role.NSSG_MEMBER, "X24"), (Role.ICB_VIEWER, "Z9B2Z")],
)
def test_those_who_read_the_return_read_its_versions(client, two_versions, reference, role, org):
    signed_in(client, member(reference[org], role))
    assert client.get(url("return_versions", two_versions)).status_code == 200
    assert client.get(url("return_version_detail", two_versions, 1)).status_code == 200
    page = client.get(url("return_version_compare", two_versions) + "?from=1&to=2")
    assert page.status_code == 200


def test_the_version_pages_query_count_does_not_grow(client, ret, editor, approver):
    """Answers with actions and files, then more of them: the same queries."""
    fill_clean(editor, ret)
    v1 = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    lead = member(ret.icb.parent, Role.REGIONAL_LEAD)
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="More actions.")
    signed_in(client, approver)

    def counted(path):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    pages = [
        url("return_version_detail", ret, 1),
        url("return_versions", ret),
        url("return_version_compare", ret) + "?from=1&to=draft",
    ]
    counted(pages[0])  # the first request of a session reads more (content types)
    before = [counted(p) for p in pages]
    for code in ["LG1", "LG2", "LG3"]:
        save(
            editor,
            ret,
            code,
            rating="red",
            narrative=f"{code} is not met.",
            actions=[
                ActionInput(description=f"Step {i} for {code}", owner="Nurse", due_on=today())
                for i in range(3)
            ],
        )
    v2 = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="Again.")
    assert v2.answers.filter(actions__isnull=False).distinct().count() == 3 > v1.version - 1
    pages[0] = url("return_version_detail", ret, 2)
    after = [counted(p) for p in pages]
    assert after == before
    compare = url("return_version_compare", ret) + "?from=1&to=2"
    assert counted(compare) <= before[2] + 2


# --- Differences ---------------------------------------------------------------------------


def test_the_differences_between_two_versions(client, two_versions, lead):
    signed_in(client, lead)
    page = client.get(url("return_version_compare", two_versions) + "?from=1&to=2")
    assert page.status_code == 200
    html = page.content.decode()
    assert "What changed from version 1 to version 2" in html
    assert "2 standards changed in 1 section." in html
    assert 'id="standard-LG1"' in html and 'id="standard-LG2"' in html
    assert 'id="standard-LG3"' not in html  # unchanged: not shown
    assert '[added: </span>and the audit<span class="nhsuk-u-visually-hidden">]' in html
    assert '[removed: </span>partly<span class="nhsuk-u-visually-hidden">]' in html
    assert "<strong>Removed:</strong> Audit the board&#39;s minutes" in html
    assert (
        'was </span>Amber</del> <ins><span class="nhsuk-u-visually-hidden">now </span>Green' in html
    )


def test_without_a_choice_it_compares_the_latest_two(client, two_versions, lead):
    signed_in(client, lead)
    html = client.get(url("return_version_compare", two_versions)).content.decode()
    assert "What changed from version 1 to version 2" in html


def test_the_latest_version_against_the_draft(client, two_versions, editor, approver, lead):
    ret = two_versions
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="One more thing.")
    save(
        editor,
        ret,
        "LG3",
        rating="amber",
        narrative="Changed after version 2.",
        actions=[ActionInput(description="Fix it", owner="Lead nurse", due_on=today())],
    )
    signed_in(client, approver)
    html = client.get(url("return_version_compare", ret) + "?from=2&to=draft").content.decode()
    assert "What changed from version 2 to current draft" in html
    assert "1 standard changed in 1 section." in html
    assert "<strong>Added:</strong> Fix it" in html
    versions = client.get(url("return_versions", ret)).content.decode()
    assert "?from=2&amp;to=draft" in versions


@pytest.mark.parametrize(
    "query,message",
    [
        ("?from=1&to=9", "This return has no version 9: it has versions 1 to 2."),
        ("?from=abc&to=2", "Choose a version number from the list, such as 1."),
        ("?from=2&to=1", "Choose a later version in ‘To’ than in ‘From’"),
        ("?from=2&to=2", "Choose a later version in ‘To’ than in ‘From’"),
        ("?from=1&to=draft", "There is no draft to compare with"),
        ("?to=2", "Choose the version to compare from."),
        ("?from=1&to=" + "9" * 80, "Choose a version number from the list"),
        ("?from=<script>&to=2", "Choose a version number from the list"),
    ],
)
def test_a_bad_choice_says_what_to_choose(client, two_versions, lead, query, message):
    signed_in(client, lead)
    page = client.get(url("return_version_compare", two_versions) + query)
    assert page.status_code == 400
    html = page.content.decode()
    assert "There is a problem" in html and message in html
    assert "<script>" not in html.split("<main", 1)[1]
    assert 'name="from"' in html  # the picker, to choose again


def test_nothing_to_compare_yet(client, ret, editor, approver):
    signed_in(client, approver)
    html = client.get(url("return_version_compare", ret)).content.decode()
    assert "the return has not been submitted yet" in html
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    html = client.get(url("return_version_compare", ret)).content.decode()
    assert "nothing to compare it with" in html


# --- Links ---------------------------------------------------------------------------------


def test_the_return_pages_link_to_the_versions(client, two_versions, lead, editor):
    ret = two_versions
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    compare = f'href="{url("return_version_compare", ret)}?from=1&amp;to=2"'
    signed_in(client, lead)
    task_list = client.get(url("return_detail", ret)).content.decode()
    assert f'href="{url("return_versions", ret)}"' in task_list and compare in task_list
    assert "to=draft" not in task_list  # under review: no draft to compare
    validation = client.get(url("return_validation", ret)).content.decode()
    assert compare in validation and url("return_version_detail", ret, 2) in validation
    history = client.get(url("return_history", ret)).content.decode()
    assert f'href="{url("return_versions", ret)}"' in history

    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="Once more.")
    signed_in(client, editor)
    task_list = client.get(url("return_detail", ret)).content.decode()
    assert f'href="{url("return_version_compare", ret)}?from=2&amp;to=draft"' in task_list


def test_the_task_list_says_where_the_return_stands_as_html_not_as_tags(client, two_versions, lead):
    signed_in(client, lead)
    page = client.get(url("return_detail", two_versions)).content.decode()
    assert "&lt;p&gt;" not in page
    assert "<p><strong>Submitted on" in page
