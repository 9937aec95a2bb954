"""Veteran Care: health monitoring for veterans, wounded and sick soldiers, youth volunteers."""

__version__ = "0.1.0"
