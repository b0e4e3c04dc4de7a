"""In-memory stand-ins for the ports, with faults a test can inject (the testable-architecture pattern).

The real adapters' behaviour these copy (conditional writes on `version`, the sparse index order) is
proven against moto in tests/integration; these let property tests run thousands of polls quickly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from notifier.domain.watched import Snapshot, Watched, iso
from notifier.ports import (
    AlreadyTracked,
    DescribeFailed,
    MalformedItem,
    PublishFailed,
    ResourceNotFound,
    StaleVersion,
    StoreUnavailable,
    WatchEnding,
)
from notifier.rendering.envelope import Notification


class FunctionDied(BaseException):
    """The Lambda was killed (timeout, out of memory): nothing after this line runs, no except catches it."""


@dataclass
class FakeStore:
    items: dict[str, Watched] = field(default_factory=dict)
    throttle_saves: set[int] = field(default_factory=set)  # the n-th save calls fail (counted from 1)
    saves: int = 0
    # Owed ids on an item whose write failed: delivery progress made before that write may be sent again.
    unrecorded: set[str] = field(default_factory=set)

    def active_records(self) -> Iterable[Watched | MalformedItem]:
        active = [job for job in self.items.values() if job.in_active_index]
        return sorted(active, key=lambda job: (job.last_checked_at, job.arn))

    def save(self, job: Watched, expected_version: int | None) -> None:
        self.saves += 1
        current = self.items.get(job.arn)
        if self.saves in self.throttle_saves:
            if current is not None:
                self.unrecorded |= {owed.id for owed in current.pending}
            raise StoreUnavailable("ProvisionedThroughputExceededException (injected)")
        if expected_version is None:
            if current is not None and not current.watch_over:  # as DynamoWatchStore's condition
                raise StaleVersion(job.arn)
        elif current is None or current.version != expected_version:
            raise StaleVersion(job.arn)
        self.items[job.arn] = job

    def add(self, job: Watched) -> None:
        try:
            self.save(job, None)
        except StaleVersion as exc:
            current = self.items.get(job.arn)
            if current is not None and current.watch_ending:
                raise WatchEnding(job.arn) from exc
            raise AlreadyTracked(job.arn) from exc

    def get(self, arn: str) -> Watched | None:
        return self.items.get(arn)

    def followers(self, solution_arn: str) -> Iterable[Watched | MalformedItem]:
        return [job for job in self.items.values() if not job.finished and job.follows == solution_arn]

    def delete(self, arn: str) -> bool:
        return self.items.pop(arn, None) is not None

    def touch(self, jobs: Sequence[Watched], checked_at: datetime) -> None:
        for job in jobs:
            if job.arn in self.items and self.items[job.arn].in_active_index:
                self.items[job.arn] = self.items[job.arn].evolve(last_checked_at=iso(checked_at))


@dataclass
class FakePersonalize:
    statuses: dict[str, str] = field(default_factory=dict)
    throttled: set[str] = field(default_factory=set)

    def describe(self, job: Watched) -> Snapshot:
        if job.arn in self.throttled:
            raise DescribeFailed(job.arn, "ThrottlingException", "Rate exceeded (injected)")
        if job.arn not in self.statuses:
            raise ResourceNotFound(job.arn)
        status = self.statuses[job.arn]
        return Snapshot(
            status=status,
            output_path="s3://out/" if status == "ACTIVE" else None,
            failure_reason="boom" if status == "CREATE FAILED" else None,
        )


@dataclass
class FakeChannel:
    """Records what it accepted; can refuse (PublishFailed) or have the function die around a publish."""

    name: str
    delivered: list[Notification] = field(default_factory=list)
    fail_next: int = 0
    die_before_next: bool = False
    die_after_next: bool = False
    died_after: list[str] = field(default_factory=list)  # ids accepted just before the function died

    def publish(self, notification: Notification) -> None:
        if self.die_before_next:
            self.die_before_next = False
            raise FunctionDied("before publish")
        if self.fail_next:
            self.fail_next -= 1
            raise PublishFailed(f"{self.name} refused (injected)")
        self.delivered.append(notification)
        if self.die_after_next:
            self.die_after_next = False
            self.died_after.append(notification.id)
            raise FunctionDied("after publish, before the clear")
