"""One ICB's metric series across the reorganisation: a successor's quarters
before it existed are its predecessors' combined (median for percentages,
sum for counts), and its page is answered within the reader's scope."""

from decimal import Decimal
from statistics import median

import pytest
from django.urls import reverse

from assurance.models import Metric, QuarterlyReturn
from organisations.models import Role
from reporting.figures import icb_metric_series
from tests.factories import member
from tests.reporting.conftest import HISTORY_GROUP

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group(HISTORY_GROUP)]  # the shared history


def _value(icb, period, metric):
    ret = QuarterlyReturn.objects.filter(icb=icb, period=period).first()
    submission = ret and ret.submissions.order_by("-version").first()
    row = submission and submission.metric_values.filter(metric__code=metric.code).first()
    if not row:
        return None
    return row.computed_value if row.computed_value is not None else row.value


def test_a_successor_series_combines_its_predecessors_before_it_existed(
    shared_history, reference, client, national_admin
):
    successor, qnq, qu9 = reference["S0E4D"], reference["QNQ"], reference["QU9"]
    for unit in ("percent", "count"):
        metric = Metric.objects.filter(
            version__financial_year=2026, unit=unit, green__isnull=False
        ).first()
        points = icb_metric_series(icb=successor, metric=metric, financial_year=2026)
        assert points[-1].period.label == "Q1 2026/27" and not points[-1].from_codes
        assert points[-1].value == _value(successor, points[-1].period, metric)
        before = points[-2]
        assert before.period.label == "Q4 2025/26" and before.from_codes == ("QNQ", "QU9")
        values = [
            v
            for v in (_value(qnq, before.period, metric), _value(qu9, before.period, metric))
            if v is not None
        ]
        expected = sum(values) if unit == "count" else median(values)
        assert before.value == Decimal(expected).quantize(Decimal("0.01"))
        assert "QNQ + QU9 combined" in before.note

    path = reverse("reporting:icb_metric", args=[2026, "S0E4D", metric.code])
    client.force_login(national_admin)
    page = client.get(path).content.decode()
    assert "QNQ + QU9 combined" in page and "<svg" in page
    client.force_login(member(reference["QMF"], Role.ICB_VIEWER))
    assert client.get(path).status_code == 404  # another ICB's
