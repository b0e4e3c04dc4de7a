"""Seeding the benchmark's table: watched records written in batches, as a deployed table holds them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from notifier.adapters.items import encode
from notifier.domain.watched import Watched

BATCH = 25  # DynamoDB BatchWriteItem's limit of requests per call


def write_records(dynamodb: Any, table: str, records: Iterable[Watched]) -> None:
    serializer, batch = TypeSerializer(), []
    for record in records:
        item = {key: serializer.serialize(value) for key, value in encode(record).items() if value is not None}
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == BATCH:
            dynamodb.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        dynamodb.batch_write_item(RequestItems={table: batch})
