"""The web floor: the middleware every request passes (``stack``) and logging set-up."""
