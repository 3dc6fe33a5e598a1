"""The Celery app: Redis as broker when REDIS_URL is set, tasks run eagerly otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Tasks counted and timed for /metrics (core.metrics).
from core.metrics import connect_celery  # noqa: E402
from core.replicas import connect_celery as connect_replicas  # noqa: E402

connect_celery()
# Each task reads its own writes from the primary (core.replicas).
connect_replicas()
