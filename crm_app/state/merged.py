"""The "Đã gộp vào #12" badge of a detail page whose record Tìm trùng merged into another."""

from __future__ import annotations

from typing import TYPE_CHECKING

import reflex as rx

from crm_app import routes


class MergedIntoMixin(rx.State, mixin=True):
    merged_into: str = ""  # "lead:12": this record was merged into that one (Tìm trùng)

    if TYPE_CHECKING:
        def _t(self, key: str, **params: object) -> str: ...  # AuthState's, which the page state also is

    @rx.var
    def merged_label(self) -> str:
        return self._t("detail.merged_into", id=self.merged_into.partition(":")[2]) if self.merged_into else ""

    @rx.var
    def merged_link(self) -> str:
        return routes.merged_record(self.merged_into)
