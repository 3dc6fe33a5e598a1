"""Reads of the cart app: querysets already joined and limited to what the caller may see."""
