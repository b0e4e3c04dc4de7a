"""The interfaces the use cases work through, and the domain errors the adapters raise.

notifier.adapters (store, personalize, publisher) implement them with boto3; tests may pass fakes. A use case
that needs less than a port names that much itself (tracking's RecordStore, waiting's Source).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from notifier.domain.cadence import Expectation, Target
from notifier.domain.kinds import Kind
from notifier.domain.quality import ModelBaseline
from notifier.domain.reachability import AccountMark
from notifier.domain.usage import UsageClock
from notifier.domain.watched import Snapshot, Summary, Watched
from notifier.rendering.envelope import Notification


class NotifierError(Exception):
    """Base of the errors this package raises on purpose."""


class StaleVersion(NotifierError):
    """A conditional write lost: another poll (or a CLI command) changed the item first. `current` is the stored
    item that stood in the way, where the store was given it back."""

    current: dict | None = None


class AlreadyTracked(NotifierError):
    pass


class WatchEnding(AlreadyTracked):
    """The ARN's last watch has ended (its resource deleted) but still owes notifications: a new watch of it
    (the resource created again under its name) can start once the next poll has published them."""


class StoreUnavailable(NotifierError):
    """The table could not be read or written (throttled after retries, access denied, missing table)."""


class TableNotFound(StoreUnavailable):
    """The table does not exist (in this region)."""


class ResourceNotFound(NotifierError):
    pass


class ResourceRejected(NotifierError):
    """Personalize answered InvalidInputException for this ARN."""


class DescribeFailed(NotifierError):
    """A describe failed for a reason that may pass (throttling, access denied, a malformed answer)."""

    def __init__(self, arn: str, code: str, message: str, *, text: str | None = None) -> None:
        self.arn = arn
        self.code = code
        super().__init__(text or f"{code}: {message} ({arn})")


class AccountUnreachable(DescribeFailed):
    """Another account's Personalize cannot be read: its role cannot be assumed (none yet, its trust broken) or
    refuses the call (an SCP, a narrowed policy). Every job of that account fails alike until it is mended."""

    def __init__(self, account: str, role_arn: str, code: str, message: str) -> None:
        self.account = account
        self.role_arn = role_arn
        # STS's refusal names the role already; Personalize's names the resource: the role is added then.
        text = f"{code}: {message}" + ("" if role_arn in message else f" (through {role_arn})")
        super().__init__(role_arn, code, message, text=text)


class PublishFailed(NotifierError):
    pass


class TaskGone(NotifierError):
    """Step Functions no longer waits for this token (TaskTimedOut, TaskDoesNotExist, InvalidToken): its
    execution ended or timed out. Nothing to retry."""


class TaskRefusedByKey(PublishFailed):
    """The execution is encrypted with a customer managed KMS key that refuses what the answer carries
    (KmsAccessDeniedException, KmsInvalidStateException): trying again does not mend it."""


class TaskAnswers(Protocol):
    """Answers Step Functions tasks waiting on a token: PublishFailed to retry later, TaskGone to drop it,
    TaskRefusedByKey when the execution's key refuses the answer's data."""

    def succeed(self, token: str, output: str) -> None: ...

    def fail(self, token: str, error: str | None, cause: str | None) -> None:
        """None for both: a failure that carries no data, which needs no KMS key (SendTaskFailure)."""

    def heartbeat(self, token: str) -> None:
        """What the task waits on still runs (its HeartbeatSeconds start again)."""


@dataclass(frozen=True)
class MalformedItem:
    """A table item that is not a readable tracked job; it is logged and left in place, never deleted."""

    key: str
    reason: str


class WatchStore(Protocol):
    def active_records(self) -> Iterable[Watched | MalformedItem | AccountMark | Expectation | UsageClock]: ...

    def serving_records(self) -> Iterable[Watched | MalformedItem]:
        """ACTIVE campaigns and recommenders at rest (what bills while nothing is under way)."""

    def all_jobs(self) -> Iterable[Watched | MalformedItem]:
        """Every record, finished or not (a scan)."""

    def save_usage_clock(self, clock: UsageClock, expected_version: int | None) -> None:
        """Write the usage clock if the stored version is `expected_version` (None: only if absent)."""

    def save(self, job: Watched, expected_version: int | None) -> None:
        """Write the whole record if the stored version is `expected_version` (None: only if absent)."""

    def touch(self, jobs: Sequence[Watched], checked_at: datetime) -> None:
        """Move checked records to the back of the queue, without changing their version."""

    def add(self, job: Watched) -> None:
        """Write a new record; AlreadyTracked when one exists."""

    def followers(self, solution_arn: str) -> Iterable[Watched | MalformedItem]:
        """Campaigns that sync with this solution's latest version."""

    def save_mark(self, mark: AccountMark, expected_version: int | None) -> None:
        """Write an unreachable account's mark if the stored version is `expected_version` (None: if absent)."""

    def clear_mark(self, mark: AccountMark) -> None:
        """Delete the mark if it is still the version read."""

    def get(self, arn: str) -> Watched | MalformedItem | None:
        """One record by its ARN."""

    def baseline(self, solution_arn: str) -> ModelBaseline | None:
        """The solution's latest assessed ACTIVE version, if one was recorded."""

    def save_baseline(self, baseline: ModelBaseline) -> None:
        """Record it, unless a newer version is recorded (StaleVersion)."""

    def save_expectation(self, expectation: Expectation, expected_version: int | None) -> None:
        """Write an expectation if the stored version is `expected_version` (None: only if absent)."""

    def delete_expectation(self, arn: str) -> bool: ...

    def expectation(self, arn: str) -> Expectation | MalformedItem | None:
        """The expectation of this ARN, read consistently."""


class Describer(Protocol):
    def describe(self, job: Watched) -> Snapshot: ...


class ModelMetrics(Protocol):
    """A trained version's offline metrics, and the version before it (DescribeFailed when either cannot be had)."""

    def solution_metrics(self, version_arn: str) -> dict[str, float]: ...

    def previous_active_version(self, version_arn: str, created_at: str | None) -> str | None: ...

    def data_imported(self, version_arn: str, since: str, until: str) -> bool:
        """Whether an import into the version's dataset group ended between these times."""


class RequestsAnswered(Protocol):
    """The requests campaigns and recommenders of one account and region answered, per hour (DescribeFailed when
    they cannot be read). `calls` counts what it cost."""

    def hourly_requests(self, resources: Sequence[tuple[str, str]], start: datetime, end: datetime) -> Any: ...


class CadenceLooker(Protocol):
    """When what meets an expectation last happened, as Personalize lists it: (when, what), or None."""

    def last_met(self, target: Target, arn: str) -> tuple[str, str] | None: ...


class Lister(Protocol):
    def list_summaries(self, kind: Kind, region: str, parent_arn: str | None) -> Iterable[Summary]:
        """Every job of `kind` in `region` (of one parent: a dataset, a solution..., or all), page by page."""


class Publisher(Protocol):
    """A delivery channel; `name` marks, per notification, where it has already arrived."""

    name: str

    def publish(self, notification: Notification) -> None: ...
