"""Scheduled poll: one cycle over the tracked jobs, then the cycle's figures as metrics."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from notifier.app.compose import PollCycle
from notifier.app.settings import Settings
from notifier.observability import METRICS_NAMESPACE, SERVICE_NAME, logger, metrics, tracer
from notifier.usecases.poll.report import PollReport

SETTINGS = Settings.from_env()  # cold start: a missing TABLE_NAME or TOPIC_ARN fails here, by name


@cache
def _cycle() -> PollCycle:
    return PollCycle(SETTINGS)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    report = _cycle().run(remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000)
    if report.idle:
        # Most invocations find nothing to do: they write no metrics and no log line (the idle cost).
        logger.debug("Poll finished: nothing active")
        return report.summary()
    record_metrics(report)
    metrics.flush_metrics()
    record_finished(report)
    logger.info("Poll finished", extra=report.summary())
    return report.summary()


def record_finished(report: PollReport) -> None:
    """Per finished job, for the dashboard: dimensions kept few (outcome; kind for durations)."""
    for finished in report.finished:
        _one("JobsFinished", MetricUnit.Count, 1, outcome=finished.outcome)
        if finished.duration_seconds is not None:
            _one("JobDuration", MetricUnit.Seconds, finished.duration_seconds, jobKind=finished.kind)
        if finished.notice_seconds is not None:
            _one("TimeToNotice", MetricUnit.Seconds, finished.notice_seconds)


def _one(name: str, unit: MetricUnit, value: float, **dimensions: str) -> None:
    # The namespace and service of the package's Metrics, not Powertools' environment-only defaults: without
    # POWERTOOLS_METRICS_NAMESPACE (a CLI poll, the demo) single_metric would have no namespace at all.
    with single_metric(name=name, unit=unit, value=value, namespace=METRICS_NAMESPACE) as metric:
        for dimension, dimension_value in {**dimensions, "service": SERVICE_NAME}.items():
            metric.add_dimension(name=dimension, value=dimension_value)


def record_metrics(report: PollReport) -> None:
    for name, value in (
        ("JobsPolled", report.jobs_polled),
        ("Transitions", report.transitions),
        ("NotificationsPublished", report.notifications_published),
        ("DescribeErrors", report.describe_errors),
        ("PublishErrors", report.publish_errors),
        ("StoreErrors", report.store_errors),
        ("MalformedItems", report.malformed_items),
        ("DeferredJobs", report.deferred),
        ("JobsDiscovered", report.jobs_discovered),
        ("StuckJobs", report.stuck),
        ("UnreachableAccounts", len(report.unreachable)),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
