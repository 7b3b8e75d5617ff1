"""State of Tìm trùng: one page of duplicate groups, the merge form of one group, recent merges."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.db import read_session, write_session
from crm_app.fields import BUILTIN_BY_KEY
from crm_app.i18n import UserError
from crm_app.services import duplicates
from crm_app.state.auth import AuthState

PAGE_SIZE = 20


class DuplicatesState(AuthState):
    groups: list[dict[str, Any]] = []
    total: int = 0
    page: int = 1
    # The merge form: the group's records (columns), each field's values (rows), the choices.
    refs: list[str] = []
    record_labels: list[str] = []
    fields: list[dict[str, Any]] = []
    choices: dict[str, str] = {}
    kept: str = ""
    merges: list[dict[str, str]] = []

    @rx.var
    def merging(self) -> bool:
        return bool(self.refs)

    @rx.var
    def total_label(self) -> str:
        return self._t("dup.groups", count=self.total)

    @rx.var
    def confirm_text(self) -> str:
        return self._t("dup.confirm", count=len(self.refs), kept=self.kept.partition(":")[2])

    @rx.var
    def has_next(self) -> bool:
        return self.page * PAGE_SIZE < self.total

    def _kind(self, entity: str) -> str:
        return self._t("dup.raw_lead" if entity == "raw_lead" else "dup.lead")

    def _ref_label(self, ref: str) -> str:
        entity, _, ident = ref.partition(":")
        return f"{self._kind(entity)} #{ident}"

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None:
            return None
        with read_session() as session:
            result = duplicates.find_groups(session, actor, page=self.page, page_size=PAGE_SIZE)
            recent = duplicates.last_merges(session, actor)
        self.total = result.total
        self.groups = [{"key": g.key, "size": str(g.size), "refs": ",".join(g.refs),
                        "members": [{"ref": m.ref, "kind": self._kind(m.entity), "id": str(m.id), "name": m.name,
                                     "mobile": m.mobile, "phone": m.phone, "email": m.email, "owner": m.owner,
                                     "status": m.status, "created": m.created,
                                     "link": (f"/raw-leads/{m.id}" if m.entity == "raw_lead" else f"/leads/{m.id}")}
                                    for m in g.members]} for g in result.groups]
        self.merges = [{"id": str(m.id), "undone": "1" if m.undone_at else "",
                        "label": self._t("dup.merge_label", id=m.id,
                                         kept=self._ref_label(f"{m.kept_entity}:{m.kept_id}"),
                                         merged=", ".join(self._ref_label(r) for r in m.snapshot.get("records", {})
                                                          if r != f"{m.kept_entity}:{m.kept_id}"),
                                         when=m.created_at.astimezone().strftime("%d/%m/%Y %H:%M"))}
                       for m in recent]
        return None

    @rx.event
    def go_to_page(self, page: int) -> rx.event.EventSpec | None:
        self.page = max(1, int(page))
        return self.load()

    def _form(self, refs: list[str], kept: str) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None:
            return None
        try:
            with read_session() as session:
                choices = duplicates.field_choices(session, actor, refs, kept)
                members = duplicates._members(session, set(refs))
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.refs, self.kept = refs, kept
        self.record_labels = [self._ref_label(r) + (f" · {members[r].name}" if r in members else "") for r in refs]
        self.fields = [{"key": c.key, "label": BUILTIN_BY_KEY[c.key].label(self.locale),
                        "cells": [{"ref": ref, "value": v} for ref, v in zip(refs, c.values, strict=True)]}
                       for c in choices if any(v != "" for v in c.values)]
        self.choices = {c.key: refs[c.chosen] for c in choices}
        return None

    @rx.event
    def open_merge(self, refs: str) -> rx.event.EventSpec | None:
        ref_list = [r for r in refs.split(",") if r][:duplicates.MAX_GROUP]
        # Keep a Lead when the group has one (a raw lead merged into it is converted), else the oldest.
        kept = next((r for r in ref_list if r.startswith("lead:")), ref_list[0] if ref_list else "")
        return self._form(ref_list, kept)

    @rx.event
    def choose_kept(self, ref: str) -> rx.event.EventSpec | None:
        if ref in self.refs:
            return self._form(self.refs, ref)
        return None

    @rx.event
    def choose(self, key: str, ref: str) -> None:
        if ref in self.refs and key in self.choices:
            self.choices = {**self.choices, key: ref}

    @rx.event
    def cancel_merge(self) -> None:
        self.refs, self.fields, self.choices, self.kept = [], [], {}, ""

    @rx.event
    def do_merge(self) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        actor = self._actor()
        if actor is None or not self.refs:
            return None
        try:
            with write_session() as session:
                duplicates.merge(session, actor, list(self.refs), kept=self.kept, choices=dict(self.choices))
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        message = self._t("dup.merged", count=len(self.refs) - 1, kept=self.kept.partition(":")[2])
        self.cancel_merge()
        self.load()
        return rx.toast.success(message)

    @rx.event
    def undo(self, merge_id: str) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None or not merge_id.isdigit():
            return None
        try:
            with write_session() as session:
                duplicates.undo_merge(session, actor, int(merge_id))
        except UserError as exc:
            return rx.toast.error(exc.message(self.locale))
        self.load()
        return rx.toast.success(self._t("dup.undone", id=merge_id))
