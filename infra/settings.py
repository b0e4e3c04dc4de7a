"""Deploy-time options from CDK context, validated before anything is built: a bad value stops synth by name."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from notifier.domain.quality import DEFAULT_KEY_METRIC, DEFAULT_THRESHOLD_PERCENT
from notifier.domain.usage import (
    DEFAULT_IDLE_HOURS,
    DEFAULT_REPEAT_HOURS,
    DEFAULT_UNDERUSED_PERCENT,
    LONGEST_WINDOW_HOURS,
)

from .context_values import (
    DEFAULT_EVENT_SOURCE,
    LAYER_ARN,
    OPTION_SHAPE,
    SECRET_PREFIX,
    SLACK_CHANNEL,
    SLACK_WORKSPACE,
    WEBHOOK_OPTIONS,
    ContextError,
    discover_value,
    email_addresses,
    event_source,
    expectations,
    flag,
    max_rate,
    optional_text,
    organization_options,
    percentage,
    quality_metric,
    snake_case,
    teams_options,
    track_regions,
    webhook_options,
    whole_number,
)

# The Lambda's runtime and architecture, and the Powertools for AWS Lambda (Python) release it runs: the one
# requirements-dev.txt pins and the tests run (a test holds them equal). A layer *number* differs per runtime,
# architecture, region and partition, so the layer ARN is resolved at deploy time from the public SSM
# parameter Powertools publishes for each release, /aws/service/powertools/python/{arm64|x86_64}/{python3.x}/
# {version} (Powertools docs, "Install", "Using SSM Parameter Store"; written by its update_ssm workflow).
# -c powertoolsLayerArn=... overrides it, e.g. in a partition where that parameter is not published.
LAMBDA_RUNTIME = "python3.14"
LAMBDA_ARCHITECTURE = "arm64"
POWERTOOLS_VERSION = "3.37.0"
POWERTOOLS_LAYER_PARAMETER = (
    f"/aws/service/powertools/python/{LAMBDA_ARCHITECTURE}/{LAMBDA_RUNTIME}/{POWERTOOLS_VERSION}"
)


@dataclass(frozen=True)
class DeploySettings:
    poll_minutes: int = 1
    recheck_seconds: int = 0  # fast mode: re-check every N seconds within an invocation while jobs run
    tracing: bool = False
    track_regions: tuple[str, ...] = ()  # other regions whose Create... calls are forwarded here
    notify_emails: tuple[str, ...] = ()
    failure_emails: tuple[str, ...] = ()
    slack_workspace_id: str | None = None
    slack_channel_id: str | None = None
    teams_team_id: str | None = None
    teams_channel_id: str | None = None
    teams_tenant_id: str | None = None
    powertools_layer_arn: str | None = None
    auto_track: bool = True
    event_source: str = DEFAULT_EVENT_SOURCE
    stuck_after_minutes: int = 360
    personalize_max_rps: float | None = None
    discover: str | None = None  # "all", or comma-separated parent ARNs (datasets, solutions, ...)
    solution_check_minutes: int = 60  # how often a watched solution's automatic training is looked at
    organization_id: str | None = None  # track and read the jobs of the organization's member accounts
    member_external_id: str | None = None
    member_ous: tuple[str, ...] = ()  # a StackSet deploys the member stack there
    member_regions: tuple[str, ...] = ()  # the StackSet's regions (empty: this stack's and trackRegions)
    member_stack_set_call_as: str = "SELF"
    quality_metric: str = DEFAULT_KEY_METRIC
    quality_threshold_percent: float = DEFAULT_THRESHOLD_PERCENT
    expectations: tuple[tuple[str, int], ...] = ()  # (ARN, period in seconds): declared cadences
    regressions_on_new_data: bool = False  # failure-only subscribers also get regressions after an import
    usage_monitoring: bool = True  # read what ACTIVE campaigns and recommenders serve, once an hour
    idle_hours: int = DEFAULT_IDLE_HOURS
    underused_percent: float = DEFAULT_UNDERUSED_PERCENT
    idle_repeat_hours: int = DEFAULT_REPEAT_HOURS
    # Incoming webhooks (EventBridge API destinations): `secretsmanager:NAME`, or the URL or routing key itself.
    slack_webhook_url: str | None = None
    slack_webhook_only_failures: bool = False
    teams_webhook_url: str | None = None
    teams_webhook_only_failures: bool = False
    discord_webhook_url: str | None = None
    discord_webhook_only_failures: bool = False
    google_chat_webhook_url: str | None = None
    google_chat_webhook_only_failures: bool = False
    pager_duty_routing_key: str | None = None
    pager_duty_only_failures: bool = True

    @property
    def webhooks(self) -> tuple[Webhook, ...]:
        """The webhooks deployed, in the order of WEBHOOK_OPTIONS."""
        found = []
        for service, (key, failures_key) in WEBHOOK_OPTIONS.items():
            value = getattr(self, snake_case(key))
            if value is not None:
                found.append(Webhook(service, key, value, only_failures=getattr(self, snake_case(failures_key))))
        return tuple(found)

    @property
    def slack(self) -> bool:
        return self.slack_workspace_id is not None

    @property
    def recipients(self) -> bool:
        """Whether anyone is told anything: an email address, a chat channel or a webhook."""
        return bool(self.notify_emails or self.failure_emails or self.slack or self.teams or self.webhooks)

    @property
    def teams(self) -> bool:
        return self.teams_team_id is not None

    @property
    def organization(self) -> bool:
        return self.organization_id is not None

    @classmethod
    def from_app_context(cls, context: Mapping[str, object]) -> DeploySettings:
        """Settings from all of an app's context; a key that looks like an option of ours but is not one (a typo
        such as notifyEmail) stops synth, naming the closest option."""
        asked: set[str] = {"stackName"}

        def get(key: str) -> object:
            asked.add(key)
            return context.get(key)

        settings = cls.from_context(get)
        for key in sorted(context):
            close = difflib.get_close_matches(key, sorted(asked), n=1, cutoff=0.75)
            if key not in asked and (OPTION_SHAPE.match(key) or close):
                hint = f" (did you mean {close[0]}?)" if close else f"; the options are {', '.join(sorted(asked))}"
                raise ContextError(f"unknown context key {key!r}{hint}")
        return settings

    @classmethod
    def from_context(cls, get: Callable[[str], object]) -> DeploySettings:
        workspace, channel = optional_text(get, "slackWorkspaceId"), optional_text(get, "slackChannelId")
        if (workspace is None) != (channel is None):
            raise ContextError("slackWorkspaceId and slackChannelId go together: give both or neither")
        if workspace is not None and not SLACK_WORKSPACE.match(workspace):
            raise ContextError(f"slackWorkspaceId {workspace!r} is not a Slack workspace ID (like T0123ABCD)")
        if channel is not None and not SLACK_CHANNEL.match(channel):
            raise ContextError(
                f"slackChannelId {channel!r} is not a Slack channel ID (like C0123ABCD): a channel's ID is the last "
                "part of the link Slack's Copy link gives, not its name"
            )
        layer = optional_text(get, "powertoolsLayerArn")
        if layer is not None and not LAYER_ARN.match(layer):
            raise ContextError(f"powertoolsLayerArn {layer!r} is not a Lambda layer version ARN")
        return cls(
            auto_track=flag(get("autoTrack"), "autoTrack", default=True),
            event_source=event_source(get("eventSource")),
            stuck_after_minutes=whole_number(
                get("stuckAfterMinutes"), "stuckAfterMinutes", 360, (0, 100_000), unit=" of minutes"
            ),
            personalize_max_rps=max_rate(get("personalizeMaxRps")),
            discover=discover_value(get("discover")),
            poll_minutes=whole_number(get("pollMinutes"), "pollMinutes", 1, (1, 1440), unit=" of minutes"),
            recheck_seconds=whole_number(get("recheckSeconds"), "recheckSeconds", 0, (0, 30), unit=" of seconds"),
            # The Lambda's own bound (notifier.app.settings): a week at most; 0 looks at every poll.
            solution_check_minutes=whole_number(
                get("solutionCheckMinutes"), "solutionCheckMinutes", 60, (0, 10_080), unit=" of minutes"
            ),
            tracing=flag(get("tracing"), "tracing", default=False),
            quality_metric=quality_metric(get("qualityMetric")),
            quality_threshold_percent=percentage(get("qualityThresholdPercent"), "qualityThresholdPercent"),
            expectations=expectations(get("expectations")),
            regressions_on_new_data=flag(get("regressionsOnNewData"), "regressionsOnNewData", default=False),
            usage_monitoring=flag(get("usageMonitoring"), "usageMonitoring", default=True),
            # The Lambda's own bounds (notifier.app.settings).
            idle_hours=whole_number(
                get("idleHours"), "idleHours", DEFAULT_IDLE_HOURS, (1, LONGEST_WINDOW_HOURS), unit=" of hours"
            ),
            underused_percent=percentage(get("underusedPercent"), "underusedPercent", DEFAULT_UNDERUSED_PERCENT),
            idle_repeat_hours=whole_number(
                get("idleRepeatHours"), "idleRepeatHours", DEFAULT_REPEAT_HOURS, (1, 8784), unit=" of hours"
            ),
            track_regions=track_regions(get("trackRegions")),
            notify_emails=email_addresses(get, "notifyEmails"),
            failure_emails=email_addresses(get, "failureEmails"),
            slack_workspace_id=workspace,
            slack_channel_id=channel,
            **teams_options(get),
            powertools_layer_arn=layer,
            **organization_options(get),
            **webhook_options(get),
        )


@dataclass(frozen=True)
class Webhook:
    """One incoming webhook: the service (as notifier.rendering.webhooks names it), the option that gave it, its
    value, and whether it gets failures only."""

    service: str
    option: str
    value: str
    only_failures: bool

    @property
    def secret_name(self) -> str | None:
        """The Secrets Manager secret that holds the URL or key, or None where the option gave it literally."""
        if not self.value.startswith(SECRET_PREFIX):
            return None
        return self.value.removeprefix(SECRET_PREFIX).partition(":")[0]

    @property
    def secret_version(self) -> str | None:
        """The version of it to read (`secretsmanager:NAME:VERSION_ID`), else its current one."""
        version = self.value.removeprefix(SECRET_PREFIX).partition(":")[2] if self.secret_name else ""
        return version or None


def poll_timeout_seconds(poll_minutes: int) -> int:
    """The poll Lambda's timeout: long enough for a throttled poll of many jobs (and, in fast mode, its
    re-checks), short enough to end before the next scheduled one starts (240 s at most)."""
    return min(240, poll_minutes * 60 - 5)


# How long a queue keeps what could not be processed: SQS's longest retention (SQS developer guide, "Amazon SQS
# message quotas": 14 days).
KEPT_EVENTS_DAYS = 14

# The poll's scheduled events older than this are dropped rather than run late (the next poll does their work).
POLL_EVENT_MAX_AGE_SECONDS = 60
# The functions' memory and their log groups' retention (logs.RetentionDays.ONE_MONTH is 30 days).
LAMBDA_MEMORY_MB = 256
LOG_RETENTION_DAYS = 30
# The alarms' period: five minutes, or the poll's interval if it is longer.
ALARM_PERIOD_MINUTES = 5

# How long a wait_task waits at most by default: a week, finite (a callback task without a timeout waits as long as
# its execution may run). The poll sends a heartbeat whenever a sixth of a task's HeartbeatSeconds has passed
# (notifier.domain.watched.TaskToken): the default heartbeat timeout is three polls, fifteen minutes at least.
WAIT_TIMEOUT_DAYS = 7
HEARTBEATS_PER_BEAT_TIMEOUT = 3
SHORTEST_DEFAULT_HEARTBEAT_MINUTES = 15
