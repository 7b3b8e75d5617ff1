"""Nhập dữ liệu: the import wizard as a stepper a salesperson can follow without training."""

import reflex as rx
from reflex.event import EventSpec
from reflex.vars import StringVar

from crm_app import routes
from crm_app.components.confirm import confirm_dialog
from crm_app.components.shell import crm_page, page_header
from crm_app.components.stepper import stepper
from crm_app.components.ticker import ticker
from crm_app.state.auth import AuthState
from crm_app.state.import_wizard import SKIP_COLUMN
from crm_app.state.import_wizard import ImportWizardState as S

UPLOAD_ID = "import-file"


def _file_step() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.callout(rx.hstack(rx.text(tr["wizard.template_hint"]),
                             rx.link(tr["wizard.template"], href=routes.IMPORT_TEMPLATE, id="template-link",
                                     is_external=True)),
                   icon="file-spreadsheet", width="100%"),
        rx.upload.root(
            rx.vstack(
                rx.icon("upload", size=32, color=rx.color("accent", 9)),
                rx.text(tr["wizard.drop"], weight="medium"),
                rx.text(tr["wizard.drop_hint"], size="1", color_scheme="gray"),
                align="center", spacing="2",
            ),
            id=UPLOAD_ID, multiple=False, max_files=1,
            accept={"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
                    "application/vnd.ms-excel": [".xls"],
                    "application/vnd.oasis.opendocument.spreadsheet": [".ods"],
                    "text/csv": [".csv"], "text/plain": [".txt"], "text/tab-separated-values": [".tsv"]},
            max_size=S.upload_limit_bytes,
            on_drop=S.receive_file(rx.upload_files_chunk(upload_id=UPLOAD_ID)),
            border=f"2px dashed {rx.color('accent', 7)}", border_radius="10px", padding="2.5rem", width="100%",
            cursor="pointer",
        ),
        rx.cond(S.uploading, rx.hstack(rx.spinner(), rx.text(tr["wizard.reading"]))),
        rx.cond(S.file_error != "", rx.callout(S.file_error, icon="triangle-alert", color_scheme="red", width="100%",
                                               id="file-error", role="alert")),
        width="100%", spacing="3",
    )


def _sheet_step() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.hstack(rx.icon("file-spreadsheet", size=18), rx.text(S.file_name, weight="medium"), align="center"),
        rx.text(tr["wizard.sheets"], size="2"),
        rx.vstack(rx.foreach(S.sheets, lambda name, i: rx.button(
            rx.icon("sheet", size=14), name, variant="soft", size="3", width="100%", justify="start",
            on_click=S.choose_sheet(name), disabled=S.uploading, id="sheet-" + i.to_string())),
            width="100%", spacing="2", id="sheet-choice"),
        rx.cond(S.uploading, rx.hstack(rx.spinner(), rx.text(tr["wizard.reading"]))),
        rx.cond(S.file_error != "", rx.callout(S.file_error, icon="triangle-alert", color_scheme="red", width="100%",
                                               id="file-error", role="alert")),
        rx.button(tr["common.back"], variant="soft", color_scheme="gray", on_click=S.back("file")),
        width="100%", spacing="3",
    )


def _sample() -> rx.Component:
    """The file's first rows under its own headers, each column named with the field it goes to."""
    tr = AuthState.tr
    cell = {"white_space": "nowrap", "max_width": "220px", "overflow": "hidden", "text_overflow": "ellipsis"}
    return rx.vstack(
        rx.text(tr["wizard.sample"], weight="bold", size="2"),
        rx.box(rx.table.root(
            rx.table.header(
                rx.table.row(rx.foreach(S.headers, lambda h: rx.table.column_header_cell(h, style=cell))),
                rx.table.row(rx.foreach(S.sample_fields, lambda f: rx.table.cell(
                    rx.badge(f, color_scheme=rx.cond(f == "—", "gray", "green"), variant="soft"), style=cell))),
            ),
            rx.table.body(rx.foreach(S.sample, lambda row: rx.table.row(
                rx.foreach(row, lambda v: rx.table.cell(rx.text(v, size="1"), style=cell))))),
            variant="surface", size="1", id="mapping-sample"),
            width="100%", overflow_x="auto"),
        width="100%", spacing="2",
    )


def _field_chip(f: rx.Var, on_click: EventSpec, icon: str) -> rx.Component:
    return rx.button(f["label"], rx.icon(icon, size=14), variant="soft", size="2", width="100%",
                     justify="between", on_click=on_click)


def _dedup_step() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.text(tr["wizard.dedup_intro"], size="2"),
        rx.grid(
            rx.card(rx.vstack(rx.text(tr["wizard.available"], weight="bold", size="2"),
                              rx.scroll_area(rx.vstack(rx.foreach(
                                  S.available_fields,
                                  lambda f: _field_chip(f, S.add_criterion(f["key"]), "arrow-right")), spacing="1"),
                                  max_height="300px"),
                              width="100%")),
            rx.card(rx.vstack(rx.text(tr["wizard.criteria"], weight="bold", size="2"),
                              rx.foreach(S.chosen_fields,
                                         lambda f: _field_chip(f, S.remove_criterion(f["key"]), "x")),
                              width="100%"), id="dedup-criteria"),
            columns="2", spacing="4", width="100%",
        ),
        rx.radio_group.root(
            rx.vstack(
                *[rx.el.label(rx.hstack(rx.radio_group.item(value=v, id=f"action-{v}"), rx.vstack(
                    rx.text(tr[f"wizard.action.{v}"], weight="medium", size="2"),
                    rx.text(tr[f"wizard.action.{v}.hint"], size="1", color_scheme="gray"), spacing="0"),
                    align="start"), style={"cursor": "pointer"})
                  for v in ("skip", "overwrite", "merge")],
                spacing="2"),
            value=S.on_duplicate, on_change=S.set_on_duplicate,
        ),
        rx.hstack(
            rx.button(tr["common.back"], variant="soft", color_scheme="gray", on_click=S.back("file")),
            rx.spacer(),
            rx.tooltip(rx.button(tr["wizard.skip_step"], variant="outline", on_click=S.skip_dedup, id="skip-dedup"),
                       content=tr["wizard.skip_step_warning"]),
            rx.button(tr["wizard.next"], on_click=S.dedup_next, id="dedup-next"),
            width="100%",
        ),
        width="100%", spacing="4",
    )


def _mapping_row(row: rx.Var) -> rx.Component:
    tr = AuthState.tr
    return rx.table.row(
        rx.table.cell(rx.text(row["header"], weight="medium")),
        # On a phone the first values are left to the preview below: the field choice needs the width.
        rx.table.cell(rx.text(row["preview"], size="1", color_scheme="gray"), max_width="280px",
                      display=rx.breakpoints(initial="none", sm="table-cell")),
        rx.table.cell(rx.hstack(
            rx.select.root(
                rx.select.trigger(width=rx.breakpoints(initial="170px", sm="220px")),
                rx.select.content(
                    rx.select.item(tr["wizard.not_imported"], value=SKIP_COLUMN),
                    rx.foreach(S.fields, lambda f: rx.select.item(f["label"], value=f["key"])),
                ),
                value=row["field"], on_change=lambda v: S.map_column(row["header"], v),
            ),
            rx.cond(row["auto"] != "", rx.badge(tr["wizard.auto"], color_scheme="green")),
            align="center", wrap="wrap")),
    )


def _mapping_step() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.text(tr["wizard.mapping_intro"], size="2"),
        rx.cond(S.missing_required.length() > 0, rx.callout(
            rx.text(tr["wizard.missing_required"], " ", S.missing_required.join(", ")),
            icon="triangle-alert", color_scheme="red", width="100%", id="missing-required")),
        rx.table.root(
            rx.table.header(rx.table.row(rx.table.column_header_cell(tr["wizard.column"]),
                                         rx.table.column_header_cell(
                                             tr["wizard.preview"], display=rx.breakpoints(initial="none",
                                                                                          sm="table-cell")),
                                         rx.table.column_header_cell(tr["wizard.field"]))),
            rx.table.body(rx.foreach(S.mapping_rows, _mapping_row)),
            width="100%", variant="surface", size="1",
        ),
        _sample(),
        rx.hstack(
            rx.text(tr["wizard.unknown_picklist"], size="2"),
            rx.select.root(rx.select.trigger(),
                           rx.select.content(rx.select.item(tr["wizard.unknown.unknown"], value="unknown"),
                                             rx.select.item(tr["wizard.unknown.reject"], value="reject")),
                           value=S.unknown_picklist, on_change=S.set_unknown_picklist),
            align="center"),
        rx.hstack(
            rx.form(rx.hstack(rx.input(name="name", placeholder=tr["wizard.mapping_name"], size="1"),
                              rx.button(tr["wizard.save_mapping"], size="1", variant="outline", type="submit")),
                    on_submit=S.save_mapping, reset_on_submit=True),
            rx.cond(S.saved_mappings.length() > 0, rx.select(S.saved_mappings, placeholder=tr["wizard.use_mapping"],
                                                            on_change=S.use_mapping, size="1")),
            align="center"),
        rx.hstack(
            rx.button(tr["common.back"], variant="soft", color_scheme="gray", on_click=S.back("dedup")),
            rx.spacer(),
            rx.button(tr["wizard.next"], on_click=S.mapping_next, disabled=S.missing_required.length() > 0,
                      id="mapping-next"),
            width="100%"),
        width="100%", spacing="4",
    )


def _count(label: rx.Var, value: rx.Var, color: str, test_id: str) -> rx.Component:
    return rx.card(rx.vstack(rx.text(label, size="1", color_scheme="gray"),
                             # A text value as it is (to_string() would show it in JSON quotes).
                             rx.heading(value if isinstance(value, StringVar) else value.to_string(), size="6",
                                        color=rx.color(color, 11), id=test_id),
                             spacing="1"), min_width="130px")


def _review_step() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.card(rx.vstack(
            rx.hstack(rx.text(tr["wizard.file"], weight="bold", size="2"), rx.text(S.file_name, size="2")),
            rx.cond(S.sheets.length() > 1, rx.hstack(rx.text(tr["wizard.sheet"], weight="bold", size="2"),
                                                      rx.text(S.sheet, size="2", id="review-sheet"))),
            rx.cond(S.encoding != "", rx.hstack(
                rx.text(tr["wizard.encoding"], weight="bold", size="2"),
                rx.text(S.encoding, size="2", id="review-encoding"),
                rx.text(tr["wizard.delimiter"], weight="bold", size="2"),
                rx.code(S.delimiter, size="2", id="review-delimiter"), wrap="wrap")),
            rx.hstack(rx.text(tr["wizard.rows"], weight="bold", size="2"), rx.text(S.total_rows, size="2")),
            rx.hstack(rx.text(tr["wizard.criteria"], weight="bold", size="2"),
                      rx.text(rx.cond(S.on_duplicate == "none", tr["wizard.no_check"],
                                      S.chosen_fields.foreach(lambda f: f["label"]).join(", ")), size="2")),
            rx.hstack(rx.text(tr["wizard.action"], weight="bold", size="2"),
                      rx.text(rx.match(S.on_duplicate, ("skip", tr["wizard.action.skip"]),
                                       ("overwrite", tr["wizard.action.overwrite"]),
                                       ("merge", tr["wizard.action.merge"]), "—"), size="2")),
            rx.text(tr["wizard.mapping"], weight="bold", size="2"),
            rx.text(S.mapping_summary.join(" · "), size="1", color_scheme="gray"),
            spacing="1"), width="100%"),
        rx.cond(S.checking, rx.hstack(rx.spinner(), rx.text(tr["wizard.checking"])), rx.vstack(
            rx.text(tr["wizard.dry_run"], weight="bold"),
            rx.hstack(
                _count(tr["wizard.would_create"], S.dry.get("created", 0), "green", "dry-created"),
                _count(tr["wizard.would_overwrite"], S.dry.get("overwritten", 0), "blue", "dry-overwritten"),
                _count(tr["wizard.would_merge"], S.dry.get("merged", 0), "blue", "dry-merged"),
                _count(tr["wizard.would_skip"], S.dry.get("skipped", 0), "amber", "dry-skipped"),
                _count(tr["wizard.would_fail"], S.dry.get("failed", 0), "red", "dry-failed"),
                _count(tr["wizard.would_warn"], S.dry.get("warned", 0), "orange", "dry-warned"),
                wrap="wrap"),
            rx.cond(S.dry_reasons.length() > 0, rx.callout(rx.vstack(rx.foreach(S.dry_reasons, rx.text), spacing="0"),
                                                         color_scheme="amber", icon="info", width="100%")),
            width="100%")),
        rx.hstack(
            rx.button(tr["common.back"], variant="soft", color_scheme="gray", on_click=S.back("mapping")),
            rx.spacer(),
            rx.button(rx.icon("upload", size=14), tr["wizard.import"], on_click=S.start_import, disabled=S.checking,
                      id="start-import", size="3"),
            width="100%"),
        width="100%", spacing="4",
    )


def _progress_step() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.heading(tr["wizard.importing"], size="4"),
        rx.cond(S.job_phase == "resuming", rx.callout(tr["wizard.resuming"], color_scheme="amber", icon="refresh-cw",
                                                      width="100%", id="import-resuming")),
        rx.cond(S.job_phase == "pending", rx.callout(tr["wizard.pending"], color_scheme="gray", icon="clock",
                                                     width="100%")),
        rx.progress(value=S.percent, max=100, width="100%", size="3", id="import-progress"),
        rx.hstack(rx.text(S.processed.to_string() + " / " + S.job_total.to_string(), id="progress-count"),
                  rx.text("· " + S.rate.to_string() + " " + tr["wizard.rows_per_second"], color_scheme="gray"),
                  rx.text("(" + S.percent.to_string() + "%)", color_scheme="gray")),
        rx.text(tr["wizard.can_leave"], size="1", color_scheme="gray"),
        width="100%", spacing="3",
    )


def _result_step() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.cond(S.job_error != "", rx.callout(S.job_error, color_scheme="red", icon="triangle-alert", width="100%")),
        rx.cond(S.job_status == "undone", rx.callout(tr["wizard.is_undone"], color_scheme="gray", icon="undo-2",
                                                     width="100%")),
        rx.hstack(
            _count(tr["wizard.scanned"], S.scanned_label, "gray", "res-scanned"),
            _count(tr["wizard.created"], S.counts.get("created", 0), "green", "res-created"),
            _count(tr["wizard.overwritten"], S.counts.get("overwritten", 0), "blue", "res-overwritten"),
            _count(tr["wizard.merged"], S.counts.get("merged", 0), "blue", "res-merged"),
            rx.vstack(_count(tr["wizard.skipped"], S.counts.get("skipped", 0), "amber", "res-skipped"),
                      rx.cond(S.has_skipped_file, rx.link(
                          tr["wizard.details"], id="skipped-file", is_external=True,
                          href=routes.import_file(S.job_id, "skipped")))),
            rx.vstack(_count(tr["wizard.failed"], S.counts.get("failed", 0), "red", "res-failed"),
                      rx.cond(S.has_failed_file, rx.link(
                          tr["wizard.details"], id="failed-file", is_external=True,
                          href=routes.import_file(S.job_id, "failed")))),
            rx.vstack(rx.tooltip(_count(tr["wizard.warned"], S.counts.get("warned", 0), "orange", "res-warned"),
                                 content=tr["wizard.warned_hint"]),
                      rx.cond(S.has_warning_file, rx.link(
                          tr["wizard.details"], id="warning-file", is_external=True,
                          href=routes.import_file(S.job_id, "warning")))),
            wrap="wrap", align="start"),
        rx.hstack(
            rx.cond(S.job_status == "done", confirm_dialog(
                rx.button(rx.icon("undo-2", size=14), tr["wizard.undo"], variant="soft", color_scheme="red", id="undo"),
                tr["wizard.undo"], tr["wizard.undo_confirm"], tr["wizard.undo"], S.undo, action_id="undo-confirm")),
            rx.spacer(),
            rx.button(rx.icon("check", size=14), tr["wizard.finish"], on_click=S.finish, size="3", id="finish"),
            width="100%"),
        width="100%", spacing="4",
    )


def _locked() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        rx.callout(rx.text(tr["wizard.locked"], " ", rx.text.strong(S.locked_by), " — ", tr["wizard.since"], " ",
                           S.locked_since, ". ", tr["wizard.locked_hint"]),
                   icon="lock", color_scheme="amber", width="100%", id="lock-message"),
        rx.hstack(
            rx.link(rx.button(rx.icon("arrow-left", size=14), tr["detail.back"], variant="soft"),
                    href=routes.RAW_LEADS),
            rx.cond(AuthState.is_admin, rx.button(tr["wizard.force_release"], color_scheme="red", variant="soft",
                                                  on_click=S.force_release, id="force-release"))),
        width="100%",
    )


@crm_page(routes.RAW_LEAD_IMPORT, "Nhập dữ liệu KH thô", on_load=S.load)
def import_wizard() -> rx.Component:
    tr = AuthState.tr
    labels = [tr[f"wizard.step.{s}"] for s in ("file", "dedup", "mapping", "review", "progress", "result")]
    return rx.vstack(
        page_header(tr["wizard.title"]),
        # While the browser shows a job that may be running (review: its start may be on the way),
        # it asks for the job's state every second until it has seen the result.
        ticker(on_tick=S.tick, active=(S.step == "review") | (S.step == "progress"), interval_ms=1000),
        rx.cond(S.step != "locked", stepper(labels, S.step_index)),
        rx.card(rx.match(
            S.step,
            ("file", _file_step()),
            ("sheet", _sheet_step()),
            ("dedup", _dedup_step()),
            ("mapping", _mapping_step()),
            ("review", _review_step()),
            ("progress", _progress_step()),
            ("result", _result_step()),
            ("locked", _locked()),
            rx.spinner(),
        ), width="100%", max_width="1000px"),
        width="100%", spacing="4",
    )
