"""When a campaign or recommender began to bill, which is when its window of use starts: from the moves the notifier
saw, never from a lastUpdatedDateTime an update or an automatic sync moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifier.domain.arns import parse_arn
from notifier.domain.watched import Snapshot, StatusChange, iso, start_watching
from notifier.usecases.poll.usage import active_since

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/home-page"
RECOMMENDER = "arn:aws:personalize:us-east-1:123456789012:recommender/top-picks"


def found_active(arn: str, created_days_ago: float, updated_hours_ago: float):
    """Tracked while ACTIVE: Personalize's dates are all the notifier knows."""
    snapshot = Snapshot(
        status="ACTIVE",
        created_at=iso(NOW - timedelta(days=created_days_ago)),
        updated_at=iso(NOW - timedelta(hours=updated_hours_ago)),
    )
    return start_watching(parse_arn(arn), NOW, snapshot)


def test_a_campaign_found_active_bills_since_its_creation_not_its_last_sync() -> None:
    record = found_active(CAMPAIGN, created_days_ago=30, updated_hours_ago=1)  # synced after last night's training
    assert active_since(record) == NOW - timedelta(days=30)


def test_a_recommender_found_active_bills_since_its_last_update_which_a_start_is() -> None:
    record = found_active(RECOMMENDER, created_days_ago=30, updated_hours_ago=3)
    assert active_since(record) == NOW - timedelta(hours=3)


@pytest.mark.parametrize("arn", [CAMPAIGN, RECOMMENDER])
def test_a_move_to_active_the_notifier_saw_is_when_it_began_to_bill_whatever_updates_followed(arn: str) -> None:
    became = NOW - timedelta(days=3)
    history = (
        StatusChange("CREATE IN_PROGRESS", iso(became - timedelta(minutes=20))),
        StatusChange("ACTIVE", iso(became)),
        StatusChange("update UPDATE IN_PROGRESS", iso(NOW - timedelta(hours=2))),
        StatusChange("update ACTIVE", iso(NOW - timedelta(hours=1))),
    )
    record = found_active(arn, created_days_ago=3, updated_hours_ago=1).evolve(history=history)
    assert active_since(record) == became


def test_a_recommender_started_again_bills_since_it_was_seen_active_again() -> None:
    started = NOW - timedelta(hours=5)
    history = (
        StatusChange("ACTIVE", iso(NOW - timedelta(days=9))),
        StatusChange("INACTIVE", iso(NOW - timedelta(days=2))),
        StatusChange("START IN_PROGRESS", iso(started - timedelta(minutes=10))),
        StatusChange("ACTIVE", iso(started)),
    )
    record = found_active(RECOMMENDER, created_days_ago=9, updated_hours_ago=5).evolve(history=history)
    assert active_since(record) == started


def test_a_campaign_found_active_without_its_creation_date_bills_since_its_last_update_at_least() -> None:
    snapshot = Snapshot(status="ACTIVE", updated_at=iso(NOW - timedelta(days=2)))
    record = start_watching(parse_arn(CAMPAIGN), NOW, snapshot)
    assert active_since(record) == NOW - timedelta(days=2)
