"""Finding jobs to watch without copying ARNs: listings (CLI `discover`, the poll's optional discovery)
and CloudTrail "AWS API Call via CloudTrail" events for Create...Job calls (the track Lambda)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notifier import watched
from notifier.arns import InvalidArn, parse_arn
from notifier.kinds import KINDS, Kind
from notifier.poller import utc_now
from notifier.ports import AlreadyTracked, DescribeFailed, Lister
from notifier.tracking import JobAdder
from notifier.watched import Snapshot

# CloudTrail eventName -> the job kind whose ARN its responseElements carry (under the kind's ARN key).
CREATE_EVENTS: dict[str, Kind] = {kind.create_event: kind for kind in KINDS.values()}


@dataclass
class DiscoveryReport:
    listed: int = 0
    tracked: list[str] = field(default_factory=list)
    already_tracked: int = 0
    finished: int = 0  # listed but terminal: nothing to wait for, not tracked
    errors: list[str] = field(default_factory=list)  # listings that failed; the others still ran


# What each List... call narrows by, as (ARN resource type, path parts) of the parent it takes.
_PARENT_SHAPES = {
    "datasetArn": ("dataset", 2),
    "datasetGroupArn": ("dataset-group", 1),
    "solutionArn": ("solution", 1),
    "solutionVersionArn": ("solution", 2),
}


_PARENT_ARN = re.compile(r"^arn:[a-z\d-]+:personalize:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:[a-z-]+/.+$")
PARENT_KINDS = "a dataset, dataset group, solution or solution version"


def is_parent_arn(arn: str) -> bool:
    """An ARN some kind's List... narrows by: what `discover` and DISCOVER accept."""
    return bool(_PARENT_ARN.match(arn)) and bool(kinds_listing_under(arn, KINDS.values()))


def kinds_listing_under(parent_arn: str | None, kinds: Iterable[Kind]) -> list[Kind]:
    """The kinds whose List... takes this parent (a dataset: exports and imports; a solution: versions ...)."""
    if parent_arn is None:
        return list(kinds)
    resource = parent_arn.split(":", 5)[-1]
    resource_type, _, path = resource.partition("/")
    shape = (resource_type, path.count("/") + 1 if path else 0)
    return [kind for kind in kinds if _PARENT_SHAPES.get(kind.list_filter_parameter) == shape]


def discover(
    lister: Lister,
    store: JobAdder,
    *,
    regions: Iterable[str],
    parent_arns: Iterable[str | None] = (None,),  # a dataset, dataset group, solution ...; None: everything
    kinds: Iterable[Kind] = tuple(KINDS.values()),
    clock: Callable[[], datetime] = utc_now,
    progress: Callable[[DiscoveryReport], None] = lambda report: None,
) -> DiscoveryReport:
    """Track every listed job that is still running and not tracked yet; the listed status is the baseline."""
    report = DiscoveryReport()
    kinds = list(kinds)
    for parent_arn in list(parent_arns):
        for kind in kinds_listing_under(parent_arn, kinds):
            for region in regions:
                if parent_arn is not None and region_of(parent_arn) not in (None, region):
                    continue  # a parent lives in one region: do not list it everywhere
                try:
                    for summary in lister.list_summaries(kind, region, parent_arn):
                        report.listed += 1
                        if kind.is_terminal(summary.status):
                            report.finished += 1
                        else:
                            _track_listed(summary, store, clock, report)
                        if report.listed % 100 == 0:
                            progress(report)
                except DescribeFailed as exc:
                    report.errors.append(str(exc))  # one kind's listing never stops the others
    return report


def _track_listed(
    summary: watched.Summary, store: JobAdder, clock: Callable[[], datetime], report: DiscoveryReport
) -> None:
    try:
        parsed = parse_arn(summary.arn)
    except InvalidArn:
        return
    snapshot = Snapshot(
        status=summary.status, name=summary.name, created_at=summary.created_at, updated_at=summary.updated_at
    )
    try:
        store.add(watched.start_watching(parsed, clock(), snapshot))
    except AlreadyTracked:
        report.already_tracked += 1
        return
    report.tracked.append(summary.arn)


def region_of(arn: str) -> str | None:
    """The region field of an ARN, when it has one."""
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
    if not isinstance(name, str) or name not in CREATE_EVENTS:
        raise IgnoredEvent(f"eventName {name!r} is not a job creation this notifier tracks")
    if detail.get("errorCode"):
        raise IgnoredEvent(f"{name} failed ({detail.get('errorCode')}: {detail.get('errorMessage')}); no job exists")
    response = detail.get("responseElements")
    if not isinstance(response, Mapping):
        raise IgnoredEvent(f"{name} event has no responseElements")
    key = CREATE_EVENTS[name].describe_arn_parameter
    arn = response.get(key)
    if not isinstance(arn, str) or not arn:
        raise IgnoredEvent(f"{name} responseElements carry no {key}")
    try:
        parse_arn(arn)
    except InvalidArn as exc:
        raise IgnoredEvent(str(exc)) from None
    return arn
