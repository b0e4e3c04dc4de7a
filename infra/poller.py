"""The poll Lambda and the EventBridge schedule that runs it, with least-privilege permissions."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from notifier.adapters.items import ACTIVE_INDEX, EXPECTATION_KEY_PREFIX, FOLLOWERS_INDEX, MARK_KEY_PREFIX
from notifier.app.settings import FAST_TIME_MARGIN_SECONDS, TIME_MARGIN_SECONDS
from notifier.domain.cadence import CADENCE_LISTS
from notifier.domain.kinds import KINDS
from notifier.usecases.poll.listing import kinds_a_poll_lists

from .function import NotifierFunction
from .organization import OrganizationNames, allow_assuming_member_role, member_environment
from .queues import kept_events_queue
from .settings import POLL_EVENT_MAX_AGE_SECONDS, DeploySettings, poll_timeout_seconds


class Poller(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: DeploySettings,
        *,
        table: dynamodb.ITable,
        topic: sns.ITopic,
        topic_key: kms.IKey | None,
        organization: OrganizationNames | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        environment = {
            "TABLE_NAME": table.table_name,
            "TOPIC_ARN": topic.topic_arn,
            "TIME_MARGIN_SECONDS": str(FAST_TIME_MARGIN_SECONDS if settings.recheck_seconds else TIME_MARGIN_SECONDS),
            "EVENT_BUS_NAME": "default",
            "EVENT_SOURCE": settings.event_source,
            "STUCK_AFTER_MINUTES": str(settings.stuck_after_minutes),
            "SOLUTION_CHECK_MINUTES": str(settings.solution_check_minutes),
            "QUALITY_METRIC": settings.quality_metric,
            "QUALITY_THRESHOLD_PERCENT": f"{settings.quality_threshold_percent:g}",
            "USAGE_MONITORING": "on" if settings.usage_monitoring else "off",
            "IDLE_HOURS": str(settings.idle_hours),
            "UNDERUSED_PERCENT": f"{settings.underused_percent:g}",
            "IDLE_REPEAT_HOURS": str(settings.idle_repeat_hours),
        }
        if settings.webhooks:
            # Names, never URLs: the event carries each one's body (the URLs stay with EventBridge).
            environment["WEBHOOKS"] = ",".join(webhook.service for webhook in settings.webhooks)
        if settings.discover:
            environment["DISCOVER"] = settings.discover
        if settings.recheck_seconds:
            environment["RECHECK_SECONDS"] = str(settings.recheck_seconds)
        if settings.expectations:
            environment["EXPECTATIONS"] = ",".join(f"{arn}={seconds}" for arn, seconds in settings.expectations)
        if settings.personalize_max_rps:
            environment["PERSONALIZE_MAX_RPS"] = f"{settings.personalize_max_rps:g}"
        if organization is not None:
            environment.update(member_environment(settings, organization))
        self.lambda_ = NotifierFunction(
            self,
            "Poll",
            settings=settings,
            handler="notifier.handlers.poll.handler",
            description="Polls tracked Personalize jobs and notifies each status change",
            timeout=Duration.seconds(poll_timeout_seconds(settings.poll_minutes)),
            environment=environment,
            # The next scheduled poll is the retry: Lambda's retries (2 by default, of events up to 6 hours old)
            # would run polls on top of the schedule, a throttled backlog of them hours late. One minute is the
            # shortest age Lambda keeps an event for (EventInvokeConfig MaximumEventAgeInSeconds: 60-21600).
            retry_attempts=0,
            max_event_age=Duration.seconds(POLL_EVENT_MAX_AGE_SECONDS),
            role_name=organization.poll_role if organization else None,
        )
        self.function = self.lambda_.function
        self.lambda_.allow_describing_jobs()
        self.lambda_.allow_reading_solution_metrics()
        # What a poll lists (jobs grouped under a parent, new versions of automatically training solutions),
        # and with discovery, every kind.
        # An expected cadence falling due is looked up in the lists too: a dataset group's datasets among them.
        self.lambda_.allow_listing(KINDS.values() if settings.discover else kinds_a_poll_lists(), also=CADENCE_LISTS)
        # Exactly what a poll does: query the active index (and, when a solution version becomes ACTIVE, the
        # campaigns following that solution), replace records conditionally, bump check times, add newly found
        # jobs (discovery, new versions of automatically training solutions), and read one record by its key (the
        # model baseline a finished version is compared with, the version a campaign moved to).
        self.lambda_.role.add_to_policy(
            iam.PolicyStatement(
                sid="PollTrackedJobs",
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                    *(["dynamodb:Scan"] if settings.usage_monitoring else []),
                ],
                resources=[
                    table.table_arn,
                    f"{table.table_arn}/index/{ACTIVE_INDEX}",
                    f"{table.table_arn}/index/{FOLLOWERS_INDEX}",
                ],
            )
        )
        # Deletes of two kinds of item only: an expectation no longer declared at deploy time goes
        # (notifier.domain.cadence; also after the last one is taken out of the option), and with an organization, an
        # account read again loses its unreachable mark (notifier.domain.reachability).
        deleted = [f"{EXPECTATION_KEY_PREFIX}*", *([f"{MARK_KEY_PREFIX}*"] if organization is not None else [])]
        if organization is not None:
            allow_assuming_member_role(self.lambda_.role, settings, organization)
        self.lambda_.role.add_to_policy(
            iam.PolicyStatement(
                sid="DeleteMarksAndDeclaredExpectations",
                actions=["dynamodb:DeleteItem"],
                resources=[table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": deleted}},
            )
        )
        if settings.usage_monitoring:
            # The requests campaigns and recommenders answer, as Personalize publishes them to CloudWatch.
            # GetMetricData has no resource types and no condition keys (Service Authorization Reference, "Actions
            # defined by Amazon CloudWatch"): "*" is the only resource it can be granted on.
            self.lambda_.role.add_to_policy(
                iam.PolicyStatement(sid="ReadServedRequests", actions=["cloudwatch:GetMetricData"], resources=["*"])
            )
        # Answering the Step Functions tasks that wait on a job (lambda:invoke.waitForTaskToken), and their
        # heartbeats. These actions have no resource types (Service Authorization Reference, "Actions defined by
        # AWS Step Functions": SendTaskFailure, SendTaskHeartbeat, SendTaskSuccess): "*" is the only resource they
        # can be granted on, the token the only key: the poll answers only tokens handed to the track function.
        self.lambda_.role.add_to_policy(
            iam.PolicyStatement(
                sid="AnswerWaitingTasks",
                actions=["states:SendTaskFailure", "states:SendTaskHeartbeat", "states:SendTaskSuccess"],
                resources=["*"],
            )
        )
        self.lambda_.acknowledge_star_resources()
        # Publishing to a KMS-encrypted topic: sns:Publish there, and the two key actions SNS needs, on its key.
        self.lambda_.role.add_to_policy(
            iam.PolicyStatement(sid="PublishNotifications", actions=["sns:Publish"], resources=[topic.topic_arn])
        )
        if topic_key is not None:
            self.lambda_.role.add_to_policy(
                iam.PolicyStatement(
                    sid="EncryptNotifications",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[topic_key.key_arn],
                )
            )
        # Pipelines listen on the account's default bus; this function may put events there and nowhere else.
        self.lambda_.role.add_to_policy(
            iam.PolicyStatement(
                sid="PutJobStateChangeEvents",
                actions=["events:PutEvents"],
                resources=[Stack.of(self).format_arn(service="events", resource="event-bus", resource_name="default")],
            )
        )
        self.dead_letters = kept_events_queue(
            self,
            "ScheduleDeadLetters",
            "the dead-letter queue of the poll schedule and of the auto-track rule (events EventBridge could not "
            "hand to Lambda)",
        )
        self.schedule = events.Rule(
            self,
            "Schedule",
            description="Runs one poll of the tracked Personalize jobs",
            schedule=events.Schedule.rate(Duration.minutes(settings.poll_minutes)),
            targets=[
                targets.LambdaFunction(
                    self.function,
                    retry_attempts=2,
                    max_event_age=Duration.minutes(settings.poll_minutes),
                    dead_letter_queue=self.dead_letters,
                )
            ],
        )
