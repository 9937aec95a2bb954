"""Liveness and readiness probes (outside /api/v1)."""
