"""One poll cycle: re-publish what is owed, describe active jobs, notify each transition exactly once.

The protocol (DESIGN.md): every record change is a conditional write on the record's version, so two
overlapping polls never both notify one transition; a notification is stored as pending before it is
published and cleared only after SNS accepted it, so a failed publish is retried, never lost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from notifier import reachability, watched
from notifier.arns import InvalidArn, parse_arn
from notifier.kinds import KINDS, SOLUTION_VERSION, Kind, Outcome
from notifier.messages import Notification, account_of, render, render_unreachable
from notifier.observability import logger
from notifier.ports import (
    AccountUnreachable,
    AlreadyTracked,
    DescribeFailed,
    Describer,
    Lister,
    MalformedItem,
    NotifierError,
    Publisher,
    PublishFailed,
    ResourceNotFound,
    ResourceRejected,
    StaleVersion,
    WatchStore,
)
from notifier.reachability import AccountMark
from notifier.watched import Event, Snapshot, Watched, solution_of


@dataclass(frozen=True)
class PollSettings:
    max_concurrency: int = 8
    time_margin_seconds: float = 15.0
    publish_lease: timedelta = timedelta(minutes=2)
    retention: timedelta = timedelta(days=90)
    stuck_after: timedelta | None = timedelta(hours=6)
    list_threshold: int = 3  # active jobs under one parent from which a List page beats describing each
    versions_every: timedelta = timedelta(minutes=60)  # how often a solution's automatic training is looked at


@dataclass(frozen=True)
class Finished:
    """A job told finished in this poll: what the dashboard shows (kind, outcome, how long, how soon told)."""

    kind: str
    outcome: str
    duration_seconds: float | None
    notice_seconds: float | None  # from Personalize's last update of the job to the publish that told it


@dataclass
class PollReport:
    """What one poll did; the handler turns it into metrics, the CLI prints it."""

    jobs_read: int = 0
    jobs_polled: int = 0
    transitions: int = 0
    ended: int = 0
    notifications_published: int = 0
    publish_errors: int = 0
    describe_errors: int = 0
    store_errors: int = 0
    malformed_items: int = 0
    lost_races: int = 0
    leased_elsewhere: int = 0
    deferred: int = 0
    jobs_discovered: int = 0  # by discovery, and new versions of automatically training solutions
    stuck: int = 0
    waiting: int = 0  # read, but nothing due (a resting solution between looks at its versions)
    dozed: int = 0  # woken resources back at rest
    woken: int = 0  # campaigns woken by a new version of the solution they follow
    versions_checks: int = 0
    list_calls: int = 0  # listings started (each may be more than one page)
    describe_calls: int = 0
    published: list[Notification] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one readable line per error: what, which job, why
    finished: list[Finished] = field(default_factory=list)
    unreachable: dict[str, AccountUnreachable] = field(default_factory=dict)  # other accounts that refused
    accounts_read: set[str] = field(default_factory=set)  # accounts of the jobs described or listed

    def summary(self) -> dict[str, int]:
        counts = {name: value for name, value in vars(self).items() if isinstance(value, int)}
        return {**counts, "unreachable_accounts": len(self.unreachable)}

    @property
    def idle(self) -> bool:
        """Nothing active or owed was read and nothing was discovered: the poll had nothing to do."""
        busy = self.jobs_read - self.waiting
        return not (busy or self.malformed_items or self.jobs_discovered or self.store_errors)

    def add(self, other: PollReport) -> None:
        """Fold in a later cycle of the same invocation (a re-check)."""
        for name, value in vars(other).items():
            mine = getattr(self, name)
            setattr(self, name, mine | value if isinstance(value, dict | set) else mine + value)


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


def utc_now() -> datetime:
    return datetime.now(UTC)


def unlimited_time() -> float:
    return math.inf


class Poller:
    def __init__(
        self,
        store: WatchStore,
        describer: Describer,
        channels: Sequence[Publisher],
        *,
        settings: PollSettings | None = None,
        clock: Callable[[], datetime] = utc_now,
        lister: Lister | None = None,
    ) -> None:
        self._lister = lister
        self._store = store
        self._describer = describer
        self._channels = list(channels)
        self._settings = settings or PollSettings()
        self._clock = clock

    def poll(self, remaining_seconds: Callable[[], float] = unlimited_time) -> PollReport:
        """Run one cycle; `remaining_seconds` is the Lambda's remaining time (no new call starts under the margin)."""
        report = PollReport()

        def out_of_time() -> bool:
            return remaining_seconds() < self._settings.time_margin_seconds

        to_describe: list[Watched] = []
        to_check: list[Watched] = []
        marks: dict[str, AccountMark] = {}
        for entry in list(self._store.active_records()):
            if isinstance(entry, AccountMark):
                marks[entry.account] = entry
                continue
            if isinstance(entry, MalformedItem):
                report.malformed_items += 1
                report.problems.append(f"skipped a malformed table item {entry.key}: {entry.reason}")
                logger.warning("Skipping a malformed table item", extra={"job_arn": entry.key, "reason": entry.reason})
                continue
            report.jobs_read += 1
            job: Watched | None = entry
            if entry.pending:
                if watched.lease_held(entry, self._clock()):
                    report.leased_elsewhere += 1
                    continue
                if out_of_time():
                    report.deferred += 1
                    continue
                job = self._republish(entry, report)
            if job is None or job.finished or job.pending:
                continue
            now = self._clock()
            if watched.needs_describe(job, now):
                to_describe.append(job)
                continue
            rested = watched.doze(job, now)
            if rested is not None and self._save(rested, job.version, report):
                report.dozed += 1
                job = rested
            if watched.versions_check_due(job, now):
                to_check.append(job)
            elif rested is None:
                report.waiting += 1

        self._describe_all(to_describe, out_of_time, report)
        for solution in to_check:
            if out_of_time():
                report.deferred += 1
                continue
            self._check_versions(solution, report)
        if report.unreachable or marks:
            self._reconcile_accounts(marks, report)
        return report

    # --- accounts the notifier cannot read ---

    def _unreachable(self, exc: AccountUnreachable, report: PollReport) -> None:
        if exc.account not in report.unreachable:
            report.problems.append(f"cannot read account {exc.account}: {exc}")
            logger.warning(
                "Another account cannot be read; its jobs stay tracked and are tried next poll",
                extra={"account": exc.account, "role_arn": exc.role_arn, "error_code": exc.code},
            )
        report.unreachable[exc.account] = exc

    def _reconcile_accounts(self, marks: dict[str, AccountMark], report: PollReport) -> None:
        """One notice per unreachable account (claimed, published everywhere once, recorded); the mark of an
        account read again is cleared, so its next outage is told."""
        for account, exc in report.unreachable.items():
            now = self._clock()
            mark = marks.get(account)
            claimed = reachability.to_tell(
                mark, account, exc.role_arn, str(exc), now=now, lease=self._settings.publish_lease
            )
            if claimed is None or not self._save_mark(claimed, mark.version if mark else None, report):
                continue
            notification = render_unreachable(claimed)
            reached = list(claimed.delivered)
            for channel in self._channels:
                if channel.name in reached:
                    continue
                try:
                    channel.publish(notification)
                except PublishFailed as exc_publish:
                    report.publish_errors += 1
                    report.problems.append(f"publish to {channel.name} failed for account {account}: {exc_publish}")
                    break
                reached.append(channel.name)
            told = reachability.after_telling(claimed, tuple(reached), len(self._channels), self._clock())
            if self._save_mark(told, claimed.version, report) and told.told:
                report.notifications_published += 1
                report.published.append(notification)
        for account, mark in marks.items():
            if account in report.accounts_read and account not in report.unreachable:
                try:
                    self._store.clear_mark(mark)
                except NotifierError:
                    continue  # changed meanwhile, or the table is busy: the next poll that reads it clears it
                logger.info("Another account can be read again", extra={"account": account})

    def _save_mark(self, mark: AccountMark, expected_version: int | None, report: PollReport) -> bool:
        try:
            self._store.save_mark(mark, expected_version)
        except StaleVersion:
            report.lost_races += 1
            return False
        except NotifierError as exc:
            report.store_errors += 1
            report.problems.append(f"could not record that account {mark.account} cannot be read: {exc}")
            return False
        return True

    # --- automatic training: new versions of watched solutions ---

    def _check_versions(self, solution: Watched, report: PollReport) -> None:
        """List the solution's versions; watch each new one (or one still training) like any solution version."""
        if self._lister is None:
            return
        try:
            listed = list(self._lister.list_summaries(SOLUTION_VERSION, solution.region, solution.arn))
        except AccountUnreachable as exc:
            self._unreachable(exc, report)
            return
        except DescribeFailed as exc:
            report.describe_errors += 1
            report.problems.append(f"could not list the versions of {solution.arn}: {exc}")
            logger.warning("Listing solution versions failed; tried next poll", extra={"job_arn": solution.arn})
            return
        report.versions_checks += 1
        report.accounts_read.add(account_of(solution.arn))
        now = self._clock()
        for summary, is_baseline in watched.versions_to_watch(solution, listed):
            try:
                parsed = parse_arn(summary.arn)
            except InvalidArn:
                continue
            seen = (
                Snapshot(status=summary.status, name=summary.name, created_at=summary.created_at)
                if is_baseline
                else None
            )
            try:
                self._store.add(watched.start_watching(parsed, now, seen))
            except AlreadyTracked:
                continue
            except NotifierError as exc:
                report.store_errors += 1
                report.problems.append(f"could not start watching {summary.arn}: {exc}")
                continue
            report.jobs_discovered += 1
            logger.info("Watching a new solution version", extra={"job_arn": summary.arn, "solution": solution.arn})
        self._save(watched.versions_checked(solution, now, self._settings.versions_every), solution.version, report)

    def _wake_followers(self, version: Watched, report: PollReport) -> None:
        """A solution version became ACTIVE: campaigns syncing with that solution's latest version move to it."""
        solution = solution_of(version.arn)
        if solution is None:
            return
        try:
            followers = list(self._store.followers(solution))
        except NotifierError as exc:
            report.store_errors += 1
            report.problems.append(f"could not find the campaigns following {solution}: {exc}")
            return
        for follower in followers:
            if isinstance(follower, MalformedItem):
                continue
            woken = watched.wake(follower, self._clock(), f"new ACTIVE solution version {version.arn}")
            if woken is not None and self._save(woken, follower.version, report):
                report.woken += 1
                logger.info("Woken: its solution has a new version", extra={"job_arn": follower.arn})

    # --- re-publishing what an earlier poll owed ---

    def _republish(self, job: Watched, report: PollReport) -> Watched | None:
        claimed = watched.claim_pending(job, self._clock(), self._settings.publish_lease)
        if not self._save(claimed, job.version, report):
            return None
        logger.info("Re-publishing owed notifications", extra={"job_arn": job.arn, "owed": len(job.pending)})
        return self._deliver(claimed, report)

    # --- describing active jobs ---

    def _describe_all(self, batch: list[Watched], out_of_time: Callable[[], bool], report: PollReport) -> None:
        if not batch:
            return  # the idle poll: no Personalize call, no thread pool
        checked: list[Watched] = []
        workers = max(1, min(self._settings.max_concurrency, len(batch)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="personalize") as pool:
            unchanged, to_describe = self._check_by_listing(batch, pool, out_of_time, report)
            report.jobs_polled += len(unchanged)
            for job in unchanged:
                report.accounts_read.add(account_of(job.arn))
                self._apply_unchanged(job, report, checked)
            self._describe(to_describe, pool, out_of_time, report, checked)

        if report.deferred and checked:
            # Only when some jobs were left for next poll does the queue order matter: move these behind them.
            try:
                self._store.touch(checked, self._clock())
            except NotifierError as exc:
                report.store_errors += 1
                report.problems.append(f"could not record check times: {exc}")
                logger.warning("Could not record check times", extra={"error": str(exc)})

    def _check_by_listing(
        self, batch: list[Watched], pool: ThreadPoolExecutor, out_of_time: Callable[[], bool], report: PollReport
    ) -> tuple[list[Watched], list[Watched]]:
        """Where several active jobs share a parent (a dataset, a solution version ...), one List page tells
        up to 100 statuses: list those groups, and describe only the jobs whose status changed (or that the
        listing did not show). Small groups are cheaper to describe job by job."""
        groups = plan_listing(batch, self._settings.list_threshold) if self._lister else {}
        listed = {key: pool.submit(self._list_group, key, group, out_of_time) for key, group in groups.items()}
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
        self, key: tuple[Kind, str, str], group: list[Watched], out_of_time: Callable[[], bool]
    ) -> dict[str, str] | None:
        if out_of_time() or self._lister is None:
            return None
        kind, region, parent = key
        wanted = {job.arn for job in group}
        statuses: dict[str, str] = {}
        # Stop paging once every tracked job is seen, or after the pages they could fill (newest first).
        budget = (len(group) + 99) // 100 * 100 + 100
        for position, summary in enumerate(self._lister.list_summaries(kind, region, parent)):
            if summary.arn in wanted:
                statuses[summary.arn] = summary.status
            if len(statuses) == len(wanted) or position + 1 >= budget:
                break
        return statuses

    def _describe(
        self,
        batch: list[Watched],
        pool: ThreadPoolExecutor,
        out_of_time: Callable[[], bool],
        report: PollReport,
        checked: list[Watched],
    ) -> None:
        def describe_in_time(job: Watched) -> Snapshot | None:
            return None if out_of_time() else self._describer.describe(job)

        futures = {pool.submit(describe_in_time, job): job for job in batch}
        for future in as_completed(futures):
            job = futures[future]
            try:
                snapshot = future.result()
            except (ResourceNotFound, ResourceRejected) as exc:
                report.jobs_polled += 1
                now, lease = self._clock(), self._settings.publish_lease
                if isinstance(exc, ResourceNotFound):
                    self._end(job, watched.gone(job, str(exc), now, lease), report)
                else:
                    self._end(job, watched.end_watching(job, Event.INVALID, str(exc), now, lease), report)
                continue
            except AccountUnreachable as exc:
                report.jobs_polled += 1
                self._unreachable(exc, report)
                checked.append(job)
                continue
            except DescribeFailed as exc:
                report.jobs_polled += 1
                report.describe_errors += 1
                report.problems.append(f"describe failed for {job.arn}: {exc}")
                checked.append(job)
                logger.warning(
                    "Describe failed; the job stays tracked and is tried next poll",
                    extra={"job_arn": job.arn, "error_code": exc.code, "error": str(exc)},
                )
                continue
            except Exception as exc:  # one job's surprise never stops the others
                report.jobs_polled += 1
                report.describe_errors += 1
                report.problems.append(f"describe failed for {job.arn}: {type(exc).__name__}: {exc}")
                checked.append(job)
                logger.exception("Unexpected error describing a job", extra={"job_arn": job.arn})
                continue
            if snapshot is None:
                report.deferred += 1
                continue
            report.jobs_polled += 1
            report.describe_calls += 1
            report.accounts_read.add(account_of(job.arn))
            self._apply(job, snapshot, report, checked)

    def _apply_unchanged(self, job: Watched, report: PollReport, checked: list[Watched]) -> None:
        """A listing showed the same status: only the stuck check can have something to say."""
        stuck = watched.check_stuck(job, self._clock(), self._settings.stuck_after, self._settings.publish_lease)
        if stuck is None:
            checked.append(job)
        elif self._save(stuck, job.version, report):
            report.stuck += 1
            self._deliver(stuck, report)

    def _apply(self, job: Watched, snapshot: Snapshot, report: PollReport, checked: list[Watched]) -> None:
        now, lease = self._clock(), self._settings.publish_lease
        changed = watched.observe(job, snapshot, now, lease) or watched.check_stuck(
            job, now, self._settings.stuck_after, lease
        )
        if changed is None:
            checked.append(job)
            return
        if not self._save(changed, job.version, report):
            return
        if changed.pending:
            if changed.stuck_notified and not job.stuck_notified:
                report.stuck += 1
                logger.info("Job looks stuck", extra={"job_arn": job.arn, "status": job.status})
            else:
                report.transitions += 1
                logger.info(
                    "Status changed",
                    extra={"job_arn": job.arn, "old_status": job.status, "new_status": changed.status},
                )
            self._deliver(changed, report)
        if changed.kind is SOLUTION_VERSION and changed.outcome is Outcome.SUCCEEDED and job.status != changed.status:
            self._wake_followers(changed, report)

    def _end(self, job: Watched, ended: Watched, report: PollReport) -> None:
        if self._save(ended, job.version, report):
            report.ended += 1
            logger.info(
                "It can no longer be described; watching ends", extra={"job_arn": job.arn, "event": str(ended.ended_by)}
            )
            self._deliver(ended, report)

    # --- publishing and recording ---

    def _deliver(self, job: Watched, report: PollReport) -> Watched:
        """Publish owed notifications in order, each to every channel it has not reached; record progress."""
        published, reached = 0, ()
        for owed in job.pending:
            notification = render(job, owed)
            reached = self._publish_everywhere(job, owed, notification, report)
            if len(reached) < len(self._channels):
                break
            published, reached = published + 1, ()
            report.notifications_published += 1
            report.published.append(notification)
            if notification.attributes["terminal"] == "true" and owed.event is Event.TRANSITION:
                report.finished.append(self._finished(job, notification))
        if not published and reached == (job.pending[0].delivered if job.pending else ()) and not job.lease_until:
            return job  # nothing new arrived anywhere and no lease to give back: the record stays as it was
        recorded = watched.after_publish(job, published, self._clock(), self._settings.retention, reached)
        self._save(recorded, job.version, report)
        return recorded

    def _publish_everywhere(
        self, job: Watched, owed: watched.PendingNotification, notification: Notification, report: PollReport
    ) -> tuple[str, ...]:
        reached = list(owed.delivered)
        for channel in self._channels:
            if channel.name in reached:
                continue  # arrived there on an earlier attempt: never twice
            try:
                channel.publish(notification)
            except PublishFailed as exc:
                report.publish_errors += 1
                report.problems.append(f"publish to {channel.name} failed for {job.arn}: {exc}")
                logger.warning(
                    "Publish failed; the notification stays owed and is retried next poll",
                    extra={"job_arn": job.arn, "notification_id": owed.id, "channel": channel.name, "error": str(exc)},
                )
                break
            reached.append(channel.name)
        return tuple(reached)

    def _finished(self, job: Watched, notification: Notification) -> Finished:
        changed = watched.parse_iso(job.updated_at)
        duration = notification.document.get("durationSeconds")
        return Finished(
            kind=job.kind.name,
            outcome=notification.attributes["outcome"],
            duration_seconds=float(duration) if isinstance(duration, int | float) else None,
            notice_seconds=max(0.0, (self._clock() - changed).total_seconds()) if changed else None,
        )

    def _save(self, job: Watched, expected_version: int, report: PollReport) -> bool:
        try:
            self._store.save(job, expected_version)
        except StaleVersion:
            report.lost_races += 1
            logger.info("Another poll changed this job first; leaving it to that poll", extra={"job_arn": job.arn})
            return False
        except NotifierError as exc:
            report.store_errors += 1
            report.problems.append(f"could not write the record of {job.arn}: {exc}")
            logger.warning("Could not write the job record", extra={"job_arn": job.arn, "error": str(exc)})
            return False
        return True
