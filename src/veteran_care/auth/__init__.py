"""Who is calling, for every domain: principal, role matrix, ``allow()``, token checks."""
