"""The lifecycle of models: the versions an automatically training solution makes are watched like any, and a
new ACTIVE version wakes the campaigns that sync with its solution's latest version."""

from __future__ import annotations

from notifier import watched
from notifier.account_notices import unreachable
from notifier.arns import InvalidArn, account_of, parse_arn
from notifier.cycle import Cycle
from notifier.kinds import SOLUTION_VERSION
from notifier.observability import logger
from notifier.ports import AccountUnreachable, AlreadyTracked, DescribeFailed, Lister, MalformedItem, NotifierError
from notifier.watched import Snapshot, Watched, solution_of


def check_versions(cycle: Cycle, lister: Lister | None, solution: Watched) -> None:
    """List the solution's versions; watch each new one (or one still training) like any solution version."""
    if lister is None:
        return
    report = cycle.report
    try:
        listed = list(lister.list_summaries(SOLUTION_VERSION, solution.region, solution.arn))
    except AccountUnreachable as exc:
        unreachable(cycle, exc)
        return
    except DescribeFailed as exc:
        report.describe_errors += 1
        report.problems.append(f"could not list the versions of {solution.arn}: {exc}")
        logger.warning("Listing solution versions failed; tried next poll", extra={"job_arn": solution.arn})
        return
    report.versions_checks += 1
    report.accounts_read.add(account_of(solution.arn))
    now = cycle.clock()
    for summary, is_baseline in watched.versions_to_watch(solution, listed):
        try:
            parsed = parse_arn(summary.arn)
        except InvalidArn:
            continue
        seen = (
            Snapshot(status=summary.status, name=summary.name, created_at=summary.created_at) if is_baseline else None
        )
        try:
            cycle.store.add(watched.start_watching(parsed, now, seen))
        except AlreadyTracked:
            continue
        except NotifierError as exc:
            report.store_errors += 1
            report.problems.append(f"could not start watching {summary.arn}: {exc}")
            continue
        report.jobs_discovered += 1
        logger.info("Watching a new solution version", extra={"job_arn": summary.arn, "solution": solution.arn})
    cycle.save(watched.versions_checked(solution, now, cycle.settings.versions_every), solution.version)


def wake_followers(cycle: Cycle, version: Watched) -> None:
    """A solution version became ACTIVE: campaigns syncing with that solution's latest version move to it."""
    solution = solution_of(version.arn)
    if solution is None:
        return
    try:
        followers = list(cycle.store.followers(solution))
    except NotifierError as exc:
        cycle.report.store_errors += 1
        cycle.report.problems.append(f"could not find the campaigns following {solution}: {exc}")
        return
    for follower in followers:
        if isinstance(follower, MalformedItem):
            continue
        woken = watched.wake(follower, cycle.clock(), f"new ACTIVE solution version {version.arn}")
        if woken is not None and cycle.save(woken, follower.version):
            cycle.report.woken += 1
            logger.info("Woken: its solution has a new version", extra={"job_arn": follower.arn})
