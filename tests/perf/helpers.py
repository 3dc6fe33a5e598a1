"""Helpers for tests that look at what a write leaves to do after commit."""

from core.generations import PendingBump


def task_callbacks(callbacks: list) -> list:
    """The on-commit callbacks captured, but the caches' own invalidation (one a
    transaction that changed cached data; see core.generations) and the notification
    centre's writes (notifications.services.notify)."""
    return [
        callback
        for callback in callbacks
        if not isinstance(callback, PendingBump)
        and getattr(callback, "__module__", "") != "notifications.services"
    ]
