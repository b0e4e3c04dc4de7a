"""DynamoDB adapter for the table of watched jobs and resources. The only module that knows the item layout.

Layout: key `jobArn` (the ARN of whatever is watched: the attribute names of deployed tables stay as they
were, since a table's key cannot be renamed without replacing it); `activeShard` (always "active") is present
only while a record is polled, which makes the `active-jobs` index sparse: a poll reads what is under way,
least recently checked first (`lastCheckedAt`), never the finished history nor resources at rest. A campaign
that syncs with its solution's latest version carries `followsSolution`, the key of the sparse `followers`
index: a new ACTIVE version of that solution finds the campaigns to wake with one query. A member account the
notifier cannot read is an item of its own (`jobKind` unreachableAccount, key `unreachable-account/ACCOUNT`) in
the active index, so the poll reads it with the jobs (notifier.reachability); so is an expected cadence
(`expectation/ARN`, notifier.cadence). A solution's model baseline (`model-baseline/SOLUTION_ARN`, the metrics its
next version is compared with, notifier.quality) is read by its key only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from notifier.cadence import Expectation, NotExpectable, Notice, OwedNotice, target_of
from notifier.kinds import KINDS
from notifier.ports import AlreadyTracked, MalformedItem, StaleVersion, StoreUnavailable, TableNotFound, WatchEnding
from notifier.quality import Assessment, Metrics, ModelBaseline, Quality
from notifier.reachability import AccountMark, expires_at
from notifier.watched import Event, PendingNotification, StatusChange, TaskToken, Update, Watched, iso, parse_iso

ACTIVE_INDEX = "active-jobs"
FOLLOWERS_INDEX = "followers"
FOLLOWS_ATTRIBUTE = "followsSolution"
ACTIVE_SHARD = "active"
TTL_ATTRIBUTE = "expiresAt"
MARK_KIND = "unreachableAccount"
MARK_KEY_PREFIX = "unreachable-account/"
EXPECTATION_KIND = "expectation"
EXPECTATION_KEY_PREFIX = "expectation/"
BASELINE_KIND = "modelBaseline"
BASELINE_KEY_PREFIX = "model-baseline/"
# Present only on a record whose watch ended, and only while notifications are owed (None values are not stored).
_ENDED, _OWED, _TOKENS = "endedBy", "pending", "taskTokens"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class DynamoWatchStore:
    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client

    # --- reads ---

    def active_records(self) -> Iterator[Watched | MalformedItem | AccountMark | ModelBaseline | Expectation]:
        """Jobs still polled, least recently checked first, the marks of unreachable accounts and the expected
        cadences: one Query per 1 MB page of active items (model baselines are never among them)."""
        pages = self._paginate(
            "query",
            TableName=self._table,
            IndexName=ACTIVE_INDEX,
            KeyConditionExpression="activeShard = :active",
            ExpressionAttributeValues={":active": {"S": ACTIVE_SHARD}},
            ScanIndexForward=True,
        )
        for item in pages:
            yield decode_any(item)

    def followers(self, solution_arn: str) -> Iterator[Watched | MalformedItem]:
        """Campaigns that sync with this solution's latest version."""
        pages = self._paginate(
            "query",
            TableName=self._table,
            IndexName=FOLLOWERS_INDEX,
            KeyConditionExpression="#follows = :solution",
            ExpressionAttributeNames={"#follows": FOLLOWS_ATTRIBUTE},
            ExpressionAttributeValues={":solution": {"S": solution_arn}},
        )
        for item in pages:
            yield decode_or_report(item)

    def all_jobs(self) -> Iterator[Watched | MalformedItem]:
        for record in self.all_records():
            if isinstance(record, Watched | MalformedItem):
                yield record

    def all_records(self) -> Iterator[Watched | MalformedItem | AccountMark | ModelBaseline | Expectation]:
        """Everything in the table: every job, finished or not, the marks of unreachable accounts, the solutions'
        model baselines and the expected cadences."""
        for item in self._paginate("scan", TableName=self._table):
            yield decode_any(item)

    def get(self, arn: str) -> Watched | MalformedItem | None:
        item = self._item(arn)
        return None if item is None else decode_or_report(item)

    def expectation(self, arn: str) -> Expectation | MalformedItem | None:
        decoded = self._decoded(expectation_key(arn))
        return decoded if isinstance(decoded, Expectation | MalformedItem) else None

    def baseline(self, solution_arn: str) -> ModelBaseline | None:
        """What a solution's next ACTIVE version is compared with; None when none was recorded (or it is unreadable)."""
        decoded = self._decoded(baseline_key(solution_arn), consistent=False)
        return decoded if isinstance(decoded, ModelBaseline) else None

    def _item(self, key: str, consistent: bool = True) -> dict[str, Any] | None:
        return self._call("get_item", TableName=self._table, Key={"jobArn": {"S": key}}, ConsistentRead=consistent).get(
            "Item"
        )

    def _decoded(self, key: str, consistent: bool = True) -> Any:
        item = self._item(key, consistent)
        return None if item is None else decode_any(item)

    # --- writes ---

    def add(self, job: Watched) -> None:
        try:
            self.save(job, expected_version=None)
        except StaleVersion as exc:
            # The item that stood in the way comes back with the refusal (ALL_OLD: no read, no more permission).
            # Only the condition's attributes are looked at: refusals are common (discovery lists known jobs).
            current = exc.current
            if current is not None and _ENDED in current and (_OWED in current or _TOKENS in current):
                raise WatchEnding(f"{job.arn}: its last watch still owes notifications or task answers") from exc
            raise AlreadyTracked(job.arn) from exc

    def save(self, job: Watched, expected_version: int | None) -> None:
        if expected_version is None:
            # A new watch: nothing recorded, or a watch that ended (deleted, not found) and owes nothing, as when a
            # resource is re-created under the name of one deleted.
            # Never one that tasks still wait on (they are answered by the poll first).
            condition: dict[str, Any] = {
                "ConditionExpression": f"attribute_not_exists(jobArn) OR "
                f"(attribute_exists({_ENDED}) AND attribute_not_exists({_OWED}) AND attribute_not_exists({_TOKENS}))",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        else:
            condition = _version_is(expected_version)
        self._call("put_item", TableName=self._table, Item=_to_wire(encode(job)), **condition)

    def touch(self, jobs: Sequence[Watched], checked_at: datetime) -> None:
        stamp = iso(checked_at)
        for job in jobs:
            try:
                self._call(
                    "update_item",
                    TableName=self._table,
                    Key={"jobArn": {"S": job.arn}},
                    UpdateExpression="SET lastCheckedAt = :at",
                    ConditionExpression="attribute_exists(activeShard)",
                    ExpressionAttributeValues={":at": {"S": stamp}},
                )
            except StaleVersion:
                continue  # finished or untracked meanwhile: nothing to reorder

    def save_mark(self, mark: AccountMark, expected_version: int | None) -> None:
        """Record an unreachable account's mark: new (none there) or replacing the version read."""
        self._put(encode_mark(mark), expected_version)

    def _put(self, item: dict[str, Any], expected_version: int | None) -> None:
        """Write an item of its own kind (a mark, an expectation): new, or replacing the version read."""
        absent = {"ConditionExpression": "attribute_not_exists(jobArn)"}
        condition = absent if expected_version is None else _version_is(expected_version)
        self._call("put_item", TableName=self._table, Item=_to_wire(item), **condition)

    def clear_mark(self, mark: AccountMark) -> None:
        """The account is read again: its mark goes, unless another poll changed it since it was read."""
        self._call(
            "delete_item",
            TableName=self._table,
            Key={"jobArn": {"S": mark_key(mark.account)}},
            **_version_is(mark.version),
        )

    def save_expectation(self, expectation: Expectation, expected_version: int | None) -> None:
        """Write an expectation: new (none there) or replacing the version read."""
        self._put(encode_expectation(expectation), expected_version)

    def delete_expectation(self, arn: str) -> bool:
        return self._delete(expectation_key(arn)) is not None

    def save_baseline(self, baseline: ModelBaseline) -> None:
        """Record the latest assessed version of a solution, unless a newer one is recorded already."""
        newer = {"ConditionExpression": "attribute_not_exists(jobArn) OR versionCreatedAt <= :created"}
        values = {"ExpressionAttributeValues": {":created": {"S": baseline.created_at}}} if baseline.created_at else {}
        condition = newer if values else {"ConditionExpression": "attribute_not_exists(versionCreatedAt)"}
        self._call("put_item", TableName=self._table, Item=_to_wire(encode_baseline(baseline)), **condition, **values)

    def delete(self, arn: str) -> int | None:
        """Remove the record: None when there was none, else how many Step Functions tasks waited on it (they are
        left to their own timeouts)."""
        deleted = self._delete(arn)
        return None if deleted is None else len(deleted.get(_TOKENS, {}).get("L", []))

    def _delete(self, key: str) -> dict[str, Any] | None:
        """Delete the item with this key: what it held (wire form), or None when there was none."""
        response = self._call("delete_item", TableName=self._table, Key={"jobArn": {"S": key}}, ReturnValues="ALL_OLD")
        return response.get("Attributes")

    # --- plumbing ---

    def _paginate(self, operation: str, **params: Any) -> Iterable[dict[str, Any]]:
        try:
            for page in self._client.get_paginator(operation).paginate(**params):
                yield from page.get("Items", [])
        except NoCredentialsError:
            raise  # not the table's fault: the caller says so in its own words
        except (ClientError, BotoCoreError) as exc:
            raise _store_error(exc, self._table) from exc

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        try:
            return getattr(self._client, operation)(**params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                stale = StaleVersion(f"conditional {operation} on table {self._table!r} lost")
                stale.current = exc.response.get("Item")  # the item as stored (wire form), when asked for
                raise stale from exc
            raise _store_error(exc, self._table) from exc
        except NoCredentialsError:
            raise
        except BotoCoreError as exc:
            raise _store_error(exc, self._table) from exc


def _version_is(expected: int) -> dict[str, Any]:
    """The condition of every replacement: the item is still the version that was read."""
    return {
        "ConditionExpression": "#version = :expected",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":expected": {"N": str(expected)}},
    }


def _store_error(exc: Exception, table: str) -> StoreUnavailable:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        kind = TableNotFound if error.get("Code") == "ResourceNotFoundException" else StoreUnavailable
        return kind(f"table {table!r}: {error.get('Code')}: {error.get('Message')}")
    return StoreUnavailable(f"table {table!r}: {exc}")


def _to_wire(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items() if value is not None}


# --- the item layout ---


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
        _ENDED: job.ended_by.value if job.ended_by else None,
        _OWED: [_encode_pending(owed) for owed in job.pending] or None,
        "leaseUntil": job.lease_until,
        "stuckNotified": True if job.stuck_notified else None,
        "activeShard": ACTIVE_SHARD if job.in_active_index else None,
        TTL_ATTRIBUTE: job.expires_at,
        "latestUpdate": _encode_update(job.update),
        "wakeUntil": job.wake_until,
        "wokenBy": job.woken_by,
        "versionsCheckedAt": job.versions_checked_at,
        "nextVersionsCheck": job.next_versions_check,
        "watchId": job.watch_id,
        FOLLOWS_ATTRIBUTE: None if job.finished else job.follows,
        "assessment": _encode_assessment(job.assessment),
        _TOKENS: [{"token": task.token, "since": task.since} for task in job.task_tokens] or None,
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
    )


def _kind_of(wire_item: dict[str, Any]) -> str | None:
    kind = wire_item.get("jobKind")
    return kind.get("S") if isinstance(kind, dict) else None


def decode_any(wire_item: dict[str, Any]) -> Watched | MalformedItem | AccountMark | ModelBaseline | Expectation:
    """A job, an unreachable account's mark, a solution's model baseline, an expected cadence, or what could not be
    read as one."""
    kind = _kind_of(wire_item)
    if kind not in (MARK_KIND, BASELINE_KIND, EXPECTATION_KIND):
        return decode_or_report(wire_item)
    key = str(wire_item.get("jobArn", {}).get("S", "?"))
    try:
        item = {name: _deserializer.deserialize(value) for name, value in wire_item.items()}
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
    ended_by = _optional_text(item, _ENDED)
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
        pending=tuple(_decode_pending(owed) for owed in _list(item, _OWED)),
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
        task_tokens=tuple(_decode_token(task) for task in _list(item, _TOKENS)),
    )


def _decode_token(task: Any) -> TaskToken:
    if not isinstance(task, dict):
        raise _Malformed(f"taskTokens entry {task!r} is not a map")
    return TaskToken(token=_text(task, "token"), since=_timestamp(task, "since"))


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
