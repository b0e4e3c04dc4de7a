"""Alarms on the notifier itself, sent to the alarms topic: a silent notifier must not look like quiet jobs."""

from __future__ import annotations

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from notifier.domain.usage import REQUEST_METRICS, USAGE_NAMESPACE
from notifier.observability import SERVICE
from notifier.rendering.usage import USAGE_LOG_MESSAGE

from .settings import ALARM_PERIOD_MINUTES


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        dead_letters: sqs.IQueue,
        topic: sns.ITopic,
        namespace: str,
        poll_minutes: int,
        track_function: lambda_.IFunction | None = None,
        track_failures: sqs.IQueue | None = None,
        name_prefix: str,
        watches_members: bool = False,
        usage_log_group: logs.ILogGroup | None = None,
        webhook_failures: sqs.IQueue | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        period = Duration.minutes(max(ALARM_PERIOD_MINUTES, poll_minutes))
        self._name_prefix = name_prefix
        # Thresholds: what corrects itself (a throttled describe, a publish retried next poll, a tracking retried
        # by Lambda) alarms only when it persists; what is lost or kept aside alarms at once.
        self.alarms = [
            # A crashed poll (not one job's error: those are caught and counted below), two periods running.
            self._alarm("PollErrors", function.metric_errors(period=period), "The poll Lambda keeps failing", 2),
            # Throttling passes; describes failing for three periods running do not.
            self._alarm(
                "DescribeErrors",
                self._metric(namespace, "DescribeErrors", period),
                "Personalize describe calls keep failing (throttling or access denied)",
                3,
            ),
            self._alarm(
                "PublishErrors",
                self._metric(namespace, "PublishErrors", period),
                "Notifications keep failing to publish; they stay owed and are retried every poll",
                2,
            ),
            self._alarm(
                "ScheduleDeadLetters",
                dead_letters.metric_approximate_number_of_messages_visible(period=period),
                "EventBridge could not hand events to the notifier's Lambdas (scheduled polls, or CloudTrail "
                "events for auto-tracking); the dead-letter queue keeps them 14 days",
                1,
            ),
        ]
        if track_function is not None:
            self.alarms.append(
                self._alarm(
                    "TrackErrors",
                    track_function.metric_errors(period=period),
                    "The auto-track Lambda keeps failing; Lambda retries each event twice, and what still fails "
                    "is kept in the failed-events queue",
                    2,
                )
            )
        if track_failures is not None:
            self.alarms.append(
                self._alarm(
                    "TrackFailedEvents",
                    track_failures.metric_approximate_number_of_messages_visible(period=period),
                    "CloudTrail events the auto-track Lambda could not process after its retries: those jobs or "
                    "resources are not watched (the failed-events queue keeps each event 14 days)",
                    1,
                )
            )
        if webhook_failures is not None:
            self.alarms.append(
                self._alarm(
                    "WebhookDeadLetters",
                    webhook_failures.metric_approximate_number_of_messages_visible(period=period),
                    "A webhook (Slack, Teams, Discord, Google Chat or PagerDuty) refused notifications or could not "
                    "be reached for 24 hours: the dead-letter queue keeps them 14 days",
                    1,
                )
            )
        if watches_members:
            # Each unreachable account is told once by a notification; the alarm says it stays so.
            self.alarms.append(
                self._alarm(
                    "UnreachableAccounts",
                    self._metric(namespace, "UnreachableAccounts", period),
                    "A member account's Personalize keeps refusing the notifier (its role missing, its trust "
                    "broken, or an SCP): its jobs are not watched until it can be read",
                    3,
                )
            )
        for alarm in self.alarms:
            alarm.add_alarm_action(actions.SnsAction(topic))
        self.dashboard = self._dashboard(namespace, function, dead_letters, period)
        if usage_log_group is not None:
            self._usage_widgets(usage_log_group)
        # SnsAction adds no permission, and the topic's policy (TLS only) replaces SNS's default one: without
        # this statement every alarm action fails with "...is not authorized to perform: SNS:Publish" (AWS
        # re:Post, "cloudwatch receive sns for alarm trigger"). Only this stack's alarms, in this account.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisStacksAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": [alarm.alarm_arn for alarm in self.alarms]},
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                },
            )
        )

    def _dashboard(
        self, namespace: str, function: lambda_.IFunction, dead_letters: sqs.IQueue, period: Duration
    ) -> cloudwatch.Dashboard:
        """What finished, how long it ran, how soon it was told; and whether the notifier itself is well."""
        hour = Duration.hours(1)

        def search(metric: str, dimensions: str, statistic: str, label: str) -> cloudwatch.MathExpression:
            # One line per dimension value that exists (kinds and outcomes are not known at synth).
            return cloudwatch.MathExpression(
                expression=f"SEARCH('{{{namespace},{dimensions},service}} MetricName=\"{metric}\"', "
                f"'{statistic}', {int(hour.to_seconds())})",
                using_metrics={},
                label=label,
                period=hour,
            )

        def notice(statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=namespace,
                metric_name="TimeToNotice",
                dimensions_map={"service": SERVICE},
                statistic=statistic,
                period=hour,
                label=f"{statistic} seconds",
            )

        timeout = function.timeout.to_seconds() if isinstance(function, lambda_.Function) and function.timeout else None
        # Lambda's Duration metric is in milliseconds: shown in seconds, beside the timeout in seconds.
        duration_seconds = cloudwatch.MathExpression(
            expression="duration / 1000",
            using_metrics={"duration": function.metric_duration(statistic="Maximum", period=period)},
            label="Longest poll (seconds)",
            period=period,
        )
        duration = cloudwatch.GraphWidget(
            title="Poll duration (max, seconds) against its timeout",
            left=[duration_seconds],
            left_annotations=[cloudwatch.HorizontalAnnotation(value=timeout, label="timeout")] if timeout else None,
            width=8,
        )
        # Dashboards are named per account, not per region: the region keeps two deployments apart.
        name = f"{self._name_prefix}-{Stack.of(self).region}"
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=name)
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Jobs finished, by outcome and by kind (per hour)",
                # By kind: how many durations were recorded, so no metric more is written for it.
                left=[search("JobsFinished", "outcome", "Sum", "")],
                right=[search("JobDuration", "jobKind", "SampleCount", "")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="How long jobs ran, by kind (average seconds)",
                left=[search("JobDuration", "jobKind", "Average", "")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Time to notice: job's end to notification (seconds)",
                left=[notice("p50"), notice("p95"), notice("Maximum")],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Poll errors and invocations",
                left=[function.metric_errors(period=period)],
                right=[function.metric_invocations(period=period)],
                width=8,
            ),
            duration,
            cloudwatch.GraphWidget(
                title="Describe and publish errors; dead letters",
                left=[
                    self._metric(namespace, "DescribeErrors", period),
                    self._metric(namespace, "PublishErrors", period),
                ],
                right=[dead_letters.metric_approximate_number_of_messages_visible(period=period)],
                width=8,
            ),
        )
        return dashboard

    def _usage_widgets(self, log_group: logs.ILogGroup) -> None:
        """What ACTIVE campaigns and recommenders serve: the requests Personalize counts for each (one line per
        resource that answered any), and the hourly reading of each watched one against its minimum, from the
        poll's log (the reading logs one line a resource: no metric of ours, none per resource to pay for)."""
        hour = Duration.hours(1)
        served = [
            cloudwatch.MathExpression(
                # Personalize's own metric, by the dimension it names each resource with (notifier.domain.usage).
                expression=f"SEARCH('{{{USAGE_NAMESPACE},{dimension}}} MetricName=\"{metric}\"', 'Sum', 3600)",
                using_metrics={},
                label="",
                period=hour,
            )
            for metric, dimension in sorted({pair for pairs in REQUEST_METRICS.values() for pair in pairs})
        ]
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Requests each campaign and recommender answered (per hour)", left=served, width=12
            ),
            cloudwatch.LogQueryWidget(
                title="Utilization of each watched campaign and recommender (its last hourly reading)",
                log_group_names=[log_group.log_group_name],
                query_lines=[
                    f"filter message = '{USAGE_LOG_MESSAGE}'",
                    "stats latest(verdict) as verdict, latest(utilizationPercent) as utilization, "
                    "latest(peakTps) as peak, latest(minimum) as minimum, latest(requests) as requests by job_arn",
                    "sort utilization asc",
                ],
                view=cloudwatch.LogQueryVisualizationType.TABLE,
                width=12,
            ),
        )

    @staticmethod
    def _metric(namespace: str, name: str, period: Duration) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=name,
            dimensions_map={"service": SERVICE},
            statistic="Sum",
            period=period,
        )

    def _alarm(self, name: str, metric: cloudwatch.IMetric, description: str, periods: int) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            name,
            # The email's subject is 'ALARM: "<name>" in <region>': a name that says whose alarm it is.
            alarm_name=f"{self._name_prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=1,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
