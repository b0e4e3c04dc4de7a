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

from .cloudtrail import watched_calls
from .function import NotifierFunction
from .organization import MemberEvents, OrganizationNames, allow_assuming_member_role, member_environment
from .queues import kept_events_queue
from .settings import DeploySettings


class AutoTracking(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: DeploySettings,
        table: dynamodb.ITable,
        dead_letters: sqs.IQueue,
        *,
        organization: OrganizationNames | None = None,
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
            environment={
                "TABLE_NAME": table.table_name,
                **(member_environment(settings, organization) if organization else {}),
            },
            retry_attempts=2,
            max_event_age=Duration.hours(6),
            # Lambda sends the invocation record (the CloudTrail event and the error) with the function's role.
            on_failure=destinations.SqsDestination(self.failed_events),
            role_name=organization.track_role if organization else None,
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
        self.member_events: MemberEvents | None = None
        if organization is not None and settings.organization_id:
            allow_assuming_member_role(self.lambda_.role, settings, organization)
            # The same calls, made in member accounts and sent here by their member stacks.
            self.member_events = MemberEvents(
                self, "MemberEvents", organization_id=settings.organization_id, bus_name=organization.bus
            )
            self.member_rule = events.Rule(
                self,
                "MemberCalls",
                description="Personalize API calls of the organization's member accounts, recorded by CloudTrail",
                event_bus=self.member_events.bus,
                event_pattern=watched_calls(),
                targets=[targets.LambdaFunction(self.function, retry_attempts=2, dead_letter_queue=dead_letters)],
            )
