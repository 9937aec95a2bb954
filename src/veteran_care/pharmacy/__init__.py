"""Pharmacy: the medicine catalogue, stock per facility as a ledger of lots, dispensing."""
