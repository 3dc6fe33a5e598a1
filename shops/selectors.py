"""Reads of the shops app: querysets already joined and limited to what the caller may see."""
