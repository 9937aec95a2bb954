"""Past checks: history recorded at go-live."""
