"""Writes and business rules of the cart app (see CONVENTIONS.md)."""
