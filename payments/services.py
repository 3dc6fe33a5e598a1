"""Writes and business rules of the payments app (see CONVENTIONS.md)."""
