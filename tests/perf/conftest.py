"""Fixtures of the performance tests."""

import pytest
import redis


@pytest.fixture
def round_trips(monkeypatch) -> list[str]:
    """The Redis round trips made from now on: a command's name, or PIPELINE."""
    trips: list[str] = []
    command, execute = redis.Redis.execute_command, redis.client.Pipeline.execute

    def counted_command(self, *args, **options):
        trips.append(str(args[0]))
        return command(self, *args, **options)

    def counted_pipeline(self, *args, **kwargs):
        trips.append("PIPELINE")
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counted_command)
    monkeypatch.setattr(redis.client.Pipeline, "execute", counted_pipeline)
    return trips
