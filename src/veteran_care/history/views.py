"""A stored past check as the API shows it."""

from veteran_care.clinical import icd10
from veteran_care.clinical.schemas import DiagnosisRead
from veteran_care.history.schemas import PastCheckRead
from veteran_care.models import PastCheck


def past_check_read(check: PastCheck) -> PastCheckRead:
    diagnoses = [
        DiagnosisRead(
            code=d["code"], title=icd10.title(d["code"]) or d["code"], principal=d["principal"]
        )
        for d in check.diagnoses
    ]
    values = {
        name: getattr(check, name)
        for name in PastCheckRead.model_fields
        if name not in ("historical", "diagnoses")
    }
    return PastCheckRead.model_validate(values | {"diagnoses": diagnoses})
