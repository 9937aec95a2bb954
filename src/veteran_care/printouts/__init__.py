"""Printouts of a drive day, as PDF: appointment slips, day lists, the health-check form."""
