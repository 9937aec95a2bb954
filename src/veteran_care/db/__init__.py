"""The database floor: base, engines, the request's transaction, what an error means."""
