"""Reads of the payments app: querysets already joined and limited to what the caller may see."""
