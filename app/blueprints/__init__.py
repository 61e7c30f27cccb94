"""One package per center (see DESIGN.md)."""
