"""Import files by route: the template, and a job's skipped/failed rows (owner or admin only)."""

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse, Response

from crm_app.api.deps import cookie_actor
from crm_app.api.errors import responses
from crm_app.db import read_session
from crm_app.models import ImportJob
from crm_app.services import importer
from crm_app.services.auth import Actor

router = APIRouter()
# kind in the URL → (the job's file attribute, the downloaded file's name part)
FILES = {"skipped": ("skipped_file", "bo-qua"), "failed": ("failed_file", "that-bai"),
         "warning": ("warning_file", "canh-bao")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


_XLSX = {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}, "description": "The workbook."}


@router.get("/api/import/template.xlsx", tags=["import"], response_class=Response,
            summary="Import template (.xlsx, browser session)", responses={200: _XLSX, **responses(401, 503)})
def import_template(actor: Actor = Depends(cookie_actor)) -> Response:
    with read_session() as session:
        data = importer.build_template(session)
    disposition = 'attachment; filename="mau-import-kh-tho.xlsx"'
    return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get("/api/import/jobs/{job_id}/{kind}", tags=["import"], response_class=FileResponse,
            summary="An import's skipped, failed or warned rows (.xlsx, its owner or an admin)",
            responses={200: _XLSX, **responses(401, 404, 422, 503, n404="No such job or file, or not yours.")})
def import_result_file(job_id: int, kind: str, actor: Actor = Depends(cookie_actor)) -> FileResponse:
    if kind not in FILES:
        raise HTTPException(status_code=404, detail="Không tìm thấy.")
    with read_session() as session:
        job = session.get(ImportJob, job_id)
    if job is None or (job.user_id != actor.id and not actor.is_admin):
        raise HTTPException(status_code=404, detail="Không tìm thấy.")
    attribute, label = FILES[kind]
    stored = getattr(job, attribute)
    if not stored or not Path(stored).is_file():
        raise HTTPException(status_code=404, detail="Không có tệp.")
    return FileResponse(stored, media_type=XLSX, filename=f"import-{job_id}-{label}.xlsx")
