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
