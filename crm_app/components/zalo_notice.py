"""A notice on admin screens while the Zalo OA connection needs "Kết nối lại" (services/zalo_oa.py)."""

import reflex as rx

from crm_app import routes
from crm_app.state.auth import AuthState
from crm_app.state.zalo_oa import ZaloNoticeState


def zalo_broken_notice() -> rx.Component:
    tr = AuthState.tr
    return rx.box(
        rx.cond(ZaloNoticeState.zalo_broken, rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(tr["zalo.notice"], " ", rx.link(tr["zalo.notice_link"], href=routes.SETTINGS_ZALO,
                                                            weight="medium")),
            color_scheme="red", size="1", width="100%", id="zalo-notice")),
        # Hidden (not merely empty) while all is well: an empty box would still take a gap in the stack.
        on_mount=ZaloNoticeState.load, width="100%", display=rx.cond(ZaloNoticeState.zalo_broken, "block", "none"))
