"""State of Tìm trùng: one page of duplicate groups, the merge form of one group, recent merges."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app import routes
from crm_app.fields import BUILTIN_BY_KEY
from crm_app.models import MergeRecord
from crm_app.services import clock, duplicates
from crm_app.services.auth import Actor
from crm_app.state.auth import AuthState, logged_in, read, write

PAGE_SIZE = 20


def _screen(session: Session, actor: Actor, page: int
            ) -> tuple[duplicates.GroupPage, list[MergeRecord], tzinfo]:
    groups = duplicates.find_groups(session, actor, page=page, page_size=PAGE_SIZE)
    return groups, duplicates.last_merges(session, actor), clock.zone(session)


def _form(session: Session, actor: Actor, refs: list[str], kept: str
          ) -> tuple[list[duplicates.FieldChoice], dict[str, duplicates.Member]]:
    return duplicates.field_choices(session, actor, refs, kept), duplicates._members(session, set(refs))


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
    @logged_in
    async def load(self, actor: Actor) -> None:
        await self._load(actor)

    async def _load(self, actor: Actor) -> None:
        result, recent, tz = await read(_screen, actor, self.page)
        self.total = result.total
        self.groups = [{"key": " · ".join(g.keys[:4]) + (" …" if len(g.keys) > 4 else ""),
                        "size": str(g.size), "refs": ",".join(g.refs),
                        "members": [{"ref": m.ref, "kind": self._kind(m.entity), "id": str(m.id), "name": m.name,
                                     "mobile": m.mobile, "phone": m.phone, "email": m.email, "owner": m.owner,
                                     "status": m.status, "created": m.created,
                                     "link": routes.raw_lead(m.id) if m.entity == "raw_lead" else routes.lead(m.id)}
                                    for m in g.members]} for g in result.groups]
        self.merges = [{"id": str(m.id), "undone": "1" if m.undone_at else "",
                        "label": self._t("dup.merge_label", id=m.id,
                                         kept=self._ref_label(f"{m.kept_entity}:{m.kept_id}"),
                                         merged=", ".join(self._ref_label(r) for r in m.snapshot.get("records", {})
                                                          if r != f"{m.kept_entity}:{m.kept_id}"),
                                         when=clock.fmt_datetime(m.created_at, tz))}
                       for m in recent]

    @rx.event
    @logged_in
    async def go_to_page(self, actor: Actor, page: int) -> None:
        self.page = max(1, int(page))
        await self._load(actor)

    async def _open(self, actor: Actor, refs: list[str], kept: str) -> None:
        choices, members = await read(_form, actor, refs, kept)
        self.refs, self.kept = refs, kept
        self.record_labels = [self._ref_label(r) + (f" · {members[r].name}" if r in members else "") for r in refs]
        self.fields = [{"key": c.key, "label": BUILTIN_BY_KEY[c.key].label(self.locale),
                        "cells": [{"ref": ref, "value": v} for ref, v in zip(refs, c.values, strict=True)]}
                       for c in choices if any(v != "" for v in c.values)]
        self.choices = {c.key: refs[c.chosen] for c in choices}

    @rx.event
    @logged_in
    async def open_merge(self, actor: Actor, refs: str) -> None:
        ref_list = [r for r in refs.split(",") if r][:duplicates.MAX_GROUP]
        # Keep a Lead when the group has one (a raw lead merged into it is converted), else the oldest.
        kept = next((r for r in ref_list if r.startswith("lead:")), ref_list[0] if ref_list else "")
        await self._open(actor, ref_list, kept)

    @rx.event
    @logged_in
    async def choose_kept(self, actor: Actor, ref: str) -> None:
        if ref in self.refs:
            await self._open(actor, list(self.refs), ref)

    @rx.event
    def choose(self, key: str, ref: str) -> None:
        if ref in self.refs and key in self.choices:
            self.choices = {**self.choices, key: ref}

    @rx.event
    def cancel_merge(self) -> None:
        self.refs, self.fields, self.choices, self.kept = [], [], {}, ""

    @rx.event
    @logged_in
    async def do_merge(self, actor: Actor) -> EventSpec | None:
        if not self.refs:
            return None
        await write(duplicates.merge, actor, list(self.refs), kept=self.kept, choices=dict(self.choices))
        message = self._t("dup.merged", count=len(self.refs) - 1, kept=self.kept.partition(":")[2])
        # Reflex's stub types a handler read on the instance as not callable; it runs the function.
        self.cancel_merge()  # type: ignore[operator]
        await self._load(actor)
        return rx.toast.success(message)

    @rx.event
    @logged_in
    async def undo(self, actor: Actor, merge_id: str) -> EventSpec | None:
        if not merge_id.isdigit():
            return None
        await write(duplicates.undo_merge, actor, int(merge_id))
        await self._load(actor)
        return rx.toast.success(self._t("dup.undone", id=merge_id))
