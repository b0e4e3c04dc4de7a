"""The poll Lambda and the EventBridge schedule that runs it, with least-privilege permissions."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.settings import POWERTOOLS_LAYER, DeploySettings
from notifier.jobs import JOB_KINDS
from notifier.observability import SERVICE
from notifier.store import ACTIVE_INDEX

LAMBDA_ROOT = Path(__file__).resolve().parent.parent / "lambda"
RUNTIME = lambda_.Runtime.PYTHON_3_14
METRICS_NAMESPACE = "PersonalizeJobNotifier"
# The poll stops starting calls this long before its timeout, so it always ends cleanly.
TIME_MARGIN_SECONDS = 15


def poll_timeout_seconds(poll_minutes: int) -> int:
    """Long enough for a throttled poll of many jobs, short enough to end before the next one starts."""
    return max(30, min(240, poll_minutes * 60 - 30))


class Poller(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: DeploySettings,
        table: dynamodb.ITable,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
        )
        self.role = self._build_role(table, topic)
        self.function = lambda_.Function(
            self,
            "Function",
            description="Polls tracked Personalize jobs and notifies each status change",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="notifier.handlers.poll.handler",
            code=lambda_.Code.from_asset(
                str(LAMBDA_ROOT), exclude=["**/__pycache__", "**/*.pyc", "*.egg-info", "tests", ".pytest_cache"]
            ),
            layers=[self._powertools_layer(settings)],
            memory_size=256,
            timeout=Duration.seconds(poll_timeout_seconds(settings.poll_minutes)),
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                "TABLE_NAME": table.table_name,
                "TOPIC_ARN": topic.topic_arn,
                "TIME_MARGIN_SECONDS": str(TIME_MARGIN_SECONDS),
                "POWERTOOLS_SERVICE_NAME": SERVICE,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            },
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

    def _build_role(self, table: dynamodb.ITable, topic: sns.ITopic) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Poll Lambda: read and write tracked jobs, describe Personalize jobs, publish notifications",
        )
        # Written out instead of the AWSLambdaBasicExecutionRole managed policy: this log group only.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        stack = Stack.of(self)
        kinds = sorted(JOB_KINDS.values(), key=lambda kind: kind.name)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="DescribeTrackedPersonalizeJobs",
                actions=sorted({f"personalize:{_action(kind.describe_operation)}" for kind in kinds}),
                # Any region: a job's region comes from its ARN. This account's jobs only.
                resources=[
                    stack.format_arn(
                        service="personalize",
                        region="*",
                        account=Aws.ACCOUNT_ID,
                        resource=kind.arn_resource_type,
                        resource_name="*",
                    )
                    for kind in kinds
                ],
            )
        )
        # Exactly what a poll does: query the active index, replace records conditionally, bump check times.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PollTrackedJobs",
                actions=["dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[table.table_arn, f"{table.table_arn}/index/{ACTIVE_INDEX}"],
            )
        )
        topic.grant_publish(role)
        self._acknowledge_wildcards(role)
        return role

    @staticmethod
    def _acknowledge_wildcards(role: iam.Role) -> None:
        """cdk-nag IAM5, finding by finding: each wildcard left is one that cannot be narrower."""
        for finding, reason in (
            *(
                (
                    f"Resource::arn:<AWS::Partition>:personalize:*:<AWS::AccountId>:{kind.arn_resource_type}/*",
                    "Users create Personalize jobs after deploy, in any region: the job names and regions are "
                    "unknown here. The resource is still this account's jobs of this kind only.",
                )
                for kind in JOB_KINDS.values()
            ),
            (
                "Action::kms:GenerateDataKey*",
                "Granted by topic.grant_publish on the topic's own key: SNS needs the GenerateDataKey family to "
                "encrypt each message.",
            ),
            (
                "Resource::*",
                "X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) have no resource-level permissions.",
            ),
        ):
            Validations.of(role).acknowledge(
                Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[{finding}]", reason=reason)
            )

    def _powertools_layer(self, settings: DeploySettings) -> lambda_.ILayerVersion:
        arn = settings.powertools_layer_arn or POWERTOOLS_LAYER.format(region=Stack.of(self).region)
        return lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", arn)


def _action(operation: str) -> str:
    """describe_dataset_export_job -> DescribeDatasetExportJob"""
    return "".join(part.capitalize() for part in operation.split("_"))
