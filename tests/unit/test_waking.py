"""Waking a resource at rest from CloudTrail's record of a call that changes it, against an in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifier.domain import watched
from notifier.domain.arns import parse_arn
from notifier.domain.cloudtrail import ApiCall
from notifier.domain.watched import Snapshot
from notifier.usecases.tracking import follow_call
from tests.fakes import FakeStore

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/home-page"


def resting_campaign(store: FakeStore) -> None:
    store.add(watched.start_watching(parse_arn(CAMPAIGN), NOW, Snapshot(status="ACTIVE")))
    assert not store.items[CAMPAIGN].in_active_index


class PollWritesFirst(FakeStore):
    """A poll writes the record between the wake's read and its write, `times` times."""

    times: int = 1

    def save(self, job, expected_version):
        if self.times and expected_version is not None:
            self.times -= 1
            current = self.items[job.arn]
            self.items[job.arn] = current.evolve(version=current.version + 1)
        super().save(job, expected_version)


def test_a_wake_that_loses_a_race_with_a_poll_reads_again_and_wakes() -> None:
    store = PollWritesFirst()
    resting_campaign(store)
    result = follow_call(ApiCall("UpdateCampaign", CAMPAIGN), store, None, clock=lambda: NOW)
    assert result.outcome == "woken" and store.items[CAMPAIGN].in_active_index
    assert store.items[CAMPAIGN].woken_by == "UpdateCampaign"


def test_a_wake_that_always_loses_gives_up_without_writing() -> None:
    store = PollWritesFirst()
    store.times = 99
    resting_campaign(store)
    result = follow_call(ApiCall("StopRecommender", CAMPAIGN), store, None, clock=lambda: NOW)
    assert result.outcome == "ignored" and not store.items[CAMPAIGN].in_active_index


def test_a_deletion_of_something_not_watched_writes_nothing() -> None:
    store = FakeStore()
    result = follow_call(ApiCall("DeleteCampaign", CAMPAIGN), store, None, clock=lambda: NOW)
    assert result.outcome == "ignored" and store.items == {}
