import datetime

import pytest

from organisations.audit import system_actor
from organisations.models import AuditEvent, Organisation, OrganisationKind, Succession
from organisations.reference_data import reference_data_load

APRIL_2026 = datetime.date(2026, 4, 1)
MARCH_2026 = datetime.date(2026, 3, 31)


def test_loads_every_icb_since_2022_with_real_codes_and_dates(reference):
    icbs = Organisation.objects.icbs()
    assert icbs.count() == 48
    assert icbs.existing_on(MARCH_2026).count() == 42
    assert icbs.existing_on(APRIL_2026).count() == 36
    assert icbs.existing_on(datetime.date(2022, 7, 1)).count() == 42
    assert icbs.existing_on(datetime.date(2022, 6, 30)).count() == 0

    qmj = reference["QMJ"]
    assert qmj.name == "NHS North Central London Integrated Care Board"
    assert (qmj.established, qmj.closed) == (datetime.date(2022, 7, 1), MARCH_2026)
    z9 = reference["Z9B2Z"]
    assert (z9.established, z9.closed) == (APRIL_2026, None)
    assert z9.parent.code == "Y56" and z9.parent.name == "London"


def test_seven_regions_under_nhs_england_with_health_and_justice(reference):
    national = reference["X24"]
    assert national.kind == OrganisationKind.NATIONAL
    regions = Organisation.objects.regions()
    assert sorted(regions.values_list("code", flat=True)) == [
        "Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63",
    ]  # fmt: skip
    assert all(r.parent_id == national.pk for r in regions)
    hj = reference["NHSE-HJ"]
    assert hj.kind == OrganisationKind.DIRECTORATE and hj.parent_id == national.pk
    # Every ICB sits in a region; current ones per region add up to 36.
    per_region = {
        r.code: r.children.existing_on(APRIL_2026).filter(kind="icb").count() for r in regions
    }
    assert per_region == {
        "Y56": 4, "Y58": 7, "Y59": 4, "Y60": 11, "Y61": 3, "Y62": 3, "Y63": 4,
    }  # fmt: skip


def test_sixteen_succession_links(reference):
    assert Succession.objects.count() == 16
    kinds = {
        (s.predecessor.code, s.successor.code): s.kind
        for s in Succession.objects.select_related("predecessor", "successor")
    }
    assert kinds[("QMJ", "Z9B2Z")] == "merger"
    assert kinds[("QM7", "S1Y5D")] == kinds[("QM7", "D7T5G")] == "split"
    assert kinds[("QNQ", "QRL")] == "acquisition"
    # Three ICBs split between several successors.
    splitters = {p for (p, _), k in kinds.items() if k == "split"}
    assert splitters == {"QM7", "QJG", "QNQ"}
    assert all(s.date == APRIL_2026 for s in Succession.objects.all())


def test_predecessors_and_successors(reference):
    z9 = reference["Z9B2Z"]
    assert set(z9.predecessors().values_list("code", flat=True)) == {"QMJ", "QRV"}
    assert set(reference["QM7"].successors().values_list("code", flat=True)) == {
        "S1Y5D",
        "D7T5G",
    }
    # An ICB that took over territory keeps its own past and gains a predecessor.
    assert set(reference["QRL"].predecessors().values_list("code", flat=True)) == {"QNQ"}
    assert not reference["QMF"].predecessors().exists()
    assert not reference["QMF"].successors().exists()


def test_second_run_changes_nothing(reference):
    orgs_before = Organisation.objects.count()
    events_before = AuditEvent.objects.count()
    report = reference_data_load(actor=system_actor())
    assert not report.changed
    assert report.unchanged == 73  # 1 national, 1 directorate, 7 regions, 48 ICBs, 16 links
    assert Organisation.objects.count() == orgs_before
    assert AuditEvent.objects.count() == events_before


def test_a_changed_name_updates_in_place_with_an_audit_event(reference, tmp_path):
    source = (reference_data_load.__globals__["DATA_DIR"]).resolve()
    icbs = (source / "icbs.csv").read_text(encoding="utf-8")
    (tmp_path / "icbs.csv").write_text(
        icbs.replace("NHS North East London Integrated Care Board", "NHS East London ICB"),
        encoding="utf-8",
    )
    (tmp_path / "icb_successions.csv").write_text(
        (source / "icb_successions.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    qmf_pk = reference["QMF"].pk

    report = reference_data_load(actor=system_actor(), data_dir=tmp_path)

    assert report.updated == ["QMF"] and report.created == []
    assert Organisation.objects.filter(code="QMF").count() == 1
    qmf = Organisation.objects.get(code="QMF")
    assert qmf.pk == qmf_pk and qmf.name == "NHS East London ICB"
    event = AuditEvent.objects.for_object(qmf).first()
    assert event.action == "organisation.updated"
    assert event.changes == {
        "name": ["NHS North East London Integrated Care Board", "NHS East London ICB"]
    }


@pytest.mark.django_db
def test_first_load_records_an_audit_event_per_change(reference):
    # The session loaded the data once; every organisation and link has its event.
    created = AuditEvent.objects.filter(
        action__in=["organisation.created", "succession.created"]
    ).count()
    assert created == 73


def test_load_reference_data_command_is_idempotent(reference):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("load_reference_data", stdout=out)
    assert "0 created, 0 updated, 73 unchanged" in out.getvalue()
