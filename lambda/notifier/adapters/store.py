"""DynamoDB adapter for the table of watched jobs and resources: every read and every conditional write, in the
item layout notifier.adapters.items keeps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from notifier.adapters.items import (
    ACTIVE_INDEX,
    ACTIVE_SHARD,
    ENDED_ATTRIBUTE,
    FOLLOWERS_INDEX,
    FOLLOWS_ATTRIBUTE,
    OWED_ATTRIBUTE,
    SERVING_SHARD,
    TOKENS_ATTRIBUTE,
    baseline_key,
    decode_any,
    decode_or_report,
    encode,
    encode_baseline,
    encode_expectation,
    encode_mark,
    encode_usage_clock,
    expectation_key,
    mark_key,
    to_wire,
)
from notifier.domain.cadence import Expectation
from notifier.domain.quality import ModelBaseline
from notifier.domain.reachability import AccountMark
from notifier.domain.usage import UsageClock
from notifier.domain.watched import Watched, iso
from notifier.ports import AlreadyTracked, MalformedItem, StaleVersion, StoreUnavailable, TableNotFound, WatchEnding


class DynamoWatchStore:
    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client

    # --- reads ---

    def active_records(
        self,
    ) -> Iterator[Watched | MalformedItem | AccountMark | ModelBaseline | Expectation | UsageClock]:
        """Jobs still polled, least recently checked first, the marks of unreachable accounts, the expected
        cadences and the usage clock: one Query per 1 MB page of active items (model baselines are never among
        them)."""
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

    def serving_records(self) -> Iterator[Watched | MalformedItem]:
        """ACTIVE campaigns and recommenders at rest: the index's serving partition, which no poll's query reads."""
        pages = self._paginate(
            "query",
            TableName=self._table,
            IndexName=ACTIVE_INDEX,
            KeyConditionExpression="activeShard = :serving",
            ExpressionAttributeValues={":serving": {"S": SERVING_SHARD}},
        )
        for item in pages:
            yield decode_or_report(item)

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

    def all_records(
        self,
    ) -> Iterator[Watched | MalformedItem | AccountMark | ModelBaseline | Expectation | UsageClock]:
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
            if (
                current is not None
                and ENDED_ATTRIBUTE in current
                and (OWED_ATTRIBUTE in current or TOKENS_ATTRIBUTE in current)
            ):
                raise WatchEnding(f"{job.arn}: its last watch still owes notifications or task answers") from exc
            raise AlreadyTracked(job.arn) from exc

    def save(self, job: Watched, expected_version: int | None) -> None:
        if expected_version is None:
            # A new watch: nothing recorded, or a watch that ended (deleted, not found) and owes nothing, as when a
            # resource is re-created under the name of one deleted.
            # Never one that tasks still wait on (they are answered by the poll first).
            condition: dict[str, Any] = {
                "ConditionExpression": f"attribute_not_exists(jobArn) OR (attribute_exists({ENDED_ATTRIBUTE}) "
                f"AND attribute_not_exists({OWED_ATTRIBUTE}) AND attribute_not_exists({TOKENS_ATTRIBUTE}))",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        else:
            condition = _version_is(expected_version)
        self._call("put_item", TableName=self._table, Item=to_wire(encode(job)), **condition)

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
        self._call("put_item", TableName=self._table, Item=to_wire(item), **condition)

    def clear_mark(self, mark: AccountMark) -> None:
        """The account is read again: its mark goes, unless another poll changed it since it was read."""
        self._call(
            "delete_item",
            TableName=self._table,
            Key={"jobArn": {"S": mark_key(mark.account)}},
            **_version_is(mark.version),
        )

    def save_usage_clock(self, clock: UsageClock, expected_version: int | None) -> None:
        """Claim the hour's usage reading: new (none there) or replacing the version read."""
        self._put(encode_usage_clock(clock), expected_version)

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
        self._call("put_item", TableName=self._table, Item=to_wire(encode_baseline(baseline)), **condition, **values)

    def delete(self, arn: str) -> int | None:
        """Remove the record: None when there was none, else how many Step Functions tasks waited on it (they are
        left to their own timeouts)."""
        deleted = self._delete(arn)
        return None if deleted is None else len(deleted.get(TOKENS_ATTRIBUTE, {}).get("L", []))

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


def build_store(table_name: str, session: Any = None) -> DynamoWatchStore:
    """The table's adapter over a session's DynamoDB client (a new default session when none is given)."""
    session = session or boto3.session.Session()
    return DynamoWatchStore(table_name, session.client("dynamodb"))
