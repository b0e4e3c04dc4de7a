"""Auto-tracking: an EventBridge rule on CloudTrail's record of Create...Job calls, and the Lambda that tracks."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from notifier.cloudtrail import WATCHED_CALLS

from .function import NotifierFunction
from .queues import kept_events_queue
from .settings import DeploySettings


def watched_calls() -> events.EventPattern:
    """CloudTrail's record of every Create... call of a watched kind, and of every call that changes a
    watched resource (Update/Start/Stop/Delete), as EventBridge delivers it."""
    return events.EventPattern(
        source=["aws.personalize"],
        detail_type=["AWS API Call via CloudTrail"],
        detail={"eventSource": ["personalize.amazonaws.com"], "eventName": WATCHED_CALLS},
    )


class AutoTracking(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: DeploySettings,
        table: dynamodb.ITable,
        dead_letters: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        # What EventBridge handed to Lambda but the function could not process, after Lambda's own two retries
        # (an error, a timeout, throttling until the event is 6 hours old): Lambda drops such an event unless the
        # function has an on-failure destination ("Error handling and automatic retries in asynchronous
        # invocation", Lambda developer guide). Kept here with the failure's reason; an alarm watches it.
        self.failed_events = kept_events_queue(
            self, "FailedEvents", "the on-failure destination of the auto-track Lambda"
        )
        self.lambda_ = NotifierFunction(
            self,
            "Track",
            settings=settings,
            handler="notifier.handlers.track.handler",
            description="Watches Personalize jobs and resources as CloudTrail records their creation and changes",
            timeout=Duration.seconds(30),
            environment={"TABLE_NAME": table.table_name},
            retry_attempts=2,
            max_event_age=Duration.hours(6),
            # Lambda sends the invocation record (the CloudTrail event and the error) with the function's role.
            on_failure=destinations.SqsDestination(self.failed_events),
        )
        self.function = self.lambda_.function
        self.lambda_.allow_describing_jobs()  # the job's status at creation is its baseline
        # Tracking adds a record (conditional put); waking reads one and replaces it conditionally. No deletes.
        self.lambda_.role.add_to_policy(
            iam.PolicyStatement(
                sid="AddTrackedJobs", actions=["dynamodb:GetItem", "dynamodb:PutItem"], resources=[table.table_arn]
            )
        )
        self.rule = events.Rule(
            self,
            "CreateJobCalls",
            description="Personalize Create...Job API calls recorded by CloudTrail",
            event_pattern=watched_calls(),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2, dead_letter_queue=dead_letters)],
        )
