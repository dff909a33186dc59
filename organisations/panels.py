"""Home-page and organisation-page panels contributed by the apps above this one.

`organisations` owns the home page but must not import the apps built on it
(assurance, reviews, reporting). Each of those registers the panels it
contributes in its `AppConfig.ready()`:

    home_panel_register("periods", periods_panel, order=10)

A panel is a callable taking the signed-in user and returning a `HomePanel`
(or None when it has nothing to say to that user). The home page shows them
in `order`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HomePanel:
    """What one panel shows: a heading, and a template (a Jinja include of the
    contributing app) with its context."""

    name: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


PanelFunction = Callable[[Any], HomePanel | None]

_panels: dict[str, tuple[int, PanelFunction]] = {}


def home_panel_register(name: str, function: PanelFunction, *, order: int = 100) -> None:
    """Add (or replace, when `ready()` runs twice) the panel called `name`."""
    _panels[name] = (order, function)


def home_panels(*, user) -> list[HomePanel]:
    """The panels for `user`, in order, leaving out those with nothing to show."""
    panels = []
    for _order, function in sorted(_panels.values(), key=lambda entry: entry[0]):
        panel = function(user)
        if panel is not None:
            panels.append(panel)
    return panels


# --- Organisation pages -------------------------------------------------------------
# The same idea for an organisation's page: a callable taking the signed-in
# user and the organisation (which the user may read) and returning a
# `HomePanel`, or None when it has nothing to show there.

OrganisationPanelFunction = Callable[[Any, Any], HomePanel | None]

_organisation_panels: dict[str, tuple[int, OrganisationPanelFunction]] = {}


def organisation_panel_register(
    name: str, function: OrganisationPanelFunction, *, order: int = 100
) -> None:
    _organisation_panels[name] = (order, function)


def organisation_panels(*, user, organisation) -> list[HomePanel]:
    panels = []
    for _order, function in sorted(_organisation_panels.values(), key=lambda entry: entry[0]):
        panel = function(user, organisation)
        if panel is not None:
            panels.append(panel)
    return panels
