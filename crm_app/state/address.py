"""Address autocomplete for a form: suggestions as the user types, fill on pick.

A substate of the form state, so the filled fields travel with the form's submit. Remote
providers may take up to their timeout: suggestions are computed in a thread from a background
event, and a stale answer (the user typed on) is dropped.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from crm_app.services.geo import AddressSuggestion, get_address_service, new_session_token, warm_up
from crm_app.settings import get_settings

ADDRESS_KEYS = ("street", "ward", "district", "province", "country")
_DIVISION_KEYS = ("ward", "district", "province")


def after_2025(s: AddressSuggestion) -> dict[str, str]:
    """The 2025 place of a pre-2025 suggestion, for the hint under the fields: {} for a 2025 address."""
    if not s.province_2025:
        return {}
    place = ", ".join(p for p in (s.ward_2025, s.province_2025) if p)
    return {"place": place, "others": ", ".join(s.ward_2025_others)}


class AddressMixin(rx.State, mixin=True):
    address: dict[str, str] = {}
    suggestions: list[dict[str, str]] = []
    highlight: int = -1
    # The picked pre-2025 address's 2025 equivalent, shown as a hint: {"place", "others"} or {}.
    address_2025: dict[str, str] = {}
    _geo_token: str = ""
    _geo_seq: int = 0
    _geo_found: list[AddressSuggestion] = []

    def _reset_address(self, values: dict[str, str]) -> None:
        self.address = {k: values.get(k, "") or "" for k in ADDRESS_KEYS}
        self.suggestions, self.highlight, self._geo_found = [], -1, []
        self.address_2025 = {}
        self._geo_token = new_session_token()
        warm_up()  # the form is open: the division index (under a second to build) is ready before typing ends

    @rx.event
    def set_address_field(self, key: str, value: str) -> None:
        if key in ADDRESS_KEYS:
            self.address = {**self.address, key: value[:255]}
            if key in _DIVISION_KEYS:
                self.address_2025 = {}  # no longer the place the hint was for

    @rx.event(background=True)
    async def type_street(self, value: str):
        async with self:
            self.address = {**self.address, "street": value[:255]}
            self._geo_seq += 1
            seq, token = self._geo_seq, self._geo_token
        service = get_address_service(get_settings())
        found = await asyncio.to_thread(service.suggest, value, session_token=token) if len(value) >= 3 else []
        async with self:
            if seq != self._geo_seq:
                return
            self._geo_found = found
            self.suggestions = [
                {"label": s.label, "index": str(i), "after_2025": after_2025(s).get("place", "")}
                for i, s in enumerate(found)
            ]
            self.highlight = 0 if found else -1

    @rx.event(background=True)
    async def pick_suggestion(self, index: int):
        async with self:
            if not 0 <= index < len(self._geo_found):
                return
            chosen, token = self._geo_found[index], self._geo_token
            self.suggestions, self.highlight = [], -1
            self._geo_seq += 1
        service = get_address_service(get_settings())
        resolved = await asyncio.to_thread(service.resolve, chosen, session_token=token)
        filled = dataclasses.asdict(resolved)
        async with self:
            # The divisions are the picked place's, even empty (a 2025 address has no district); the street
            # and country keep what was typed when the provider has none.
            self.address = {
                k: filled.get(k, "") if k in _DIVISION_KEYS else filled.get(k) or self.address.get(k, "")
                for k in ADDRESS_KEYS
            }
            self.address_2025 = after_2025(resolved)
            self._geo_token = new_session_token()

    @rx.event
    def address_key(self, key: str):
        if not self.suggestions:
            return None
        if key == "ArrowDown":
            self.highlight = (self.highlight + 1) % len(self.suggestions)
        elif key == "ArrowUp":
            self.highlight = (self.highlight - 1) % len(self.suggestions)
        elif key == "Enter" and self.highlight >= 0:
            # Reflex's stub types a handler on the class as not callable; at run time this is an EventSpec.
            return type(self).pick_suggestion(self.highlight)  # type: ignore[misc]
        elif key == "Escape":
            self.suggestions, self.highlight = [], -1
        return None

    @rx.event
    def close_suggestions(self) -> None:
        self.suggestions, self.highlight = [], -1
