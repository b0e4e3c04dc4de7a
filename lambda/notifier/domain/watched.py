"""The watched record (one table item) and its decisions: how it changes as Personalize answers. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from notifier.domain.arns import ParsedArn
from notifier.domain.clock import iso, parse_iso
from notifier.domain.kinds import SOLUTION_VERSION, SYNCS_WITH_LATEST, Kind, Outcome
from notifier.domain.quality import Assessment, Metrics
from notifier.domain.usage import Reading, Usage, UsageState


class Event(StrEnum):
    """Why a notification was sent (the `event` message attribute)."""

    TRANSITION = "transition"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    STUCK = "stuck"
    DELETED = "deleted"  # a resource deleted as asked for: told once, then no longer watched
    # What an ACTIVE campaign or recommender serves against what it bills for (notifier.domain.usage).
    IDLE = Usage.IDLE.value
    UNDERUSED = Usage.UNDERUSED.value
    IN_USE = Usage.IN_USE.value
    USAGE_UNKNOWN = Usage.UNKNOWN.value


USAGE_EVENTS = frozenset({Event.IDLE, Event.UNDERUSED, Event.IN_USE, Event.USAGE_UNKNOWN})


# A resource woken by a call that changes it (or by a new solution version it follows) is described every
# poll until the change settles, or for this long when nothing shows (the call may take a moment to show).
WAKE_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class Update:
    """A resource's latest update (latestCampaignUpdate ...), whose status moves beside the resource's."""

    status: str
    started_at: str | None = None  # its creationDateTime: tells one update from the next
    failure_reason: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """What one describe call said about a job or resource, in the API's own words."""

    status: str
    name: str | None = None
    parent_arn: str | None = None
    input_location: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    output_path: str | None = None
    failure_reason: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    update: Update | None = None
    trains_automatically: bool = False  # a solution that makes new versions by itself
    metrics: Metrics = ()  # a recommender's modelMetrics


@dataclass(frozen=True)
class Summary:
    """One row of a List... page: enough to decide whether to watch it (no output path in lists)."""

    arn: str
    status: str
    name: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    failure_reason: str | None = None


# A history entry of a resource's update, not of its own status: "update ACTIVE".
UPDATE_PREFIX = "update "


@dataclass(frozen=True)
class StatusChange:
    status: str
    at: str


@dataclass(frozen=True)
class PendingNotification:
    """A notification decided and stored, not yet confirmed published.

    `id` is deterministic (the ARN and the version that decided it), so a re-publish carries
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
    update: bool = False  # the statuses are the resource's latest update's, not the resource's own
    changes: tuple[tuple[str, str | None, str | None], ...] = ()  # (what, before, after): solution version ...
    assessment: Assessment | None = None  # a trained version's metrics (or the version a campaign moved to)
    usage: Reading | None = None  # the reading a usage notice tells of
    usage_before: Usage | None = None  # the spell an in_use notice ends (idle, underused)


# How many heartbeats are sent within a task's HeartbeatSeconds, at most (TaskToken).
BEATS_PER_HEARTBEAT = 6


@dataclass(frozen=True)
class TaskToken:
    """A Step Functions task waiting on this record (lambda:invoke.waitForTaskToken): answered once it settles.

    A task with HeartbeatSeconds fails with States.HeartbeatTimeout unless a heartbeat comes within them: the poll
    sends one (SendTaskHeartbeat) once a sixth of them has passed since the last, until it is answered, so the task
    learns of a notifier that stopped polling instead of waiting out its whole timeout. A sixth: with the shortest
    heartbeat wait_task allows (three polls) that is every poll, so a poll missed and the next one late still beat
    in time."""

    token: str
    since: str  # when it was handed over
    heartbeat_seconds: int | None = None  # the task's HeartbeatSeconds, as its input said
    beat_at: str | None = None  # the last heartbeat sent

    def beat_due(self, now: datetime) -> bool:
        if not self.heartbeat_seconds:
            return False
        last = parse_iso(self.beat_at or self.since)
        return last is None or now - last >= timedelta(seconds=self.heartbeat_seconds / BEATS_PER_HEARTBEAT)


@dataclass(frozen=True)
class Watched:
    """One item of the table: a job or resource under watch."""

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
    ended_by: Event | None = None  # not_found / invalid / deleted: watching ended
    pending: tuple[PendingNotification, ...] = ()
    lease_until: str | None = None
    expires_at: int | None = None
    stuck_notified: bool = False
    update: Update | None = None
    wake_until: str | None = None  # a resting resource is described every poll until then
    woken_by: str | None = None  # the call that woke it (DeleteCampaign ...), or what the notifier saw
    versions_checked_at: str | None = None  # automatic training: versions created after this are new
    next_versions_check: str | None = None
    # One watch of the ARN, from track to the end of watching: a re-track (or a resource re-created under its
    # name) is a new watch whose versions start again, so notification ids are derived from this too. None on
    # records written before watches had ids (their ids stay what they were).
    watch_id: str | None = None
    assessment: Assessment | None = None  # an ACTIVE solution version's metrics and verdict
    task_tokens: tuple[TaskToken, ...] = ()  # Step Functions tasks waiting for it to settle
    usage: UsageState | None = None  # an ACTIVE campaign's or recommender's last reading of its requests

    @property
    def outcome(self) -> Outcome:
        return self.kind.outcome(self.status)

    @property
    def settled(self) -> bool:
        """Nothing under way: a job ended, or a resource rests (its latest update too)."""
        if self.ended_by is not None:
            return True
        if not self.kind.is_terminal(self.status):
            return False
        return self.update is None or self.kind.is_terminal(self.update.status)

    @property
    def watch_over(self) -> bool:
        """Watching ended (deleted, not found) and nothing is owed: a new watch of the ARN may take its place."""
        return self.ended_by is not None and not self.pending

    @property
    def watch_ending(self) -> bool:
        """Watching ended but notifications are still owed: a new watch must wait for the next poll to send them."""
        return self.ended_by is not None and bool(self.pending)

    @property
    def finished(self) -> bool:
        """Never described again: a job that ended, or a resource that is gone."""
        return self.ended_by is not None or (not self.kind.lives_on and self.kind.is_terminal(self.status))

    @property
    def in_active_index(self) -> bool:
        """Polls read it: something under way, a resource woken or due a versions check, or a notification owed.

        A resource at rest is not read at all: it costs nothing until something wakes it.
        """
        if self.pending or self.task_tokens:
            return True
        if self.finished:
            return False
        return not self.settled or self.wake_until is not None or self.next_versions_check is not None

    @property
    def bills(self) -> bool:
        """A campaign or recommender that is ACTIVE: it bills for its minimum every hour, used or not."""
        return self.kind.serves and self.ended_by is None and self.outcome is Outcome.SUCCEEDED

    @property
    def waited_out(self) -> bool:
        """What a waiter (`notifier wait`, a Step Functions task) waits for has come: a job ended or watching
        ended, or a resource is at rest again after the look its waiter woke it for (its change settled, or nothing
        changed in the window)."""
        if self.ended_by is not None:
            return True
        return self.settled and not (self.kind.lives_on and self.wake_until is not None)

    @property
    def answerable(self) -> bool:
        """Tasks wait on it and it is waited out. Its notifications are another channel: a task is answered
        whether or not they are published yet."""
        return bool(self.task_tokens) and self.waited_out

    @property
    def follows(self) -> str | None:
        """The solution a campaign syncing with its latest version follows: a new ACTIVE version wakes it."""
        if not self.kind.lives_on or dict(self.facts).get(SYNCS_WITH_LATEST) != "yes":
            return None
        return solution_of(self.parent_arn)

    def evolve(self, **changes: object) -> Watched:
        return replace(self, **changes)  # type: ignore[arg-type]


def solution_of(arn: str | None) -> str | None:
    """arn:...:solution/NAME/VERSION (or NAME/$LATEST) -> arn:...:solution/NAME; None for anything else."""
    if not arn or ":solution/" not in arn:
        return None
    head, _, path = arn.partition(":solution/")
    return f"{head}:solution/{path.split('/', 1)[0]}"


# --- Decisions: how a watched record changes. Each returns the next record, or None for "no write". ---

_NOTIFICATION_NAMESPACE = uuid.UUID("5b1f0f0e-3c55-4f51-9d0e-7d1c2a8f7e21")


def notification_id(arn: str, version: int, watch_id: str | None = None) -> str:
    """Same watch, same deciding version: same id, however often it is re-published; another watch of the
    same ARN (untrack and track again, a resource re-created under its name) never repeats an id."""
    seed = f"{arn}#{version}" if watch_id is None else f"{arn}#{watch_id}#{version}"
    return str(uuid.uuid5(_NOTIFICATION_NAMESPACE, seed))


def new_watch_id() -> str:
    return uuid.uuid4().hex


def start_watching(
    parsed: ParsedArn, now: datetime, snapshot: Snapshot | None = None, watch_id: str | None = None
) -> Watched:
    """A record as `track` makes it: the status seen at tracking time is the baseline, not a transition. A new
    watch gets a new id unless `watch_id` continues one."""
    stamp = iso(now)
    record = Watched(
        arn=parsed.arn,
        kind=parsed.kind,
        name=parsed.name,
        region=parsed.region,
        tracked_at=stamp,
        last_checked_at=stamp,
        version=1,
        watch_id=watch_id or new_watch_id(),
    )
    if snapshot is None:
        return record
    seen = _with_details(record, snapshot).evolve(
        status=snapshot.status, history=(StatusChange(snapshot.status, stamp),)
    )
    return _schedule_versions(seen, snapshot, now)


def observe(record: Watched, snapshot: Snapshot, now: datetime, lease: timedelta) -> Watched | None:
    """Apply what a describe said. None when nothing changed (no write, no notification).

    A change appends to the history and owes one notification: of the status, else of the latest update
    (a resource's), else of what a resource serves (a campaign synced to a new solution version). The first
    status seen for a record made before it could be described is a baseline, not a transition, unless it
    is already the outcome the user is waiting for.
    """
    status_moved = snapshot.status != record.status
    update_moved = snapshot.update is not None and snapshot.update != record.update
    changes = _config_changes(record, snapshot) if record.kind.lives_on and record.status is not None else ()
    if not (status_moved or update_moved or changes):
        return None
    stamp = iso(now)
    moved = [StatusChange(snapshot.status, stamp)] if status_moved else []
    if update_moved and snapshot.update is not None and not status_moved:
        moved.append(StatusChange(f"{UPDATE_PREFIX}{snapshot.update.status}", stamp))
    changed = _with_details(record, snapshot).evolve(
        status=snapshot.status, update=snapshot.update or record.update, history=(*record.history, *moved)
    )
    changed = _schedule_versions(changed, snapshot, now)
    if changed.settled:
        # The change it was woken for has settled; a later one starts a new stuck clock.
        changed = changed.evolve(wake_until=None, woken_by=None, stuck_notified=False)
    if record.status is None and not record.kind.is_terminal(snapshot.status):
        return changed.evolve(version=record.version + 1, last_checked_at=stamp)
    if status_moved:
        return _owe(
            changed,
            Event.TRANSITION,
            now,
            lease,
            old_status=record.status,
            output_path=changed.output_path,
            failure_reason=changed.failure_reason if changed.outcome is Outcome.FAILED else None,
            changes=changes,
        )
    if update_moved and snapshot.update is not None:
        latest, before = snapshot.update, record.update
        same = before is not None and before.started_at == latest.started_at
        return _owe(
            changed,
            Event.TRANSITION,
            now,
            lease,
            old_status=before.status if same and before else None,
            new_status=latest.status,
            failure_reason=latest.failure_reason if record.kind.outcome(latest.status) is Outcome.FAILED else None,
            update=True,
            changes=changes,
        )
    # Only what it serves moved (a campaign following its solution's latest version).
    return _owe(changed, Event.TRANSITION, now, lease, old_status=record.status, update=True, changes=changes)


def end_watching(record: Watched, event: Event, detail: str, now: datetime, lease: timedelta) -> Watched:
    """It cannot be described any more (gone, or an ARN Personalize rejects): say so once, then stop."""
    return _owe(record.evolve(ended_by=event), event, now, lease, detail=detail)


def gone(record: Watched, detail: str, now: datetime, lease: timedelta) -> Watched:
    """Personalize no longer knows it: a resource seen deleting, or woken by its Delete call, was deleted
    as asked (`deleted`); anything else vanished unexpectedly (`not_found`)."""
    deleting = (record.status or "").startswith("DELETE") or (record.woken_by or "").startswith("Delete")
    event = Event.DELETED if record.kind.lives_on and deleting else Event.NOT_FOUND
    return end_watching(record, event, detail, now, lease)


def wake(record: Watched, now: datetime, woken_by: str) -> Watched | None:
    """A resource at rest is about to change (an Update/Start/Stop/Delete call, a new version it follows):
    poll it again. None when there is nothing to wake (a job, or a record whose watching ended)."""
    if not record.kind.lives_on or record.finished:
        return None
    return record.evolve(version=record.version + 1, wake_until=iso(now + WAKE_WINDOW), woken_by=woken_by)


WAITED_ON = "a Step Functions task waits on it"


def await_task(record: Watched, token: str, now: datetime, heartbeat_seconds: int | None = None) -> Watched | None:
    """A task hands over its token: kept (once) until it can be answered; a resource is woken so that a change
    its state machine just asked for is seen before the task is answered. None when the token is there already."""
    if any(kept.token == token for kept in record.task_tokens):
        return None
    task = TaskToken(token, iso(now), heartbeat_seconds=heartbeat_seconds)
    waiting = record.evolve(version=record.version + 1, task_tokens=(*record.task_tokens, task))
    return wake(waiting, now, WAITED_ON) or waiting


def beaten(record: Watched, tokens: set[str], now: datetime) -> Watched:
    """Heartbeats were sent for these tokens now."""
    kept = tuple(replace(task, beat_at=iso(now)) if task.token in tokens else task for task in record.task_tokens)
    return record.evolve(version=record.version + 1, task_tokens=kept)


def read_usage(record: Watched, state: UsageState, tell: Usage | None, now: datetime, lease: timedelta) -> Watched:
    """A usage reading recorded; owing its notice where the verdict is news (notifier.domain.usage.to_tell)."""
    read = record.evolve(usage=state)
    if tell is None:
        return read.evolve(version=record.version + 1)
    before = record.usage.told if record.usage and tell is Usage.IN_USE else None
    return _owe(read, Event(tell.value), now, lease, usage=state.reading, usage_before=before)


def answered(record: Watched, tokens: set[str]) -> Watched:
    """These tokens were answered (or their tasks are gone): no longer kept."""
    kept = tuple(task for task in record.task_tokens if task.token not in tokens)
    return record.evolve(version=record.version + 1, task_tokens=kept)


def needs_describe(record: Watched, now: datetime) -> bool:
    """Something is under way, or it was woken and the window is still open."""
    return not record.settled or (record.wake_until is not None and record.wake_until > iso(now))


def doze(record: Watched, now: datetime) -> Watched | None:
    """A woken resource whose window closed with nothing under way goes back to rest (out of the poll)."""
    if record.wake_until is None or needs_describe(record, now):
        return None
    return record.evolve(version=record.version + 1, wake_until=None, woken_by=None)


def versions_check_due(record: Watched, now: datetime) -> bool:
    """An ACTIVE solution that trains by itself, whose next look at its versions has come."""
    return (
        record.next_versions_check is not None
        and record.next_versions_check <= iso(now)
        and record.outcome is Outcome.SUCCEEDED
    )


def versions_to_watch(record: Watched, listed: list[Summary]) -> list[tuple[Summary, bool]]:
    """Versions of an automatically training solution worth watching, each with whether its listed status
    is a baseline: one created since the last look is new (its first status seen is told, even ACTIVE);
    an older one still training is watched from the status it shows."""
    since = record.versions_checked_at or record.tracked_at
    found = []
    for summary in listed:
        if summary.created_at is not None and summary.created_at >= since:
            found.append((summary, False))
        elif not SOLUTION_VERSION.is_terminal(summary.status):
            found.append((summary, True))
    return found


def versions_checked(record: Watched, now: datetime, every: timedelta) -> Watched:
    return record.evolve(version=record.version + 1, versions_checked_at=iso(now), next_versions_check=iso(now + every))


def lease_held(job: Watched, now: datetime) -> bool:
    """Another poll claimed this job's pending notifications and may be publishing them right now."""
    return job.lease_until is not None and job.lease_until > iso(now)


def claim_pending(job: Watched, now: datetime, lease: timedelta) -> Watched:
    return job.evolve(version=job.version + 1, lease_until=iso(now + lease))


def check_stuck(record: Watched, now: datetime, stuck_after: timedelta | None, lease: timedelta) -> Watched | None:
    """A job or change running longer than `stuck_after` owes one `stuck` notification (once per change)."""
    if stuck_after is None or record.stuck_notified or record.settled or record.status is None:
        return None
    started = _phase_started(record)
    if started is None or now - started < stuck_after:
        return None
    hours = (now - started).total_seconds() / 3600
    status = record.status
    if record.update is not None and not record.kind.is_terminal(record.update.status):
        status = f"updating ({record.update.status})"
    detail = f"still {status} after {hours:.1f} h (threshold {stuck_after.total_seconds() / 3600:g} h)"
    return _owe(record.evolve(stuck_notified=True), Event.STUCK, now, lease, detail=detail)


def _phase_started(record: Watched) -> datetime | None:
    """A job runs from its creation; a resource's change from when it began (its update, its last status)."""
    if record.kind.lives_on:
        if record.update is not None and not record.kind.is_terminal(record.update.status):
            return parse_iso(record.update.started_at) or parse_iso(record.last_checked_at)
        if any(record.kind.is_terminal(change.status) for change in record.history):
            return parse_iso(record.history[-1].at)  # it rested before: this change began at its last status
    return parse_iso(record.created_at) or parse_iso(record.tracked_at)


def _owe(
    record: Watched,
    event: Event,
    now: datetime,
    lease: timedelta,
    *,
    old_status: str | None = None,
    new_status: str | None = None,
    **details: object,
) -> Watched:
    """The next version of `record`, owing one notification whose id that version decides."""
    version = record.version + 1
    owed = PendingNotification(
        id=notification_id(record.arn, version, record.watch_id),
        event=event,
        old_status=record.status if event is not Event.TRANSITION else old_status,
        new_status=new_status or record.status,
        at=iso(now),
        **details,  # type: ignore[arg-type]
    )
    return record.evolve(
        version=version, last_checked_at=iso(now), pending=(*record.pending, owed), lease_until=iso(now + lease)
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


def _with_details(record: Watched, snapshot: Snapshot) -> Watched:
    """Keep what the API said; a field it stopped sending keeps its last known value (a resource's settings
    are taken whole: one it no longer has is gone)."""
    return record.evolve(
        name=snapshot.name or record.name,
        parent_arn=snapshot.parent_arn or record.parent_arn,
        input_location=snapshot.input_location or record.input_location,
        facts=snapshot.facts if record.kind.lives_on else (snapshot.facts or record.facts),
        output_path=snapshot.output_path or record.output_path,
        failure_reason=snapshot.failure_reason or record.failure_reason,
        created_at=snapshot.created_at or record.created_at,
        updated_at=snapshot.updated_at or record.updated_at,
    )


def _settings(kind: Kind, parent_arn: str | None, facts: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """What a resource serves and how: the solution version (or dataset group) it belongs to, and its facts."""
    found = {kind.parent_label: parent_arn} if kind.parent_label and parent_arn else {}
    return {**found, **dict(facts)}


def _config_changes(record: Watched, snapshot: Snapshot) -> tuple[tuple[str, str | None, str | None], ...]:
    before = _settings(record.kind, record.parent_arn, record.facts)
    if not before:
        return ()  # never described whole (tracked from a listing): nothing to compare with yet
    after = _settings(record.kind, snapshot.parent_arn or record.parent_arn, snapshot.facts)
    return tuple(
        (label, before.get(label), after.get(label))
        for label in dict.fromkeys([*before, *after])
        if before.get(label) != after.get(label)
    )


def _schedule_versions(record: Watched, snapshot: Snapshot, now: datetime) -> Watched:
    """A solution that trains by itself gets its versions looked at; one that stopped doing so, no more."""
    if record.kind.trains_key is None:
        return record
    if snapshot.trains_automatically and record.next_versions_check is None:
        return record.evolve(next_versions_check=iso(now), versions_checked_at=iso(now))
    if not snapshot.trains_automatically and record.next_versions_check is not None:
        return record.evolve(next_versions_check=None, versions_checked_at=None)
    return record
