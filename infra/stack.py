"""The CDK app's one stack: the notifier construct, and the outputs users and the CLI need."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from .construct import PersonalizeJobNotifier
from .settings import DeploySettings

DEFAULT_STACK_NAME = "PersonalizeJobNotifier"


class NotifierStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, settings: DeploySettings, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # "Default": the construct adds no level to the logical IDs, so stacks deployed before it existed
        # update in place (their retained table included).
        self.notifier = PersonalizeJobNotifier.from_settings(self, "Default", settings)
        cdk.CfnOutput(self, "TableName", value=self.notifier.table.table_name, description="Tracked-jobs table")
        cdk.CfnOutput(self, "TopicArn", value=self.notifier.topic.topic_arn, description="Notifications topic")
        cdk.CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.notifier.alarm_topic.topic_arn,
            description="The notifier's own alarms (every email recipient is subscribed, unfiltered)",
        )
        cdk.CfnOutput(self, "FunctionName", value=self.notifier.poll_function.function_name, description="Poll Lambda")
        if self.notifier.webhooks is not None:
            # What `notifier test-notify` needs: the webhooks deployed (names only), the source their rules match,
            # and where what they refuse is kept.
            cdk.CfnOutput(
                self,
                "Webhooks",
                value=",".join(webhook.service for webhook in settings.webhooks),
                description="The incoming webhooks notifications are sent to",
            )
            cdk.CfnOutput(self, "EventSource", value=settings.event_source, description="The events' source")
            cdk.CfnOutput(
                self,
                "WebhookDeadLetterQueueUrl",
                value=self.notifier.webhooks.dead_letters.queue_url,
                description="What a webhook refused, kept 14 days",
            )
