"""Helpers for tests that look at what a write leaves to do after commit."""

from catalog.caching import flush_pending_bumps


def task_callbacks(callbacks: list) -> list:
    """The on-commit callbacks captured, but the catalog cache's own invalidation (one a
    transaction that changed the catalog; see catalog.caching)."""
    return [callback for callback in callbacks if callback is not flush_pending_bumps]
