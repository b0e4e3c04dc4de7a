"""The new cadence: polls every minute, and in fast mode re-checks every few seconds within an invocation.

What a subscriber sees must not change with the cadence: each transition once, none lost, even with
publishes failing between re-checks; and an invocation with nothing active costs one query and returns.
"""

from __future__ import annotations

import dataclasses
import io

import pytest

from bench.counters import DynamoCounter
from notifier.app.compose import PollCycle
from notifier.observability import logger
from notifier_local import personalize as emulator
from tests.conftest import World
from tests.integration.test_delivery_protocol import break_topic, mend_topic
from tests.integration.test_poll_handler import SCHEDULED_EVENT, FakeLambdaContext, load_handler

pytestmark = pytest.mark.integration


class Invocation:
    """One Lambda invocation's clock: `remaining` seconds left, moved on by each re-check's sleep; and what
    Personalize does meanwhile (`moves`: before the re-check N, these jobs take these statuses)."""

    def __init__(self, world: World, timeout: float, moves: dict[int, list[tuple[str, str]]] | None = None) -> None:
        self.world, self.left, self.moves, self.sleeps = world, timeout, moves or {}, 0

    def remaining(self) -> float:
        return self.left

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.left -= seconds
        self.world.clock.advance(seconds=seconds)
        for arn, status in self.moves.get(self.sleeps, []):
            if status == "broken-topic":
                break_topic(self.world)
            elif status == "mended-topic":
                mend_topic(self.world)
            else:
                emulator.set_status(arn, status)


def cycle(world: World, recheck: int) -> PollCycle:
    cycle = PollCycle(dataclasses.replace(world.settings, recheck_seconds=recheck), world.session)
    cycle.poller._clock = world.clock
    return cycle


def test_an_idle_invocation_returns_at_once_after_one_query(world: World) -> None:
    world.poll()  # a table's first poll starts the usage clock (notifier.usecases.poll.usage)
    invocation = Invocation(world, timeout=55)
    idle = cycle(world, recheck=5)
    requests = DynamoCounter(idle._store._client)
    emulator.calls.reset()
    report = idle.run(invocation.remaining, invocation.sleep)
    assert report.idle and invocation.sleeps == 0 and emulator.calls.total() == 0
    assert (requests.reads, requests.writes) == (1, 0)


def test_the_idle_handler_writes_no_metrics_and_no_log_line(world: World, monkeypatch, capsys) -> None:
    module = load_handler(monkeypatch, TABLE_NAME=world.table_name, TOPIC_ARN=world.topic_arn, RECHECK_SECONDS="5")
    logs = io.StringIO()  # the logger keeps the stream it was made with: read it, not only stdout
    stream = logger.registered_handler.stream
    logger.registered_handler.setStream(logs)
    try:
        summary = module.handler(SCHEDULED_EVENT, FakeLambdaContext(remaining_ms=55_000))
    finally:
        logger.registered_handler.setStream(stream)
    assert summary["jobs_read"] == 0
    # Nothing for CloudWatch Logs to ingest: no EMF metrics (printed), no log record.
    assert (capsys.readouterr().out, logs.getvalue()) == ("", "")


def test_fast_mode_tells_each_change_within_the_invocation_once(world: World) -> None:
    first, second = world.export_job("first"), world.export_job("second")
    world.track(first)
    world.track(second)
    invocation = Invocation(
        world,
        timeout=55,
        moves={1: [(first, "CREATE IN_PROGRESS"), (second, "CREATE IN_PROGRESS")], 2: [(first, "ACTIVE")]},
    )
    invocation.moves[2].append((second, "CREATE FAILED"))
    report = cycle(world, recheck=10).run(invocation.remaining, invocation.sleep)
    received = world.delivered()
    per_job = {
        name: [d.document["status"] for d in received if d.document["jobName"] == name] for name in ("first", "second")
    }
    assert per_job == {"first": ["CREATE IN_PROGRESS", "ACTIVE"], "second": ["CREATE IN_PROGRESS", "CREATE FAILED"]}
    assert len({d.document["id"] for d in received}) == 4
    # Re-checked while something ran; stopped as soon as nothing was left, long before the time ran out.
    assert report.transitions == 4 and invocation.sleeps == 3 and invocation.left == 25


def test_fast_mode_stops_in_time_for_the_margin(world: World) -> None:
    arn = world.export_job("long")
    world.track(arn)
    invocation = Invocation(world, timeout=55)
    cycle(world, recheck=10).run(invocation.remaining, invocation.sleep)
    # Re-checks at 10, 20, 30 and 40 s: another at 50 s would start inside the 15 s margin.
    assert invocation.sleeps == 4 and invocation.left == 15


def test_a_publish_failing_between_re_checks_is_retried_by_the_next_one(world: World) -> None:
    arn = world.export_job("flaky")
    world.track(arn)
    invocation = Invocation(
        world,
        timeout=55,
        moves={1: [("", "broken-topic"), (arn, "ACTIVE")], 2: [("", "mended-topic")]},
    )
    report = cycle(world, recheck=5).run(invocation.remaining, invocation.sleep)
    assert report.publish_errors == 1 and report.leased_elsewhere == 0
    assert [d.document["status"] for d in world.delivered()] == ["ACTIVE"]
    # Told on the very next re-check, 5 s after the failure (not after a lease ran out); one more re-check
    # finds nothing left and ends the invocation.
    assert invocation.sleeps == 3 and world.clock.now.second == 15
