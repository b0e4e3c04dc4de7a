"""Putting jobs and resources under watch (validate the ARN, record the current status as the baseline, never
overwrite), and waking a resource at rest when a call changes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from notifier.domain import watched
from notifier.domain.arns import InvalidArn, parse_arn
from notifier.domain.clock import utc_now
from notifier.domain.cloudtrail import ApiCall
from notifier.domain.watched import Watched
from notifier.ports import (
    AlreadyTracked,
    DescribeFailed,
    Describer,
    MalformedItem,
    ResourceNotFound,
    ResourceRejected,
    StaleVersion,
    WatchEnding,
)


@dataclass(frozen=True)
class TrackResult:
    arn: str
    # tracked | already_tracked | invalid | unknown (refused: Personalize does not know it)
    # | woken (a resting resource is polled again) | ignored (nothing to watch: see message)
    outcome: str
    job: Watched | None = None
    message: str = ""
    describe_error: str | None = None  # the error code when Personalize could not be asked (AccessDenied...)


class JobAdder(Protocol):
    """What `track` needs from the store."""

    def add(self, job: Watched) -> None: ...


class RecordStore(JobAdder, Protocol):
    """What a CloudTrail call needs: read a record, and replace it if nobody changed it meanwhile."""

    def get(self, arn: str) -> Watched | MalformedItem | None: ...

    def save(self, job: Watched, expected_version: int | None) -> None: ...


WAKE_ATTEMPTS = 3  # a poll writing the same record at the same moment is rare; more tries would not help


def follow_call(
    call: ApiCall, store: RecordStore, describer: Describer | None, clock: Callable[[], datetime] = utc_now
) -> TrackResult:
    """A Create... call starts watching what it made. A call that changes a resource wakes its record, or,
    if nobody watched it yet, starts watching it now (its update is the news); a deletion of something not
    watched is not news."""
    if call.creates:
        return track(call.arn, store, describer, clock)
    for _ in range(WAKE_ATTEMPTS):
        record = store.get(call.arn)
        if record is None:
            if call.deletes:
                return TrackResult(arn=call.arn, outcome="ignored", message=f"{call.name} of something not watched")
            return track(call.arn, store, describer, clock)
        if isinstance(record, MalformedItem):
            return TrackResult(arn=call.arn, outcome="invalid", message=f"its table item is malformed: {record.reason}")
        woken = watched.wake(record, clock(), call.name)
        if woken is None:
            return TrackResult(arn=call.arn, outcome="ignored", message="no longer watched", job=record)
        try:
            store.save(woken, record.version)
        except StaleVersion:
            continue  # a poll wrote it meanwhile: read it again
        return TrackResult(arn=call.arn, outcome="woken", job=woken, message=f"woken by {call.name}")
    return TrackResult(arn=call.arn, outcome="ignored", message="changed by polls at the same moment; left to them")


def track(
    arn: str,
    store: JobAdder,
    describer: Describer | None,
    clock: Callable[[], datetime] = utc_now,
    *,
    refuse_unknown: bool = False,
) -> TrackResult:
    """Track one job. A job that cannot be described yet is tracked anyway; the poll will tell what it finds.

    With `refuse_unknown` (a person typing ARNs), a job Personalize says does not exist is not written: a
    typo is refused now rather than reported by a `not_found` email later. A CloudTrail event names a job
    that was just created, so the auto-track Lambda keeps the lenient default.
    """
    try:
        parsed = parse_arn(arn)
    except InvalidArn as exc:
        return TrackResult(arn=str(arn), outcome="invalid", message=str(exc))
    job = watched.start_watching(parsed, clock())
    note, describe_error = "", None
    if describer is not None:
        try:
            job = watched.start_watching(parsed, clock(), describer.describe(job), watch_id=job.watch_id)
        except ResourceNotFound:
            what = parsed.kind.label.lower()
            if refuse_unknown:
                return TrackResult(arn=arn, outcome="unknown", message=f"Personalize does not know this {what}")
            note = f"Personalize does not know this {what}; the next poll reports it if that stays so"
        except ResourceRejected as exc:
            note = f"Personalize rejected it ({exc}); the next poll reports it if that stays so"
        except DescribeFailed as exc:
            note, describe_error = f"could not describe it now ({exc.code}); the next poll will", exc.code
    if job.finished:
        note = "already finished, nothing to wait for"
    try:
        store.add(job)
    except WatchEnding:
        raise  # not "already tracked": the new resource must be watched, so this is tried again (Lambda retries)
    except AlreadyTracked:
        return TrackResult(arn=arn, outcome="already_tracked", message="already tracked; nothing changed")
    return TrackResult(arn=arn, outcome="tracked", job=job, message=note, describe_error=describe_error)


class InvalidTaskInput(ValueError):
    """A Step Functions task invoked the track function with input it cannot wait on: the task fails at once
    with this error and its one-line message (the token itself is never in it: it is the execution's secret)."""


TOKEN_MAX_CHARS = 2048  # SendTaskSuccess taskToken: 1 to 2048 characters (botocore's model)
# A task's HeartbeatSeconds: a positive whole number of seconds, shorter than the task's timeout (Amazon States
# Language, "Task state"; Step Functions' own limit is a year, its longest execution: "Step Functions service
# quotas").
HEARTBEAT_MAX_SECONDS = 31_536_000
# Tasks one record keeps: each token is up to 2 KB and a DynamoDB item at most 400 KB (developer guide, "Service,
# account, and table quotas"): well inside it, with the record's own history.
TASKS_PER_RECORD = 50


def await_task(
    arn: object,
    token: object,
    store: RecordStore,
    describer: Describer | None,
    clock: Callable[[], datetime] = utc_now,
    *,
    heartbeat_seconds: object = None,
) -> TrackResult:
    """A task waits on this ARN with this token (lambda:invoke.waitForTaskToken): it is watched (tracked now if
    it was not), and the token kept on its record until the poll answers it; with `heartbeat_seconds` (the task's
    HeartbeatSeconds), the poll sends it heartbeats meanwhile. Bad input raises InvalidTaskInput."""
    if not isinstance(token, str) or not 1 <= len(token) <= TOKEN_MAX_CHARS:
        length = len(token) if isinstance(token, str) else type(token).__name__
        raise InvalidTaskInput(f"taskToken must be a string of 1 to {TOKEN_MAX_CHARS} characters (got {length})")
    heartbeat = _heartbeat(heartbeat_seconds)
    try:
        parsed = parse_arn(arn)
    except InvalidArn as exc:
        raise InvalidTaskInput(f"arn: {exc}") from None
    try:
        tracked = track(parsed.arn, store, describer, clock, refuse_unknown=True)
    except WatchEnding:
        raise RuntimeError(
            f"{parsed.arn}: its last watch ends with the next poll (notifications owed); invoke again after it"
        ) from None
    if tracked.outcome == "unknown":
        raise InvalidTaskInput(f"arn: Personalize does not know {parsed.arn} (check its region, account and name)")
    for _ in range(WAKE_ATTEMPTS):
        record = store.get(parsed.arn)
        if record is None:
            continue  # untracked this very moment: track it again
        if isinstance(record, MalformedItem):
            raise InvalidTaskInput(f"arn: the table item of {parsed.arn} is malformed: {record.reason}")
        if len(record.task_tokens) >= TASKS_PER_RECORD:
            raise InvalidTaskInput(f"arn: {TASKS_PER_RECORD} tasks wait on {parsed.arn} already")
        waiting = watched.await_task(record, token, clock(), heartbeat)
        if waiting is None:
            return TrackResult(arn=parsed.arn, outcome="waiting", job=record, message="this task waits already")
        try:
            store.save(waiting, record.version)
        except StaleVersion:
            continue  # a poll wrote it meanwhile: read it again
        return TrackResult(arn=parsed.arn, outcome="waiting", job=waiting, message=tracked.outcome)
    raise RuntimeError(f"{parsed.arn}: changed by polls at the same moment {WAKE_ATTEMPTS} times; invoke again")


def _heartbeat(value: object) -> int | None:
    """The task's HeartbeatSeconds as its input gives them (absent: it asked for none)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= HEARTBEAT_MAX_SECONDS:
        raise InvalidTaskInput(
            f"heartbeatSeconds must be a whole number of seconds from 1 to {HEARTBEAT_MAX_SECONDS} (got {value!r})"
        )
    return value
