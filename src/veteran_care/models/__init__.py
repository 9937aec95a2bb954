"""ORM tables, one module per aggregate. Alembic imports this package once."""

from veteran_care.models.audit import AuditEvent
from veteran_care.models.beneficiary import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    CardNumberFormat,
    CardStatus,
    InsuranceCard,
    NationalIdType,
    Sex,
)
from veteran_care.models.facility import Facility, FacilityLevel
from veteran_care.models.identity import (
    Account,
    AccountFacility,
    AccountKind,
    LoginThrottle,
    RefreshToken,
    Role,
)
from veteran_care.models.reference import BeneficiaryCategory, Commune, EthnicGroup

__all__ = [
    "Account",
    "AccountFacility",
    "AccountKind",
    "AuditEvent",
    "Beneficiary",
    "BeneficiaryCategory",
    "BeneficiaryCategoryMembership",
    "BeneficiaryStatus",
    "CardNumberFormat",
    "CardStatus",
    "Commune",
    "EthnicGroup",
    "Facility",
    "FacilityLevel",
    "InsuranceCard",
    "LoginThrottle",
    "NationalIdType",
    "RefreshToken",
    "Role",
    "Sex",
]
