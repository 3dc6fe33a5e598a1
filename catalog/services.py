"""Writes and business rules of the catalog app (see CONVENTIONS.md)."""
