"""Job kinds, ARNs, statuses and the tracked-job record. Pure: no boto3, no clock, no I/O."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

# Personalize's own ARN pattern (botocore's service model), plus its 256-character limit.
ARN_MAX_LENGTH = 256
_ARN_PARTS = re.compile(
    r"^arn:(?P<partition>[a-z\d-]+):personalize:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):"
    r"(?P<account>\d{12}):(?P<resource_type>[a-z-]+)/(?P<name>[^/]+(?:/[^/]+)*)$"
)


class Outcome(StrEnum):
    """What a raw status means for routing; messages still show the raw status."""

    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"


class Event(StrEnum):
    """Why a notification was sent (the `event` message attribute)."""

    TRANSITION = "transition"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    STUCK = "stuck"


@dataclass(frozen=True)
class JobKind:
    """One row of the registry: everything needed to watch one kind of Personalize job.

    Operation and field names are botocore's (tests/unit/test_registry.py checks each against the
    service model); statuses are the API's exact strings from its reference.
    """

    name: str  # the `jobKind` message attribute
    label: str  # for people: "Dataset export job"
    arn_resource_type: str  # arn:...:<type>/<name>[/<version>]
    arn_path_parts: int  # 2 for solution versions: solution/<name>/<version id>
    describe_operation: str  # boto3 method name
    describe_arn_parameter: str
    describe_response_key: str
    list_operation: str
    list_response_key: str
    list_filter_parameter: str  # what List... narrows by: a dataset, a solution version, ...
    parent_key: str  # that parent's ARN in the describe response
    parent_label: str
    create_event: str  # the CloudTrail eventName of the Create... call; its response carries the ARN
    success_statuses: frozenset[str]
    failure_statuses: frozenset[str]
    stopped_statuses: frozenset[str] = frozenset()
    output_path: tuple[str, ...] = ()  # where the result lands, in the describe response
    input_path: tuple[str, ...] = ()  # where the input came from
    facts: tuple[tuple[str, str], ...] = ()  # (label, response key) worth telling

    @property
    def event_detail_type(self) -> str:
        """EventBridge detail-type: "Personalize Dataset Export Job State Change"."""
        return f"Personalize {self.label.title()} State Change"

    def outcome(self, status: str | None) -> Outcome:
        if status in self.success_statuses:
            return Outcome.SUCCEEDED
        if status in self.failure_statuses:
            return Outcome.FAILED
        if status in self.stopped_statuses:
            return Outcome.STOPPED
        # Unknown strings are statuses too: keep watching until a terminal one arrives.
        return Outcome.IN_PROGRESS

    def is_terminal(self, status: str | None) -> bool:
        return self.outcome(status) is not Outcome.IN_PROGRESS


_CREATED = frozenset({"ACTIVE"})
_CREATE_FAILED = frozenset({"CREATE FAILED"})
_S3_OUTPUT = ("jobOutput", "s3DataDestination", "path")

REGISTRY: tuple[JobKind, ...] = (
    JobKind(
        name="dataset-export-job",
        label="Dataset export job",
        arn_resource_type="dataset-export-job",
        arn_path_parts=1,
        describe_operation="describe_dataset_export_job",
        describe_arn_parameter="datasetExportJobArn",
        describe_response_key="datasetExportJob",
        list_operation="list_dataset_export_jobs",
        list_response_key="datasetExportJobs",
        list_filter_parameter="datasetArn",
        parent_key="datasetArn",
        parent_label="Dataset",
        create_event="CreateDatasetExportJob",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        output_path=_S3_OUTPUT,
        facts=(("Ingestion mode", "ingestionMode"),),
    ),
    JobKind(
        name="dataset-import-job",
        label="Dataset import job",
        arn_resource_type="dataset-import-job",
        arn_path_parts=1,
        describe_operation="describe_dataset_import_job",
        describe_arn_parameter="datasetImportJobArn",
        describe_response_key="datasetImportJob",
        list_operation="list_dataset_import_jobs",
        list_response_key="datasetImportJobs",
        list_filter_parameter="datasetArn",
        parent_key="datasetArn",
        parent_label="Dataset",
        create_event="CreateDatasetImportJob",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        input_path=("dataSource", "dataLocation"),
        facts=(("Import mode", "importMode"),),
    ),
    JobKind(
        name="batch-inference-job",
        label="Batch inference job",
        arn_resource_type="batch-inference-job",
        arn_path_parts=1,
        describe_operation="describe_batch_inference_job",
        describe_arn_parameter="batchInferenceJobArn",
        describe_response_key="batchInferenceJob",
        list_operation="list_batch_inference_jobs",
        list_response_key="batchInferenceJobs",
        list_filter_parameter="solutionVersionArn",
        parent_key="solutionVersionArn",
        parent_label="Solution version",
        create_event="CreateBatchInferenceJob",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        output_path=_S3_OUTPUT,
        input_path=("jobInput", "s3DataSource", "path"),
        facts=(("Results per item", "numResults"), ("Mode", "batchInferenceJobMode")),
    ),
    JobKind(
        name="batch-segment-job",
        label="Batch segment job",
        arn_resource_type="batch-segment-job",
        arn_path_parts=1,
        describe_operation="describe_batch_segment_job",
        describe_arn_parameter="batchSegmentJobArn",
        describe_response_key="batchSegmentJob",
        list_operation="list_batch_segment_jobs",
        list_response_key="batchSegmentJobs",
        list_filter_parameter="solutionVersionArn",
        parent_key="solutionVersionArn",
        parent_label="Solution version",
        create_event="CreateBatchSegmentJob",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        output_path=_S3_OUTPUT,
        input_path=("jobInput", "s3DataSource", "path"),
        facts=(("Users per segment", "numResults"),),
    ),
    JobKind(
        name="solution-version",
        label="Solution version",
        arn_resource_type="solution",
        arn_path_parts=2,
        describe_operation="describe_solution_version",
        describe_arn_parameter="solutionVersionArn",
        describe_response_key="solutionVersion",
        list_operation="list_solution_versions",
        list_response_key="solutionVersions",
        list_filter_parameter="solutionArn",
        parent_key="solutionArn",
        parent_label="Solution",
        create_event="CreateSolutionVersion",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        # Training can be stopped: CREATE STOPPING is still in progress, CREATE STOPPED is an ending.
        stopped_statuses=frozenset({"CREATE STOPPED"}),
        facts=(("Training mode", "trainingMode"), ("Training hours", "trainingHours")),
    ),
    JobKind(
        name="data-deletion-job",
        label="Data deletion job",
        arn_resource_type="data-deletion-job",
        arn_path_parts=1,
        describe_operation="describe_data_deletion_job",
        describe_arn_parameter="dataDeletionJobArn",
        describe_response_key="dataDeletionJob",
        list_operation="list_data_deletion_jobs",
        list_response_key="dataDeletionJobs",
        list_filter_parameter="datasetGroupArn",
        parent_key="datasetGroupArn",
        parent_label="Dataset group",
        create_event="CreateDataDeletionJob",
        # Its own vocabulary: PENDING > IN_PROGRESS > COMPLETED or FAILED.
        success_statuses=frozenset({"COMPLETED"}),
        failure_statuses=frozenset({"FAILED"}),
        input_path=("dataSource", "dataLocation"),
        facts=(("Records deleted", "numDeleted"),),
    ),
)

JOB_KINDS: dict[str, JobKind] = {kind.name: kind for kind in REGISTRY}


def api_name(operation: str) -> str:
    """boto3's method name to the API's: describe_dataset_export_job -> DescribeDatasetExportJob."""
    return "".join(part.capitalize() for part in operation.split("_"))


_BY_ARN_SHAPE: dict[tuple[str, int], JobKind] = {(k.arn_resource_type, k.arn_path_parts): k for k in REGISTRY}


class InvalidJobArn(ValueError):
    """An ARN this tool cannot watch; the message names the ARN and why."""

    def __init__(self, arn: object, why: str) -> None:
        self.arn = arn
        self.why = why
        super().__init__(f"{arn!r} is not a job ARN this notifier can watch: {why}")


_PARTITION = re.compile(r"aws(?:-[a-z]+)*")
REGION_PATTERN = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")  # a region name, like us-east-1 (use fullmatch)
_ACCOUNT = re.compile(r"\d{12}")


def arn_part_error(arn: str, service: str) -> str | None:
    """Which part of arn:PARTITION:SERVICE:REGION:ACCOUNT:TYPE/NAME is wrong, in words; None when all look right."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return f"not an ARN (expected arn:PARTITION:{service}:REGION:ACCOUNT:TYPE/NAME)"
    _, partition, named_service, region, account, resource = parts
    if not _PARTITION.fullmatch(partition):
        return f"the partition {partition!r} is not one (aws, aws-cn, aws-us-gov, ...)"
    if named_service != service:
        return f"the service {named_service!r} is not {service}"
    if not REGION_PATTERN.fullmatch(region):
        return f"the region {region!r} is not a region name (like us-east-1)"
    if not _ACCOUNT.fullmatch(account):
        return f"the account {account!r} is not a 12-digit account ID"
    resource_type, slash, name = resource.partition("/")
    if not slash or not resource_type:
        return f"the resource {resource!r} is not TYPE/NAME"
    if not name or "" in name.split("/"):
        return f"the name after {resource_type}/ is missing"
    return None


@dataclass(frozen=True)
class JobArn:
    arn: str
    partition: str
    region: str
    account: str
    kind: JobKind
    name: str


def parse_job_arn(arn: object) -> JobArn:
    """Validate a tracked ARN and tell its kind, region and name; a bad one is named with the part that is wrong."""
    if not isinstance(arn, str) or not arn:
        raise InvalidJobArn(arn, "expected a non-empty string")
    if len(arn) > ARN_MAX_LENGTH:
        raise InvalidJobArn(arn, f"longer than {ARN_MAX_LENGTH} characters")
    why = arn_part_error(arn, "personalize")
    if why:
        raise InvalidJobArn(arn, why)
    parts = _ARN_PARTS.match(arn)
    if parts is None:
        raise InvalidJobArn(arn, "expected arn:PARTITION:personalize:REGION:ACCOUNT:TYPE/NAME")
    kind = _BY_ARN_SHAPE.get((parts["resource_type"], parts["name"].count("/") + 1))
    if kind is None:
        supported = ", ".join(
            f"{k.arn_resource_type}/{'NAME/ID' if k.arn_path_parts == 2 else 'NAME'}" for k in REGISTRY
        )
        raise InvalidJobArn(
            arn, f"the type {parts['resource_type']}/{parts['name']} is not a job it watches ({supported})"
        )
    return JobArn(
        arn=arn,
        partition=parts["partition"],
        region=parts["region"],
        account=parts["account"],
        kind=kind,
        name=parts["name"],
    )


@dataclass(frozen=True)
class JobSnapshot:
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
class JobSummary:
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
class TrackedJob:
    """One item of the tracked-jobs table."""

    arn: str
    kind: JobKind
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

    def evolve(self, **changes: object) -> TrackedJob:
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


def new_tracked_job(job_arn: JobArn, now: datetime, snapshot: JobSnapshot | None = None) -> TrackedJob:
    """A job as `track` records it: the status seen at tracking time is the baseline, not a transition."""
    stamp = iso(now)
    job = TrackedJob(
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


def observe(job: TrackedJob, snapshot: JobSnapshot, now: datetime, lease: timedelta) -> TrackedJob | None:
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


def end_tracking(job: TrackedJob, event: Event, detail: str, now: datetime, lease: timedelta) -> TrackedJob:
    """The job cannot be described any more (gone, or an ARN Personalize rejects): say so once, then stop."""
    return _owe(job.evolve(ended_by=event), event, now, lease, detail=detail)


def lease_held(job: TrackedJob, now: datetime) -> bool:
    """Another poll claimed this job's pending notifications and may be publishing them right now."""
    return job.lease_until is not None and job.lease_until > iso(now)


def claim_pending(job: TrackedJob, now: datetime, lease: timedelta) -> TrackedJob:
    return job.evolve(version=job.version + 1, lease_until=iso(now + lease))


def check_stuck(job: TrackedJob, now: datetime, stuck_after: timedelta | None, lease: timedelta) -> TrackedJob | None:
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
    job: TrackedJob, event: Event, now: datetime, lease: timedelta, old_status: str | None = None, **details: str | None
) -> TrackedJob:
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
    job: TrackedJob, published: int, now: datetime, retention: timedelta, next_delivered: tuple[str, ...] = ()
) -> TrackedJob:
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


def _with_details(job: TrackedJob, snapshot: JobSnapshot) -> TrackedJob:
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
