"""State of an import's result page (/imports/<id>), linked from the timeline of every record the
import created, overwrote or merged."""

from __future__ import annotations

import reflex as rx

from crm_app import routes
from crm_app.services import clock, importer
from crm_app.services.auth import Actor
from crm_app.state.auth import AuthState, logged_in, read


class ImportResultState(AuthState):
    job_id: int = 0
    found: bool = False
    file_name: str = ""
    user: str = ""
    started: str = ""
    status: str = ""
    counts: dict[str, int] = {}
    files: dict[str, bool] = {}

    @rx.var
    def records_href(self) -> str:
        return routes.raw_lead_list(**{"import": self.job_id})

    @rx.var
    def files_href(self) -> str:
        return routes.import_file(self.job_id)

    @rx.event
    @logged_in
    async def load(self, actor: Actor) -> None:
        self.job_id = routes.record_id_from_path(self.router.url.path, routes.IMPORT_RESULT)
        summary = await read(importer.job_summary, actor, self.job_id)
        self.found = summary is not None
        if summary is None:
            return
        self.file_name, self.user, self.status = summary["file"], summary["user"], summary["status"]
        self.started = clock.fmt_datetime(summary["started"], await read(clock.zone), "%H:%M %d/%m/%Y")
        self.counts = {k: int(summary[k]) for k in importer.COUNTS}
        self.files = dict(summary["files"])
