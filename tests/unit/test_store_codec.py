"""The table item layout: round trips, the sparse index key, and hand-edited items reported, not crashing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from boto3.dynamodb.types import TypeSerializer

from notifier.adapters.items import decode_or_report, encode
from notifier.domain import watched
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
