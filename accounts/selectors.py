"""Reads of the accounts app: querysets already joined and limited to what the caller may see."""
