"""The poll Lambda and the EventBridge schedule that runs it, with least-privilege permissions."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from notifier.kinds import SOLUTION_VERSION
from notifier.store import ACTIVE_INDEX, FOLLOWERS_INDEX

from .function import NotifierFunction
from .settings import DeploySettings

# The poll stops starting calls this long before its timeout, so it always ends cleanly. In fast mode a
# shorter margin lets re-checks run closer to the next scheduled poll (the gap between them is the slowest
# notice); a job left over is only a re-check (seconds) away.
TIME_MARGIN_SECONDS = 15
FAST_TIME_MARGIN_SECONDS = 5


def poll_timeout_seconds(poll_minutes: int) -> int:
    """Long enough for a throttled poll of many jobs (and, in fast mode, its re-checks), short enough to end
    before the next scheduled one starts (55 s at one a minute, 240 s at most)."""
    return min(240, poll_minutes * 60 - 5)


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
        }
        if settings.discover:
            environment["DISCOVER"] = settings.discover
        if settings.recheck_seconds:
            environment["RECHECK_SECONDS"] = str(settings.recheck_seconds)
        if settings.personalize_max_rps:
            environment["PERSONALIZE_MAX_RPS"] = f"{settings.personalize_max_rps:g}"
        self.lambda_ = NotifierFunction(
            self,
            "Poll",
            settings=settings,
            handler="notifier.handlers.poll.handler",
            description="Polls tracked Personalize jobs and notifies each status change",
            timeout=Duration.seconds(poll_timeout_seconds(settings.poll_minutes)),
            environment=environment,
        )
        self.function = self.lambda_.function
        self.lambda_.allow_describing_jobs()
        if settings.discover:
            self.lambda_.allow_listing_jobs()
        else:
            # Automatic training: a watched solution's new versions are listed (List actions take no ARN).
            self.lambda_.role.add_to_policy(
                iam.PolicyStatement(
                    sid="ListSolutionVersions",
                    actions=[f"personalize:{SOLUTION_VERSION.listed_by}"],
                    resources=["*"],
                )
            )
            self.lambda_.acknowledge_star_resources()
        # Exactly what a poll does: query the active index (and, when a solution version becomes ACTIVE, the
        # campaigns following that solution), replace records conditionally, bump check times, and add newly
        # found jobs (discovery, new versions of automatically training solutions).
        self.lambda_.role.add_to_policy(
            iam.PolicyStatement(
                sid="PollTrackedJobs",
                actions=["dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[
                    table.table_arn,
                    f"{table.table_arn}/index/{ACTIVE_INDEX}",
                    f"{table.table_arn}/index/{FOLLOWERS_INDEX}",
                ],
            )
        )
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
        self.dead_letters = sqs.Queue(
            self,
            "ScheduleDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        Validations.of(self.dead_letters).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-SQS3",
                reason="This queue is the dead-letter queue of the poll schedule; a DLQ of a DLQ adds nothing, "
                "and an alarm watches its depth.",
            )
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
