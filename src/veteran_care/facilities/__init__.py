"""Health facilities (hospitals, regional medical centres, commune health stations)."""
