"""State of the import wizard (guide part 2, steps 3–11). Every rule is the engine's
(crm_app.services.importer); this class only walks the steps and shows what it returns.

The file streams to a private directory under a generated name (never Reflex's public upload
dir: crm_app.services.importer.upload); the import runs in a background task and its progress
lives in the database, so a reload or another worker shows the same numbers. The import itself
is a task on the queue: a consumer runs it, and another resumes it if that one dies.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app import routes
from crm_app.db import get_engine
from crm_app.fields import raw_lead_fields
from crm_app.i18n import UserError, t
from crm_app.models import ImportJob, ImportLock, User
from crm_app.services import clock, importer, tasks
from crm_app.services.auth import Actor
from crm_app.services.field_synonyms import FULL_NAME
from crm_app.services.importer import ImportOptions, upload
from crm_app.settings import get_settings
from crm_app.state.auth import AuthState, actor_for_token, logged_in, read, write

STEPS = ("file", "dedup", "mapping", "review", "progress", "result")
SKIP_COLUMN = "__skip__"
UPLOAD_SUFFIXES = (".xlsx", ".xls", ".ods", ".csv", ".txt", ".tsv")


@dataclass
class _Entry:
    fields: list[dict[str, str]]
    saved_mappings: list[str]
    lock: ImportLock | None
    holder: User | None
    job: ImportJob | None
    since: str  # when the lock was taken, in the organisation's time (services/clock.py)


def _entry(session: Session, locale: str) -> _Entry:
    """What the wizard needs on entering: the importable fields, saved mappings, and who holds the lock."""
    lock = importer.current_lock(session)
    fields = [{"key": f.key, "label": f.label(locale), "required": "1" if f.required else ""}
              for f in raw_lead_fields(session) if f.importable]
    # The whole name in one column, split into Họ + Tên: one choice, right after Tên.
    at = next((i + 1 for i, f in enumerate(fields) if f["key"] == "first_name"), len(fields))
    fields.insert(at, {"key": FULL_NAME, "label": t("wizard.full_name", locale), "required": ""})
    return _Entry(
        fields=fields,
        saved_mappings=[m.name for m in importer.list_mappings(session)],
        lock=lock,
        holder=session.get(User, lock.user_id) if lock else None,
        job=session.get(ImportJob, lock.job_id) if lock and lock.job_id else None,
        since=clock.fmt_datetime(lock.acquired_at, clock.zone(session), "%H:%M %d/%m/%Y") if lock else "")


def _save_mapping(session: Session, actor: Actor, name: str, mapping: dict[str, str]) -> list[str]:
    importer.save_mapping(session, actor, name, mapping)
    return [m.name for m in importer.list_mappings(session)]


def _create_job(session: Session, actor: Actor, path: Path, name: str, options: ImportOptions) -> int:
    return importer.create_job(session, actor, path, name, options).id or 0


def _job(session: Session, job_id: int) -> ImportJob | None:
    return session.get(ImportJob, job_id)


class ImportWizardState(AuthState):
    step: str = "file"
    locked_by: str = ""
    locked_since: str = ""
    file_name: str = ""
    file_error: str = ""
    uploading: bool = False
    total_rows: int = 0
    headers: list[str] = []
    preview: dict[str, str] = {}
    sample: list[list[str]] = []  # the first data rows, as the file has them (mapping step preview)
    sheets: list[str] = []  # a workbook's visible sheets: several → the user picks one
    sheet: str = ""
    encoding: str = ""  # a CSV's detected encoding and separator, named in the review step
    delimiter: str = ""
    mapping: dict[str, str] = {}
    auto_mapped: list[str] = []
    fields: list[dict[str, str]] = []
    dedup_selected: list[str] = []
    on_duplicate: str = "skip"
    unknown_picklist: str = "unknown"
    saved_mappings: list[str] = []
    dry: dict[str, int] = {}
    dry_reasons: list[str] = []
    checking: bool = False
    job_id: int = 0
    processed: int = 0
    job_total: int = 0
    rate: int = 0
    counts: dict[str, int] = {}
    job_error: str = ""
    job_status: str = ""
    job_phase: str = ""  # pending | running | resuming | done | failed | undone
    has_skipped_file: bool = False
    has_failed_file: bool = False
    has_warning_file: bool = False
    reasons: list[str] = []
    _file_path: str = ""
    _started: float = 0.0

    # ------------------------------------------------------------ derived

    @rx.var
    def upload_limit_bytes(self) -> int:
        return get_settings().upload_limit_mb * 1024 * 1024

    @rx.var
    def step_index(self) -> int:
        return STEPS.index(self.step) if self.step in STEPS else 0  # "sheet" is part of the file step

    @rx.var
    def available_fields(self) -> list[dict[str, str]]:
        return [f for f in self.fields if f["key"] not in self.dedup_selected and f["key"] != FULL_NAME]

    @rx.var
    def chosen_fields(self) -> list[dict[str, str]]:
        by_key = {f["key"]: f for f in self.fields}
        return [by_key[k] for k in self.dedup_selected if k in by_key]

    @rx.var
    def missing_required(self) -> list[str]:
        mapped = set(self.mapping.values())
        if FULL_NAME in mapped:
            mapped |= {"first_name", "last_name"}
        return [f["label"] for f in self.fields
                if f["required"] and f["key"] not in mapped and f["key"] != "assigned_to"]

    @rx.var
    def percent(self) -> int:
        return int(100 * self.processed / self.job_total) if self.job_total else 0

    @rx.var
    def scanned_label(self) -> str:
        return f"{self.counts.get('processed', 0)} / {self.counts.get('total', 0)}"

    @rx.var
    def mapping_rows(self) -> list[dict[str, str]]:
        return [{"header": h, "field": self.mapping.get(h, SKIP_COLUMN), "preview": self.preview.get(h, ""),
                 "auto": "1" if h in self.auto_mapped else ""} for h in self.headers]

    @rx.var
    def sample_fields(self) -> list[str]:
        """Under each file column of the preview: the field it goes to, or "not imported"."""
        labels = {f["key"]: f["label"] for f in self.fields}
        return [labels.get(self.mapping.get(h, ""), "—") for h in self.headers]

    @rx.var
    def mapping_summary(self) -> list[str]:
        labels = {f["key"]: f["label"] for f in self.fields}
        return [f"{h} → {labels.get(k, k)}" for h, k in self.mapping.items()]

    # ------------------------------------------------------------ entering the wizard

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> EventSpec | None:
        return await self._load(actor)

    async def _load(self, actor: Actor) -> EventSpec | None:
        entry = await read(_entry, self.locale)
        self.fields, self.saved_mappings = entry.fields, entry.saved_mappings
        lock, holder, job = entry.lock, entry.holder, entry.job
        if lock is None:
            self._restart()
            return None
        if lock.user_id != actor.id:
            self.step = "locked"
            self.locked_by = f"{holder.full_name} ({holder.username})" if holder else "?"
            self.locked_since = entry.since
            return None
        if job is None:
            self._restart()
            return None
        # The holder who comes back lands on the progress or result screen of their job.
        self.job_id = job.id or 0
        self._show_job(job)
        # The page's ticker follows a running job (tick); an ended one shows its result.
        self.step = "progress" if job.status in ("pending", "running") else "result"
        return None

    def _restart(self) -> None:
        self.step, self.file_name, self.file_error, self.headers, self.mapping = "file", "", "", [], {}
        self.sheets, self.sheet, self.encoding, self.delimiter, self.sample = [], "", "", "", []
        self.dedup_selected, self.on_duplicate, self.unknown_picklist = ["mobile"], "skip", "unknown"
        self.dry, self.dry_reasons, self.job_id, self.counts, self.job_error = {}, [], 0, {}, ""

    # ------------------------------------------------------------ step 1: the file

    @rx.event(background=True)
    async def receive_file(self, chunks: rx.UploadChunkIterator):
        async with self:
            token, locale = self.session_token, self.locale
            self.uploading, self.file_error = True, ""
        if await actor_for_token(token) is None:
            async with self:
                self.uploading = False
            return
        try:
            received = await upload.receive(chunks)
        except UserError as exc:
            async with self:
                self.uploading, self.file_error = False, exc.message(locale)
            return
        async with self:
            self.uploading = False
            self._file_path, self.file_name = str(received.path), received.name
        await self._read_file(received.path, None, locale, delete_on_error=True)

    async def _read_file(self, path: Path, sheet: str | None, locale: str, *, delete_on_error: bool) -> None:
        """Inspect the uploaded file (one sheet of it); several visible sheets → ask which one."""
        try:
            info = await asyncio.to_thread(importer.inspect_file, path, sheet=sheet)
        except UserError as exc:
            async with self:
                self.file_error = exc.message(locale)
            if delete_on_error:
                path.unlink(missing_ok=True)
            return
        auto = await read(importer.auto_mapping, info.headers)
        async with self:
            self.headers, self.total_rows = info.headers, info.total
            self.preview = {h: " · ".join(v for v in values if v)[:120] for h, values in info.preview.items()}
            rows = max((len(v) for v in info.preview.values()), default=0)
            self.sample = [[info.preview[h][i] if i < len(info.preview[h]) else "" for h in info.headers]
                           for i in range(rows)]
            self.mapping, self.auto_mapped = dict(auto), list(auto)
            self.sheets, self.sheet = list(info.sheets), info.sheet
            self.encoding, self.delimiter = info.encoding, info.delimiter
            self.step = "sheet" if sheet is None and len(info.sheets) > 1 else "dedup"

    @rx.event(background=True)
    async def choose_sheet(self, name: str):
        async with self:
            token, locale = self.session_token, self.locale
            if self.step != "sheet" or name not in self.sheets:
                return
            self.uploading, self.file_error = True, ""
            path = Path(self._file_path)
        if await actor_for_token(token) is None:
            async with self:
                self.uploading = False
            return
        await self._read_file(path, name, locale, delete_on_error=False)
        async with self:
            self.uploading = False

    # ------------------------------------------------------------ step 2: duplicates

    @rx.event
    def add_criterion(self, key: str) -> None:
        if key in {f["key"] for f in self.fields} and key not in self.dedup_selected:
            self.dedup_selected = [*self.dedup_selected, key]

    @rx.event
    def remove_criterion(self, key: str) -> None:
        self.dedup_selected = [k for k in self.dedup_selected if k != key]

    @rx.event
    def set_on_duplicate(self, value: str) -> None:
        if value in ("skip", "overwrite", "merge"):
            self.on_duplicate = value

    @rx.event
    def dedup_next(self) -> EventSpec | None:
        if not self.dedup_selected:
            return rx.toast.warning(self._t("wizard.dedup_choose"))
        self.step = "mapping"
        return None

    @rx.event
    def skip_dedup(self) -> None:
        self.on_duplicate = "none"
        self.dedup_selected = []
        self.step = "mapping"

    # ------------------------------------------------------------ step 3: mapping

    @rx.event
    def map_column(self, header: str, key: str) -> None:
        if header not in self.headers:
            return
        mapping = {h: k for h, k in self.mapping.items() if h != header and (k != key or key == SKIP_COLUMN)}
        if key != SKIP_COLUMN:
            mapping[header] = key
        self.mapping = mapping
        self.auto_mapped = [h for h in self.auto_mapped if h != header]

    @rx.event
    def set_unknown_picklist(self, value: str) -> None:
        if value in ("unknown", "reject"):
            self.unknown_picklist = value

    @rx.event
    @logged_in
    async def save_mapping(self, actor: Actor, form: dict[str, Any]) -> EventSpec | None:
        self.saved_mappings = await write(_save_mapping, actor, str(form.get("name", "")), self.mapping)
        return rx.toast.success(self._t("wizard.mapping_saved"))

    @rx.event
    @logged_in
    async def use_mapping(self, actor: Actor, name: str) -> None:
        saved = await read(importer.load_mapping, name)
        self.mapping = {h: k for h, k in saved.items() if h in self.headers}
        self.auto_mapped = []

    def _options(self) -> ImportOptions:
        checks = self.on_duplicate != "none"
        return ImportOptions(mapping=dict(self.mapping), dedup_fields=list(self.dedup_selected) if checks else [],
                             on_duplicate=self.on_duplicate if checks else None,
                             unknown_picklist=self.unknown_picklist, sheet=self.sheet or None)

    @rx.event(background=True)
    async def mapping_next(self):
        async with self:
            token = self.session_token
        actor = await actor_for_token(token)
        async with self:
            if actor is None or self.missing_required:
                return
            self.checking, self.step = True, "review"
            options, path = self._options(), Path(self._file_path)
        try:
            result = await asyncio.to_thread(importer.dry_run, get_engine(), path=path, options=options, actor=actor)
        except UserError as exc:
            async with self:
                self.checking, self.step = False, "mapping"
            yield rx.toast.error(exc.message(self.locale))
            return
        async with self:
            self.checking = False
            self.dry = {k: getattr(result, k) for k in ("total", "created", "overwritten", "merged", "skipped",
                                                         "failed", "warned")}
            self.dry_reasons = (result.reasons[:10] + result.warnings[:5])[:12]

    @rx.event
    def back(self, step: str) -> None:
        if step in ("file", "dedup", "mapping") and self.step in ("sheet", "dedup", "mapping", "review"):
            self.step = step

    # ------------------------------------------------------------ steps 5–6: run, watch, result

    @rx.event(background=True)
    async def start_import(self):
        async with self:
            token = self.session_token
        actor = await actor_for_token(token)
        async with self:
            if actor is None or self.step != "review" or self.checking:
                return
            options, path, name = self._options(), Path(self._file_path), self.file_name
        try:
            job_id = await write(_create_job, actor, path, name, options)
        except UserError as exc:
            yield rx.toast.error(exc.message(self.locale))
            async with self:
                await self._load(actor)
            return
        async with self:
            self.job_id, self.step, self.processed, self.job_total = job_id, "progress", 0, self.total_rows
            self._started = time.monotonic()
        path.unlink(missing_ok=True)
        await asyncio.to_thread(tasks.enqueue_import, job_id)  # queue down: the sweep enqueues it later

    @rx.event
    @logged_in
    async def tick(self, actor: Actor) -> None:
        """The wizard's ticker (every second while the browser shows review or progress): read the
        job row, the source of truth across workers, and show it. A background task used to push
        updates instead: one push lost while the socket was between connections left the screen on
        "importing" for a job long ended (60 s once, for a 3-row import), since nothing pushed again.
        A tick comes from the browser, so the next one always arrives, answered on its connection."""
        # Also on the result screen: the browser ticks until it has seen the result, so a result
        # whose push was lost is sent again on the next tick.
        if self.step not in ("progress", "result") or not self.job_id:
            return
        job = await read(_job, self.job_id)
        if job is None:
            return
        self._show_job(job)
        if self._started:
            self.rate = int(job.processed / max(0.001, time.monotonic() - self._started)) if job.processed else 0
        if job.status not in ("pending", "running"):
            self.step = "result"

    def _show_job(self, job: ImportJob) -> None:
        # Until the engine has parsed the file, the job's total is unknown: show the file's count.
        self.processed, self.job_total, self.job_status = job.processed, job.total or self.total_rows, job.status
        self.job_phase = importer.job_phase(job)
        self.counts = {k: getattr(job, k) for k in ("total", "created", "overwritten", "merged", "skipped", "failed",
                                                    "warned")}
        self.counts["processed"] = job.processed
        self.job_error = job.error or ""
        self.has_skipped_file, self.has_failed_file = bool(job.skipped_file), bool(job.failed_file)
        self.has_warning_file = bool(job.warning_file)
        self.file_name = job.original_name

    @rx.event
    @logged_in
    async def finish(self, actor: Actor) -> EventSpec | list[EventSpec] | None:
        """Kết thúc: release the lock so another user can import."""
        await write(importer.release_lock, actor, self.job_id or None)
        self._restart()
        return rx.redirect(routes.RAW_LEADS)

    @rx.event
    @logged_in
    async def force_release(self, actor: Actor) -> EventSpec | None:
        await write(importer.force_release, actor)
        return await self._load(actor)

    @rx.event(background=True)
    async def undo(self):
        async with self:
            token, job_id = self.session_token, self.job_id
        actor = await actor_for_token(token)
        if actor is None:
            return
        try:
            removed = await asyncio.to_thread(importer.undo_job, get_engine(), actor, job_id)
        except UserError as exc:
            yield rx.toast.error(exc.message(self.locale))
            return
        job = await read(_job, job_id)
        async with self:
            if job is not None:
                self._show_job(job)
        yield rx.toast.success(t("wizard.undone", self.locale, count=removed))
