"""The watched record (one table item) and its decisions: how it changes as Personalize answers. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from notifier.arns import ParsedArn
from notifier.kinds import Kind, Outcome


class Event(StrEnum):
    """Why a notification was sent (the `event` message attribute)."""

    TRANSITION = "transition"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    STUCK = "stuck"


@dataclass(frozen=True)
class Snapshot:
    """What one describe call said about a job, in the API's own words."""

    status: str
    name: str | None = None
    parent_arn: str | None = None
    input_location: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    output_path: str | None = None
    failure_reason: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class Summary:
    """One row of a List...Jobs page: enough to decide whether to track it (no output path in lists)."""

    arn: str
    status: str
    name: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    failure_reason: str | None = None


@dataclass(frozen=True)
class StatusChange:
    status: str
    at: str


@dataclass(frozen=True)
class PendingNotification:
    """A notification decided and stored, not yet confirmed published.

    `id` is deterministic (job ARN and the version that decided it), so a re-publish carries
    the same id as the first attempt and subscribers can drop duplicates.
    """

    id: str
    event: Event
    old_status: str | None
    new_status: str | None
    at: str
    output_path: str | None = None
    failure_reason: str | None = None
    detail: str | None = None
    delivered: tuple[str, ...] = ()  # channels (sns, events) that already accepted it


@dataclass(frozen=True)
class Watched:
    """One item of the tracked-jobs table."""

    arn: str
    kind: Kind
    name: str
    region: str
    tracked_at: str
    last_checked_at: str
    version: int = 0
    status: str | None = None
    history: tuple[StatusChange, ...] = ()
    parent_arn: str | None = None
    input_location: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    output_path: str | None = None
    failure_reason: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    ended_by: Event | None = None  # not_found / invalid: tracking ended without a terminal status
    pending: tuple[PendingNotification, ...] = ()
    lease_until: str | None = None
    expires_at: int | None = None
    stuck_notified: bool = False

    @property
    def outcome(self) -> Outcome:
        return self.kind.outcome(self.status)

    @property
    def finished(self) -> bool:
        """Nothing more to poll: a terminal status, or the job is gone."""
        return self.ended_by is not None or self.kind.is_terminal(self.status)

    @property
    def in_active_index(self) -> bool:
        """Polls read this job: still running, or a notification still owed."""
        return not self.finished or bool(self.pending)

    def evolve(self, **changes: object) -> Watched:
        return replace(self, **changes)  # type: ignore[arg-type]


# --- Decisions: how a tracked job changes. Each returns the next record, or None for "no write". ---

_NOTIFICATION_NAMESPACE = uuid.UUID("5b1f0f0e-3c55-4f51-9d0e-7d1c2a8f7e21")


def iso(moment: datetime) -> str:
    """UTC timestamps as sortable ISO-8601 strings with milliseconds."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def notification_id(arn: str, version: int) -> str:
    """Same job, same deciding version: same id, however often it is re-published."""
    return str(uuid.uuid5(_NOTIFICATION_NAMESPACE, f"{arn}#{version}"))


def start_watching(job_arn: ParsedArn, now: datetime, snapshot: Snapshot | None = None) -> Watched:
    """A job as `track` records it: the status seen at tracking time is the baseline, not a transition."""
    stamp = iso(now)
    job = Watched(
        arn=job_arn.arn,
        kind=job_arn.kind,
        name=job_arn.name,
        region=job_arn.region,
        tracked_at=stamp,
        last_checked_at=stamp,
        version=1,
    )
    if snapshot is None:
        return job
    return _with_details(job, snapshot).evolve(status=snapshot.status, history=(StatusChange(snapshot.status, stamp),))


def observe(job: Watched, snapshot: Snapshot, now: datetime, lease: timedelta) -> Watched | None:
    """Apply what a describe said. None when nothing changed (no write, no notification).

    A status change appends to the history and owes one notification. The first status seen for a job
    tracked before it could be described is a baseline, not a transition, unless it is already the
    outcome the user is waiting for.
    """
    if snapshot.status == job.status:
        return None
    changed = _with_details(job, snapshot).evolve(
        status=snapshot.status, history=(*job.history, StatusChange(snapshot.status, iso(now)))
    )
    if job.status is None and not job.kind.is_terminal(snapshot.status):
        return changed.evolve(version=job.version + 1, last_checked_at=iso(now))
    return _owe(
        changed,
        Event.TRANSITION,
        now,
        lease,
        old_status=job.status,
        output_path=changed.output_path,
        failure_reason=changed.failure_reason,
    )


def end_watching(job: Watched, event: Event, detail: str, now: datetime, lease: timedelta) -> Watched:
    """The job cannot be described any more (gone, or an ARN Personalize rejects): say so once, then stop."""
    return _owe(job.evolve(ended_by=event), event, now, lease, detail=detail)


def lease_held(job: Watched, now: datetime) -> bool:
    """Another poll claimed this job's pending notifications and may be publishing them right now."""
    return job.lease_until is not None and job.lease_until > iso(now)


def claim_pending(job: Watched, now: datetime, lease: timedelta) -> Watched:
    return job.evolve(version=job.version + 1, lease_until=iso(now + lease))


def check_stuck(job: Watched, now: datetime, stuck_after: timedelta | None, lease: timedelta) -> Watched | None:
    """A job running longer than `stuck_after` (from its creation) owes one `stuck` notification, ever."""
    if stuck_after is None or job.stuck_notified or job.finished or job.status is None:
        return None
    started = parse_iso(job.created_at) or parse_iso(job.tracked_at)
    if started is None or now - started < stuck_after:
        return None
    hours = (now - started).total_seconds() / 3600
    detail = f"still {job.status} after {hours:.1f} h (threshold {stuck_after.total_seconds() / 3600:g} h)"
    return _owe(job.evolve(stuck_notified=True), Event.STUCK, now, lease, detail=detail)


def _owe(
    job: Watched, event: Event, now: datetime, lease: timedelta, old_status: str | None = None, **details: str | None
) -> Watched:
    """The next version of `job`, owing one notification whose id that version decides."""
    version = job.version + 1
    owed = PendingNotification(
        id=notification_id(job.arn, version),
        event=event,
        old_status=job.status if event is not Event.TRANSITION else old_status,
        new_status=job.status,
        at=iso(now),
        **details,
    )
    return job.evolve(
        version=version, last_checked_at=iso(now), pending=(*job.pending, owed), lease_until=iso(now + lease)
    )


def after_publish(
    job: Watched, published: int, now: datetime, retention: timedelta, next_delivered: tuple[str, ...] = ()
) -> Watched:
    """Record a publish attempt: drop the notifications confirmed published; a finished job with none owed
    expires after `retention`.

    `next_delivered` records the channels that accepted the first notification still owed, so a retry
    sends it only where it has not arrived yet. The attempt is over, so the lease goes: a lease only covers
    a publish in progress, and what is still owed is for the very next poll to retry, however soon it comes.
    """
    remaining = job.pending[published:]
    if remaining and next_delivered:
        remaining = (replace(remaining[0], delivered=next_delivered), *remaining[1:])
    done = job.finished and not remaining
    return job.evolve(
        version=job.version + 1,
        pending=remaining,
        lease_until=None,
        expires_at=int((now + retention).timestamp()) if done else None,
    )


def parse_iso(value: str | None) -> datetime | None:
    """Our ISO-8601 timestamps back to datetimes; None for absent or unreadable ones."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _with_details(job: Watched, snapshot: Snapshot) -> Watched:
    """Keep what the API said; a field it stopped sending keeps its last known value."""
    return job.evolve(
        name=snapshot.name or job.name,
        parent_arn=snapshot.parent_arn or job.parent_arn,
        input_location=snapshot.input_location or job.input_location,
        facts=snapshot.facts or job.facts,
        output_path=snapshot.output_path or job.output_path,
        failure_reason=snapshot.failure_reason or job.failure_reason,
        created_at=snapshot.created_at or job.created_at,
        updated_at=snapshot.updated_at or job.updated_at,
    )
