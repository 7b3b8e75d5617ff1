"""An import's result (/imports/<id>): what it did, its result files, the records it created."""

import reflex as rx

from crm_app import routes
from crm_app.components.shell import crm_page, page_header
from crm_app.state.auth import AuthState
from crm_app.state.import_result import ImportResultState as S


def _count(label: rx.Var, key: str, color: str, file_kind: str = "") -> rx.Component:
    body = [rx.text(label, size="1", color_scheme="gray"),
            rx.heading(S.counts.get(key, 0).to_string(), size="6", color=rx.color(color, 11), id=f"result-{key}")]
    if file_kind:
        body.append(rx.cond(S.files.get(file_kind, False), rx.link(
            AuthState.tr["wizard.details"], href=S.files_href + file_kind, is_external=True,
            id=f"result-{file_kind}-file")))
    return rx.card(rx.vstack(*body, spacing="1"), min_width="130px")


@crm_page(routes.IMPORT_RESULT_PAGE, "Kết quả import", on_load=S.load)
def import_result() -> rx.Component:
    tr = AuthState.tr
    return rx.vstack(
        page_header(tr["result.title"] + " #" + S.job_id.to_string()),
        rx.cond(S.found, rx.vstack(
            rx.card(rx.vstack(
                rx.hstack(rx.text(tr["wizard.file"], weight="bold", size="2"), rx.text(S.file_name, size="2"),
                          wrap="wrap"),
                rx.hstack(rx.text(tr["result.by"], weight="bold", size="2"), rx.text(S.user, size="2"),
                          rx.text("·", size="2"), rx.text(S.started, size="2"), wrap="wrap"),
                spacing="1"), width="100%"),
            rx.hstack(
                _count(tr["wizard.scanned"], "total", "gray"),
                _count(tr["wizard.created"], "created", "green"),
                _count(tr["wizard.overwritten"], "overwritten", "blue"),
                _count(tr["wizard.merged"], "merged", "blue"),
                _count(tr["wizard.skipped"], "skipped", "amber", "skipped"),
                _count(tr["wizard.failed"], "failed", "red", "failed"),
                _count(tr["wizard.warned"], "warned", "orange", "warning"),
                wrap="wrap", align="start"),
            rx.link(tr["dash.import.records"], href=S.records_href, id="result-records"),
            width="100%", spacing="4", id="import-result"),
            rx.callout(tr["import.job.not_found"], icon="triangle-alert", color_scheme="amber", width="100%")),
        width="100%", spacing="4", max_width="1000px",
    )
