"""Providers of computed metric values: how a return gets a figure the portal
already knows instead of asking the ICB to type it.

A metric marked `computed_from` (the posts register, the reviews tracker) is
computed by whichever app owns that data. The return lives here in
`assurance`, and some of those apps sit above it (`reviews`), so the return
cannot import them: each app registers its provider in its own
`AppConfig.ready()` under the `ComputedFrom` code it answers for, and the
return asks this registry. Imports point one way, from the provider's app
down to this module.

A provider is called once for all the metrics of its source that a return
needs, so it can read its data once (the posts register: one roll-up of the
ICB's register, a fixed number of queries), and answers with a
`ComputedValue` per metric code it knows how to compute.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from assurance.models import ComputedFrom, Metric
from organisations.models import Organisation


@dataclass(frozen=True)
class ComputedValue:
    """A metric's value as the portal computed it for one ICB on one day, with
    how it was reached in words ("5 of 6 required posts filled"). `value` is
    None when there was nothing to compute from; `detail` then says why."""

    metric_code: str
    value: Decimal | None
    detail: str

    @property
    def computed(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric_code": self.metric_code,
            "value": None if self.value is None else str(self.value),
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ComputedValue:
        value = data.get("value")
        return cls(data["metric_code"], None if value is None else Decimal(value), data["detail"])


class MetricProvider(Protocol):
    def __call__(
        self, *, metrics: Sequence[Metric], icb: Organisation, on: datetime.date
    ) -> dict[str, ComputedValue]: ...


class MetricProviderRegistry:
    """Providers by `ComputedFrom` code. The portal has one (`registry`); tests
    make their own to try registration without touching it."""

    def __init__(self) -> None:
        self._providers: dict[str, MetricProvider] = {}
        self._metric_codes: dict[str, frozenset[str]] = {}

    def register(
        self, code: str, provider: MetricProvider, *, metric_codes: Iterable[str] | None = None
    ) -> None:
        """Name `provider` as the source of the metrics marked `code`; with
        `metric_codes`, the only metric codes it can compute, so that a metric
        marked with a source that cannot compute it is refused when the
        national admin saves it rather than found out at submission.
        Registering the same provider again is harmless (ready() may run more
        than once); a second, different provider for a code is a mistake."""
        if code not in ComputedFrom.values or code == ComputedFrom.REPORTED:
            known = ", ".join(c for c in ComputedFrom.values if c)
            raise ImproperlyConfigured(
                f"{code!r} is not a source of computed metrics; the sources are: {known}."
            )
        current = self._providers.get(code)
        if current is not None and current is not provider:
            raise ImproperlyConfigured(
                f"Metrics {ComputedFrom(code).label.lower()} already have a provider "
                f"({_name(current)}); {_name(provider)} cannot replace it."
            )
        self._providers[code] = provider
        if metric_codes is not None:
            self._metric_codes[code] = frozenset(metric_codes)

    def provider(self, code: str) -> MetricProvider | None:
        return self._providers.get(code)

    def codes(self) -> list[str]:
        return sorted(self._providers)

    def metric_codes(self, code: str) -> frozenset[str] | None:
        """The metric codes the provider of `code` computes, where it said."""
        return self._metric_codes.get(code)

    def compute(
        self, *, metrics: Iterable[Metric], icb: Organisation, on: datetime.date
    ) -> dict[str, ComputedValue]:
        """The computed value of every computed metric among `metrics`, by
        metric code; metrics the ICB reports are left out. Each provider is
        called once, with all of its metrics."""
        by_source: dict[str, list[Metric]] = defaultdict(list)
        for metric in metrics:
            if metric.computed_from:
                by_source[metric.computed_from].append(metric)
        values: dict[str, ComputedValue] = {}
        for code, group in by_source.items():
            source = ComputedFrom(code).label.removeprefix("Computed from ")
            provider = self._providers.get(code)
            answers = provider(metrics=group, icb=icb, on=on) if provider else {}
            for metric in group:
                values[metric.code] = answers.get(metric.code) or ComputedValue(
                    metric.code,
                    None,
                    f"Not computed: {source} has no rule for {metric.code}."
                    if provider
                    else f"Not computed: nothing in the portal computes figures from {source} yet.",
                )
        return values


def _name(provider: Any) -> str:
    return f"{getattr(provider, '__module__', '?')}.{getattr(provider, '__qualname__', provider)}"


registry = MetricProviderRegistry()


def metric_provider_register(
    code: str, provider: MetricProvider, *, metric_codes: Iterable[str] | None = None
) -> None:
    """For `AppConfig.ready()`: make `provider` the source of the metrics whose
    `computed_from` is `code` (and, with `metric_codes`, of only those)."""
    registry.register(code, provider, metric_codes=metric_codes)


def metric_values_compute(
    *, metrics: Iterable[Metric], icb: Organisation, on: datetime.date
) -> dict[str, ComputedValue]:
    """Every computed metric's value for `icb` on `on`, by metric code."""
    return registry.compute(metrics=metrics, icb=icb, on=on)


def metric_value_compute(
    *, metric: Metric, icb: Organisation, on: datetime.date
) -> ComputedValue | None:
    """One metric's computed value for `icb` on `on`; None for a metric the ICB
    reports itself."""
    return metric_values_compute(metrics=[metric], icb=icb, on=on).get(metric.code)
