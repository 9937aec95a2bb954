"""The queue of a drive day: tickets per specialty, calls, and the waiting hall's display."""
