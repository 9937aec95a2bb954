"""Idempotency-Key on the POSTs that create things (docs/decisions/0009)."""
