"""POST /api/v1/beneficiaries/import: a CSV or XLSX file of beneficiaries."""

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile

from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.registry_import import importer

router = APIRouter(route_class=IdempotentRoute, prefix="/beneficiaries", tags=["beneficiaries"])

LongRunningWriter = Annotated[Actor, idempotent(Permission.registry_write, long_running=True)]


@router.post(
    "/import",
    summary="Import beneficiaries from a CSV or XLSX file",
    description=(
        "Multipart upload (field `file`): CSV (UTF-8, comma or semicolon) or XLSX, columns as "
        "in the README (`docs/import-template.csv`). Each row is validated as `POST "
        "/beneficiaries` would; valid rows are created, or update the beneficiary with the same "
        "BHXH number (else CCCD); rows equal to what is stored are left alone (`unchanged`), so "
        "importing a file twice changes nothing. Rejected rows are listed with their line "
        "number and reason and nothing of them is written. Rows are written in batches of "
        f"{importer.BATCH_SIZE}, each in a transaction of its own. 415 `unsupported-file`: "
        "neither CSV nor XLSX; 422 `invalid-file`: a required column is missing."
    ),
    responses=problem_responses(413, 415),
)
async def import_beneficiaries(
    file: Annotated[UploadFile, File(description="The CSV or XLSX file.")],
    actor: LongRunningWriter,
    request: Request,
) -> importer.ImportSummary:
    return await importer.import_beneficiaries(request.app.state.sessionmaker, file.file, actor)
