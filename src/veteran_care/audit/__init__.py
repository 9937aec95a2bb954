"""The audit trail: who read or changed what, when, from where, with what outcome."""
