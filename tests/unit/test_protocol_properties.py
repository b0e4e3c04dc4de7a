"""Property: whatever faults strike, the notifications delivered are the true transitions, in order, per job.

Hypothesis drives random sequences of status changes and polls with injected faults (SNS and EventBridge
refusing, DynamoDB throttling writes, Personalize throttling describes, the function dying before or
after a publish, two polls at once). Then the faults stop and polls run until nothing is owed. None may
be lost; a duplicate may only come from the documented window (SNS accepted, then the function died or
the write recording it failed) and then carries the same id.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifier import watched
from notifier.arns import parse_arn
from notifier.poller import Poller, PollSettings
from notifier.watched import Snapshot
from tests.fakes import FakeChannel, FakePersonalize, FakeStore, FunctionDied

pytestmark = pytest.mark.unit

PATHS = [
    ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"),
    ("CREATE PENDING", "CREATE IN_PROGRESS", "CREATE FAILED"),
    ("CREATE PENDING", "ACTIVE"),
    ("CREATE PENDING", "QUEUED FOR RETRY", "CREATE IN_PROGRESS", "ACTIVE"),  # an unknown status is a status
]
SETTINGS = PollSettings(max_concurrency=2, stuck_after=None, list_threshold=99)

faults = st.fixed_dictionaries(
    {
        "sns_refuses": st.integers(0, 2),
        "events_refuses": st.integers(0, 2),
        "throttled_jobs": st.sets(st.integers(0, 2), max_size=2),
        "failing_saves": st.sets(st.integers(1, 6), max_size=2),
        "dies": st.sampled_from([None, "sns-before", "sns-after", "events-after"]),
        "overlapping_poll": st.booleans(),
    }
)
steps = st.lists(
    st.one_of(st.tuples(st.just("advance"), st.integers(0, 2)), st.tuples(st.just("poll"), faults)), max_size=25
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class FrozenReads:
    """The view of a poll that read the table before another poll wrote to it."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._read = list(store.active_records())

    def active_records(self):
        return self._read

    def save(self, job, expected_version) -> None:
        self._store.save(job, expected_version)

    def touch(self, jobs_, checked_at) -> None:
        self._store.touch(jobs_, checked_at)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths=st.lists(st.sampled_from(PATHS), min_size=1, max_size=3), plan=steps)
def test_delivered_notifications_are_exactly_the_true_transitions(paths, plan) -> None:
    clock, store, personalize = Clock(), FakeStore(), FakePersonalize()
    sns, events = FakeChannel("sns"), FakeChannel("events")
    arns = [f"arn:aws:personalize:us-east-1:123456789012:dataset-export-job/job-{i}" for i in range(len(paths))]
    position = dict.fromkeys(arns, 0)
    for arn, path in zip(arns, paths, strict=True):
        personalize.statuses[arn] = path[0]
        store.add(watched.start_watching(parse_arn(arn), clock(), Snapshot(status=path[0])))

    def poller() -> Poller:
        return Poller(store, personalize, [sns, events], settings=SETTINGS, clock=clock)

    def poll(late: Poller | None = None) -> None:
        with contextlib.suppress(FunctionDied):
            poller().poll()
        if late is not None:
            with contextlib.suppress(FunctionDied):
                late.poll()
        clock.now += timedelta(minutes=5)  # the next scheduled poll; leases of dead polls have expired

    for action, argument in plan:
        if action == "advance":
            arn = arns[argument % len(arns)]
            path = paths[arns.index(arn)]
            observed = store.items[arn].status == personalize.statuses[arn]
            if observed and position[arn] + 1 < len(path):  # polls outpace jobs: each status is seen
                position[arn] += 1
                personalize.statuses[arn] = path[position[arn]]
            continue
        sns.fail_next, events.fail_next = argument["sns_refuses"], argument["events_refuses"]
        personalize.throttled = {arns[i % len(arns)] for i in argument["throttled_jobs"]}
        store.throttle_saves = {store.saves + offset for offset in argument["failing_saves"]}
        sns.die_before_next = argument["dies"] == "sns-before"
        sns.die_after_next = argument["dies"] == "sns-after"
        events.die_after_next = argument["dies"] == "events-after"
        late = None
        if argument["overlapping_poll"]:
            late = poller()
            late._store = FrozenReads(store)
        poll(late)

    # The faults stop; polls go on until every status is seen and nothing is owed.
    sns.fail_next = events.fail_next = 0
    sns.die_before_next = sns.die_after_next = events.die_after_next = False
    personalize.throttled, store.throttle_saves = set(), set()
    for _ in range(6):
        poll()
    assert not any(job.pending for job in store.items.values())

    window = set(sns.died_after) | set(events.died_after) | store.unrecorded
    for channel in (sns, events):
        ids = [n.id for n in channel.delivered]
        duplicated = {i for i in ids if ids.count(i) > 1}
        assert duplicated <= window, f"{channel.name} sent {duplicated - window} twice outside the window"
        for arn, path in zip(arns, paths, strict=True):
            first_deliveries = []
            for notification in channel.delivered:
                if notification.document["jobArn"] == arn and notification.id not in {i for i, _ in first_deliveries}:
                    first_deliveries.append((notification.id, notification.document["status"]))
            truth = list(path[1 : position[arn] + 1])
            assert [status for _, status in first_deliveries] == truth, (channel.name, arn)
