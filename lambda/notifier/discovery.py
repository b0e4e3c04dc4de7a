"""Finding jobs to watch without copying ARNs: listings (CLI `discover`, the poll's optional discovery)
and CloudTrail "AWS API Call via CloudTrail" events for Create...Job calls (the track Lambda)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notifier import jobs
from notifier.jobs import JOB_KINDS, InvalidJobArn, JobKind, JobSnapshot
from notifier.poller import utc_now
from notifier.ports import AlreadyTracked, JobLister
from notifier.tracking import JobAdder

# CloudTrail eventName -> the job kind whose ARN its responseElements carry.
CREATE_EVENTS: dict[str, JobKind] = {"CreateDatasetExportJob": JOB_KINDS["dataset-export-job"]}
RESPONSE_ARN_KEYS: dict[str, str] = {"CreateDatasetExportJob": "datasetExportJobArn"}


@dataclass
class DiscoveryReport:
    listed: int = 0
    tracked: list[str] = field(default_factory=list)
    already_tracked: int = 0
    finished: int = 0  # listed but terminal: nothing to wait for, not tracked


def discover(
    lister: JobLister,
    store: JobAdder,
    *,
    regions: Iterable[str],
    dataset_arns: Iterable[str | None] = (None,),
    kinds: Iterable[JobKind] = tuple(JOB_KINDS.values()),
    clock: Callable[[], datetime] = utc_now,
    progress: Callable[[DiscoveryReport], None] = lambda report: None,
) -> DiscoveryReport:
    """Track every listed job that is still running and not tracked yet; the listed status is the baseline."""
    report = DiscoveryReport()
    datasets = list(dataset_arns)
    for kind in kinds:
        for region in regions:
            for dataset_arn in datasets:
                if dataset_arn is not None and _region_of(dataset_arn) not in (None, region):
                    continue  # a dataset lives in one region: do not list it everywhere
                for summary in lister.list_jobs(kind, region, dataset_arn):
                    report.listed += 1
                    if kind.is_terminal(summary.status):
                        report.finished += 1
                    else:
                        _track_listed(summary, store, clock, report)
                    if report.listed % 100 == 0:
                        progress(report)
    return report


def _track_listed(
    summary: jobs.JobSummary, store: JobAdder, clock: Callable[[], datetime], report: DiscoveryReport
) -> None:
    try:
        parsed = jobs.parse_job_arn(summary.arn)
    except InvalidJobArn:
        return
    snapshot = JobSnapshot(
        status=summary.status, name=summary.name, created_at=summary.created_at, updated_at=summary.updated_at
    )
    try:
        store.add(jobs.new_tracked_job(parsed, clock(), snapshot))
    except AlreadyTracked:
        report.already_tracked += 1
        return
    report.tracked.append(summary.arn)


def _region_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


class IgnoredEvent(ValueError):
    """A CloudTrail event that names no job to track; the message says why (it is logged, not raised to Lambda)."""


def arn_from_cloudtrail(event: Mapping[str, Any]) -> str:
    """The new job's ARN from an EventBridge-delivered CloudTrail event for a Create...Job call."""
    detail = event.get("detail") if isinstance(event, Mapping) else None
    if not isinstance(detail, Mapping):
        raise IgnoredEvent("the event has no detail object")
    name = detail.get("eventName")
    if name not in CREATE_EVENTS:
        raise IgnoredEvent(f"eventName {name!r} is not a job creation this notifier tracks")
    if detail.get("errorCode"):
        raise IgnoredEvent(f"{name} failed ({detail.get('errorCode')}: {detail.get('errorMessage')}); no job exists")
    response = detail.get("responseElements")
    if not isinstance(response, Mapping):
        raise IgnoredEvent(f"{name} event has no responseElements")
    arn = response.get(RESPONSE_ARN_KEYS[name])
    if not isinstance(arn, str) or not arn:
        raise IgnoredEvent(f"{name} responseElements carry no {RESPONSE_ARN_KEYS[name]}")
    try:
        jobs.parse_job_arn(arn)
    except InvalidJobArn as exc:
        raise IgnoredEvent(str(exc)) from None
    return arn
