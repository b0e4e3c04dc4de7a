"""One poll cycle: re-publish what is owed, describe active jobs, notify each transition exactly once.

The protocol (docs/how-it-works.md, "Guarantees"): every record change is a conditional write on the record's
version, so two overlapping polls never both notify one transition; a notification is stored as pending before
it is published and cleared only after SNS accepted it, so a failed publish is retried, never lost.

The Poller coordinates; each part reads alone, beside it in this folder: the listing strategy (listing), the
lifecycle of models (training), delivery (delivery), Step Functions' task answers (answers), and the accounts it
cannot read (account_notices), over what one cycle shares (cycle) and what it is told and reports (report).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime

from notifier.domain import watched
from notifier.domain.arns import account_of
from notifier.domain.cadence import Expectation
from notifier.domain.clock import utc_now
from notifier.domain.kinds import SOLUTION_VERSION, Outcome
from notifier.domain.reachability import AccountMark
from notifier.domain.usage import UsageClock
from notifier.domain.watched import Event, Snapshot, Watched
from notifier.observability import logger
from notifier.ports import (
    AccountUnreachable,
    CadenceLooker,
    DescribeFailed,
    Describer,
    Lister,
    MalformedItem,
    ModelMetrics,
    NotifierError,
    Publisher,
    RequestsAnswered,
    ResourceNotFound,
    ResourceRejected,
    TaskAnswers,
    WatchStore,
)
from notifier.usecases.poll import account_notices, answers, delivery, listing, training, usage
from notifier.usecases.poll.cycle import Cycle
from notifier.usecases.poll.report import PollReport, PollSettings


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
        metrics: ModelMetrics | None = None,
        looker: CadenceLooker | None = None,
        task_answers: TaskAnswers | None = None,
        requests: RequestsAnswered | None = None,
    ) -> None:
        self._requests = requests
        self._looker = looker
        self._answers = task_answers
        self._lister = lister
        self._metrics = metrics
        self._store = store
        self._describer = describer
        self._channels = list(channels)
        self._settings = settings or PollSettings()
        self._clock = clock

    def poll(self, remaining_seconds: Callable[[], float] = unlimited_time) -> PollReport:
        """Run one cycle; `remaining_seconds` is the Lambda's remaining time (no new call starts under the margin)."""
        cycle = Cycle(self._store, self._channels, self._settings, self._clock, PollReport())
        report = cycle.report

        def out_of_time() -> bool:
            return remaining_seconds() < self._settings.time_margin_seconds

        to_describe: list[Watched] = []
        to_check: list[Watched] = []
        marks: dict[str, AccountMark] = {}
        usage_clock: UsageClock | None = None
        billing: list[Watched] = []
        for entry in list(self._store.active_records()):
            if isinstance(entry, UsageClock):
                usage_clock = entry
            elif isinstance(entry, AccountMark):
                marks[entry.account] = entry
            elif isinstance(entry, Expectation):
                report.expectations_read += 1
                cycle.expectations[entry.arn] = entry
            elif isinstance(entry, MalformedItem):
                report.malformed_items += 1
                report.problems.append(f"skipped a malformed table item {entry.key}: {entry.reason}")
                logger.warning("Skipping a malformed table item", extra={"job_arn": entry.key, "reason": entry.reason})
            elif isinstance(entry, Watched):
                if entry.bills:
                    billing.append(entry)
                self._sort(cycle, entry, to_describe, to_check, out_of_time)

        self._describe_all(cycle, to_describe, out_of_time)
        for solution in to_check:
            if out_of_time():
                report.deferred += 1
                continue
            training.check_versions(cycle, self._lister, solution)
        if cycle.expectations or self._settings.expectations:
            training.keep_cadences(cycle, self._looker, self._settings.expectations, out_of_time)
        usage.read_when_due(
            cycle,
            self._requests,
            usage_clock,
            billing,
            out_of_time,
            confirm=lambda records: self._describe_all(cycle, records, out_of_time),
        )
        if report.unreachable or marks:
            account_notices.reconcile(cycle, marks)
        return report

    def _sort(
        self,
        cycle: Cycle,
        entry: Watched,
        to_describe: list[Watched],
        to_check: list[Watched],
        out_of_time: Callable[[], bool],
    ) -> None:
        """A record read: what is owed delivered first, then described, looked at for new versions, or left."""
        report = cycle.report
        report.jobs_read += 1
        job: Watched | None = entry
        if entry.pending:
            if watched.lease_held(entry, self._clock()):
                report.leased_elsewhere += 1
                return
            if out_of_time():
                report.deferred += 1
                return
            job = delivery.republish(cycle, entry)
        if job is not None:
            job = answers.answer(cycle, self._answers, job)  # a task waits on it and it ended (nothing if not)
        if job is None or job.finished or job.pending:
            return
        now = self._clock()
        if watched.needs_describe(job, now):
            to_describe.append(job)
            return
        rested = watched.doze(job, now)
        if rested is not None and cycle.save(rested, job.version):
            report.dozed += 1
            job = answers.answer(cycle, self._answers, rested)
        if watched.versions_check_due(job, now):
            to_check.append(job)
        elif rested is None:
            report.waiting += 1

    # --- describing active jobs ---

    def _describe_all(self, cycle: Cycle, batch: list[Watched], out_of_time: Callable[[], bool]) -> None:
        if not batch:
            return  # the idle poll: no Personalize call, no thread pool
        report = cycle.report
        checked: list[Watched] = []
        workers = max(1, min(self._settings.max_concurrency, len(batch)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="personalize") as pool:
            unchanged, to_describe = listing.check_by_listing(
                self._lister,
                batch,
                threshold=self._settings.list_threshold,
                pool=pool,
                out_of_time=out_of_time,
                report=report,
            )
            report.jobs_polled += len(unchanged)
            for job in unchanged:
                report.accounts_read.add(account_of(job.arn))
                self._apply_unchanged(cycle, job, checked)
            self._describe(cycle, to_describe, pool, out_of_time, checked)

        if report.deferred and checked:
            # Only when some jobs were left for next poll does the queue order matter: move these behind them.
            try:
                self._store.touch(checked, self._clock())
            except NotifierError as exc:
                report.store_errors += 1
                report.problems.append(f"could not record check times: {exc}")
                logger.warning("Could not record check times", extra={"error": str(exc)})

    def _describe(
        self,
        cycle: Cycle,
        batch: list[Watched],
        pool: ThreadPoolExecutor,
        out_of_time: Callable[[], bool],
        checked: list[Watched],
    ) -> None:
        report = cycle.report

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
                    self._end(cycle, job, watched.gone(job, str(exc), now, lease))
                else:
                    self._end(cycle, job, watched.end_watching(job, Event.INVALID, str(exc), now, lease))
                continue
            except AccountUnreachable as exc:
                report.jobs_polled += 1
                account_notices.unreachable(cycle, exc)
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
            self._apply(cycle, job, snapshot, checked)

    def _apply_unchanged(self, cycle: Cycle, job: Watched, checked: list[Watched]) -> None:
        """A listing showed the same status: only the stuck check can have something to say."""
        stuck = watched.check_stuck(job, self._clock(), self._settings.stuck_after, self._settings.publish_lease)
        if stuck is None:
            checked.append(job)
        elif cycle.save(stuck, job.version):
            cycle.report.stuck += 1
            delivery.deliver(cycle, stuck)

    def _apply(self, cycle: Cycle, job: Watched, snapshot: Snapshot, checked: list[Watched]) -> None:
        report = cycle.report
        now, lease = self._clock(), self._settings.publish_lease
        changed = watched.observe(job, snapshot, now, lease) or watched.check_stuck(
            job, now, self._settings.stuck_after, lease
        )
        if changed is None:
            checked.append(job)
            return
        became_active = (
            changed.kind is SOLUTION_VERSION and changed.outcome is Outcome.SUCCEEDED and job.status != changed.status
        )
        if became_active and self._metrics is not None and len(changed.pending) > len(job.pending):
            changed = training.assess_version(cycle, self._metrics, changed)
        elif changed.kind.serves:
            changed = training.served_quality(cycle, changed, len(job.pending))
            changed = training.model_metrics(changed, snapshot, len(job.pending))
        if not cycle.save(changed, job.version):
            return
        training.seen(cycle, job, changed)
        if became_active:
            training.record_baseline(cycle, changed)
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
            changed = delivery.deliver(cycle, answers.answer(cycle, self._answers, changed))
        else:
            changed = answers.answer(cycle, self._answers, changed)
        if became_active:
            training.wake_followers(cycle, changed)

    def _end(self, cycle: Cycle, job: Watched, ended: Watched) -> None:
        if cycle.save(ended, job.version):
            cycle.report.ended += 1
            logger.info(
                "It can no longer be described; watching ends", extra={"job_arn": job.arn, "event": str(ended.ended_by)}
            )
            delivery.deliver(cycle, answers.answer(cycle, self._answers, ended))
