"""The notification protocol under faults: publish failures, overlapping polls, a poll that dies mid-way."""

from __future__ import annotations

import pytest

from notifier.adapters.store import DynamoWatchStore
from notifier.domain.watched import Watched
from notifier.ports import MalformedItem
from notifier_local import personalize as emulator
from tests.conftest import World

pytestmark = pytest.mark.integration


def break_topic(world: World) -> None:
    world.session.client("sns").delete_topic(TopicArn=world.topic_arn)


def mend_topic(world: World) -> None:
    """Recreate the topic (same name, same ARN) and subscribe the queue again."""
    from notifier_local.aws import QueueSubscriber

    sns = world.session.client("sns")
    assert sns.create_topic(Name="job-notifications")["TopicArn"] == world.topic_arn
    world.subscriber = QueueSubscriber(sns, world.session.client("sqs"), world.topic_arn, "subscriber")


def test_a_failed_publish_is_retried_next_poll_and_delivered_exactly_once(world: World) -> None:
    arn = world.export_job("nightly-users")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    break_topic(world)
    report = world.poll()
    assert (report.transitions, report.publish_errors, report.notifications_published) == (1, 1, 0)
    stored = world.store.get(arn)
    assert stored.status == "ACTIVE" and len(stored.pending) == 1 and stored.in_active_index

    mend_topic(world)
    world.clock.advance(minutes=5)
    report = world.poll()
    assert report.notifications_published == 1
    [message] = world.delivered()
    assert message.document["status"] == "ACTIVE"
    assert message.document["id"] == stored.pending[0].id  # the id decided at the transition, not a new one

    world.clock.advance(minutes=5)
    world.poll()
    assert world.delivered() == []
    assert not world.store.get(arn).in_active_index


def test_owed_notifications_keep_their_order_when_more_transitions_follow(world: World) -> None:
    arn = world.export_job("ordered")
    world.track(arn)
    break_topic(world)
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    world.poll()
    world.clock.advance(minutes=5)
    mend_topic(world)
    emulator.set_status(arn, "ACTIVE")
    world.poll()  # re-publishes the owed IN_PROGRESS, then sees ACTIVE on the next describe
    world.clock.advance(minutes=5)
    world.poll()
    assert [d.document["status"] for d in world.delivered()] == ["CREATE IN_PROGRESS", "ACTIVE"]


class FrozenReads:
    """A store whose reads were taken before another poll ran: the view an overlapping poll has."""

    def __init__(self, store: DynamoWatchStore) -> None:
        self._store = store
        self._read: list[Watched | MalformedItem] = list(store.active_records())

    def active_records(self):
        return self._read

    def save(self, job: Watched, expected_version: int | None) -> None:
        self._store.save(job, expected_version)

    def touch(self, jobs, checked_at) -> None:
        self._store.touch(jobs, checked_at)


def test_two_overlapping_polls_notify_one_transition_once(world: World) -> None:
    world.poll()  # the table's first poll (it starts the usage clock)
    arn = world.export_job("raced")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    late = world.poller()
    late._store = FrozenReads(world.store)
    world.poll()
    report = late.poll()
    assert report.lost_races == 1 and report.notifications_published == 0
    assert [d.document["status"] for d in world.delivered()] == ["ACTIVE"]


def test_a_failed_publish_holds_no_lease_so_the_very_next_poll_retries(world: World) -> None:
    arn = world.export_job("retried")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    break_topic(world)
    failed = world.poll()  # owes the ACTIVE notification; nothing is in flight any more
    assert failed.publish_errors == 1 and world.store.get(arn).lease_until is None
    mend_topic(world)
    world.clock.advance(seconds=5)  # the next re-check of a fast poll
    report = world.poll()
    assert report.leased_elsewhere == 0 and report.notifications_published == 1
    assert [d.document["status"] for d in world.delivered()] == ["ACTIVE"]


def test_an_overlapping_poll_leaves_alone_a_publish_that_may_be_in_progress(world: World) -> None:
    arn = world.export_job("leased")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    doomed = world.poller()
    doomed._channels = [DiesAfterTransitionWrite()]  # recorded the change, then never answered
    with pytest.raises(SystemExit):
        doomed.poll()
    world.clock.advance(seconds=30)
    report = world.poll()
    assert report.leased_elsewhere == 1 and world.delivered() == []
    world.clock.advance(minutes=5)
    world.poll()
    assert [d.document["status"] for d in world.delivered()] == ["ACTIVE"]


class DiesAfterTransitionWrite:
    """A publisher whose Lambda is killed (timeout, crash) after the transition was written, before SNS answered."""

    name = "sns"

    def publish(self, notification) -> None:
        raise SystemExit("function died")


def test_a_poll_that_dies_before_publishing_loses_nothing(world: World) -> None:
    arn = world.export_job("survivor")
    world.track(arn)
    emulator.set_status(arn, "CREATE FAILED", failure_reason="Input data too small")
    doomed = world.poller()
    doomed._channels = [DiesAfterTransitionWrite()]
    with pytest.raises(SystemExit):
        doomed.poll()
    assert world.delivered() == []
    world.clock.advance(minutes=5)
    world.poll()
    [message] = world.delivered()
    assert (message.document["status"], message.document["failureReason"]) == ("CREATE FAILED", "Input data too small")
