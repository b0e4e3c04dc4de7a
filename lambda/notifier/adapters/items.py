"""The items of the table of watched jobs and resources: their layout, encoded and decoded here (the store's reads
and conditional writes, notifier.adapters.store, name the few attributes they test; the stack's table and the
embedded AWS's, its key and indexes).

Layout: key `jobArn` (the ARN of whatever is watched: the attribute names of deployed tables stay as they
were, since a table's key cannot be renamed without replacing it); `activeShard` (always "active") is present
only while a record is polled, which makes the `active-jobs` index sparse: a poll reads what is under way,
least recently checked first (`lastCheckedAt`), never the finished history nor resources at rest. A campaign
that syncs with its solution's latest version carries `followsSolution`, the key of the sparse `followers`
index: a new ACTIVE version of that solution finds the campaigns to wake with one query. A member account the
notifier cannot read is an item of its own (`jobKind` unreachableAccount, key `unreachable-account/ACCOUNT`) in
the active index, so the poll reads it with the jobs (notifier.domain.reachability); so is an expected cadence
(`expectation/ARN`, notifier.domain.cadence). A solution's model baseline (`model-baseline/SOLUTION_ARN`, the
metrics its next version is compared with, notifier.domain.quality) is read by its key only. A campaign or
recommender at rest while ACTIVE (it bills) is in the same index under `activeShard` "serving": the poll's query
never reads it; the hourly usage reading reads that partition alone, told when by the `usage-clock` item in the
active partition (notifier.domain.usage).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from notifier.domain.cadence import Expectation, NotExpectable, Notice, OwedNotice, target_of
from notifier.domain.kinds import KINDS
from notifier.domain.quality import Assessment, Metrics, ModelBaseline, Quality
from notifier.domain.reachability import AccountMark, expires_at
from notifier.domain.usage import Reading, Usage, UsageClock, UsageState
from notifier.domain.watched import Event, PendingNotification, StatusChange, TaskToken, Update, Watched, parse_iso
from notifier.ports import MalformedItem

ACTIVE_INDEX = "active-jobs"
FOLLOWERS_INDEX = "followers"
FOLLOWS_ATTRIBUTE = "followsSolution"
ACTIVE_SHARD = "active"
SERVING_SHARD = "serving"  # ACTIVE campaigns and recommenders at rest: read once an hour for their usage
TTL_ATTRIBUTE = "expiresAt"
MARK_KIND = "unreachableAccount"
MARK_KEY_PREFIX = "unreachable-account/"
EXPECTATION_KIND = "expectation"
EXPECTATION_KEY_PREFIX = "expectation/"
BASELINE_KIND = "modelBaseline"
BASELINE_KEY_PREFIX = "model-baseline/"
USAGE_CLOCK_KIND = "usageClock"
USAGE_CLOCK_KEY = "usage-clock"
# Present only on a record whose watch ended, and only while notifications are owed (None values are not stored).
ENDED_ATTRIBUTE, OWED_ATTRIBUTE, TOKENS_ATTRIBUTE = "endedBy", "pending", "taskTokens"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_wire(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items() if value is not None}


def encode(job: Watched) -> dict[str, Any]:
    """A tracked job as a plain item (None values are left out of the stored item)."""
    return {
        "jobArn": job.arn,
        "jobKind": job.kind.name,
        "jobName": job.name,
        "region": job.region,
        "status": job.status,
        "version": job.version,
        "trackedAt": job.tracked_at,
        "lastCheckedAt": job.last_checked_at,
        "history": [{"status": change.status, "at": change.at} for change in job.history],
        "parentArn": job.parent_arn,
        "inputLocation": job.input_location,
        "facts": [[label, value] for label, value in job.facts] or None,
        "outputPath": job.output_path,
        "failureReason": job.failure_reason,
        "jobCreatedAt": job.created_at,
        "jobUpdatedAt": job.updated_at,
        ENDED_ATTRIBUTE: job.ended_by.value if job.ended_by else None,
        OWED_ATTRIBUTE: [_encode_pending(owed) for owed in job.pending] or None,
        "leaseUntil": job.lease_until,
        "stuckNotified": True if job.stuck_notified else None,
        "activeShard": shard_of(job),
        TTL_ATTRIBUTE: job.expires_at,
        "latestUpdate": _encode_update(job.update),
        "wakeUntil": job.wake_until,
        "wokenBy": job.woken_by,
        "versionsCheckedAt": job.versions_checked_at,
        "nextVersionsCheck": job.next_versions_check,
        "watchId": job.watch_id,
        FOLLOWS_ATTRIBUTE: None if job.finished else job.follows,
        "assessment": _encode_assessment(job.assessment),
        TOKENS_ATTRIBUTE: [_encode_token(task) for task in job.task_tokens] or None,
        "usage": _encode_usage_state(job.usage),
    }


def _encode_token(task: TaskToken) -> dict[str, Any]:
    fields = {
        "token": task.token,
        "since": task.since,
        "heartbeatSeconds": task.heartbeat_seconds,
        "beatAt": task.beat_at,
    }
    return {key: value for key, value in fields.items() if value is not None}


def shard_of(job: Watched) -> str | None:
    """The partition of the sparse index a record is in: polled, read for its usage once an hour, or neither."""
    if job.in_active_index:
        return ACTIVE_SHARD
    return SERVING_SHARD if job.bills else None


def _number(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(float(value)))


def _encode_reading(reading: Reading | None) -> dict[str, Any] | None:
    if reading is None:
        return None
    fields = {
        "readAt": reading.read_at,
        "windowHours": reading.window_hours,
        "activeHours": _number(reading.active_hours),
        "minimum": _number(reading.minimum),
        "requests": _number(reading.requests),
        "peakHourRequests": _number(reading.peak_hour_requests),
        "unreadable": reading.unreadable,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _encode_usage_state(state: UsageState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    fields = {
        "reading": _encode_reading(state.reading),
        "verdict": state.verdict.value if state.verdict else None,
        "told": state.told.value if state.told else None,
        "toldAt": state.told_at,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _decode_reading(value: Any) -> Reading | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Malformed(f"usage reading {value!r} is not a map")
    return Reading(
        read_at=_timestamp(value, "readAt"),
        window_hours=_whole_number(value, "windowHours"),
        active_hours=_real(value, "activeHours"),
        minimum=None if value.get("minimum") is None else _real(value, "minimum"),
        requests=_real(value, "requests", 0.0),
        peak_hour_requests=_real(value, "peakHourRequests", 0.0),
        unreadable=_optional_text(value, "unreadable"),
    )


def _decode_usage_state(value: Any) -> UsageState | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Malformed(f"usage {value!r} is not a map")
    reading = _decode_reading(value.get("reading"))
    if reading is None:
        raise _Malformed("usage has no reading")
    return UsageState(
        reading=reading,
        verdict=_usage(value, "verdict"),
        told=_usage(value, "told"),
        told_at=_optional_timestamp(value, "toldAt"),
    )


def _usage(item: dict[str, Any], name: str) -> Usage | None:
    value = _optional_text(item, name)
    if value is None:
        return None
    try:
        return Usage(value)
    except ValueError:
        raise _Malformed(f"{name} {value!r} is not one of {[usage.value for usage in Usage]}") from None


def _real(item: dict[str, Any], name: str, default: float | None = None) -> float:
    value = item.get(name, default)
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise _Malformed(f"{name} must be a number, found {value!r}")
    return float(value)


def encode_usage_clock(clock: UsageClock) -> dict[str, Any]:
    """In the active partition (each poll reads it with the jobs), so a poll knows at no extra read whether usage
    is due."""
    return {
        "jobArn": USAGE_CLOCK_KEY,
        "jobKind": USAGE_CLOCK_KIND,
        "nextReadAt": clock.next_read_at,
        "lastReadAt": clock.last_read_at,
        "backfilled": clock.backfilled,
        "version": clock.version,
        "activeShard": ACTIVE_SHARD,
        "lastCheckedAt": clock.next_read_at,
    }


def _encode_update(update: Update | None) -> dict[str, Any] | None:
    if update is None:
        return None
    fields = {"status": update.status, "startedAt": update.started_at, "failureReason": update.failure_reason}
    return {key: value for key, value in fields.items() if value is not None}


def _encode_pending(owed: PendingNotification) -> dict[str, Any]:
    return {
        key: value
        for key, value in {
            "id": owed.id,
            "event": owed.event.value,
            "oldStatus": owed.old_status,
            "newStatus": owed.new_status,
            "at": owed.at,
            "outputPath": owed.output_path,
            "failureReason": owed.failure_reason,
            "detail": owed.detail,
            "delivered": list(owed.delivered) or None,
            "update": True if owed.update else None,
            "changes": [list(change) for change in owed.changes] or None,
            "assessment": _encode_assessment(owed.assessment),
            "usage": _encode_reading(owed.usage),
            "usageBefore": owed.usage_before.value if owed.usage_before else None,
        }.items()
        if value is not None
    }


class _Malformed(ValueError):
    pass


def mark_key(account: str) -> str:
    return f"{MARK_KEY_PREFIX}{account}"


def encode_mark(mark: AccountMark) -> dict[str, Any]:
    told_until = expires_at(mark)
    return {
        "jobArn": mark_key(mark.account),
        "jobKind": MARK_KIND,
        "account": mark.account,
        "roleArn": mark.role_arn,
        "reason": mark.reason,
        "since": mark.since,
        "version": mark.version,
        "notifiedAt": mark.notified_at,
        "delivered": list(mark.delivered) or None,
        "leaseUntil": mark.lease_until,
        "activeShard": ACTIVE_SHARD,
        "lastCheckedAt": mark.since,  # the active index's sort key: read first, before the jobs it concerns
        TTL_ATTRIBUTE: int(told_until.timestamp()) if told_until else None,
    }


def expectation_key(arn: str) -> str:
    return f"{EXPECTATION_KEY_PREFIX}{arn}"


def encode_expectation(expectation: Expectation) -> dict[str, Any]:
    """In the active index (the poll reads it with the jobs), least recently looked at first."""
    return {
        "jobArn": expectation_key(expectation.arn),
        "jobKind": EXPECTATION_KIND,
        "expectedOf": expectation.arn,
        "target": expectation.target.value,
        "everySeconds": expectation.every_seconds,
        "since": expectation.since,
        "version": expectation.version,
        "lastMet": expectation.last_met,
        "lastMetBy": expectation.last_met_by,
        "overdueSince": expectation.overdue_since,
        "remindAt": expectation.remind_at,
        "owed": [
            {
                key: value
                for key, value in {
                    "event": owed.event.value,
                    "at": owed.at,
                    "id": owed.id,
                    "dueAt": owed.due_at,
                    "lastMet": owed.last_met,
                    "lastMetBy": owed.last_met_by,
                    "detail": owed.detail,
                    "delivered": list(owed.delivered) or None,
                    "leaseUntil": owed.lease_until,
                }.items()
                if value is not None
            }
            for owed in expectation.owed
        ]
        or None,
        "declared": True if expectation.declared else None,
        "lookedAt": expectation.looked_at,
        "activeShard": ACTIVE_SHARD,
        "lastCheckedAt": expectation.looked_at or expectation.since,
    }


def _decode_expectation(item: dict[str, Any]) -> Expectation:
    every = _whole_number(item, "everySeconds")
    if every <= 0:
        raise _Malformed(f"everySeconds must be positive, found {every}")
    owed = []
    for entry in _list(item, "owed"):
        if not isinstance(entry, dict):
            raise _Malformed(f"owed entry {entry!r} is not a map")
        owed.append(
            OwedNotice(
                event=Notice(_text(entry, "event")),
                at=_timestamp(entry, "at"),
                id=_text(entry, "id"),
                due_at=_timestamp(entry, "dueAt"),
                last_met=_optional_timestamp(entry, "lastMet"),
                last_met_by=_optional_text(entry, "lastMetBy"),
                detail=_optional_text(entry, "detail"),
                delivered=tuple(str(channel) for channel in _list(entry, "delivered")),
                lease_until=_optional_timestamp(entry, "leaseUntil"),
            )
        )
    arn = _text(item, "expectedOf")
    try:
        target = target_of(arn)
    except NotExpectable as exc:
        raise _Malformed(str(exc)) from None
    if _text(item, "target") != target.value:
        raise _Malformed(f"target {item.get('target')!r} is not what {arn} is ({target.value})")
    return Expectation(
        arn=arn,
        target=target,
        every_seconds=every,
        since=_timestamp(item, "since"),
        version=_whole_number(item, "version"),
        last_met=_optional_timestamp(item, "lastMet"),
        last_met_by=_optional_text(item, "lastMetBy"),
        overdue_since=_optional_timestamp(item, "overdueSince"),
        remind_at=_optional_timestamp(item, "remindAt"),
        owed=tuple(owed),
        declared=item.get("declared") is True,
        looked_at=_optional_timestamp(item, "lookedAt"),
    )


def _timestamp(item: dict[str, Any], name: str) -> str:
    """One of our ISO-8601 UTC timestamps, or the item is malformed (the clocks compare them)."""
    value = _text(item, name)
    moment = parse_iso(value)
    if moment is None or moment.tzinfo is None:
        raise _Malformed(f"{name} {value!r} is not a UTC timestamp")
    return value


def _optional_timestamp(item: dict[str, Any], name: str) -> str | None:
    return None if item.get(name) is None else _timestamp(item, name)


def baseline_key(solution_arn: str) -> str:
    return f"{BASELINE_KEY_PREFIX}{solution_arn}"


def encode_baseline(baseline: ModelBaseline) -> dict[str, Any]:
    """Not in the active index: only the version that finishes next reads it, by its key."""
    return {
        "jobArn": baseline_key(baseline.solution_arn),
        "jobKind": BASELINE_KIND,
        "solutionArn": baseline.solution_arn,
        "versionArn": baseline.version_arn,
        "versionCreatedAt": baseline.created_at,
        "metrics": _encode_metrics(baseline.metrics),
    }


def _encode_metrics(metrics: Metrics) -> dict[str, Decimal]:
    return {name: Decimal(repr(value)) for name, value in metrics}  # DynamoDB numbers: Decimal, not float


def _decode_metrics(value: Any) -> Metrics:
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(isinstance(v, Decimal | int | float) for v in value.values()):
        raise _Malformed(f"metrics {value!r} is not a map of metric names to numbers")
    return tuple(sorted((str(name), float(number)) for name, number in value.items()))


def _encode_assessment(assessment: Assessment | None) -> dict[str, Any] | None:
    if assessment is None:
        return None
    fields = {
        "versionArn": assessment.version_arn,
        "metrics": _encode_metrics(assessment.metrics),
        "quality": assessment.quality.value if assessment.quality else None,
        "keyMetric": assessment.key_metric,
        "thresholdPercent": Decimal(repr(assessment.threshold_percent)),
        "previousArn": assessment.previous_arn,
        "previousMetrics": _encode_metrics(assessment.previous_metrics) or None,
        "missing": assessment.missing,
        "newData": assessment.new_data,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _decode_assessment(value: Any) -> Assessment | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Malformed(f"assessment {value!r} is not a map")
    quality = _optional_text(value, "quality")
    threshold = value.get("thresholdPercent")
    if not isinstance(threshold, Decimal | int | float):
        raise _Malformed(f"assessment thresholdPercent {threshold!r} is not a number")
    return Assessment(
        version_arn=_text(value, "versionArn"),
        metrics=_decode_metrics(value.get("metrics")),
        quality=Quality(quality) if quality else None,
        key_metric=_text(value, "keyMetric"),
        threshold_percent=float(threshold),
        previous_arn=_optional_text(value, "previousArn"),
        previous_metrics=_decode_metrics(value.get("previousMetrics")),
        missing=_optional_text(value, "missing"),
        new_data=_optional_flag(value, "newData"),
    )


def _kind_of(wire_item: dict[str, Any]) -> str | None:
    kind = wire_item.get("jobKind")
    return kind.get("S") if isinstance(kind, dict) else None


def decode_any(
    wire_item: dict[str, Any],
) -> Watched | MalformedItem | AccountMark | ModelBaseline | Expectation | UsageClock:
    """A job, an unreachable account's mark, a solution's model baseline, an expected cadence, the usage clock, or
    what could not be read as one."""
    kind = _kind_of(wire_item)
    if kind not in (MARK_KIND, BASELINE_KIND, EXPECTATION_KIND, USAGE_CLOCK_KIND):
        return decode_or_report(wire_item)
    key = str(wire_item.get("jobArn", {}).get("S", "?"))
    try:
        item = {name: _deserializer.deserialize(value) for name, value in wire_item.items()}
        if kind == USAGE_CLOCK_KIND:
            return UsageClock(
                next_read_at=_timestamp(item, "nextReadAt"),
                version=_whole_number(item, "version"),
                last_read_at=_optional_timestamp(item, "lastReadAt"),
                backfilled=item.get("backfilled") is True,
            )
        if kind == EXPECTATION_KIND:
            return _decode_expectation(item)
        if kind == BASELINE_KIND:
            return ModelBaseline(
                solution_arn=_text(item, "solutionArn"),
                version_arn=_text(item, "versionArn"),
                created_at=_optional_text(item, "versionCreatedAt"),
                metrics=_decode_metrics(item.get("metrics")),
            )
        return AccountMark(
            account=_text(item, "account"),
            role_arn=_text(item, "roleArn"),
            reason=_text(item, "reason"),
            since=_text(item, "since"),
            version=_whole_number(item, "version"),
            notified_at=_optional_text(item, "notifiedAt"),
            delivered=tuple(str(channel) for channel in _list(item, "delivered")),
            lease_until=_optional_text(item, "leaseUntil"),
        )
    except (_Malformed, TypeError, ValueError, KeyError) as exc:
        return MalformedItem(key=key, reason=str(exc))


def decode_or_report(wire_item: dict[str, Any]) -> Watched | MalformedItem:
    key = wire_item.get("jobArn", {}).get("S", "<no jobArn>") if isinstance(wire_item.get("jobArn"), dict) else "?"
    try:
        item = {name: _deserializer.deserialize(value) for name, value in wire_item.items()}
        return decode(item)
    except (_Malformed, TypeError, ValueError, KeyError) as exc:
        return MalformedItem(key=key, reason=str(exc))


def decode(item: dict[str, Any]) -> Watched:
    kind_name = _text(item, "jobKind")
    kind = KINDS.get(kind_name)
    if kind is None:
        raise _Malformed(f"jobKind {kind_name!r} is not a known job kind")
    ended_by = _optional_text(item, ENDED_ATTRIBUTE)
    expires_at = item.get(TTL_ATTRIBUTE)
    return Watched(
        arn=_text(item, "jobArn"),
        kind=kind,
        name=_text(item, "jobName"),
        region=_text(item, "region"),
        tracked_at=_text(item, "trackedAt"),
        last_checked_at=_text(item, "lastCheckedAt"),
        version=_whole_number(item, "version"),
        status=_optional_text(item, "status"),
        history=tuple(_decode_change(change) for change in _list(item, "history")),
        parent_arn=_optional_text(item, "parentArn"),
        input_location=_optional_text(item, "inputLocation"),
        facts=tuple(_fact(pair) for pair in _list(item, "facts")),
        output_path=_optional_text(item, "outputPath"),
        failure_reason=_optional_text(item, "failureReason"),
        created_at=_optional_text(item, "jobCreatedAt"),
        updated_at=_optional_text(item, "jobUpdatedAt"),
        ended_by=Event(ended_by) if ended_by else None,
        pending=tuple(_decode_pending(owed) for owed in _list(item, OWED_ATTRIBUTE)),
        lease_until=_optional_text(item, "leaseUntil"),
        expires_at=None if expires_at is None else int(expires_at),
        stuck_notified=item.get("stuckNotified") is True,
        update=_decode_update(item.get("latestUpdate")),
        wake_until=_optional_text(item, "wakeUntil"),
        woken_by=_optional_text(item, "wokenBy"),
        versions_checked_at=_optional_text(item, "versionsCheckedAt"),
        next_versions_check=_optional_text(item, "nextVersionsCheck"),
        watch_id=_optional_text(item, "watchId"),
        assessment=_decode_assessment(item.get("assessment")),
        task_tokens=tuple(_decode_token(task) for task in _list(item, TOKENS_ATTRIBUTE)),
        usage=_decode_usage_state(item.get("usage")),
    )


def _decode_token(task: Any) -> TaskToken:
    if not isinstance(task, dict):
        raise _Malformed(f"taskTokens entry {task!r} is not a map")
    return TaskToken(
        token=_text(task, "token"),
        since=_timestamp(task, "since"),
        heartbeat_seconds=None if task.get("heartbeatSeconds") is None else _whole_number(task, "heartbeatSeconds"),
        beat_at=_optional_timestamp(task, "beatAt"),
    )


def _decode_update(update: Any) -> Update | None:
    if update is None:
        return None
    if not isinstance(update, dict):
        raise _Malformed(f"latestUpdate {update!r} is not a map")
    return Update(
        status=_text(update, "status"),
        started_at=_optional_text(update, "startedAt"),
        failure_reason=_optional_text(update, "failureReason"),
    )


def _decode_change(change: Any) -> StatusChange:
    if not isinstance(change, dict):
        raise _Malformed(f"history entry {change!r} is not a map")
    return StatusChange(status=_text(change, "status"), at=_text(change, "at"))


def _decode_pending(owed: Any) -> PendingNotification:
    if not isinstance(owed, dict):
        raise _Malformed(f"pending entry {owed!r} is not a map")
    return PendingNotification(
        id=_text(owed, "id"),
        event=Event(_text(owed, "event")),
        old_status=_optional_text(owed, "oldStatus"),
        new_status=_optional_text(owed, "newStatus"),
        at=_text(owed, "at"),
        output_path=_optional_text(owed, "outputPath"),
        failure_reason=_optional_text(owed, "failureReason"),
        detail=_optional_text(owed, "detail"),
        delivered=tuple(str(channel) for channel in _list(owed, "delivered")),
        update=owed.get("update") is True,
        changes=tuple(_change(change) for change in _list(owed, "changes")),
        assessment=_decode_assessment(owed.get("assessment")),
        usage=_decode_reading(owed.get("usage")),
        usage_before=_usage(owed, "usageBefore"),
    )


def _change(change: Any) -> tuple[str, str | None, str | None]:
    if not (
        isinstance(change, list)
        and len(change) == 3
        and isinstance(change[0], str)
        and all(part is None or isinstance(part, str) for part in change[1:])
    ):
        raise _Malformed(f"changes entry {change!r} is not a [what, before, after] triple")
    return change[0], change[1], change[2]


def _fact(pair: Any) -> tuple[str, str]:
    if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair)):
        raise _Malformed(f"facts entry {pair!r} is not a [label, value] pair")
    return pair[0], pair[1]


def _text(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise _Malformed(f"{name} must be a non-empty string, found {value!r}")
    return value


def _optional_text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    if value is not None and not isinstance(value, str):
        raise _Malformed(f"{name} must be a string, found {value!r}")
    return value


def _whole_number(item: dict[str, Any], name: str) -> int:
    value = item.get(name)
    if value is None or isinstance(value, bool) or not hasattr(value, "as_integer_ratio") or value != int(value):
        raise _Malformed(f"{name} must be a whole number, found {value!r}")
    return int(value)


def _list(item: dict[str, Any], name: str) -> list[Any]:
    value = item.get(name, [])
    if not isinstance(value, list):
        raise _Malformed(f"{name} must be a list, found {value!r}")
    return value


def _optional_flag(item: dict[str, Any], name: str) -> bool | None:
    value = item.get(name)
    if value is not None and not isinstance(value, bool):
        raise _Malformed(f"{name} must be true or false, found {value!r}")
    return value
