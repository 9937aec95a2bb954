"""POST /api/v1/beneficiaries/import: a CSV or XLSX file of beneficiaries; POST
/api/v1/beneficiaries/past-checks/import: one of past checks of people registered already."""

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile

from veteran_care.auth.permissions import Permission
from veteran_care.auth.principal import Actor
from veteran_care.errors import problem_responses
from veteran_care.idempotency.dependencies import IdempotentRoute, idempotent
from veteran_care.kit.i18n import request_language
from veteran_care.registry_import import importer, past_check_import
from veteran_care.registry_import.row_errors import in_language

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
        "number, column and reason (in the language of `Accept-Language`) and nothing of them "
        "is written. Rows are written in batches of "
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
    summary = await importer.import_beneficiaries(request.app.state.sessionmaker, file.file, actor)
    return in_language(summary, request_language(request))


@router.post(
    "/past-checks/import",
    summary="Import past checks of registered people from a CSV or XLSX file",
    description=(
        "Multipart upload (field `file`): one check done before go-live per row, the person "
        "found by `ma_bhxh` (else `cccd`): `ngay_kham_gan_nhat` (the day), "
        "`phan_loai_suc_khoe` (I-V or 1-5), `noi_kham` (one of our facility codes, or the "
        "place in words). Each check is held to `POST /beneficiaries/{id}/past-checks`'s "
        "rules; a person's check of a day already recorded is kept as it is "
        "(`already_recorded`), so importing a file twice records nothing the second time. A row "
        "whose person is not registered (or not yours) is rejected with its line (the reason "
        "in the language of `Accept-Language`). 415 "
        "`unsupported-file`; 422 `invalid-file`: a required column is missing."
    ),
    responses=problem_responses(413, 415),
)
async def import_past_checks(
    file: Annotated[UploadFile, File(description="The CSV or XLSX file.")],
    actor: LongRunningWriter,
    request: Request,
) -> past_check_import.PastCheckImportSummary:
    summary = await past_check_import.import_past_checks(
        request.app.state.sessionmaker, file.file, actor
    )
    return in_language(summary, request_language(request))
