"""The notification topics (customer-managed KMS key, TLS only) and their subscribers from deploy-time options.

Two topics: job notifications, which people filter and programs parse, and the notifier's own alarms. A
CloudWatch alarm's message carries no message attributes, and a subscription filter policy never matches a
message without attributes (SNS developer guide, "Attribute key matching": "An empty set of attributes
results in the filter not matching"), so on the jobs topic failure-only subscribers would never see an alarm.
The alarms topic has no filters: everyone who gets email from the notifier learns when it is broken.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from notifier.rendering.envelope import failure_filter_policy

from .settings import DeploySettings


class NotificationTopic(Construct):
    """The jobs topic (or the app's own `topic`, with its customer-managed `topic_key` if it has one) and the
    alarms topic, both subscribed as the settings say."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: DeploySettings,
        *,
        topic: sns.ITopic | None = None,
        topic_key: kms.IKey | None = None,
        name_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = self._key("Key", "Encrypts Personalize job notifications at rest")
        if topic is None:
            topic = sns.Topic(self, "Topic", display_name="Personalize jobs", master_key=self.key, enforce_ssl=True)
            topic_key = self.key
        self.topic, self.topic_key = topic, topic_key
        # The alarms have a key of their own: a disabled or mis-policied jobs key stops job notifications, and the
        # PublishErrors alarm that says so must not depend on that key too. (One more customer-managed key: see
        # the README's Cost section.)
        self.alarm_key = self._key("AlarmKey", "Encrypts the Personalize notifier's own alarms at rest")
        # CloudWatch alarms publish to the alarms topic, so their service must be able to use its key (SNS
        # developer guide, "Enable compatibility between event sources from AWS services and encrypted topics").
        self.alarm_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        # Who may publish to it is granted by the monitoring construct, naming this stack's alarms.
        self.alarm_topic = sns.Topic(
            self, "AlarmTopic", display_name="Personalize notifier alarms", master_key=self.alarm_key, enforce_ssl=True
        )
        for email in settings.notify_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        for email in settings.failure_emails:
            # Failures, or a new model worse than the one before: an "$or" across two attributes, which CDK's
            # SubscriptionFilter cannot say, so the policy is set as SNS takes it. The subscription keeps its
            # logical ID (an update in place: the address is not asked to confirm again).
            subscription = self.topic.add_subscription(subscriptions.EmailSubscription(email))
            cfn = subscription.node.default_child
            assert isinstance(cfn, sns.CfnSubscription)
            cfn.add_property_override("FilterPolicy", failure_filter_policy(settings.regressions_on_new_data))
        # Each address once, unfiltered: an alarm has no attributes a filter could match.
        for email in dict.fromkeys((*settings.notify_emails, *settings.failure_emails)):
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(email))
        # One guardrail policy for the Slack and the Teams channel.
        guardrail = NotificationsGuardrail(self, "ChatGuardrail").policy if settings.slack or settings.teams else None
        if settings.slack:
            self.slack = chatbot.SlackChannelConfiguration(
                self,
                "Slack",
                slack_channel_configuration_name=chat_configuration_name(self, name_prefix, "jobs"),
                slack_workspace_id=settings.slack_workspace_id,
                slack_channel_id=settings.slack_channel_id,
                notification_topics=[self.topic, self.alarm_topic],
                logging_level=chatbot.LoggingLevel.ERROR,
                guardrail_policies=[guardrail],
                user_role_required=True,
            )
        if settings.teams:
            # No L2 construct for Teams in aws-cdk-lib: the CloudFormation resource, with a role of its own and,
            # like the Slack channel, the notifications guardrail.
            role = iam.Role(
                self, "TeamsRole", assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"), description="Teams channel"
            )
            self.teams = chatbot.CfnMicrosoftTeamsChannelConfiguration(
                self,
                "Teams",
                configuration_name=chat_configuration_name(self, name_prefix, "teams"),
                team_id=settings.teams_team_id or "",
                teams_channel_id=settings.teams_channel_id or "",
                teams_tenant_id=settings.teams_tenant_id or "",
                iam_role_arn=role.role_arn,
                sns_topic_arns=[self.topic.topic_arn, self.alarm_topic.topic_arn],
                logging_level="ERROR",
                guardrail_policies=[guardrail.managed_policy_arn],
                user_role_required=True,
            )

    def _key(self, construct_id: str, description: str) -> kms.Key:
        return kms.Key(
            self,
            construct_id,
            description=description,
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )


def chat_configuration_name(scope: Construct, prefix: str, channel: str) -> str:
    """Chat configuration names are unique per account, not per region (their ARNs carry no region), so the
    region is part of the name: the same stack in two regions gets two configurations. At most 128 characters
    (the CloudFormation schema's maxLength); a region's name is under 20."""
    return f"{prefix[:100]}-{Stack.of(scope).region}-{channel}"


GUARDRAIL_ACTIONS = ("cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*")


class NotificationsGuardrail(Construct):
    """The most a chat member may do through the channel, whatever their own role allows: read CloudWatch, as
    notifications and alarms with their charts need. These are the actions of the guide's "Notification
    permissions" template (Amazon Q Developer in chat applications admin guide, "Understanding permissions":
    cloudwatch:Describe*, Get*, List*), as a policy of the stack's own: the AWS managed CloudWatchReadOnlyAccess
    also reads every log group, and ReadOnlyAccess S3 objects and table items."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Guardrail of the notifier's chat channels: reading CloudWatch only",
            statements=[iam.PolicyStatement(actions=list(GUARDRAIL_ACTIONS), resources=["*"])],
        )
        reason = "A guardrail caps what chat members may do; reading CloudWatch is the notifications template."
        Validations.of(self.policy).acknowledge(
            *(
                Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[Action::{action}]", reason=reason)
                for action in GUARDRAIL_ACTIONS
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="CloudWatch's read actions (alarms, metrics, dashboards) are not scoped to this stack's.",
            ),
        )
