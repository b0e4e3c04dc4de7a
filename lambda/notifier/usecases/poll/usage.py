"""What is served, and what it costs: once an hour, the requests every ACTIVE campaign and recommender answered,
against the minimum each bills for (notifier.domain.usage), and a notice where the verdict is news.

The hour is the usage clock's, an item the poll reads with the jobs at no extra read: a poll before it is due does
nothing here (the idle minute stays one query). The poll that finds it due claims it with a conditional write,
reads the resources at rest from the index's serving partition (and those it read this poll), asks CloudWatch in
batches per account and region, and records each reading on its resource's record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from notifier.domain import usage, watched
from notifier.domain.arns import account_of
from notifier.domain.usage import Reading, UsageClock, UsageRule
from notifier.domain.watched import UPDATE_PREFIX, Watched, iso, parse_iso
from notifier.observability import logger
from notifier.ports import NotifierError, RequestsAnswered
from notifier.rendering.usage import USAGE_LOG_MESSAGE, figures
from notifier.usecases.poll import delivery
from notifier.usecases.poll.cycle import Cycle
from notifier.usecases.poll.report import PollReport


def read_when_due(
    cycle: Cycle,
    reader: RequestsAnswered | None,
    clock: UsageClock | None,
    seen: Iterable[Watched],  # billing records read from the active partition this poll
    out_of_time: Callable[[], bool],
    *,
    confirm: Callable[[list[Watched]], None] = lambda records: None,
) -> None:
    """Read every billing resource's usage if the hour has come (and this poll claims it); else nothing.

    `confirm` describes records as the poll does (a deleted one ends, a stopped one is told so): a resource at rest
    can be deleted or stopped without an event the notifier hears, and is never told idle or underused before
    Personalize says it is still ACTIVE."""
    rule = cycle.settings.usage
    if rule is None or reader is None:
        return
    now = cycle.clock()
    if clock is not None and clock.next_read_at > iso(now):
        return
    if out_of_time():
        return  # the next poll claims it
    backfilled = clock is not None and clock.backfilled
    claimed = UsageClock(
        next_read_at=iso(now + rule.read_every),
        version=clock.version + 1 if clock else 1,
        last_read_at=iso(now),
        backfilled=backfilled,
    )
    expected = clock.version if clock else None
    if not cycle.attempt(lambda: cycle.store.save_usage_clock(claimed, expected), "the usage clock", "usage"):
        return
    cycle.report.usage_reads += 1
    try:
        # Until every record written before there was a serving partition is in it, a reading reads the whole table.
        resting = list(cycle.store.serving_records() if backfilled else cycle.store.all_jobs())
        # Those this poll read from the active partition, as they are now: the poll may have written them since.
        now_polled = [cycle.store.get(record.arn) for record in seen]
    except NotifierError as exc:
        cycle.report.store_errors += 1
        cycle.report.problems.append(f"could not read the campaigns and recommenders to read usage of: {exc}")
        return
    billing = list({r.arn: r for r in [*resting, *now_polled] if isinstance(r, Watched)}.values())
    deferred_before = cycle.report.deferred
    readings = read_requests(reader, billing, now, rule.idle_hours, report=cycle.report, out_of_time=out_of_time)
    readings = _still_billing(cycle, rule, readings, confirm)
    recorded = [
        _judge(cycle, rule, record, reading, quiet=quiet) if record else False
        for record, reading, quiet in _one_unreadable_notice_a_group(rule, readings, now)
    ]
    if not backfilled and all(recorded) and cycle.report.deferred == deferred_before:
        done = replace(claimed, version=claimed.version + 1, backfilled=True)
        cycle.attempt(lambda: cycle.store.save_usage_clock(done, claimed.version), "the usage clock", "usage")


def read_requests(
    reader: RequestsAnswered,
    records: Iterable[Watched],
    now: datetime,
    window_hours: int,
    *,
    report: PollReport | None = None,
    out_of_time: Callable[[], bool] = lambda: False,
) -> list[tuple[Watched, Reading]]:
    """Each billing resource's requests over the window, read per account and region (a group that cannot be read
    gives each of its resources a reading that says why)."""
    groups: dict[tuple[str, str], list[Watched]] = defaultdict(list)
    for record in records:
        if record.bills:
            groups[(account_of(record.arn), record.region)].append(record)
    start, end = usage.window(now, window_hours)
    found: list[tuple[Watched, Reading]] = []
    for (account, region), members in sorted(groups.items()):
        if out_of_time():
            if report is not None:
                report.deferred += len(members)
            continue  # read next hour
        hourly: dict[str, list[float]] | None = None
        unreadable = None
        try:
            answer = reader.hourly_requests([(r.arn, r.kind.name) for r in members], start, end)
            hourly = answer.hourly
            if report is not None:
                report.cloudwatch_calls += answer.calls
        except NotifierError as exc:
            unreadable = str(exc)
            if report is not None:
                report.problems.append(f"could not read the requests of {len(members)} resource(s): {exc}")
            logger.warning("Usage could not be read", extra={"account": account, "region": region, "error": unreadable})
        if report is not None:
            report.usage_resources += len(members)
        for record in members:
            reading = usage.reading_of(
                None if hourly is None else hourly.get(record.arn, []),
                now=now,
                active_since=active_since(record),
                minimum=minimum_of(record),
                window_hours=window_hours,
                unreadable=unreadable,
            )
            found.append((record, reading))
    return found


SPELLS = (usage.Usage.IDLE, usage.Usage.UNDERUSED)


def _still_billing(
    cycle: Cycle,
    rule: UsageRule,
    readings: list[tuple[Watched, Reading]],
    confirm: Callable[[list[Watched]], None],
) -> list[tuple[Watched | None, Reading]]:
    """The readings, those that would tell an idle or underused spell with their records as Personalize describes
    them now (one describe each, a few a week); None where it no longer bills (deleted, stopped) or could not be
    read again: nothing is told of it this hour."""
    now = cycle.clock()
    spells = [
        record
        for record, reading in readings
        if usage.to_tell(record.usage, usage.judge(reading, rule), now, rule) in SPELLS
    ]
    if not spells:
        return list(readings)
    confirm(spells)
    fresh: dict[str, Watched | None] = {}
    for record in spells:
        try:
            found = cycle.store.get(record.arn)
        except NotifierError as exc:
            cycle.report.store_errors += 1
            cycle.report.problems.append(f"could not read {record.arn} again before telling its usage: {exc}")
            found = None
        fresh[record.arn] = found if isinstance(found, Watched) and found.bills else None
    return [(fresh.get(record.arn, record), reading) for record, reading in readings]


def _one_unreadable_notice_a_group(
    rule: UsageRule, readings: list[tuple[Watched | None, Reading]], now: datetime
) -> list[tuple[Watched | None, Reading, bool]]:
    """CloudWatch refuses an account and region at once (a member role without GetMetricData, a throttled
    account): its resources newly unreadable are told by one notice, the first's, which says how many more it
    speaks for; the others are recorded quiet."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)  # positions in `readings`
    for position, (record, reading) in enumerate(readings):
        if record and usage.to_tell(record.usage, usage.judge(reading, rule), now, rule) is usage.Usage.UNKNOWN:
            groups[(account_of(record.arn), record.region)].append(position)
    found = [(record, reading, False) for record, reading in readings]
    for (account, region), positions in groups.items():
        first, *others = positions
        for position in others:
            found[position] = (*readings[position], True)
        if others:
            record, reading = readings[first]
            said = f"{reading.unreadable} (and {len(others)} more of account {account} in {region}: one notice for all)"
            found[first] = (record, replace(reading, unreadable=said), False)
    return found


def _judge(cycle: Cycle, rule: UsageRule, record: Watched, reading: Reading, *, quiet: bool = False) -> bool:
    """Record the reading, and tell it where it is news (unless `quiet`: another's notice tells it): False if the
    record could not be written."""
    now = cycle.clock()
    verdict = usage.judge(reading, rule)
    said = verdict.value if verdict else "not_judged"
    logger.info(USAGE_LOG_MESSAGE, extra={"job_arn": record.arn, "verdict": said, **figures(reading)})
    tell = None if quiet else usage.to_tell(record.usage, verdict, now, rule)
    state = usage.next_state(record.usage, reading, verdict, tell, now)
    if tell is None and record.usage is not None and _same(record.usage, state):
        return True  # nothing new to record: no write (an idle resource's hour after hour)
    changed = watched.read_usage(record, state, tell, now, cycle.settings.publish_lease)
    if not cycle.save(changed, record.version):
        return False
    if tell is None:
        return True
    cycle.report.usage_notices += 1
    logger.info("Usage is news", extra={"job_arn": record.arn, "usage": tell.value})
    delivery.deliver(cycle, changed)
    return True


def _same(before: usage.UsageState, after: usage.UsageState) -> bool:
    """The same verdict on the same requests: a write would only move the reading's time."""
    old, new = before.reading, after.reading
    return (
        before.verdict == after.verdict
        and old.requests == new.requests
        and old.peak_hour_requests == new.peak_hour_requests
        and old.minimum == new.minimum
        and old.unreadable == new.unreadable
        and old.window_hours == new.window_hours
        and (old.active_hours >= old.window_hours) == (new.active_hours >= new.window_hours)
    )


def active_since(record: Watched) -> datetime | None:
    """When it last became ACTIVE, so began to bill: the move the notifier saw, from its history. One found ACTIVE
    when tracked: a campaign since its creation (an update, or the automatic sync after each training, leaves it
    ACTIVE and billing, and moves its lastUpdatedDateTime), a resource that can be stopped (a recommender) since
    its last update, which a start is."""
    moves = [change for change in record.history if not change.status.startswith(UPDATE_PREFIX)]
    if len(moves) >= 2 and moves[-1].status == record.status and moves[-2].status != record.status:
        return parse_iso(moves[-1].at)
    dated = record.updated_at if record.kind.stopped_statuses else record.created_at
    # Without that date, ACTIVE since its last update at least, else since the notifier first saw it.
    return parse_iso(dated) or parse_iso(record.updated_at) or parse_iso(record.tracked_at)


def minimum_of(record: Watched) -> float | None:
    """The provisioned minimum its describe said (None: never described whole, or not a number)."""
    label = record.kind.minimum_fact
    value = dict(record.facts).get(label) if label else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
