"""HTML5 drag and drop without a library: a draggable item carries a value, a drop zone hands it to an event.

`draggable_attrs(value)` makes any element draggable (the browser's own drag, mouse or touch-pad);
`drop_zone(..., on_drop=lambda value: State.handler(value, …))` is a div whose drop sends the dragged
value to the handler. Dragging is an extra for pointer users: every move it offers must also be
reachable otherwise (the board's "Chuyển sang…" select does it by keyboard).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import EventHandler
from reflex_base.vars.base import Var

MIME = "application/x-crm-item"
# The item's value rides in the drag's data; the zone under the pointer is marked while it hovers.
_DRAG_START: Var = Var(f"((e) => {{ e.dataTransfer.setData('{MIME}', e.currentTarget.dataset.dragValue); "
                  "e.dataTransfer.effectAllowed = 'move'; })")
_DRAG_ENTER: Var = Var("((e) => { if (e.dataTransfer.types.includes('" + MIME + "')) "
                  "{ e.currentTarget.dataset.dragOver = 'true'; } })")
_DRAG_OVER: Var = Var("((e) => { if (e.dataTransfer.types.includes('" + MIME + "')) { e.preventDefault(); } })")
_DRAG_LEAVE: Var = Var("((e) => { if (!e.currentTarget.contains(e.relatedTarget)) "
                  "{ delete e.currentTarget.dataset.dragOver; } })")


def _dropped_value(e: Var) -> tuple[Var[str]]:
    # The zone's mark goes with the drop; a drag from elsewhere (a file, text) carries no value.
    return (Var(f"(() => {{ delete {e}.currentTarget.dataset.dragOver; "
                f"return {e}.dataTransfer.getData('{MIME}'); }})()").to(str),)


class DropZone(rx.el.Div):
    """A div accepting the drop of a `draggable_attrs` item (only such a drag is let through by its dragover)."""

    # Reflex reads the argument spec from these annotations; mypy sees a plain class and function.
    on_drop: EventHandler[_dropped_value]  # type: ignore[type-arg, valid-type]


def draggable_attrs(value: Var | str) -> dict[str, Any]:
    return {"draggable": True, "custom_attrs": {"data-drag-value": value, "onDragStart": _DRAG_START}}


def drop_zone(*children: rx.Component, on_drop: Any, **props: Any) -> rx.Component:
    return DropZone.create(*children, on_drop=on_drop, custom_attrs={
        "onDragEnter": _DRAG_ENTER, "onDragOver": _DRAG_OVER, "onDragLeave": _DRAG_LEAVE}, **props)
