"""A horizontal stepper: numbered steps, done ones ticked, the current one highlighted."""

import reflex as rx


def stepper(labels: list[rx.Var], current: rx.Var) -> rx.Component:
    def step(i: int, label: rx.Var) -> rx.Component:
        done = current > i
        active = current == i
        return rx.hstack(
            rx.center(rx.cond(done, rx.icon("check", size=14), rx.text(str(i + 1), size="1", weight="bold")),
                      width="24px", height="24px", border_radius="50%",
                      background=rx.cond(done | active, rx.color("accent", 9), rx.color("gray", 4)),
                      color=rx.cond(done | active, "white", rx.color("gray", 11))),
            rx.text(label, size="2", weight=rx.cond(active, "bold", "regular"),
                    color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 11))),
            align="center", spacing="2",
        )

    items: list[rx.Component] = []
    for i, label in enumerate(labels):
        if i:
            items.append(rx.box(height="1px", width="28px", background=rx.color("gray", 6)))
        items.append(step(i, label))
    return rx.hstack(*items, align="center", wrap="wrap", spacing="2", id="stepper")
