"""Raw-lead files served by route (never pushed through Reflex state)."""

import json

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from crm_app.api.deps import cookie_actor
from crm_app.api.errors import responses
from crm_app.db import read_session
from crm_app.i18n import UserError
from crm_app.services import clock
from crm_app.services.auth import Actor
from crm_app.services.raw_leads import filters
from crm_app.services.raw_leads.export import export_xlsx
from crm_app.services.raw_leads.query import ListQuery

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/api/raw-leads/export.xlsx", tags=["raw-leads"], response_class=Response,
            summary="Export raw leads (.xlsx, browser session)",
            responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
                             "description": "The list's rows as a workbook."},
                       **responses(400, 401, 422, 503, n400="`conditions` is not a valid filter.")})
def export_raw_leads(
    actor: Actor = Depends(cookie_actor),
    search: str = Query("", max_length=200),
    sort: str = Query("created_at", max_length=32),
    desc: str = Query("1", max_length=1),
    # Bounded so that the URL stays under the server's limit (64 KiB) even fully percent-encoded.
    conditions: str = Query("[]", max_length=4_000),
    import_job: str = Query("", alias="import", max_length=12),
) -> Response:
    try:
        parsed = json.loads(conditions)
        if not isinstance(parsed, list) or not all(isinstance(c, dict) for c in parsed):
            raise ValueError
        job_id = filters.import_job_id(import_job)
        if import_job and job_id is None:
            raise ValueError
        query = ListQuery(search=search, conditions=parsed, sort=sort, descending=desc == "1", import_job_id=job_id)
        with read_session() as session:
            data = export_xlsx(session, actor, query)
            name = f"kh-tho-{clock.stamp(clock.zone(session))}.xlsx"
    except (ValueError, UserError) as exc:
        raise HTTPException(status_code=400, detail="Điều kiện lọc không hợp lệ.") from exc
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
