"""Counting what the code under measurement asks DynamoDB for, on the client's side (botocore's events)."""

from __future__ import annotations

from typing import Any


class DynamoCounter:
    READS = {"Query", "Scan", "GetItem", "BatchGetItem"}
    WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}

    def __init__(self, client: Any) -> None:
        self.reads = self.writes = 0
        client.meta.events.register("before-call.dynamodb", self._count)

    @property
    def requests(self) -> int:
        return self.reads + self.writes

    def _count(self, model: Any, **_: Any) -> None:
        if model.name in self.READS:
            self.reads += 1
        elif model.name in self.WRITES:
            self.writes += 1
