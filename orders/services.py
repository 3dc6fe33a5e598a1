"""Writes and business rules of the orders app (see CONVENTIONS.md)."""
