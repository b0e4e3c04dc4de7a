"""Settings from environment variables, validated once at cold start: a bad value fails fast and names itself."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from notifier.domain.arns import PARENT_KINDS, is_parent_arn, region_of
from notifier.domain.cadence import LONGEST, SHORTEST, NotExpectable, target_of
from notifier.domain.quality import DEFAULT_KEY_METRIC, DEFAULT_THRESHOLD_PERCENT, METRIC_NAME
from notifier.domain.usage import (
    DEFAULT_IDLE_HOURS,
    DEFAULT_REPEAT_HOURS,
    DEFAULT_UNDERUSED_PERCENT,
    LONGEST_WINDOW_HOURS,
    UsageRule,
)
from notifier.rendering.webhooks import SERVICES
from notifier.usecases.poll.report import PollSettings

Number = TypeVar("Number", int, float)

TOPIC_ARN_PATTERN = re.compile(r"^arn:[a-z\d-]+:sns:[a-z\d-]+:\d{12}:[\w-]{1,256}$")


# The poll stops starting calls this long before its timeout, so it always ends cleanly. In fast mode a
# shorter margin lets re-checks run closer to the next scheduled poll (the gap between them is the slowest
# notice); a job left over is only a re-check (seconds) away. The stack sets TIME_MARGIN_SECONDS to one.
TIME_MARGIN_SECONDS = 15
FAST_TIME_MARGIN_SECONDS = 5


# Every variable the functions read: its meaning and default, as `make docs` writes docs/how-it-works.md's table
# (a test holds the keys equal to those Settings.from_env reads, plus Powertools' own that the stack sets).
ENVIRONMENT: dict[str, tuple[str, str]] = {
    "TABLE_NAME": ("tracked-jobs table", "required"),
    "TOPIC_ARN": ("SNS topic to publish to", "required"),
    "MAX_CONCURRENCY": ("describes in flight at once", "8"),
    "TIME_MARGIN_SECONDS": (
        "no new call (or re-check) starts with less Lambda time left than this; one Personalize attempt (connect "
        "and read timeouts) fits in it less a fifth kept for writing and publishing",
        f"{TIME_MARGIN_SECONDS} (the stack sets {FAST_TIME_MARGIN_SECONDS} in fast mode)",
    ),
    "PUBLISH_LEASE_SECONDS": ("how long a poll owns the notifications it is publishing", "120"),
    "RETENTION_DAYS": ("how long finished jobs stay in the table (TTL)", "90"),
    "EVENT_BUS_NAME": (
        "EventBridge bus for the job state change events (unset: none)",
        "none (`default` in the stack)",
    ),
    "EVENT_SOURCE": ("their `source`", "`personalize-job-notifier`"),
    "WEBHOOKS": (
        "the incoming webhooks deployed (`slack`, `teams`, `discord`, `googleChat`, `pagerDuty`, comma-separated): "
        "each event carries their bodies for their rules to send",
        "none",
    ),
    "STUCK_AFTER_MINUTES": ("one `stuck` notification after this long (0: never)", "360"),
    "PERSONALIZE_MAX_RPS": ("space every Personalize request (retries too) under this rate, per region", "off"),
    "DISCOVER": ("`all` or parent ARNs (as `discover`): list and track running jobs before each poll", "off"),
    "DISCOVER_REGIONS": ("regions to list for `DISCOVER`", "the datasets' regions, else the function's"),
    "RECHECK_SECONDS": (
        "fast mode: re-check every N seconds within an invocation while anything runs (0: off)",
        "0",
    ),
    "SOLUTION_CHECK_MINUTES": (
        "how often a watched solution's automatically trained versions are listed (0: every poll)",
        "60",
    ),
    "QUALITY_METRIC": (
        "the offline metric (GetSolutionMetrics' name) that decides a new solution version's `quality`",
        f"`{DEFAULT_KEY_METRIC}`",
    ),
    "QUALITY_THRESHOLD_PERCENT": (
        "a change of that metric under this percentage of the previous version's is `unchanged`",
        f"{DEFAULT_THRESHOLD_PERCENT:g}",
    ),
    "EXPECTATIONS": (
        "expected cadences declared at deploy time: `ARN=SECONDS` pairs, comma-separated (set by `expectations`)",
        "none",
    ),
    "USAGE_MONITORING": (
        "`off`: the requests ACTIVE campaigns and recommenders answer are not read (no idle or underused notices)",
        "`on`",
    ),
    "IDLE_HOURS": (
        "the window a campaign's or recommender's requests are judged over: none in it is `idle`",
        f"{DEFAULT_IDLE_HOURS}",
    ),
    "UNDERUSED_PERCENT": (
        "its busiest hour under this percentage of its provisioned minimum, the whole window, is `underused` "
        "(0: never)",
        f"{DEFAULT_UNDERUSED_PERCENT:g}",
    ),
    "IDLE_REPEAT_HOURS": (
        "an idle or underused resource is told again after this long while it stays so",
        f"{DEFAULT_REPEAT_HOURS}",
    ),
    "MEMBER_ROLE_NAME": (
        "the reader role assumed in another account to read its Personalize, for ARNs of that account (set by "
        "`organizationId`)",
        "unset: this account's ARNs only",
    ),
    "MEMBER_EXTERNAL_ID": ("the external ID that role's trust policy asks for", "unset"),
    "POWERTOOLS_SERVICE_NAME": ("the `service` of logs and metrics (Powertools)", "`personalize-job-notifier`"),
    "POWERTOOLS_METRICS_NAMESPACE": (
        "the CloudWatch namespace of the metrics the alarms and the dashboard read",
        "`PersonalizeJobNotifier`",
    ),
    "POWERTOOLS_TRACE_DISABLED": ("`true` unless `-c tracing=true`", "unset"),
}


class ConfigError(ValueError):
    """A missing or invalid environment variable; the message names it."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    topic_arn: str
    max_concurrency: int = 8
    time_margin_seconds: float = TIME_MARGIN_SECONDS
    publish_lease_seconds: int = 120
    retention_days: int = 90
    # Discovery inside the poll, for accounts without a CloudTrail trail: "all", or parent ARNs.
    discover_all: bool = False
    discover_parents: tuple[str, ...] = ()
    discover_regions: tuple[str, ...] = ()
    event_bus_name: str | None = None  # every notification also goes to this EventBridge bus
    event_source: str = "personalize-job-notifier"
    webhooks: tuple[str, ...] = ()  # the incoming webhooks deployed: their bodies travel in each event
    stuck_after_minutes: int = 360  # 0: never report stuck jobs
    personalize_max_rps: float | None = None  # pace Personalize calls under the account's quota
    # Fast mode: while anything is active, poll again every this many seconds within one invocation
    # (until the time left is under the margin); 0: one poll per invocation.
    recheck_seconds: int = 0
    # Automatic training: how often each watched solution's versions are looked at (0: every poll).
    solution_check_minutes: int = 60
    members: MemberAccess | None = None  # other accounts' Personalize, read through a role there
    quality_metric: str = DEFAULT_KEY_METRIC
    quality_threshold_percent: float = DEFAULT_THRESHOLD_PERCENT
    expectations: tuple[tuple[str, int], ...] = ()  # declared at deploy time: (ARN, period in seconds)
    usage: UsageRule | None = field(default_factory=UsageRule)  # None: campaigns' and recommenders' use is not read

    @property
    def discovers(self) -> bool:
        return self.discover_all or bool(self.discover_parents)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        topic_arn = _required(env, "TOPIC_ARN")
        if not TOPIC_ARN_PATTERN.match(topic_arn):
            raise ConfigError(f"TOPIC_ARN {topic_arn!r} is not an SNS topic ARN")
        return cls(
            table_name=_required(env, "TABLE_NAME"),
            topic_arn=topic_arn,
            max_concurrency=_number(env, "MAX_CONCURRENCY", 8, (1, 64)),
            time_margin_seconds=_number(env, "TIME_MARGIN_SECONDS", float(TIME_MARGIN_SECONDS), (0.0, 600.0)),
            publish_lease_seconds=_number(env, "PUBLISH_LEASE_SECONDS", 120, (10, 3600)),
            retention_days=_number(env, "RETENTION_DAYS", 90, (1, 3650)),
            stuck_after_minutes=_number(env, "STUCK_AFTER_MINUTES", 360, (0, 100_000)),
            personalize_max_rps=_pace(env),
            recheck_seconds=_number(env, "RECHECK_SECONDS", 0, (0, 60)),
            solution_check_minutes=_number(env, "SOLUTION_CHECK_MINUTES", 60, (0, 10_080)),
            members=member_access(env),
            quality_metric=_metric(env),
            expectations=_expectations(env),
            quality_threshold_percent=_number(
                env, "QUALITY_THRESHOLD_PERCENT", DEFAULT_THRESHOLD_PERCENT, (0.0, 100.0)
            ),
            usage=_usage(env),
            **_events(env),
            **_discovery(env),
        )

    def poll_settings(self) -> PollSettings:
        return PollSettings(
            max_concurrency=self.max_concurrency,
            time_margin_seconds=self.time_margin_seconds,
            publish_lease=timedelta(seconds=self.publish_lease_seconds),
            retention=timedelta(days=self.retention_days),
            stuck_after=timedelta(minutes=self.stuck_after_minutes) if self.stuck_after_minutes else None,
            versions_every=timedelta(minutes=self.solution_check_minutes),
            quality_metric=self.quality_metric,
            quality_threshold_percent=self.quality_threshold_percent,
            expectations=self.expectations,
            usage=self.usage,
        )


@dataclass(frozen=True)
class TrackSettings:
    """The auto-track Lambda needs the table, and the member role if it tracks other accounts' calls."""

    table_name: str
    members: MemberAccess | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TrackSettings:
        env = os.environ if environ is None else environ
        return cls(table_name=_required(env, "TABLE_NAME"), members=member_access(env))


@dataclass(frozen=True)
class MemberAccess:
    """The role assumed in another account to read its Personalize, and the external ID its trust asks for."""

    role_name: str
    external_id: str | None = None


# botocore's models: iam CreateRole RoleName (1-64, [\w+=,.@-]+), sts AssumeRole ExternalId (2-1224).
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")


def member_access(env: Mapping[str, str]) -> MemberAccess | None:
    """MEMBER_ROLE_NAME (unset: this account only) and MEMBER_EXTERNAL_ID, validated at cold start."""
    role = env.get("MEMBER_ROLE_NAME", "").strip()
    external = env.get("MEMBER_EXTERNAL_ID", "").strip() or None
    if not role:
        if external:
            raise ConfigError("environment variable MEMBER_EXTERNAL_ID is set without MEMBER_ROLE_NAME")
        return None
    if not _ROLE_NAME.fullmatch(role):
        raise ConfigError(f"environment variable MEMBER_ROLE_NAME={role!r} is not an IAM role name")
    if external and not _EXTERNAL_ID.fullmatch(external):
        raise ConfigError("environment variable MEMBER_EXTERNAL_ID is not an external ID (2 to 1224 of [\\w+=,.@:/-])")
    return MemberAccess(role_name=role, external_id=external)


def _expectations(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    found = []
    for pair in (part.strip() for part in env.get("EXPECTATIONS", "").split(",")):
        if not pair:
            continue
        arn, _, seconds = pair.rpartition("=")
        try:
            target_of(arn)
        except NotExpectable as exc:
            raise ConfigError(f"environment variable EXPECTATIONS: {exc}") from None
        if not seconds.isdigit() or not SHORTEST.total_seconds() <= int(seconds) <= LONGEST.total_seconds():
            raise ConfigError(f"environment variable EXPECTATIONS: {pair!r} is not ARN=SECONDS (300 to 31622400)")
        found.append((arn, int(seconds)))
    return tuple(found)


def _usage(env: Mapping[str, str]) -> UsageRule | None:
    switch = env.get("USAGE_MONITORING", "").strip().lower() or "on"
    if switch not in ("on", "off"):
        raise ConfigError(f"environment variable USAGE_MONITORING={switch!r} is not on or off")
    if switch == "off":
        return None
    return UsageRule(
        idle_hours=_number(env, "IDLE_HOURS", DEFAULT_IDLE_HOURS, (1, LONGEST_WINDOW_HOURS)),
        underused_percent=_number(env, "UNDERUSED_PERCENT", DEFAULT_UNDERUSED_PERCENT, (0.0, 100.0)),
        repeat_hours=_number(env, "IDLE_REPEAT_HOURS", DEFAULT_REPEAT_HOURS, (1, 8784)),
    )


def _metric(env: Mapping[str, str]) -> str:
    metric = env.get("QUALITY_METRIC", "").strip() or DEFAULT_KEY_METRIC
    if not METRIC_NAME.fullmatch(metric):
        raise ConfigError(
            f"environment variable QUALITY_METRIC={metric!r} is not a metric name (like {DEFAULT_KEY_METRIC})"
        )
    return metric


def _pace(env: Mapping[str, str]) -> float | None:
    """Off (unset or 0), or 1-1000 requests/s: slower pacing could hold a call past the poll's time budget."""
    rate = _number(env, "PERSONALIZE_MAX_RPS", 0.0, (0.0, 1000.0))
    if 0 < rate < 1:
        raise ConfigError(f"environment variable PERSONALIZE_MAX_RPS={rate:g} is under 1 request per second")
    return rate or None


def _events(env: Mapping[str, str]) -> dict[str, object]:
    bus = env.get("EVENT_BUS_NAME", "").strip()
    source = env.get("EVENT_SOURCE", "").strip() or "personalize-job-notifier"
    if source.startswith("aws."):
        raise ConfigError(f"environment variable EVENT_SOURCE={source!r}: sources starting with 'aws.' are AWS's own")
    webhooks = tuple(name.strip() for name in env.get("WEBHOOKS", "").split(",") if name.strip())
    unknown = [name for name in webhooks if name not in SERVICES]
    if unknown:
        raise ConfigError(f"environment variable WEBHOOKS: {unknown[0]!r} is not one of {', '.join(SERVICES)}")
    return {"event_bus_name": bus or None, "event_source": source, "webhooks": webhooks}


def _discovery(env: Mapping[str, str]) -> dict[str, object]:
    raw = env.get("DISCOVER", "").strip()
    if not raw:
        return {}
    parents = () if raw == "all" else tuple(arn.strip() for arn in raw.split(",") if arn.strip())
    for arn in parents:
        if not is_parent_arn(arn):
            raise ConfigError(f"environment variable DISCOVER: {arn!r} is not the ARN of {PARENT_KINDS} (or 'all')")
    # Regions to list: as given, else each parent's own, else the function's.
    regions = tuple(r.strip() for r in env.get("DISCOVER_REGIONS", "").split(",") if r.strip())
    regions = regions or tuple(sorted({region for arn in parents if (region := region_of(arn))}))
    regions = regions or tuple(r for r in (env.get("AWS_REGION", "").strip(),) if r)
    if not regions:
        raise ConfigError("environment variable DISCOVER_REGIONS (or AWS_REGION) is needed with DISCOVER")
    if raw == "all":
        return {"discover_all": True, "discover_regions": regions}
    return {"discover_parents": parents, "discover_regions": regions}


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required and is not set")
    return value


def _number(env: Mapping[str, str], name: str, default: Number, bounds: tuple[Number, Number]) -> Number:
    """An optional number of the default's type within `bounds`."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = type(default)(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name}={raw!r} is not a number") from None
    low, high = bounds
    if not low <= value <= high:
        raise ConfigError(f"environment variable {name}={raw!r} is out of range [{low}, {high}]")
    return value
