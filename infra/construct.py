"""The notifier as one construct, for the CDK app of this repository and for anyone's own CDK app:

    from notifier_cdk import PersonalizeJobNotifier

    notifier = PersonalizeJobNotifier(stack, "JobNotifier", notify_emails=["ana@example.com"], poll_minutes=1)

Its keyword properties mirror the context options of `cdk deploy -c ...` (notifyEmails is notify_emails)
and are validated the same way: a bad value raises ValueError naming the property.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct, IValidation

from notifier.domain.quality import DEFAULT_KEY_METRIC, DEFAULT_THRESHOLD_PERCENT
from notifier.domain.usage import DEFAULT_IDLE_HOURS, DEFAULT_REPEAT_HOURS, DEFAULT_UNDERUSED_PERCENT

from .context_values import ContextError
from .function import METRICS_NAMESPACE
from .monitoring import Monitoring
from .notifications import NotificationTopic
from .organization import OrganizationNames
from .poller import Poller
from .settings import (
    HEARTBEATS_PER_BEAT_TIMEOUT,
    SHORTEST_DEFAULT_HEARTBEAT_MINUTES,
    WAIT_TIMEOUT_DAYS,
    DeploySettings,
)
from .storage import JobsTable
from .tracking import AutoTracking
from .webhooks import Webhooks

# What wait_task waits by default (infra.settings: the numbers the docs state): a week at most, and a heartbeat
# of three polls, fifteen minutes at least.
WAIT_TIMEOUT = Duration.days(WAIT_TIMEOUT_DAYS)
SHORTEST_DEFAULT_HEARTBEAT = Duration.minutes(SHORTEST_DEFAULT_HEARTBEAT_MINUTES)


def default_heartbeat(poll_minutes: int) -> Duration:
    """Three polls, fifteen minutes at least."""
    return Duration.minutes(max(SHORTEST_DEFAULT_HEARTBEAT.to_minutes(), HEARTBEATS_PER_BEAT_TIMEOUT * poll_minutes))


class PersonalizeJobNotifier(Construct):
    """The table of watched jobs and resources, the notification topics, the scheduled poll, auto-tracking
    and alarms.

    Attributes for the app around it: `table`, `topic` (job notifications), `alarm_topic`, `poll_function`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        notify_emails: Sequence[str] = (),
        failure_emails: Sequence[str] = (),
        slack_workspace_id: str | None = None,
        slack_channel_id: str | None = None,
        teams_team_id: str | None = None,
        teams_channel_id: str | None = None,
        teams_tenant_id: str | None = None,
        poll_minutes: int = 1,
        recheck_seconds: int = 0,
        solution_check_minutes: int = 60,
        auto_track: bool = True,
        discover: str | None = None,
        event_source: str = "personalize-job-notifier",
        stuck_after_minutes: int = 360,
        personalize_max_rps: float | None = None,
        powertools_layer_arn: str | None = None,
        tracing: bool = False,
        organization_id: str | None = None,
        member_external_id: str | None = None,
        quality_metric: str = DEFAULT_KEY_METRIC,
        quality_threshold_percent: float = DEFAULT_THRESHOLD_PERCENT,
        expectations: Mapping[str, str | int] | None = None,
        regressions_on_new_data: bool = False,
        usage_monitoring: bool = True,
        idle_hours: int = DEFAULT_IDLE_HOURS,
        underused_percent: float = DEFAULT_UNDERUSED_PERCENT,
        idle_repeat_hours: int = DEFAULT_REPEAT_HOURS,
        slack_webhook_url: str | None = None,
        slack_webhook_only_failures: bool = False,
        teams_webhook_url: str | None = None,
        teams_webhook_only_failures: bool = False,
        discord_webhook_url: str | None = None,
        discord_webhook_only_failures: bool = False,
        google_chat_webhook_url: str | None = None,
        google_chat_webhook_only_failures: bool = False,
        pager_duty_routing_key: str | None = None,
        pager_duty_only_failures: bool = True,
        topic: sns.ITopic | None = None,
        topic_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        options = {name: value for name, value in locals().items() if name in _OPTIONS}
        options["expectations"] = dict(expectations or {})
        settings = _settings(options)
        self.settings = settings
        # Names AWS wants unique per account and region (alarms, the chat channel's configuration): the stack's
        # name, and this construct's id unless it is the stack's one notifier.
        stack_name = Stack.of(self).stack_name
        prefix = stack_name if construct_id == "Default" else f"{stack_name}-{construct_id}"
        # With an organization, the roles member accounts trust have names of their own (infra.organization).
        self.organization = OrganizationNames.of(prefix) if settings.organization else None
        self.jobs = JobsTable(self, "Jobs")
        self.notifications = NotificationTopic(
            self, "Notifications", settings, topic=topic, topic_key=topic_key, name_prefix=prefix
        )
        self.poller = Poller(
            self,
            "Poller",
            settings,
            table=self.jobs.table,
            topic=self.notifications.topic,
            topic_key=self.notifications.topic_key,
            organization=self.organization,
        )
        self.tracking = (
            AutoTracking(
                self,
                "AutoTracking",
                settings,
                self.jobs.table,
                self.poller.dead_letters,
                organization=self.organization,
            )
            if settings.auto_track
            else None
        )
        self.webhooks = Webhooks(self, "Webhooks", settings) if settings.webhooks else None
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            function=self.poller.function,
            dead_letters=self.poller.dead_letters,
            topic=self.notifications.alarm_topic,
            namespace=METRICS_NAMESPACE,
            poll_minutes=settings.poll_minutes,
            track_function=self.tracking.function if self.tracking else None,
            track_failures=self.tracking.failed_events if self.tracking else None,
            name_prefix=prefix,
            watches_members=settings.organization,
            usage_log_group=self.poller.lambda_.log_group if settings.usage_monitoring else None,
            webhook_failures=self.webhooks.dead_letters if self.webhooks else None,
        )
        self.table = self.jobs.table
        self.topic = self.notifications.topic
        self.alarm_topic = self.notifications.alarm_topic
        self.poll_function = self.poller.function

    def wait_task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        arn_path: str = "$.arn",
        timeout: Duration = WAIT_TIMEOUT,
        heartbeat: Duration | None = None,
        result_path: str | None = None,
    ) -> tasks.LambdaInvoke:
        """A task for your own state machine that waits until the job or resource whose ARN is at `arn_path`
        settles, without a loop: it invokes the track function with its task token
        (lambda:invoke.waitForTaskToken) and the poll answers it. Its output is the JSON document subscribers
        get; a failure's error is the outcome (`failed`, `not_found`, ...) and its cause the failure reason.

        `timeout` ends the wait (States.Timeout) however long the job runs; `heartbeat` (by default three polls,
        fifteen minutes at least) ends it sooner if the poll stops sending heartbeats (States.HeartbeatTimeout): a
        notifier that stopped polling is told to the state machine within it. AWS recommends both for callbacks
        (Step Functions developer guide, "Using timeouts to avoid stuck Step Functions workflow executions"). The
        state machine must be a Standard workflow: an Express workflow does not support .waitForTaskToken, and synth
        refuses one that holds this task. The state machine's role is granted the invocation. Needs auto-tracking."""
        if self.tracking is None:
            raise ValueError("PersonalizeJobNotifier.wait_task needs the track function: auto_track must be True")
        beat = heartbeat or default_heartbeat(self.settings.poll_minutes)
        shortest = Duration.minutes(HEARTBEATS_PER_BEAT_TIMEOUT * self.settings.poll_minutes)
        if beat.to_seconds() < shortest.to_seconds():
            raise ValueError(
                f"PersonalizeJobNotifier.wait_task: heartbeat {beat.to_human_string()} is shorter than "
                f"{HEARTBEATS_PER_BEAT_TIMEOUT} polls ({shortest.to_human_string()} at poll_minutes="
                f"{self.settings.poll_minutes}): the poll could not beat in time"
            )
        if beat.to_seconds() >= timeout.to_seconds():
            raise ValueError(
                f"PersonalizeJobNotifier.wait_task: heartbeat {beat.to_human_string()} must be shorter than "
                f"timeout {timeout.to_human_string()}"
            )
        task = tasks.LambdaInvoke(
            scope,
            construct_id,
            lambda_function=self.tracking.function,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {
                    "arn": sfn.JsonPath.string_at(arn_path),
                    "taskToken": sfn.JsonPath.task_token,
                    "heartbeatSeconds": int(beat.to_seconds()),
                }
            ),
            task_timeout=sfn.Timeout.duration(timeout),
            heartbeat_timeout=sfn.Timeout.duration(beat),
            result_path=result_path,
        )
        task.node.add_validation(_StandardWorkflowOnly(task, construct_id))
        return task

    @classmethod
    def from_settings(cls, scope: Construct, construct_id: str, settings: DeploySettings) -> PersonalizeJobNotifier:
        """The construct from settings already read (the CDK app reads them from context)."""
        options = {name: value for name, value in dataclasses.asdict(settings).items() if name in _OPTIONS}
        return cls(scope, construct_id, **options)


# Forwarding from other regions takes stacks of its own there (notifier_cdk.forwarding.RegionForwarder), and
# member accounts a stack or a StackSet of their own (notifier_cdk.organization): app-level choices, not
# properties of the construct.
APP_LEVEL_OPTIONS = {"track_regions", "member_ous", "member_regions", "member_stack_set_call_as"}
_OPTIONS = {field.name for field in dataclasses.fields(DeploySettings)} - APP_LEVEL_OPTIONS


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _settings(options: dict[str, object]) -> DeploySettings:
    """The same validation as the context options; a bad value is named by its property here."""
    by_context_key = {_camel(name): value for name, value in options.items()}
    by_context_key = {key: list(value) if isinstance(value, tuple) else value for key, value in by_context_key.items()}
    try:
        return DeploySettings.from_context(by_context_key.get)
    except ContextError as exc:
        message = re.sub(r"\b[a-z]+(?:[A-Z][a-z]+)+\b", lambda m: _snake(m.group(0)), str(exc))
        raise ValueError(f"PersonalizeJobNotifier: {message}") from None


def _snake(name: str) -> str:
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
    return snake if snake in _OPTIONS else name


@jsii.implements(IValidation)
class _StandardWorkflowOnly:
    """Synth fails where a state machine of type EXPRESS holds a wait_task: Express workflows "do not support Run a Job
    (.sync) or Wait for Callback (.waitForTaskToken)" (Step Functions developer guide, "Discover service integration
    patterns in Step Functions")."""

    def __init__(self, task: tasks.LambdaInvoke, state_name: str) -> None:
        self._task, self._state_name = task, state_name

    def validate(self) -> list[str]:
        stack = Stack.of(self._task)
        found = []
        for machine in (c for c in stack.node.find_all() if isinstance(c, sfn.CfnStateMachine)):
            if machine.state_machine_type != "EXPRESS":
                continue
            definition = json.dumps(stack.resolve(machine.definition_string))
            if json.dumps(self._state_name)[1:-1] in definition and "waitForTaskToken" in definition:
                found.append(
                    f"wait_task {self._state_name!r} is in the EXPRESS state machine {machine.node.path}: "
                    ".waitForTaskToken needs a Standard workflow"
                )
        return found
