"""The real Celery worker fixture itself: tasks reach it through Redis, and tests that
do not ask for it still run tasks eagerly."""

import threading

import pytest
from celery import shared_task

from config.celery import app

received: list[tuple[str, str, bool]] = []


@shared_task(name="tests.worker_echo")
def worker_echo(text: str) -> None:
    from celery import current_task

    received.append((text, threading.current_thread().name, bool(current_task.request.is_eager)))


def test_a_task_reaches_the_worker_through_the_broker(celery_worker, wait_for):
    assert app.conf.task_always_eager is False
    assert app.conf.broker_url.startswith("redis")
    worker_echo.delay("over the broker")
    _text, thread, eager = wait_for(
        lambda: next((item for item in received if item[0] == "over the broker"), None),
        message="the worker to run the task",
    )
    assert thread != threading.main_thread().name
    assert eager is False


def test_the_worker_consumes_only_its_own_queue(celery_worker):
    consumed = set(celery_worker.app.amqp.queues.consume_from)
    assert consumed == {celery_worker.test_queue}
    assert app.conf.task_default_queue == celery_worker.test_queue


def test_without_the_worker_tasks_run_eagerly_in_the_test():
    assert app.conf.task_always_eager is True
    worker_echo.delay("in process")
    assert ("in process", threading.current_thread().name, True) in received


def test_wait_for_fails_after_its_timeout(wait_for):
    with pytest.raises(pytest.fail.Exception, match=r"Waited 0\.1 s for nothing"):
        wait_for(lambda: False, timeout=0.1, message="nothing")
