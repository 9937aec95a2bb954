"""Scheduling: facility services, sessions with capacity, checkups, appointments, campaigns."""
