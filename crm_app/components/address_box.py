"""The address inputs with suggestions under "Địa chỉ"; every filled field stays editable."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

# Enter and the arrows must drive the list, not submit the form or move the caret, while the
# list is open: decided synchronously in the browser, before the event reaches the server.
_KEY_GUARD = """
document.addEventListener('keydown', (e) => {
  if (e.target && e.target.id === 'f-street' && document.getElementById('address-suggestions')
      && ['Enter', 'ArrowUp', 'ArrowDown'].includes(e.key)) { e.preventDefault(); }
}, true);
"""


def address_box(*, fields: rx.Var, values: rx.Var, suggestions: rx.Var, highlight: rx.Var,
                on_type: Callable, on_key: Callable, on_pick: Callable, on_change: Callable,
                on_close: Callable, hint: rx.Var | str, after_2025: rx.Var, tr: rx.Var) -> rx.Component:
    """`after_2025` is {"place", "others"} when the picked address is pre-2025 (its 2025 equivalent), else {}."""

    def suggestion(s: rx.Var) -> rx.Component:
        index = s["index"].to(int)
        return rx.box(
            rx.hstack(rx.icon("map-pin", size=14, color=rx.color("gray", 9), flex_shrink="0"),
                      rx.vstack(
                          rx.text(s["label"], size="2"),
                          rx.cond(s["after_2025"] != "",
                                  rx.text("2025: " + s["after_2025"], size="1", color=rx.color("gray", 10))),
                          spacing="0"),
                      align="center"),
            padding="6px 10px", cursor="pointer", role="option",
            background=rx.cond(highlight == index, rx.color("accent", 4), "transparent"),
            on_mouse_down=on_pick(index),
        )

    def one(field: rx.Var) -> rx.Component:
        key = field["key"].to(str)
        street = key == "street"
        control = rx.cond(
            street,
            rx.box(
                rx.input(id="f-street", name="street", value=values.get("street", ""), auto_complete="off",
                         on_change=on_type.debounce(200), on_key_down=on_key, on_blur=on_close, width="100%",
                         placeholder=hint),
                rx.cond(suggestions.length() > 0, rx.box(
                    rx.foreach(suggestions, suggestion),
                    id="address-suggestions", role="listbox", position="absolute", z_index="20", width="100%",
                    background=rx.color("gray", 1), border=f"1px solid {rx.color('gray', 6)}", border_radius="6px",
                    box_shadow="0 6px 18px rgba(0,0,0,0.12)", margin_top="2px", max_height="260px",
                    overflow_y="auto")),
                position="relative", width="100%",
            ),
            rx.input(id="f-" + key, name=key, value=values.get(key, ""), on_change=lambda v: on_change(key, v),
                     width="100%"),
        )
        return rx.vstack(
            rx.el.label(field["label"], html_for="f-" + key, style={"fontSize": "13px", "fontWeight": "500"}),
            control, spacing="1", width="100%",
            grid_column=rx.cond(street, "1 / -1", "auto"),
        )

    return rx.fragment(
        rx.script(_KEY_GUARD),
        rx.grid(rx.foreach(fields, one), columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"),
        rx.cond(
            after_2025.get("place", "") != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("info", size=16)),
                rx.vstack(
                    rx.text(tr["address.after_2025"], " ", rx.text.strong(after_2025.get("place", ""),
                                                                        id="address-2025-place"), size="2"),
                    rx.cond(after_2025.get("others", "") != "",
                            rx.text(tr["address.after_2025_others"], " ", after_2025.get("others", ""), size="1")),
                    spacing="1"),
                id="address-2025", color_scheme="blue", variant="surface", size="1", width="100%"),
        ),
    )
