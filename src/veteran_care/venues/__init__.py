"""Venues: the commune halls and schools drives are held at (decision 0052)."""
