"""Cross-cutting machinery shared by every center; no business rules live here."""
