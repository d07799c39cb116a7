"""Plug-ins: integrations, carriers and strategies discovered through Python entry points.

A new channel, carrier or allocation rule ships as its own package that declares an
entry point; installing it is all it takes -- Shelfwise itself does not change. The
built-ins register the same way (see ``pyproject.toml``), so there is one path for
both and ``shelfwise plugins`` lists them side by side.

Groups and what an entry point must load:

* ``shelfwise.integrations`` -- an object with ``name`` and ``description`` (an
  :class:`IntegrationInfo` is enough);
* ``shelfwise.carriers`` -- a zero-argument factory (usually the class) returning a
  :class:`~shelfwise.domain.carriers.CarrierAdapter`;
* ``shelfwise.strategies`` -- named ``allocation.<name>`` (a factory returning an
  allocation strategy: ``eligible``/``rank``) or ``putaway.<name>`` (a putaway rule
  function ``(request, candidates) -> location id | None``).

A plug-in that fails to import is listed with its error instead of breaking start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

GROUPS = ("shelfwise.integrations", "shelfwise.carriers", "shelfwise.strategies")
SELF = "shelfwise"


@dataclass(frozen=True)
class IntegrationInfo:
    """What an integration plug-in tells the registry about itself."""

    name: str
    description: str
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plugin:
    """One discovered entry point; ``error`` is set when loading it failed."""

    group: str
    name: str
    target: str  # "module:attribute"
    distribution: str
    version: str
    builtin: bool
    loaded: Any = None
    error: str | None = None

    @property
    def kind(self) -> str:
        return self.group.rsplit(".", 1)[-1]


@dataclass
class Registry:
    """Every plug-in found, by group and name. Later distributions never silently
    replace a built-in of the same name: the first found wins and the clash is kept."""

    plugins: dict[tuple[str, str], Plugin] = field(default_factory=dict)
    clashes: list[Plugin] = field(default_factory=list)

    def add(self, plugin: Plugin) -> None:
        key = (plugin.group, plugin.name)
        prior = self.plugins.get(key)
        if prior is not None and (prior.builtin or not plugin.builtin):
            self.clashes.append(plugin)
            return
        if prior is not None:
            self.clashes.append(prior)
        self.plugins[key] = plugin

    def names(self, group: str) -> list[str]:
        return sorted(n for g, n in self.plugins if g == group)

    def all(self) -> list[Plugin]:
        return [self.plugins[k] for k in sorted(self.plugins)]

    def get(self, group: str, name: str) -> Any:
        """The loaded object of a plug-in; KeyError if unknown, RuntimeError if broken."""
        p = self.plugins[(group, name)]
        if p.error is not None:
            raise RuntimeError(f"plug-in {group}:{name} failed to load: {p.error}")
        return p.loaded

    def carrier(self, name: str) -> Any:
        """A new carrier adapter instance from the ``shelfwise.carriers`` plug-in."""
        return self.get("shelfwise.carriers", name)()

    def allocation_strategy(self, name: str, **options: Any) -> Any:
        return self.get("shelfwise.strategies", f"allocation.{name}")(**options)

    def putaway_rule(self, name: str) -> Callable[..., Any]:
        return self.get("shelfwise.strategies", f"putaway.{name}")

    def carriers(self) -> dict[str, Any]:
        """One adapter per loadable carrier plug-in, keyed by the adapter's code."""
        out: dict[str, Any] = {}
        for name in self.names("shelfwise.carriers"):
            try:
                adapter = self.carrier(name)
            except Exception:  # a broken plug-in is listed, not fatal
                continue
            out[getattr(adapter, "code", name)] = adapter
        return out


def _entry_points(group: str) -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=group)


def discover(groups: Iterable[str] = GROUPS) -> Registry:
    """Load every entry point of ``groups`` from the installed distributions."""
    reg = Registry()
    for group in groups:
        for ep in sorted(_entry_points(group), key=lambda e: e.name):
            dist = ep.dist
            dist_name = dist.metadata["Name"] if dist is not None else "?"
            version = dist.version if dist is not None else "?"
            try:
                loaded, error = ep.load(), None
            except Exception as e:  # reported in the listing
                loaded, error = None, f"{type(e).__name__}: {e}"
            reg.add(Plugin(group, ep.name, ep.value, dist_name or "?", version or "?",
                           (dist_name or "").lower() == SELF, loaded, error))
    return reg


def install_carriers(ctx: Any, registry: Registry | None = None) -> list[str]:
    """Register every carrier plug-in with the shipping service of ``ctx``; returns
    their codes. Called once at start-up (the composition root)."""
    from shelfwise.services import shipping

    reg = registry or discover(["shelfwise.carriers"])
    codes = []
    for code, adapter in reg.carriers().items():
        if code not in shipping.carriers(ctx):
            shipping.register_carrier(ctx, adapter)
        codes.append(code)
    return codes


def plugins_table(registry: Registry | None = None) -> Any:
    """A Rich table of every plug-in: group, name, target, package, status."""
    from rich.table import Table

    reg = registry or discover()
    table = Table(title="Shelfwise plug-ins")
    for col in ("kind", "name", "provided by", "target", "status"):
        table.add_column(col)
    for p in reg.all():
        status = "[red]" + p.error + "[/red]" if p.error else "[green]ok[/green]"
        source = "built-in" if p.builtin else f"{p.distribution} {p.version}"
        table.add_row(p.kind, p.name, source, p.target, status)
    for p in reg.clashes:
        table.add_row(p.kind, p.name, f"{p.distribution} {p.version}", p.target,
                      "[yellow]ignored: name already taken[/yellow]")
    return table


def plugins_command() -> None:
    """``shelfwise plugins``: list every discovered plug-in."""
    from rich.console import Console

    Console().print(plugins_table())
