"""What a poll is told to do (PollSettings) and what it did (PollReport): shared by the poll's modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from notifier.domain.quality import DEFAULT_KEY_METRIC, DEFAULT_THRESHOLD_PERCENT
from notifier.domain.usage import UsageRule
from notifier.ports import AccountUnreachable
from notifier.rendering.envelope import Notification


@dataclass(frozen=True)
class PollSettings:
    max_concurrency: int = 8
    time_margin_seconds: float = 15.0
    publish_lease: timedelta = timedelta(minutes=2)
    retention: timedelta = timedelta(days=90)
    stuck_after: timedelta | None = timedelta(hours=6)
    list_threshold: int = 3  # active jobs under one parent from which a List page beats describing each
    versions_every: timedelta = timedelta(minutes=60)  # how often a solution's automatic training is looked at
    quality_metric: str = DEFAULT_KEY_METRIC  # what decides whether a new version improved or regressed
    quality_threshold_percent: float = DEFAULT_THRESHOLD_PERCENT
    expectations: tuple[tuple[str, int], ...] = ()  # declared at deploy time: (ARN, period in seconds)
    usage: UsageRule | None = field(default_factory=UsageRule)  # None: usage is not read


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
    metrics_calls: int = 0  # GetSolutionMetrics and ListSolutionVersions made to assess finished versions
    expectations_read: int = 0
    cadence_looks: int = 0  # expectations due, looked up in Personalize's lists
    overdue: int = 0  # overdue notices decided
    tasks_answered: int = 0  # Step Functions tasks told how what they waited on settled
    tasks_gone: int = 0  # tokens dropped: their executions ended before the answer
    heartbeats: int = 0  # SendTaskHeartbeat: tasks told that what they wait on still runs
    tasks_failed_without_data: int = 0  # answers an execution's KMS key refused: failed with no error or cause
    usage_reads: int = 0  # hourly readings of what ACTIVE campaigns and recommenders served (0 on most polls)
    usage_resources: int = 0  # campaigns and recommenders whose requests were read
    cloudwatch_calls: int = 0  # GetMetricData calls those readings took
    usage_notices: int = 0  # idle, underused, in use, unknown notices decided
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
