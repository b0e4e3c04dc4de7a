"""One stack: storage, notifications, poller, monitoring; outputs what users and the CLI need."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from infra.function import METRICS_NAMESPACE
from infra.monitoring import Monitoring
from infra.notifications import NotificationTopic
from infra.poller import Poller
from infra.settings import DeploySettings
from infra.storage import JobsTable
from infra.tracking import AutoTracking

DEFAULT_STACK_NAME = "PersonalizeJobNotifier"


class NotifierStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, settings: DeploySettings, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.jobs = JobsTable(self, "Jobs")
        self.notifications = NotificationTopic(self, "Notifications", settings)
        self.poller = Poller(
            self,
            "Poller",
            settings,
            table=self.jobs.table,
            topic=self.notifications.topic,
            topic_key=self.notifications.key,
        )
        self.tracking = (
            AutoTracking(self, "AutoTracking", settings, self.jobs.table, self.poller.dead_letters)
            if settings.auto_track
            else None
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            function=self.poller.function,
            dead_letters=self.poller.dead_letters,
            topic=self.notifications.alarm_topic,
            namespace=METRICS_NAMESPACE,
            poll_minutes=settings.poll_minutes,
            track_function=self.tracking.function if self.tracking else None,
        )
        cdk.CfnOutput(self, "TableName", value=self.jobs.table.table_name, description="Tracked-jobs table")
        cdk.CfnOutput(self, "TopicArn", value=self.notifications.topic.topic_arn, description="Notifications topic")
        cdk.CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.notifications.alarm_topic.topic_arn,
            description="The notifier's own alarms (every email recipient is subscribed, unfiltered)",
        )
        cdk.CfnOutput(self, "FunctionName", value=self.poller.function.function_name, description="Poll Lambda")
