"""Waiting until jobs and resources settle, for pipelines: `notifier wait`, and `wait_for` from Python
(notifier.app.waiting gives it this process's AWS).

Two ways to know: describing each ARN directly (no stack needed), or reading the table the deployed poll keeps
(the ARN tracked first if it is not), so a hundred waiting pipelines add no describe calls at all. Either way the
wait looks again after a short first interval, then further apart with jitter, never longer than a ceiling, so
the end is told within that ceiling of the look that sees it; a throttled look waits longer.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from notifier.domain import watched
from notifier.domain.arns import parse_arn
from notifier.domain.clock import utc_now
from notifier.domain.cloudtrail import ApiCall
from notifier.domain.kinds import Outcome
from notifier.domain.watched import Event, PendingNotification, Watched, iso
from notifier.ports import DescribeFailed, MalformedItem, NotifierError, ResourceNotFound, ResourceRejected
from notifier.rendering.document import event_document
from notifier.usecases.tracking import follow_call, track

FIRST_INTERVAL_SECONDS = 5.0  # a job that ends at once is told at once
GROWTH = 1.5
LONGEST_INTERVAL_SECONDS = 30.0  # the longest between two describes: the end is told within it
# The longest between two reads of the table: a read costs no Personalize call, and the poll that told the end
# took some seconds of the 30 already (fast mode: p95 10 s, `make bench ARGS=--notice`).
LONGEST_TABLE_INTERVAL_SECONDS = 10.0
THROTTLED_INTERVAL_SECONDS = 60.0  # after a look Personalize throttled (botocore retried it already)
LONGEST_THROTTLED_SECONDS = 120.0
JITTER = 0.2  # each interval drawn between 80 % and 100 % of its length, so pipelines started together drift apart
# Refusals that looking again will not mend (the identity's permissions, its credentials): the wait ends with them.
LASTING_FAILURES = (
    "AccessDenied",
    "AccessDeniedException",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
)
FAILURES_IN_A_ROW = 5  # other failures of one ARN's look end the wait after this many in a row
_LEASE = timedelta(minutes=2)  # a notification the wait decides is never published: the lease is nominal
_ENDED = {
    Event.NOT_FOUND: "no longer exists in Personalize",
    Event.INVALID: "was rejected by Personalize",
    Event.DELETED: "was deleted",
}


class NotKnown(NotifierError):
    """Personalize does not know this ARN (or rejects it) when the wait begins: bad input, named."""


class WaitTimedOut(NotifierError):
    """The timeout passed before everything settled: what did, and what was still under way."""

    def __init__(self, settled: list[Settled], pending: list[Watched], timeout: float) -> None:
        self.settled, self.pending = settled, pending
        waiting = ", ".join(f"{job.arn} ({job.status or 'status not known yet'})" for job in pending)
        super().__init__(f"still waiting after {timeout:g} s: {waiting}")


@dataclass(frozen=True)
class Settled:
    """How one job or resource settled, and the JSON document a subscriber gets for it."""

    arn: str
    outcome: str  # succeeded, failed, stopped, not_found, invalid, deleted
    status: str | None
    output_path: str | None
    failure_reason: str | None
    document: dict[str, Any] = field(repr=False)

    @property
    def succeeded(self) -> bool:
        return self.outcome == Outcome.SUCCEEDED.value


class Source(Protocol):
    """Where the wait learns how a job stands: `start` it (NotKnown if Personalize does not know it), `read` it;
    `longest` apart at most."""

    longest: float

    def start(self, arn: str) -> Watched: ...

    def read(self, record: Watched) -> Watched: ...


class Describing:
    """Each look describes each ARN still under way, through the notifier's own decisions (watched.observe)."""

    longest = LONGEST_INTERVAL_SECONDS

    def __init__(self, describer: Any, clock: Callable[[], datetime]) -> None:
        self._describer, self._clock = describer, clock

    def start(self, arn: str) -> Watched:
        try:
            snapshot = self._describer.describe_arn(arn)
        except (ResourceNotFound, ResourceRejected) as exc:
            raise NotKnown(f"{arn}: {exc}") from None
        started = watched.start_watching(parse_arn(arn), self._clock(), snapshot)
        return watched.wake(started, self._clock(), "the wait began") or started

    def read(self, record: Watched) -> Watched:
        now = self._clock()
        rested = watched.doze(record, now)
        if rested is not None:
            return rested  # the window closed with nothing under way
        try:
            snapshot = self._describer.describe(record)
        except ResourceNotFound as exc:
            return watched.gone(record, str(exc), now, _LEASE)
        except ResourceRejected as exc:
            return watched.end_watching(record, Event.INVALID, str(exc), now, _LEASE)
        return watched.observe(record, snapshot, now, _LEASE) or record


class ReadingTable:
    """Each look reads the records the deployed poll keeps (no Personalize call); an ARN not yet tracked is
    tracked first, as `notifier track` would."""

    longest = LONGEST_TABLE_INTERVAL_SECONDS

    def __init__(self, store: Any, describer: Any, clock: Callable[[], datetime]) -> None:
        self._store, self._describer, self._clock = store, describer, clock

    def start(self, arn: str) -> Watched:
        result = track(arn, self._store, self._describer, refuse_unknown=True, clock=self._clock)
        if result.outcome == "unknown":
            raise NotKnown(f"{arn}: {result.message}")
        if parse_arn(arn).kind.lives_on:  # the poll describes it again before the wait believes it at rest
            follow_call(ApiCall(name="the wait began", arn=arn), self._store, None, self._clock)
        return self._record(arn)

    def read(self, record: Watched) -> Watched:
        return self._record(record.arn)

    def _record(self, arn: str) -> Watched:
        found = self._store.get(arn)
        if isinstance(found, MalformedItem):
            raise NotifierError(f"the table item for {arn} is malformed: {found.reason}")
        if found is None:
            raise NotifierError(f"{arn} is no longer tracked in the table (untracked while waiting)")
        return found


def settled(record: Watched, started: datetime) -> Settled | None:
    """How it settled, or None while something is under way. A resource is woken when the wait begins (a
    pipeline calls UpdateCampaign, then waits: the change may not show at once): it has settled once a change
    settled, or nothing changed within the wake window. Its latest update is what it settles with when it began at
    most WAKE_WINDOW before the wait did; an older one is history."""
    if not record.waited_out:
        return None  # under way, or a resource woken for a change that may not show yet
    if record.ended_by is not None:
        outcome = record.ended_by.value
    else:
        outcome = record.outcome.value
        update = record.update
        if update is not None and update.started_at and update.started_at >= iso(started - watched.WAKE_WINDOW):
            outcome = record.kind.outcome(update.status).value
    failure = record.failure_reason if outcome == "failed" else None
    if record.update is not None and outcome == "failed":
        failure = record.update.failure_reason or failure
    if record.ended_by is not None:  # Personalize's own words when the wait saw it, else what they meant
        said = next((owed.detail for owed in reversed(record.pending) if owed.detail), None)
        failure = said or f"{record.kind.label} {record.name} {_ENDED[record.ended_by]}"
    return Settled(
        arn=record.arn,
        outcome=outcome,
        status=record.status,
        output_path=record.output_path if outcome == "succeeded" else None,
        failure_reason=failure,
        document=_document(record, outcome, failure),
    )


def _document(record: Watched, outcome: str, failure: str | None) -> dict[str, Any]:
    """The JSON document subscribers get: the notification the wait saw decided, else one built the same way
    from the record (in the table, the poll's own may be published and gone)."""
    if record.pending:
        return event_document(record, record.pending[-1])
    event = record.ended_by or Event.TRANSITION
    previous = record.history[-2].status if len(record.history) > 1 else None
    owed = PendingNotification(
        id=watched.notification_id(record.arn, record.version, record.watch_id),
        event=event,
        old_status=previous,
        new_status=record.status,
        at=record.history[-1].at if record.history else record.last_checked_at,
        output_path=record.output_path if outcome == "succeeded" else None,
        failure_reason=failure if event is Event.TRANSITION else None,
        detail=failure if event is not Event.TRANSITION else None,
    )
    return event_document(record, owed)


def next_interval(
    previous: float | None,
    throttled: bool,
    draw: Callable[[], float] = random.random,
    longest: float = LONGEST_INTERVAL_SECONDS,
) -> float:
    """The first look soon, then further apart, at most `longest` (longer, within a second ceiling, after a
    throttle), each drawn between 80 % and 100 % of that: pipelines started together drift apart."""
    base = FIRST_INTERVAL_SECONDS if previous is None else previous * GROWTH
    floor, ceiling = (THROTTLED_INTERVAL_SECONDS, LONGEST_THROTTLED_SECONDS) if throttled else (0.0, longest)
    return min(max(base, floor), ceiling) * (1 - JITTER * draw())


def wait_on(
    source: Source,
    arns: Sequence[str],
    *,
    timeout: float | None = None,
    on_settled: Callable[[Settled], None] | None = None,
    on_progress: Callable[[list[Watched], float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    clock: Callable[[], datetime] = utc_now,
) -> list[Settled]:
    """Until every ARN settles (in the order given), or WaitTimedOut; NotKnown for an ARN Personalize does not
    know at the start. `on_settled` hears each as it settles; `on_progress` what is still under way."""
    begun, started = monotonic(), clock()
    records = {arn: source.start(arn) for arn in dict.fromkeys(arns)}
    done: dict[str, Settled] = {}
    interval: float | None = None
    throttled = False
    failures: dict[str, int] = {}  # ARN -> looks that failed in a row
    while True:
        for arn, record in records.items():
            if arn not in done and (result := settled(record, started)) is not None:
                done[arn] = result
                if on_settled:
                    on_settled(result)
        pending = [record for arn, record in records.items() if arn not in done]
        if not pending:
            return [done[arn] for arn in dict.fromkeys(arns)]
        elapsed = monotonic() - begun
        if on_progress:
            on_progress(pending, elapsed)
        interval = next_interval(interval, throttled, longest=source.longest)
        if timeout is not None:
            if elapsed >= timeout:
                raise WaitTimedOut([done[a] for a in records if a in done], pending, timeout)
            interval = min(interval, timeout - elapsed)
        sleep(interval)
        throttled = False
        for record in pending:
            try:
                records[record.arn] = source.read(record)
                failures.pop(record.arn, None)
            except DescribeFailed as exc:
                if "Throttl" in exc.code or "TooManyRequests" in exc.code:
                    throttled = True
                    continue
                failures[record.arn] = failures.get(record.arn, 0) + 1
                if exc.code in LASTING_FAILURES or failures[record.arn] >= FAILURES_IN_A_ROW:
                    raise
