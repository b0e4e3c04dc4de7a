"""The table item layout: round trips, the sparse index key, and hand-edited items reported, not crashing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from boto3.dynamodb.types import TypeSerializer

from notifier.adapters.items import decode_any, decode_or_report, encode, encode_usage_clock
from notifier.domain import usage, watched
from notifier.domain.arns import parse_arn
from notifier.domain.watched import Snapshot
from notifier.ports import MalformedItem

pytestmark = pytest.mark.unit

ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly"
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def wire(item: dict) -> dict:
    serializer = TypeSerializer()
    return {key: serializer.serialize(value) for key, value in item.items() if value is not None}


def owed_job():
    job = watched.start_watching(parse_arn(ARN), NOW, Snapshot(status="CREATE PENDING"))
    return watched.observe(job, Snapshot(status="CREATE FAILED", failure_reason="bad"), NOW, timedelta(minutes=2))


def test_round_trip_keeps_every_field() -> None:
    job = owed_job()
    assert decode_or_report(wire(encode(job))) == job


def test_the_active_index_key_is_present_only_while_polled_or_owed() -> None:
    job = owed_job()
    assert encode(job)["activeShard"] == "active"
    done = watched.after_publish(job, 1, NOW, timedelta(days=1))
    assert encode(done)["activeShard"] is None
    assert encode(done)["expiresAt"] == int((NOW + timedelta(days=1)).timestamp())


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ({"version": "3"}, "version must be a whole number"),
        ({"jobKind": "batch-magic"}, "jobKind 'batch-magic' is not a known job kind"),
        ({"history": "CREATE PENDING"}, "history must be a list"),
        ({"status": 7}, "status must be a string"),
        ({"pending": ["not a map"]}, "pending entry 'not a map' is not a map"),
        ({"history": [None]}, "history entry None is not a map"),
        ({"jobName": None}, "jobName must be a non-empty string"),
    ],
)
def test_hand_edited_items_are_reported_with_the_reason(edit, reason) -> None:
    item = {**encode(owed_job()), **edit}
    result = decode_or_report(wire(item))
    assert isinstance(result, MalformedItem)
    assert result.key == ARN
    assert reason in result.reason


CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/home-page"


def idle_campaign() -> watched.Watched:
    """An ACTIVE campaign at rest whose last reading was told idle: the usage state and the notice it owes."""
    resting = watched.start_watching(
        parse_arn(CAMPAIGN), NOW, Snapshot(status="ACTIVE", facts=(("Minimum TPS", "10"),))
    )
    reading = usage.reading_of([], now=NOW, active_since=NOW - timedelta(days=2), minimum=10.0, window_hours=24)
    state = usage.next_state(None, reading, usage.Usage.IDLE, usage.Usage.IDLE, NOW)
    return watched.read_usage(resting, state, usage.Usage.IDLE, NOW, timedelta(minutes=2))


def test_a_usage_reading_and_its_notice_round_trip_and_a_resting_campaign_is_in_the_serving_partition() -> None:
    told = idle_campaign()
    assert decode_or_report(wire(encode(told))) == told
    assert encode(told)["activeShard"] == "active"  # a notice owed: polled until it is published
    published = watched.after_publish(told, 1, NOW, timedelta(days=1))
    assert decode_or_report(wire(encode(published))) == published
    assert encode(published)["activeShard"] == "serving"  # at rest, ACTIVE: read once an hour for its usage
    deleted = published.evolve(ended_by=watched.Event.DELETED)
    assert encode(deleted)["activeShard"] is None  # it bills nothing: read by nothing


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ({"usage": {"verdict": "idle"}}, "usage has no reading"),
        ({"usage": {"reading": {"readAt": "2026-11-24T00:00:00.000Z"}}}, "windowHours must be a whole number"),
        ({"usage": {"reading": "idle"}}, "usage reading 'idle' is not a map"),
        ({"usage": {"verdict": "busy", "reading": {}}}, "readAt must be a non-empty string"),
    ],
)
def test_a_half_written_usage_reading_is_reported_not_read(edit, reason) -> None:
    item = {**encode(idle_campaign()), **edit}
    result = decode_or_report(wire(item))
    assert isinstance(result, MalformedItem) and reason in result.reason, result


@pytest.mark.parametrize("backfilled", [False, True])
def test_the_usage_clock_round_trips_and_one_written_before_backfilling_is_not_backfilled(backfilled: bool) -> None:
    clock = usage.UsageClock(next_read_at="2026-12-05T10:00:00.000Z", version=3, backfilled=backfilled)
    item = wire(encode_usage_clock(clock))
    assert decode_any(item) == clock
    del item["backfilled"]  # a clock the first release of usage reading wrote
    assert decode_any(item) == usage.UsageClock(next_read_at=clock.next_read_at, version=3)
