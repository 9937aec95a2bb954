"""The database floor: the declarative base (``base``), engines and sessions (``engine``), the
request's transaction (``session``) and what a database error means to a client (``errors``)."""
