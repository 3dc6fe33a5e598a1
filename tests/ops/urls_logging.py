"""Views for the logging tests: one logs a line, one queues a task that logs a line."""

import logging

from celery import shared_task
from django.http import HttpResponse
from django.urls import path

logger = logging.getLogger("tests.ops.logging")


@shared_task(name="tests.ops.log_a_line")
def log_a_line(text: str) -> None:
    logger.warning("from the task: %s", text)


def logs(request):
    logger.info("handling %s", request.path)
    return HttpResponse("logged")


def queues(request):
    log_a_line.delay("queued by a request")
    return HttpResponse("queued")


def fails(request):
    raise RuntimeError("the view broke")


urlpatterns = [
    path("logs/", logs),
    path("queues/", queues),
    path("fails/", fails),
]
