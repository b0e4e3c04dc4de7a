"""Finding what to watch without copying ARNs: listings (CLI `discover`, the poll's optional discovery)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from notifier.domain import watched
from notifier.domain.arns import InvalidArn, kinds_listing_under, parse_arn, region_of
from notifier.domain.clock import utc_now
from notifier.domain.kinds import KINDS, Kind
from notifier.domain.watched import Snapshot
from notifier.ports import AlreadyTracked, DescribeFailed, Describer, Lister, NotifierError
from notifier.usecases.tracking import RecordStore


@dataclass
class DiscoveryReport:
    listed: int = 0
    tracked: list[str] = field(default_factory=list)
    already_tracked: int = 0
    finished: int = 0  # listed but ended (or being deleted): nothing to wait for, not tracked
    errors: list[str] = field(default_factory=list)  # listings that failed; the others still ran


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
