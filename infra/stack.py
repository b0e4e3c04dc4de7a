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
