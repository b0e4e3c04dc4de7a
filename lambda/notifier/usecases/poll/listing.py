"""The listing strategy: where several active jobs share a parent (a dataset, a solution version ...), one List
page tells up to 100 statuses, so those groups are listed and only the jobs whose status changed (or that the
listing did not show) are described. Small groups are cheaper to describe job by job."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from notifier.domain.kinds import KINDS, SOLUTION_VERSION, Kind
from notifier.domain.watched import Watched
from notifier.observability import logger
from notifier.ports import DescribeFailed, Lister
from notifier.usecases.poll.report import PollReport


def listed_by_parent(kind: Kind) -> bool:
    """Jobs of this kind are listed by their parent when several are active under one (a dataset's exports)."""
    return not kind.lives_on and kind.list_filter_parameter is not None


def kinds_a_poll_lists() -> tuple[Kind, ...]:
    """Every kind whose List... call a poll may make without discovery: jobs grouped under a parent, and the
    versions of automatically training solutions. The poll role's List actions come from this."""
    return tuple(kind for kind in KINDS.values() if listed_by_parent(kind) or kind is SOLUTION_VERSION)


def plan_listing(batch: list[Watched], threshold: int) -> dict[tuple[Kind, str, str], list[Watched]]:
    """Groups of at least `threshold` active jobs under one parent, in one region: those worth a listing."""
    groups: dict[tuple[Kind, str, str], list[Watched]] = {}
    for job in batch:
        if job.parent_arn and job.status is not None and listed_by_parent(job.kind):
            groups.setdefault((job.kind, job.region, job.parent_arn), []).append(job)
    return {key: group for key, group in groups.items() if len(group) >= threshold}


def check_by_listing(
    lister: Lister | None,
    batch: list[Watched],
    *,
    threshold: int,
    pool: ThreadPoolExecutor,
    out_of_time: Callable[[], bool],
    report: PollReport,
) -> tuple[list[Watched], list[Watched]]:
    """(jobs a listing showed unchanged, jobs to describe)."""
    groups = plan_listing(batch, threshold) if lister else {}
    listed = {key: pool.submit(_list_group, lister, key, group, out_of_time) for key, group in groups.items()}
    grouped = {job.arn for group in groups.values() for job in group}
    unchanged: list[Watched] = []
    to_describe = [job for job in batch if job.arn not in grouped]
    for key, future in listed.items():
        try:
            statuses = future.result()
        except DescribeFailed as exc:
            logger.warning("Listing failed; describing the jobs one by one", extra={"error": str(exc)})
            statuses = {}
        report.list_calls += 1 if statuses is not None else 0
        for job in groups[key]:
            seen = (statuses or {}).get(job.arn)
            (unchanged if seen is not None and seen == job.status else to_describe).append(job)
    return unchanged, to_describe


def _list_group(
    lister: Lister | None, key: tuple[Kind, str, str], group: list[Watched], out_of_time: Callable[[], bool]
) -> dict[str, str] | None:
    if out_of_time() or lister is None:
        return None
    kind, region, parent = key
    wanted = {job.arn for job in group}
    statuses: dict[str, str] = {}
    # Stop paging once every tracked job is seen, or after the pages they could fill (newest first).
    budget = (len(group) + 99) // 100 * 100 + 100
    for position, summary in enumerate(lister.list_summaries(kind, region, parent)):
        if summary.arn in wanted:
            statuses[summary.arn] = summary.status
        if len(statuses) == len(wanted) or position + 1 >= budget:
            break
    return statuses
