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
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from notifier.domain import watched
from notifier.domain.arns import parse_arn
from notifier.domain.watched import Snapshot
from notifier.usecases.poll.poller import Poller
from notifier.usecases.poll.report import PollSettings
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


def strike(
    fault: dict, arns: list[str], store: FakeStore, personalize, *, sns: FakeChannel, events: FakeChannel
) -> None:
    """Arm the faults of one poll."""
    sns.fail_next, events.fail_next = fault["sns_refuses"], fault["events_refuses"]
    personalize.throttled = {arns[i % len(arns)] for i in fault["throttled_jobs"]}
    store.throttle_saves = {store.saves + offset for offset in fault["failing_saves"]}
    sns.die_before_next = fault["dies"] == "sns-before"
    sns.die_after_next = fault["dies"] == "sns-after"
    events.die_after_next = fault["dies"] == "events-after"


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
        strike(argument, arns, store, personalize, sns=sns, events=events)
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


NO_FAULTS = {
    "sns_refuses": 0,
    "events_refuses": 0,
    "throttled_jobs": set(),
    "failing_saves": set(),
    "dies": None,
    "overlapping_poll": False,
}
lifecycle_steps = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.integers(0, 2)),
        st.tuples(st.just("poll"), st.one_of(st.just(NO_FAULTS), faults)),  # half the polls without faults
        st.tuples(st.just("retrack"), st.integers(0, 2)),  # notifier untrack, then notifier track
        st.tuples(st.just("vanish"), st.integers(0, 2)),  # deleted in Personalize: one not_found
        st.tuples(st.just("recreate"), st.integers(0, 2)),  # created again under the same name (same ARN)
    ),
    max_size=30,
)


POLL = ("poll", NO_FAULTS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths=st.lists(st.sampled_from(PATHS), min_size=1, max_size=2), plan=lifecycle_steps)
# Always among the examples: a re-track, and a deletion then re-creation, each followed by news.
@example(paths=[PATHS[0]], plan=[("advance", 0), POLL, ("retrack", 0), ("advance", 0), POLL, POLL])
@example(
    paths=[PATHS[0]],
    plan=[("advance", 0), POLL, ("vanish", 0), POLL, POLL, ("recreate", 0), ("advance", 0), POLL, POLL],
)
def test_every_watch_of_an_arn_delivers_its_own_notifications_with_ids_never_reused(paths, plan) -> None:
    """Whole lifecycles: track, changes, untrack and track again, deletion and re-creation under the same
    name, with faults. Each real notification has one id (a retry keeps it, another watch never repeats it), so
    a subscriber that drops ids it has seen still gets every notification, in order, per ARN."""
    clock, store, personalize = Clock(), FakeStore(), FakePersonalize()
    sns, events = FakeChannel("sns"), FakeChannel("events")
    arns = [f"arn:aws:personalize:us-east-1:123456789012:dataset-export-job/job-{i}" for i in range(len(paths))]
    position = dict.fromkeys(arns, 0)
    truth: dict[str, list[tuple[str, str]]] = {arn: [] for arn in arns}  # (event, status) per real notification

    def watch(arn: str) -> None:
        """What `notifier track` writes (the user's write: the poll's injected faults are not for it)."""
        faults, store.throttle_saves = store.throttle_saves, set()
        store.add(watched.start_watching(parse_arn(arn), clock(), Snapshot(status=personalize.statuses[arn])))
        store.throttle_saves = faults

    for arn, path in zip(arns, paths, strict=True):
        personalize.statuses[arn] = path[0]
        watch(arn)

    def caught_up(arn: str) -> bool:
        """Every change so far has been seen and told: what the next step does is its own news."""
        record = store.items.get(arn)
        return record is not None and not record.pending and record.status == personalize.statuses.get(arn)

    def poll() -> None:
        with contextlib.suppress(FunctionDied):
            Poller(store, personalize, [sns, events], settings=SETTINGS, clock=clock).poll()
        clock.now += timedelta(minutes=5)

    for action, argument in plan:
        if action == "poll":
            strike(argument, arns, store, personalize, sns=sns, events=events)
            poll()
            continue
        arn = arns[argument % len(arns)]
        path = paths[arns.index(arn)]
        if action == "advance" and caught_up(arn) and position[arn] + 1 < len(path):
            position[arn] += 1
            personalize.statuses[arn] = path[position[arn]]
            truth[arn].append(("transition", path[position[arn]]))
        elif action == "retrack" and caught_up(arn):
            assert store.delete(arn)
            watch(arn)  # the status now is the new watch's baseline, not news
        elif action == "vanish" and caught_up(arn) and not store.items[arn].finished:
            truth[arn].append(("not_found", personalize.statuses.pop(arn)))
        elif action == "recreate" and arn not in personalize.statuses and store.items[arn].watch_over:
            position[arn] = 0
            personalize.statuses[arn] = path[0]
            watch(arn)  # replaces the ended watch: no AlreadyTracked

    sns.fail_next = events.fail_next = 0
    sns.die_before_next = sns.die_after_next = events.die_after_next = False
    personalize.throttled, store.throttle_saves = set(), set()
    for _ in range(6):
        poll()

    for channel in (sns, events):
        told: dict[str, tuple[str, str, str]] = {}
        for notification in channel.delivered:
            document = notification.document
            said = (document["jobArn"], document["event"], document["status"])
            assert told.setdefault(notification.id, said) == said, f"{channel.name}: one id, two notifications"
        for arn in arns:
            kept = [(event, status) for (job, event, status) in told.values() if job == arn]
            assert kept == truth[arn], (channel.name, arn)
