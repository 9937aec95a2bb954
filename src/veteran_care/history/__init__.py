"""Past periodic checks: the history a province brings in at go-live."""
