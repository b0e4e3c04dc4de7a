"""Time to notice: how long after a Personalize job finishes its subscribers hear of it, and what that costs.

    make bench ARGS=--notice

One simulated day of jobs (created at random times, running from minutes to hours, finishing at random
times) is played through four strategies on the same finish times:

- notifier-default: the project's real poll code (PollCycle, the handler's loop) every minute, against
  the Personalize emulator in moto, on a simulated clock;
- notifier-fast: the same with RECHECK_SECONDS=10 (re-checks within each invocation while jobs run);
- monitor-5min: a check of every running job every 5 minutes (the Personalize monitor's schedule);
- step-functions-backoff: one Step Functions loop per job, as the Personalize MLOps solution runs it: first
  check 60 s after the start, each wait 1.02 times the one before, giving up after 100 checks.

And for a pipeline that waits on each job (from its creation): `notifier wait` describing the job itself (its
real interval schedule, notifier.usecases.waiting.next_interval, seeded), `notifier wait` reading the table that
the fast mode's poll keeps (its looks are reads of the table; what it sees is what that poll told), beside the loop:
time from the job's end to the look that sees it, and describe calls per waited hour.

The peers are replayed from their schedules (their code is not run); each of their checks is priced as the
same Lambda work as ours, so their figures differ from ours only by what their schedule makes them do.

Time to notice is the time from a job's terminal status to the publish that tells it. A poll's time is what
it took here in-process, plus the emulated Personalize latency per round of concurrent calls and a stated
DynamoDB latency per request, since moto answers faster than AWS does.
"""

from __future__ import annotations

import importlib
import io
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from bench.counters import DynamoCounter
from bench.measured import measured_on, stamp_chart
from notifier.adapters.personalize import PersonalizeResources
from notifier.app.compose import PollCycle
from notifier.app.settings import FAST_TIME_MARGIN_SECONDS, TIME_MARGIN_SECONDS, Settings
from notifier.usecases.poll.report import PollReport
from notifier.usecases.tracking import track
from notifier.usecases.waiting import LONGEST_INTERVAL_SECONDS, LONGEST_TABLE_INTERVAL_SECONDS, next_interval
from notifier_local import personalize as emulator
from notifier_local.aws import QueueSubscriber, create_watch_table

# --- list prices, us-east-1, without free tiers, as published in November 2026 ---
# AWS Lambda pricing page: requests $0.20 per million; Arm (Graviton2) $0.0000133334 per GB-second.
LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_PER_GB_SECOND = 0.0000133334
# DynamoDB on-demand pricing (after the November 2024 reduction): $0.125 per million read request units,
# $0.625 per million write request units.
DYNAMODB_PER_READ = 0.125 / 1e6
DYNAMODB_PER_WRITE = 0.625 / 1e6
# CloudWatch Logs pricing: standard ingestion $0.50 per GB.
LOGS_PER_GB = 0.50
# Step Functions pricing: Standard workflows $0.025 per 1,000 state transitions.
SFN_PER_TRANSITION = 0.025 / 1000
PRICES_AS_OF = "2026-11 (us-east-1 list prices, no free tier)"

MEMORY_GB = 256 / 1024  # the poll Lambda's memory (infra/function.py)
DYNAMODB_LATENCY = 0.005  # a stated 5 ms per DynamoDB request in AWS ("single-digit milliseconds"); moto is faster
CONCURRENCY = 8  # the poll's describes in flight (Settings.max_concurrency)
TIMEOUT = 55.0  # the poll Lambda's timeout at one poll a minute (infra/poller.py)
RECHECK_SECONDS = 10
MONTH_SECONDS = 30 * 24 * 3600
DAY = datetime(2026, 11, 24, tzinfo=UTC)
REGION, ACCOUNT = "us-east-1", "123456789012"

# A day of jobs: this many, created over the first 20 hours, running 5 minutes to 4 hours (log-uniform).
JOBS_PER_DAY = 48
SHORTEST, LONGEST = 5 * 60, 4 * 3600
FAILED_ONE_IN = 6

# The Step Functions loop (Personalize MLOps solution): Wait, check (Lambda task), Choice per check.
SFN_FIRST_WAIT, SFN_BACKOFF, SFN_MAX_CHECKS = 60.0, 1.02, 100
SFN_TRANSITIONS_PER_CHECK = 3
MONITOR_PERIOD = 300.0


@dataclass(frozen=True)
class Job:
    name: str
    created: float  # seconds into the day
    finishes: float
    status: str  # the terminal status

    @property
    def hours(self) -> float:
        return (self.finishes - self.created) / 3600


def day_of_jobs(seed: int = 7) -> list[Job]:
    rng = random.Random(seed)
    jobs = []
    for index in range(JOBS_PER_DAY):
        created = rng.uniform(0, 20 * 3600)
        duration = math.exp(rng.uniform(math.log(SHORTEST), math.log(LONGEST)))
        status = "CREATE FAILED" if index % FAILED_ONE_IN == 0 else "ACTIVE"
        jobs.append(Job(f"day-{index:03d}", created, created + duration, status))
    return jobs


@dataclass
class Costs:
    invocations: int = 0
    gb_seconds: float = 0.0
    reads: int = 0
    writes: int = 0
    log_bytes: int = 0

    def usd(self) -> float:
        return (
            self.invocations * LAMBDA_PER_REQUEST
            + self.gb_seconds * LAMBDA_PER_GB_SECOND
            + self.reads * DYNAMODB_PER_READ
            + self.writes * DYNAMODB_PER_WRITE
            + self.log_bytes / 1e9 * LOGS_PER_GB
        )


@dataclass
class Outcome:
    strategy: str
    delays: list[float] = field(default_factory=list)
    day_usd: float = 0.0  # what the simulated day cost
    days: float = 1.0  # how long the simulated day ran (jobs ending late are told the next morning)
    idle_usd_per_month: float = 0.0
    job_hours: float = 0.0
    told_at: dict[str, float] = field(default_factory=dict)  # job name -> when its ending was published

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.delays)
        marginal = self.day_usd - self.idle_usd_per_month * self.days * 86400 / MONTH_SECONDS
        return {
            "strategy": self.strategy,
            "p50_seconds": round(statistics.median(ordered), 1),
            "p95_seconds": round(ordered[math.ceil(0.95 * len(ordered)) - 1], 1),
            "idle_usd_per_month": round(self.idle_usd_per_month, 4),
            "usd_per_active_job_hour": round(max(0.0, marginal) / self.job_hours, 6),
            "jobs": len(ordered),
        }


# --- the notifier, for real, on a simulated clock ---


class Day:
    """moto, the emulator and the notifier's poll code, moved along one simulated day."""

    def __init__(self, jobs: list[Job], recheck: int, latency: float) -> None:
        self.jobs, self.latency, self.now = jobs, latency, 0.0
        self.told_at: dict[str, float] = {}
        self.session = boto3.session.Session(region_name=REGION)
        create_watch_table(self.session.client("dynamodb"), "notice-jobs")
        sns = self.session.client("sns")
        topic = sns.create_topic(Name="notice")["TopicArn"]
        self.queue = QueueSubscriber(sns, self.session.client("sqs"), topic, "notice-subscriber")
        settings = Settings(
            table_name="notice-jobs",
            topic_arn=topic,
            stuck_after_minutes=0,
            recheck_seconds=recheck,
            # As the stack sets TIME_MARGIN_SECONDS (infra/poller.py, from notifier.app.settings).
            time_margin_seconds=FAST_TIME_MARGIN_SECONDS if recheck else TIME_MARGIN_SECONDS,
        )
        self.cycle = PollCycle(settings, self.session)
        self.cycle.poller._clock = self.clock
        self.tracker = PersonalizeResources(self.session)
        self.requests = DynamoCounter(self.cycle._store._client)
        self.job_of: dict[str, Job] = {}  # by ARN, for what a subscriber receives
        self.arn_of: dict[str, str] = {}  # by job name, for what Personalize does next
        self.pending: list[tuple[float, Callable[[], None]]] = sorted(self._timeline(), key=lambda e: e[0])
        self.costs, self.delays = Costs(), []
        self.log_bytes_when_busy = 0
        real_poll = self.cycle.poller.poll
        self.cycle.poller.poll = lambda remaining: self._timed(real_poll, remaining)  # type: ignore[method-assign]

    def clock(self) -> datetime:
        return DAY + timedelta(seconds=self.now)

    def epoch_seconds(self) -> float:
        return self.clock().timestamp()

    def _timeline(self) -> list[tuple[float, Callable[[], None]]]:
        events: list[tuple[float, Callable[[], None]]] = []
        for job in self.jobs:
            events.append((job.created, lambda job=job: self._create(job)))
            events.append(
                (job.created + 60, lambda job=job: emulator.set_status(self.arn_of[job.name], "CREATE IN_PROGRESS"))
            )
            events.append((job.finishes, lambda job=job: emulator.set_status(self.arn_of[job.name], job.status)))
        return events

    def _create(self, job: Job) -> None:
        """The job is created, and CloudTrail's event has the track Lambda put it under watch."""
        arn = self.session.client("personalize").create_dataset_export_job(
            jobName=job.name,
            datasetArn=f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/{job.name}/INTERACTIONS",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/Export",
            jobOutput={"s3DataDestination": {"path": f"s3://exports/{job.name}/"}},
        )["datasetExportJobArn"]
        self.job_of[arn], self.arn_of[job.name] = job, arn
        track(arn, self.cycle._store, self.tracker, clock=self.clock)
        self.costs.invocations += 1  # the track Lambda: one invocation, one describe, one write
        self.costs.writes += 1

    def advance_to(self, moment: float) -> None:
        while self.pending and self.pending[0][0] <= moment:
            at, happen = self.pending.pop(0)
            current, self.now = self.now, at  # it happens at its own time (Personalize's timestamps too)
            happen()
            self.now = max(current, at)
        self.now = max(self.now, moment)

    def _timed(self, real_poll: Callable[..., PollReport], remaining: Any) -> PollReport:
        """One real poll; the simulated clock moves by what it took, Personalize's and DynamoDB's latency
        included; what it published is matched with when each job really finished."""
        calls, requests = emulator.calls.total(), self.requests.requests
        started = time.perf_counter()
        report = real_poll(remaining)
        rounds = math.ceil((emulator.calls.total() - calls) / CONCURRENCY)
        self.now += time.perf_counter() - started + rounds * self.latency
        self.now += (self.requests.requests - requests) * DYNAMODB_LATENCY
        for delivered in self.queue.receive_all() if report.notifications_published else ():
            job = self.job_of[delivered.document["jobArn"]]
            if delivered.document["status"] == job.status:
                self.delays.append(self.now - job.finishes)
                self.told_at[job.name] = self.now
        return report

    def invoke(self, at: float) -> PollReport:
        """One scheduled invocation of the poll Lambda at `at` seconds into the day."""
        self.advance_to(at)
        started, reads, writes = self.now, self.requests.reads, self.requests.writes

        def sleep(seconds: float) -> None:
            self.advance_to(self.now + seconds)

        report = self.cycle.run(remaining_seconds=lambda: TIMEOUT - (self.now - started), sleep=sleep)
        self.costs.invocations += 1
        self.costs.gb_seconds += max(0.001, self.now - started) * MEMORY_GB
        self.costs.reads += self.requests.reads - reads
        self.costs.writes += self.requests.writes - writes
        if not report.idle:
            self.costs.log_bytes += self.log_bytes_when_busy
        return report


SIMULATED_HOURS = 24 + 5  # the day, and the morning after (a job ending late in the day is still told)


def run_notifier(strategy: str, jobs: list[Job], recheck: int, latency: float) -> tuple[Outcome, float]:
    """The day through the notifier; returns the outcome and what one idle invocation costs, in dollars."""
    saved_clock = emulator.clock
    with mock_aws():
        day = Day(jobs, recheck, latency)
        emulator.clock = day.epoch_seconds
        try:
            day.log_bytes_when_busy = log_bytes_of_a_busy_poll(day)
            for minute in range(SIMULATED_HOURS * 60):
                day.invoke(minute * 60.0)
            idle_invocation = _idle_invocation_usd(day)
        finally:
            emulator.clock = saved_clock
    outcome = Outcome(
        strategy,
        delays=day.delays,
        day_usd=day.costs.usd(),
        days=SIMULATED_HOURS / 24,
        idle_usd_per_month=idle_invocation * MONTH_SECONDS / 60,
        job_hours=sum(job.hours for job in jobs),
        told_at=day.told_at,
    )
    return outcome, idle_invocation


def log_bytes_of_a_busy_poll(day: Day) -> int:
    """What the real poll handler writes to stdout (CloudWatch Logs) when it found work: its "Poll finished"
    record and the EMF metrics. An idle poll writes nothing (tests/integration/test_fast_polls.py)."""
    os.environ.update({"TABLE_NAME": "notice-jobs", "TOPIC_ARN": day.cycle._settings.topic_arn})
    sys.modules.pop("notifier.handlers.poll", None)
    module = importlib.import_module("notifier.handlers.poll")
    from notifier.observability import logger  # noqa: PLC0415

    probe = Job("probe", day.now, day.now, "ACTIVE")
    day._create(probe)
    emulator.set_status(day.arn_of[probe.name], "ACTIVE")
    written = io.StringIO()
    stream = logger.registered_handler.stream  # type: ignore[attr-defined]
    logger.registered_handler.setStream(written)  # type: ignore[attr-defined]
    try:
        with redirect_stdout(written):
            module.handler({"source": "aws.events"}, _Context())
    finally:
        logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
        day.queue.receive_all()
        day.costs = Costs()
    return len(written.getvalue().encode())


@dataclass
class _Context:
    function_name: str = "notice-poll"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:notice-poll"
    aws_request_id: str = "notice"

    def get_remaining_time_in_millis(self) -> int:
        return 55_000


def _idle_invocation_usd(day: Day) -> float:
    """An invocation with nothing to do: measured the same way, on the day's own table (now idle)."""
    samples = []
    for _ in range(50):
        reads = day.requests.reads
        started = time.perf_counter()
        report = day.cycle.run()
        assert report.idle and day.requests.reads - reads == 1, "an idle poll is one query"
        samples.append(time.perf_counter() - started + DYNAMODB_LATENCY)
    duration = max(0.001, statistics.median(samples))
    return LAMBDA_PER_REQUEST + duration * MEMORY_GB * LAMBDA_PER_GB_SECOND + DYNAMODB_PER_READ


# --- the peers' schedules, replayed ---


def sfn_check_times(created: float) -> list[float]:
    """When the Step Functions loop checks a job created at `created`: 60 s after, each wait 1.02 times longer,
    100 checks at most."""
    times, wait, at = [], SFN_FIRST_WAIT, created
    for _ in range(SFN_MAX_CHECKS):
        at += wait
        times.append(at)
        wait *= SFN_BACKOFF
    return times


def run_monitor(jobs: list[Job], check_usd: Callable[[int], float], idle_usd: float) -> Outcome:
    outcome = Outcome("monitor-5min")
    for job in jobs:
        outcome.delays.append(math.ceil(job.finishes / MONITOR_PERIOD) * MONITOR_PERIOD - job.finishes)
    usd = 0.0
    for tick in range(int(SIMULATED_HOURS * 3600 / MONITOR_PERIOD)):
        at = tick * MONITOR_PERIOD
        running = sum(1 for job in jobs if job.created <= at < job.finishes + MONITOR_PERIOD)
        usd += check_usd(running)
    outcome.day_usd, outcome.days = usd, SIMULATED_HOURS / 24
    outcome.idle_usd_per_month = idle_usd * MONTH_SECONDS / MONITOR_PERIOD
    outcome.job_hours = sum(job.hours for job in jobs)
    return outcome


def run_step_functions(jobs: list[Job], check_usd: Callable[[int], float]) -> Outcome:
    outcome = Outcome("step-functions-backoff")
    usd = 0.0
    for job in jobs:
        checks = sfn_check_times(job.created)
        noticed = next((at for at in checks if at >= job.finishes), None)
        made = checks.index(noticed) + 1 if noticed is not None else len(checks)
        if noticed is not None:
            outcome.delays.append(noticed - job.finishes)
        # Start, then Wait + Task + Choice per check, then the end state; one Lambda check per loop.
        usd += (2 + SFN_TRANSITIONS_PER_CHECK * made) * SFN_PER_TRANSITION + made * check_usd(1)
    outcome.day_usd = usd  # nothing runs, nothing is paid, while no job does
    outcome.job_hours = sum(job.hours for job in jobs)
    return outcome


# --- the run ---


def wait_look_times(created: float, until: float, rng: random.Random, longest: float) -> list[float]:
    """When `notifier wait` started at `created` looks, as notifier.usecases.waiting schedules its looks."""
    times, at, interval = [], created, None
    while at <= until:
        interval = next_interval(interval, throttled=False, draw=rng.random, longest=longest)
        at += interval
        times.append(at)
    return times


def run_waits(jobs: list[Job], told_fast: dict[str, float]) -> list[dict[str, Any]]:
    """Each job waited on from its creation: by describing (each look a describe), on the table (each look a
    read; the end is seen once the fast poll told it), and by the Step Functions loop."""
    rng = random.Random(11)
    rows = []
    for strategy in ("wait-describing", "wait-on-table", "step-functions-backoff"):
        delays, describes, hours = [], 0, 0.0
        for job in jobs:
            seen_from = told_fast.get(job.name) if strategy == "wait-on-table" else job.finishes
            if seen_from is None:
                continue  # the poll never told it (the bench's own check counts that)
            if strategy == "step-functions-backoff":
                looks = sfn_check_times(job.created)
            else:
                longest = LONGEST_TABLE_INTERVAL_SECONDS if strategy == "wait-on-table" else LONGEST_INTERVAL_SECONDS
                looks = wait_look_times(job.created, seen_from + longest + 60, rng, longest)
            seen = next((at for at in looks if at >= seen_from), None)
            if seen is None:
                continue  # the loop gave up first
            delays.append(seen - job.finishes)
            made = looks.index(seen) + 1
            describes += 0 if strategy == "wait-on-table" else made
            hours += (seen - job.created) / 3600
        ordered = sorted(delays)
        rows.append(
            {
                "strategy": strategy,
                "p50_seconds": round(statistics.median(ordered), 1),
                "p95_seconds": round(ordered[math.ceil(0.95 * len(ordered)) - 1], 1),
                "describes_per_waited_hour": round(describes / hours, 1),
                "jobs": len(ordered),
            }
        )
    return rows


def run(
    latency_ms: float, out: Path
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[bool | None, str]]]:
    jobs = day_of_jobs()
    latency = latency_ms / 1000
    default, idle_invocation = run_notifier("notifier-default", jobs, 0, latency)
    fast, _ = run_notifier("notifier-fast", jobs, RECHECK_SECONDS, latency)
    waits = run_waits(jobs, fast.told_at)

    def check_usd(running: int) -> float:
        """A peer's check of `running` jobs, priced as our poll of that many: our idle invocation plus one round
        of describes per 8 jobs at the emulated latency."""
        extra = math.ceil(running / CONCURRENCY) * latency * MEMORY_GB * LAMBDA_PER_GB_SECOND
        return idle_invocation + extra

    outcomes = [
        default,
        fast,
        run_monitor(jobs, check_usd, idle_invocation),
        run_step_functions(jobs, check_usd),
    ]
    rows = [outcome.summary() for outcome in outcomes]
    by = {row["strategy"]: row for row in rows}
    waited = {row["strategy"]: row for row in waits}
    loop = waited["step-functions-backoff"]["describes_per_waited_hour"]
    checks = [
        (by["notifier-default"]["p95_seconds"] <= 60, f"default: p95 {by['notifier-default']['p95_seconds']} s ≤ 60 s"),
        (
            by["notifier-default"]["idle_usd_per_month"] <= 0.10,
            f"default: idle ${by['notifier-default']['idle_usd_per_month']:.4f}/month ≤ $0.10",
        ),
        (by["notifier-fast"]["p95_seconds"] <= 20, f"fast: p95 {by['notifier-fast']['p95_seconds']} s ≤ 20 s"),
        (
            by["notifier-default"]["usd_per_active_job_hour"]
            <= by["step-functions-backoff"]["usd_per_active_job_hour"] / 10,
            f"default: ${by['notifier-default']['usd_per_active_job_hour']:.6f} per running job-hour ≤ a tenth of "
            f"the Step Functions loop's ${by['step-functions-backoff']['usd_per_active_job_hour']:.6f}",
        ),
        (all(row["jobs"] == len(jobs) for row in rows[:2]), f"every one of the {len(jobs)} endings was told"),
        (
            waited["wait-describing"]["p95_seconds"] <= 30 and waited["wait-on-table"]["p95_seconds"] <= 30,
            f"wait: p95 {waited['wait-describing']['p95_seconds']} s describing, "
            f"{waited['wait-on-table']['p95_seconds']} s on the table (fast mode) ≤ 30 s",
        ),
        (
            waited["wait-on-table"]["describes_per_waited_hour"] <= loop / 10,
            f"wait on the table: {waited['wait-on-table']['describes_per_waited_hour']} describes per waited hour "
            f"of its own ≤ a tenth of the loop's {loop}",
        ),
        (
            None,
            f"wait describing directly: {waited['wait-describing']['describes_per_waited_hour']} describes per "
            f"waited hour (the loop: {loop}): describing every 30 s at most is the costly way to wait; the table "
            "costs no describe",
        ),
    ]
    chart(rows, out / "notice-latency.png")
    return rows, waits, checks


def render_waits(rows: list[dict[str, Any]]) -> str:
    lines = [("pipeline waits by", "p50 s", "p95 s", "describes/waited hour", "told")] + [
        (
            row["strategy"],
            f"{row['p50_seconds']:.1f}",
            f"{row['p95_seconds']:.1f}",
            f"{row['describes_per_waited_hour']:.1f}",
            str(row["jobs"]),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True)))
        for line in lines
    )


def render(rows: list[dict[str, Any]]) -> str:
    header = ("strategy", "p50 s", "p95 s", "idle $/month", "$/running job-hour", "told")
    lines = [header] + [
        (
            row["strategy"],
            f"{row['p50_seconds']:.1f}",
            f"{row['p95_seconds']:.1f}",
            f"{row['idle_usd_per_month']:.4f}",
            f"{row['usd_per_active_job_hour']:.6f}",
            str(row["jobs"]),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def aligned(line: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )

    return "\n".join(aligned(line) for line in lines)


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - the bench's own dependency (requirements-bench.txt)

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: PLC0415

    names = [row["strategy"] for row in rows]
    figure, (latency_axis, cost_axis) = pyplot.subplots(1, 2, figsize=(11, 4.2))
    stamp_chart(figure, measured_on())
    positions = range(len(rows))
    latency_axis.bar([p - 0.2 for p in positions], [row["p50_seconds"] for row in rows], 0.4, label="p50")
    latency_axis.bar([p + 0.2 for p in positions], [row["p95_seconds"] for row in rows], 0.4, label="p95")
    latency_axis.set_xticks(list(positions), names, rotation=15)
    latency_axis.set_ylabel("seconds from a job's end to the notification")
    latency_axis.axhline(60, color="grey", linestyle="--", linewidth=0.8)
    latency_axis.legend()
    cost_axis.bar(list(positions), [row["usd_per_active_job_hour"] * 1000 for row in rows], 0.6, color="tab:green")
    cost_axis.set_xticks(list(positions), names, rotation=15)
    cost_axis.set_ylabel("$ per 1,000 running job-hours")
    figure.suptitle(f"Time to notice, one simulated day of {JOBS_PER_DAY} jobs (prices {PRICES_AS_OF})")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
