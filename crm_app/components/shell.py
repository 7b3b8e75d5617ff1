"""The app shell: navigation, current user, language switch; and the page template."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from crm_app import routes
from crm_app.components.ticker import ticker
from crm_app.state.auth import AuthState
from crm_app.state.nav import POLL_MS, NavState


def _nav_link(label: rx.Var, href: str, icon: str, badge: rx.Var | None = None) -> rx.Component:
    path = AuthState.router.url.path
    active = (path == "/") if href == "/" else path.startswith(href)
    count = [rx.spacer(), rx.cond(badge > 0, rx.badge(badge.to_string(), color_scheme="red", radius="full",
                                                      id="task-badge"))] if badge is not None else []
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label, size="3"), *count, align="center", spacing="2",
                  width="100%"),
        href=href,
        underline="none",
        padding_x="0.75rem",
        padding_y="0.5rem",
        border_radius="6px",
        color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 12)),
        background=rx.cond(active, rx.color("accent", 3), "transparent"),
        _hover={"background": rx.color("accent", 3)},
        width="100%",
    )


def _notifications() -> rx.Component:
    """Unread in-app notifications (task reminders), each a link to its record."""
    tr = AuthState.tr
    return rx.cond(NavState.notifications.length() > 0, rx.callout.root(rx.vstack(
        rx.hstack(rx.icon("bell-ring", size=14), rx.text(tr["notifications.title"], size="2", weight="bold"),
                  align="center", spacing="1"),
        rx.foreach(NavState.notifications, lambda n: rx.link(n["message"], href=n["link"], size="1")),
        rx.button(tr["notifications.mark_read"], size="1", variant="soft", on_click=NavState.mark_read),
        spacing="1"), color_scheme="amber", size="1", width="100%", id="notifications"))


def sidebar() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.hstack(rx.icon("users", color=rx.color("accent", 10)),
                  rx.heading(tr["app.name"], size="4"), align="center", padding_bottom="1rem"),
        _nav_link(tr["nav.dashboard"], routes.HOME, "layout-dashboard"),
        _nav_link(tr["nav.raw_leads"], routes.RAW_LEADS, "contact"),
        _nav_link(tr["nav.leads"], routes.LEADS, "user-check"),
        _nav_link(tr["nav.tickets"], routes.TICKETS, "ticket"),
        _nav_link(tr["nav.my_tasks"], routes.MY_TASKS, "list-checks", NavState.task_badge),
        _nav_link(tr["nav.duplicates"], routes.DUPLICATES, "copy"),
        rx.cond(AuthState.is_admin,
                _nav_link(tr["nav.settings"], routes.SETTINGS, "settings")),
        _notifications(),
        rx.spacer(),
        rx.separator(),
        rx.vstack(
            rx.hstack(
                rx.avatar(fallback=AuthState.username[:2].upper(), size="2", radius="full"),
                rx.vstack(
                    rx.text(AuthState.full_name, size="2", weight="bold", id="current-user"),
                    rx.text(AuthState.username, size="1", color_scheme="gray"),
                    spacing="0",
                ),
                align="center",
            ),
            rx.hstack(
                rx.button(rx.icon("languages", size=14), tr["nav.language"], size="1",
                          variant="soft", on_click=AuthState.toggle_locale),
                rx.button(rx.icon("log-out", size=14), tr["nav.logout"], size="1",
                          variant="soft", color_scheme="gray", on_click=AuthState.logout,
                          id="logout"),
            ),
            spacing="2",
            width="100%",
        ),
        width="230px",
        min_width="230px",
        height="100vh",
        position="sticky",
        top="0",
        padding="1rem",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
    )


def top_bar() -> rx.Component:
    """Narrow screens: the navigation as a row of icons instead of the sidebar."""
    tr = AuthState.tr

    def item(label: rx.Var, href: str, icon: str) -> rx.Component:
        return rx.link(rx.icon(icon, size=20), href=href, title=label, aria_label=label, padding="0.4rem")

    return rx.hstack(
        item(tr["nav.dashboard"], routes.HOME, "layout-dashboard"),
        item(tr["nav.raw_leads"], routes.RAW_LEADS, "contact"),
        item(tr["nav.leads"], routes.LEADS, "user-check"),
        item(tr["nav.tickets"], routes.TICKETS, "ticket"),
        rx.box(item(tr["nav.my_tasks"], routes.MY_TASKS, "list-checks"),
               rx.cond(NavState.task_badge > 0, rx.badge(NavState.task_badge.to_string(), color_scheme="red",
                                                         radius="full", size="1", position="absolute", top="-2px",
                                                         right="-6px")),
               position="relative"),
        item(tr["nav.duplicates"], routes.DUPLICATES, "copy"),
        rx.cond(AuthState.is_admin, item(tr["nav.settings"], routes.SETTINGS, "settings")),
        rx.spacer(),
        rx.text(AuthState.username, size="1", color_scheme="gray",
                display=rx.breakpoints(initial="none", xs="block")),  # 390 px: the icons need the room
        rx.icon_button(rx.icon("log-out", size=14), size="1", variant="soft", color_scheme="gray",
                       on_click=AuthState.logout, aria_label=tr["nav.logout"]),
        display=rx.breakpoints(initial="flex", md="none"), width="100%", align="center", padding="0.5rem 0.75rem",
        border_bottom=f"1px solid {rx.color('gray', 5)}", background=rx.color("gray", 2),
    )


def shell(content: rx.Component) -> rx.Component:
    return rx.box(
        ticker(on_tick=NavState.poll, active=AuthState.is_authenticated, interval_ms=POLL_MS),
        top_bar(),
        rx.hstack(
            rx.box(sidebar(), display=rx.breakpoints(initial="none", md="block")),
            rx.box(content, padding=rx.breakpoints(initial="0.75rem", md="1.5rem"), width="100%", min_width="0"),
            spacing="0",
            align="start",
            width="100%",
        ),
        width="100%",
    )


def loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), height="100vh")


def crm_page(route: str, title: str, *, admin: bool = False,
             on_load: Callable | list | None = None) -> Callable:
    """Register a page behind the login (and, if `admin`, the admin) guard, inside the shell."""
    guard = AuthState.require_admin if admin else AuthState.require_login
    extra = on_load if isinstance(on_load, list) else ([on_load] if on_load else [])

    def decorator(render: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        allowed = AuthState.is_admin if admin else AuthState.is_authenticated

        @rx.page(route=route, title=title, on_load=[guard, NavState.refresh, *extra])
        def page() -> rx.Component:
            return rx.cond(allowed, shell(render()), loading())

        page.__name__ = render.__name__
        return render

    return decorator


def page_header(title: rx.Var | str, *actions: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.heading(title, size="6"),
        rx.spacer(),
        *actions,
        align="center",
        width="100%",
        padding_bottom="1rem",
        wrap="wrap",  # on a phone the actions go below the title, never off the screen
    )
