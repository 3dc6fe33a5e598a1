"""Reads of the orders app: querysets already joined and limited to what the caller may see."""
