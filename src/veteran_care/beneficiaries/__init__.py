"""The beneficiary registry and health-insurance cards."""
