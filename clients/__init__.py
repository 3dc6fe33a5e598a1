"""The API's clients, generated from the schema (make clients; generate.py)."""
