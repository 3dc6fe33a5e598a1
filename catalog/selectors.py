"""Reads of the catalog app: querysets already joined and limited to what the caller may see."""
