"""Bulk shipping pages (filled in by the bulk shipping step)."""
