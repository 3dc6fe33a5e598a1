"""Writes and business rules of the shops app (see CONVENTIONS.md)."""
