"""A timer in the browser that sends an event every `interval_ms` while `active` is true.

Screens that follow work done elsewhere (an import run by a consumer) ask for the news on each tick
instead of waiting for the server to push it: a pushed update can be lost (the socket was between
two connections, or another worker held it) and nothing would push it again, while the next tick
always comes. Each tick is an ordinary event, answered on whichever connection the page has now.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import EventChain, EventHandler, no_args_event_spec
from reflex_base.utils.format import format_prop, wrap
from reflex_base.utils.imports import ImportVar
from reflex_base.vars.base import Var, VarData


class Ticker(rx.Fragment):
    """Renders nothing; its hook runs the browser's interval."""

    interval_ms: Var[int]
    active: Var[bool]
    # Reflex reads the argument spec from this annotation; mypy sees a plain class and function.
    on_tick: EventHandler[no_args_event_spec]  # type: ignore[type-arg, valid-type]

    def _exclude_props(self) -> list[str]:
        return [*super()._exclude_props(), "interval_ms", "active", "on_tick"]

    def add_imports(self) -> dict[str, Any]:
        return {"react": [ImportVar(tag="useEffect")]}

    def add_hooks(self) -> list[str | Var[str]]:
        chain = self.event_triggers.get("on_tick")
        if chain is None:
            return []
        on_tick = wrap(str(format_prop(chain)).strip("{}"), "(") if isinstance(chain, EventChain) else chain
        # The imports and state contexts the expressions need (addEvents, the state's context).
        needs = VarData.merge(Var.create(chain)._get_all_var_data(), self.active._get_all_var_data(),
                              VarData(imports={"react": [ImportVar(tag="useEffect")]}))
        active, interval = str(self.active), str(self.interval_ms)
        return [Var(
            f"useEffect(() => {{ if (!({active})) {{ return; }} "
            f"const tick = setInterval(() => {{ ({on_tick!s})(); }}, {interval}); "
            f"return () => clearInterval(tick); }}, [{active}]);",
            _var_type=str, _var_data=needs,
        )]


def ticker(*, on_tick: Any, active: Var[bool] | bool = True, interval_ms: int = 1000) -> rx.Component:
    return Ticker.create(on_tick=on_tick, active=active, interval_ms=interval_ms)
