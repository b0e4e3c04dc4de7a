"""CloudTrail auto-tracking: a Create...Job API call (via EventBridge) puts the new job under watch."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from notifier.config import TrackSettings
from notifier.discovery import IgnoredEvent, arn_from_cloudtrail
from notifier.observability import logger, metrics, tracer
from notifier.personalize import PersonalizeResources
from notifier.runtime import build_store
from notifier.tracking import TrackResult, track

SETTINGS = TrackSettings.from_env()  # cold start: a missing TABLE_NAME fails here, by name


@cache
def _adapters() -> tuple[Any, PersonalizeResources]:
    session = boto3.session.Session()
    return build_store(SETTINGS.table_name, session), PersonalizeResources(session, max_pool_connections=2)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    try:
        arn = arn_from_cloudtrail(event)
    except IgnoredEvent as exc:
        # Logged with the event's id and name only: a whole CloudTrail event carries caller identity.
        logger.info("Ignoring event", extra={"reason": str(exc), "event_id": _event_id(event)})
        metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
        return {"outcome": "ignored", "reason": str(exc)}
    store, describer = _adapters()
    result: TrackResult = track(arn, store, describer)
    logger.info("Auto-track", extra={"job_arn": arn, "outcome": result.outcome})
    outcome_metric = {"tracked": "JobsAutoTracked", "already_tracked": "DuplicateTrackEvents"}
    metrics.add_metric(name=outcome_metric.get(result.outcome, "EventsIgnored"), unit=MetricUnit.Count, value=1)
    return {"outcome": result.outcome, "jobArn": arn}


def _event_id(event: Any) -> str | None:
    if isinstance(event, dict) and isinstance(event.get("detail"), dict):
        return str(event["detail"].get("eventID") or event.get("id"))
    return None
