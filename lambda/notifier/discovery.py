"""Finding what to watch without copying ARNs: listings (CLI `discover`, the poll's optional discovery)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from notifier import watched
from notifier.arns import InvalidArn, parse_arn
from notifier.kinds import KINDS, Kind
from notifier.poller import utc_now
from notifier.ports import AlreadyTracked, DescribeFailed, Describer, Lister, NotifierError
from notifier.tracking import RecordStore
from notifier.watched import Snapshot


@dataclass
class DiscoveryReport:
    listed: int = 0
    tracked: list[str] = field(default_factory=list)
    already_tracked: int = 0
    finished: int = 0  # listed but ended (or being deleted): nothing to wait for, not tracked
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
    store: RecordStore,
    *,
    regions: Iterable[str],
    parent_arns: Iterable[str | None] = (None,),  # a dataset, dataset group, solution ...; None: everything
    kinds: Iterable[Kind] = tuple(KINDS.values()),
    clock: Callable[[], datetime] = utc_now,
    progress: Callable[[DiscoveryReport], None] = lambda report: None,
    describer: Describer | None = None,
) -> DiscoveryReport:
    """Track every listed job still running, and every listed resource not being deleted, that is not tracked
    yet; the listed status is the baseline. A resource newly tracked is described once (with `describer`):
    what it serves is the baseline its later changes are told against."""
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
                        if _nothing_to_wait_for(kind, summary.status):
                            report.finished += 1
                        else:
                            _track_listed(summary, store, clock, report, describer)
                        if report.listed % 100 == 0:
                            progress(report)
                except DescribeFailed as exc:
                    report.errors.append(str(exc))  # one kind's listing never stops the others
    return report


def _nothing_to_wait_for(kind: Kind, status: str) -> bool:
    if kind.lives_on:
        return status.startswith("DELETE")
    return kind.is_terminal(status)


def _track_listed(
    summary: watched.Summary,
    store: RecordStore,
    clock: Callable[[], datetime],
    report: DiscoveryReport,
    describer: Describer | None,
) -> None:
    try:
        parsed = parse_arn(summary.arn)
    except InvalidArn:
        return
    snapshot = Snapshot(
        status=summary.status, name=summary.name, created_at=summary.created_at, updated_at=summary.updated_at
    )
    added = watched.start_watching(parsed, clock(), snapshot)
    try:
        store.add(added)
    except AlreadyTracked:
        report.already_tracked += 1
        return
    report.tracked.append(summary.arn)
    if parsed.kind.lives_on and describer is not None:
        # Only once it is known to be new: listings that find it again cost no describe.
        with contextlib.suppress(NotifierError):
            described = watched.start_watching(parsed, clock(), describer.describe(added), watch_id=added.watch_id)
            store.save(described.evolve(version=added.version + 1), added.version)


def region_of(arn: str) -> str | None:
    """The region field of an ARN, when it has one."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None
