"""One form input for a field definition from the registry, by type."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def field_input(field: rx.Var, *, value: rx.Var, error: rx.Var, options: rx.Var, user_list_id: str,
                on_blur: Callable | None = None, choose_label: rx.Var | str = "") -> rx.Component:
    key = field["key"].to(str)
    kind = field["type"].to(str)
    common = {"name": key, "id": "f-" + key, "default_value": value, "width": "100%"}
    blur = {"on_blur": lambda v: on_blur(key, v)} if on_blur else {}
    control = rx.match(
        kind,
        ("picklist", rx.select.root(
            rx.select.trigger(placeholder=choose_label, width="100%"),
            rx.select.content(rx.foreach(options, lambda o: rx.select.item(o, value=o))),
            name=key, default_value=value,
        )),
        ("longtext", rx.text_area(rows="4", **common)),
        ("date", rx.input(type="date", **common)),
        ("number", rx.input(type="number", step="any", **common)),
        ("email", rx.input(type="email", **common, **blur)),
        ("phone", rx.input(type="tel", **common, **blur)),
        # Not type="url": the browser would refuse a bare domain ("hoasen.vn"), which we accept.
        ("url", rx.input(type="text", input_mode="url", **common)),
        ("user", rx.el.input(list=user_list_id, auto_complete="off", name=key, id="f-" + key,
                             default_value=value, class_name="rt-reset rt-TextFieldInput",
                             style={"width": "100%", "border": f"1px solid {rx.color('gray', 7)}",
                                    "borderRadius": "4px", "padding": "6px 8px", "height": "32px"})),
        rx.input(**common),
    )
    return rx.vstack(
        rx.el.label(field["label"], rx.cond(field["required"] != "", rx.text.span(" *", color="red")),
                    html_for="f-" + key, style={"fontSize": "13px", "fontWeight": "500"}),
        control,
        rx.cond(error != "", rx.text(error, color_scheme="red", size="1", class_name="field-error")),
        spacing="1",
        width="100%",
    )
