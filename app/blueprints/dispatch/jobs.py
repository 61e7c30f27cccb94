"""Dispatch background work: bulk shipping files."""
