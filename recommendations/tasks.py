"""Workers of the recommendations (Celery beat runs both)."""

from celery import shared_task

from catalog.viewed import viewed_trim
from recommendations.services import bought_together_update


@shared_task
def update_bought_together() -> int:
    """Every 15 minutes: count the orders paid since the last run into the pairs."""
    return bought_together_update()


@shared_task
def trim_recently_viewed() -> int:
    """Daily: each person keeps their newest recently viewed products only."""
    return viewed_trim()
