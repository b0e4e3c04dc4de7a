"""The lifecycle of models: the versions an automatically training solution makes are watched like any; a
version turning ACTIVE is assessed (its offline metrics beside the previous ACTIVE version's, notifier.domain.quality)
and wakes the campaigns that sync with its solution's latest version, whose move to it says how good it is; and
the cadences people expect of imports, trainings and campaigns are kept (notifier.domain.cadence): met by what the poll
sees finish, looked up once when one falls due, told once when it is overdue and once when it recovers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from notifier.domain import cadence, watched
from notifier.domain.arns import InvalidArn, account_of, parse_arn
from notifier.domain.cadence import Expectation
from notifier.domain.kinds import SOLUTION_VERSION, Outcome
from notifier.domain.quality import Assessment, Quality, assess, baseline_of
from notifier.domain.watched import Snapshot, Watched, solution_of
from notifier.observability import logger
from notifier.ports import (
    AccountUnreachable,
    AlreadyTracked,
    CadenceLooker,
    DescribeFailed,
    Lister,
    MalformedItem,
    ModelMetrics,
    NotifierError,
    StaleVersion,
)
from notifier.rendering.expectations import render_expectation
from notifier.usecases.poll.account_notices import unreachable
from notifier.usecases.poll.cycle import Cycle


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


# --- quality: is the new model better? ---


def assess_version(cycle: Cycle, reader: ModelMetrics, version: Watched) -> Watched:
    """A version just turned ACTIVE: its metrics beside the previous ACTIVE version's, kept on the record and on
    the notification it owes (a re-publish says the same). One GetSolutionMetrics; the previous version's metrics
    come from the table, else from one ListSolutionVersions and its record or one more GetSolutionMetrics. Metrics
    that cannot be had are told as missing: the notification never waits for them."""
    settings, report = cycle.settings, cycle.report
    options = {"key_metric": settings.quality_metric, "threshold_percent": settings.quality_threshold_percent}
    report.metrics_calls += 1
    try:
        metrics = reader.solution_metrics(version.arn)
    except DescribeFailed as exc:
        logger.warning("Metrics not available; told without them", extra={"job_arn": version.arn, "error": str(exc)})
        return _with_assessment(version, assess(version.arn, None, None, missing=str(exc), **options))
    previous, compared, since = _previous_version(cycle, reader, version)
    assessed = assess(version.arn, metrics, previous, compared=compared, **options)
    if assessed.quality is Quality.REGRESSED:
        assessed = replace(assessed, new_data=_trained_on_new_data(cycle, reader, version, since))
    return _with_assessment(version, assessed)


def _trained_on_new_data(cycle: Cycle, reader: ModelMetrics, version: Watched, since: str | None) -> bool | None:
    """A regression only: whether data was imported between the previous version's creation and this one's (None:
    either time unknown, or the look failed). Personalize's guide advises against comparing versions trained on
    different data; the poll looks only when the comparison would page someone."""
    if since is None or version.created_at is None:
        return None
    cycle.report.metrics_calls += 1
    try:
        return reader.data_imported(version.arn, since, version.created_at)
    except DescribeFailed as exc:
        logger.warning(
            "Could not tell whether new data was imported", extra={"job_arn": version.arn, "error": str(exc)}
        )
        return None


def record_baseline(cycle: Cycle, version: Watched) -> None:
    """The assessed version is what the solution's next one is compared with (unless a newer one is already)."""
    solution = solution_of(version.arn)
    if version.assessment is None or solution is None:
        return
    baseline = baseline_of(version.assessment, solution, version.created_at)
    if baseline is None:
        return
    try:
        cycle.store.save_baseline(baseline)
    except StaleVersion:
        return  # a newer version was recorded first
    except NotifierError as exc:
        cycle.report.store_errors += 1
        cycle.report.problems.append(f"could not record the metrics of {version.arn} for comparison: {exc}")


def served_quality(cycle: Cycle, campaign: Watched, owed_before: int) -> Watched:
    """A campaign's new notification that it serves another solution version carries that version's assessment
    (read from its record: no Personalize call), so a move to a regressed model says so."""
    if len(campaign.pending) <= owed_before or campaign.kind.parent_label is None:
        return campaign
    owed = campaign.pending[-1]
    served = next((after for what, _, after in owed.changes if what == campaign.kind.parent_label), None)
    if served is None or solution_of(served) is None:
        return campaign
    try:
        record = cycle.store.get(served)
    except NotifierError:
        return campaign  # told without it rather than not told
    if not isinstance(record, Watched) or record.assessment is None or not record.assessment.metrics:
        return campaign
    return _told_with(campaign, record.assessment)


def model_metrics(resource: Watched, snapshot: Snapshot, owed_before: int) -> Watched:
    """A recommender's new notification carries the modelMetrics its describe returned."""
    if not snapshot.metrics or len(resource.pending) <= owed_before:
        return resource
    return _told_with(resource, Assessment(version_arn=resource.arn, metrics=snapshot.metrics))


def _previous_version(
    cycle: Cycle, reader: ModelMetrics, version: Watched
) -> tuple[tuple[str, dict[str, float]] | None, bool, str | None]:
    """The previous ACTIVE version and its metrics (None: there is none), whether that could be found out, and
    when the previous version was created (where known)."""
    solution = solution_of(version.arn) or ""
    try:
        baseline = cycle.store.baseline(solution)
    except NotifierError:
        baseline = None  # found through Personalize instead
    if (
        baseline is not None
        and baseline.version_arn != version.arn
        and (baseline.created_at or "") < (version.created_at or "~")
    ):
        return (baseline.version_arn, dict(baseline.metrics)), True, baseline.created_at
    cycle.report.metrics_calls += 1
    try:
        previous = reader.previous_active_version(version.arn, version.created_at)
    except DescribeFailed as exc:
        logger.warning("Could not find the previous version", extra={"job_arn": version.arn, "error": str(exc)})
        return None, False, None
    if previous is None:
        return None, True, None
    try:
        record = cycle.store.get(previous)
    except NotifierError:
        record = None
    created = record.created_at if isinstance(record, Watched) else None
    if isinstance(record, Watched) and record.assessment is not None and record.assessment.metrics:
        return (previous, dict(record.assessment.metrics)), True, created
    cycle.report.metrics_calls += 1
    try:
        return (previous, reader.solution_metrics(previous)), True, created
    except DescribeFailed as exc:
        logger.warning("Previous version's metrics not available", extra={"job_arn": previous, "error": str(exc)})
        return None, False, None


def _with_assessment(version: Watched, assessment: Assessment) -> Watched:
    """The version's own assessment: on its record (what a campaign moving to it reads) and on its notification."""
    return _told_with(version, assessment).evolve(assessment=assessment)


def _told_with(record: Watched, assessment: Assessment) -> Watched:
    """The notification the record just came to owe carries this assessment."""
    owed = record.pending[-1]
    return record.evolve(pending=(*record.pending[:-1], replace(owed, assessment=assessment)))


# --- cadence: did the pipeline stall? ---


def seen(cycle: Cycle, before: Watched, after: Watched) -> None:
    """A record the poll just saved: the expectations its success meets (an import, a version, a campaign moved
    to a version whose creation is known from its record) restart their clocks."""
    expectations = cycle.expectations
    if not expectations or after.outcome is not Outcome.SUCCEEDED:
        return
    moved = before.status != after.status or before.parent_arn != after.parent_arn
    if not moved:
        return
    at, by = after.updated_at or watched.iso(cycle.clock()), after.arn
    if after.kind.name == "campaign":  # it meets its expectation by the age of the version it serves
        at, by = _created_at(cycle, after.parent_arn), after.parent_arn or after.arn
        if at is None:
            return  # that version is not recorded: the look when the expectation falls due tells its age
    for arn in cadence.met_by(after.kind.name, after.arn, after.parent_arn):
        current = expectations.get(arn)
        updated = cadence.met(current, at, by, cycle.clock()) if current else None
        if current and updated and _save_expectation(cycle, updated, current.version):
            expectations[arn] = updated


def keep_cadences(
    cycle: Cycle,
    looker: CadenceLooker | None,
    declared: tuple[tuple[str, int], ...],
    out_of_time: Callable[[], bool],
) -> None:
    """Declared expectations kept as declared; each one due looked up (one listing) and, if still unmet, told
    overdue; every owed notice published to every channel once."""
    expectations = cycle.expectations
    _declare(cycle, expectations, declared)
    for arn in sorted(expectations, key=lambda key: expectations[key].due_at):
        if out_of_time():
            cycle.report.deferred += 1
            continue
        current = expectations[arn]
        now = cycle.clock()
        if looker is not None and cadence.needs_look(current, now):
            current = _look(cycle, looker, current) or current
        if current.owed:
            _tell(cycle, current)


def _look(cycle: Cycle, looker: CadenceLooker, expectation: Expectation) -> Expectation | None:
    """One look through Personalize's lists for what met it; unmet, or not to be looked up (the resource gone,
    the call refused), it is told overdue, the reason with it: once a period either way, never every poll."""
    report, now = cycle.report, cycle.clock()
    report.cadence_looks += 1
    found, failed = None, None
    try:
        found = looker.last_met(expectation.target, expectation.arn)
    except AccountUnreachable as exc:
        unreachable(cycle, exc)
        failed = str(exc)
    except NotifierError as exc:
        report.describe_errors += 1
        report.problems.append(f"could not look up what meets the expectation of {expectation.arn}: {exc}")
        failed = str(exc)
    current = expectation
    if found is not None:
        current = cadence.met(current, found[0], found[1], now) or current
    looked = cadence.after_look(current, now, failed)
    if len(looked.owed) > len(current.owed):
        report.overdue += 1
    return looked if _save_expectation(cycle, looked, expectation.version) else None


def _tell(cycle: Cycle, expectation: Expectation) -> None:
    """Each owed notice claimed under a lease, published to every channel it has not reached, then recorded."""
    current = expectation
    while current.owed:
        claimed = cadence.claim(current, cycle.clock(), cycle.settings.publish_lease)
        if claimed is None or not _save_expectation(cycle, claimed, current.version):
            return
        owed = claimed.owed[0]
        notification = render_expectation(claimed, owed)
        reached = cycle.publish(notification, owed.delivered, claimed.arn)
        told = _record_told(cycle, claimed, reached)
        if told is None or (told.owed and told.owed[0].id == owed.id):
            return  # not recorded, or a channel refused: tried again next poll
        cycle.report.notifications_published += 1
        cycle.report.published.append(notification)
        current = told


def _record_told(cycle: Cycle, claimed: Expectation, reached: tuple[str, ...]) -> Expectation | None:
    """Where the notice got, written on the version claimed; if another poll changed the expectation meanwhile
    (met it, looked it up), on the version it wrote, so a notice that arrived is never sent again."""
    every_channel = len(cycle.channels)
    told = cadence.after_telling(claimed, reached, every_channel)
    try:
        cycle.store.save_expectation(told, claimed.version)
        return told
    except StaleVersion:
        pass
    except NotifierError as exc:
        cycle.report.store_errors += 1
        cycle.report.problems.append(f"could not record the notice of {claimed.arn}: {exc}")
        return None
    try:
        current = cycle.store.expectation(claimed.arn)
    except NotifierError:
        return None
    if not isinstance(current, Expectation) or not current.owed or current.owed[0].id != claimed.owed[0].id:
        return None
    told = cadence.after_telling(current, reached, every_channel)
    return told if _save_expectation(cycle, told, current.version) else None


def _declare(cycle: Cycle, expectations: dict[str, Expectation], declared: tuple[tuple[str, int], ...]) -> None:
    """The deploy-time expectations: each made once, its period kept as declared; one no longer declared goes."""
    wanted = dict(declared)
    for arn, seconds in wanted.items():
        current = expectations.get(arn)
        if current is None:
            made = cadence.expect(arn, timedelta(seconds=seconds), cycle.clock(), declared=True)
            if _save_expectation(cycle, made, None):
                expectations[arn] = made
        elif current.every_seconds != seconds or not current.declared:
            changed = replace(current, version=current.version + 1, every_seconds=seconds, declared=True)
            if _save_expectation(cycle, changed, current.version):
                expectations[arn] = changed
    for arn in [arn for arn, e in expectations.items() if e.declared and arn not in wanted]:
        try:
            cycle.store.delete_expectation(arn)
        except NotifierError as exc:
            cycle.report.store_errors += 1
            cycle.report.problems.append(f"could not remove the expectation of {arn}, no longer declared: {exc}")
            continue
        del expectations[arn]


def _save_expectation(cycle: Cycle, expectation: Expectation, expected_version: int | None) -> bool:
    return cycle.attempt(
        lambda: cycle.store.save_expectation(expectation, expected_version),
        f"the expectation of {expectation.arn}",
        expectation.arn,
    )


def _created_at(cycle: Cycle, version_arn: str | None) -> str | None:
    if not version_arn:
        return None
    try:
        record = cycle.store.get(version_arn)
    except NotifierError:
        return None
    return record.created_at if isinstance(record, Watched) else None
