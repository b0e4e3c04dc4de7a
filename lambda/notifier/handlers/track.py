"""CloudTrail auto-tracking: a Create... call (via EventBridge) puts what it made under watch; an
Update/Start/Stop/Delete call wakes the resource it changes. Invoked directly by a Step Functions task with
`{"arn": ..., "taskToken": ...}` (lambda:invoke.waitForTaskToken), it keeps the token for the poll to answer."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from notifier.adapters.personalize import PersonalizeResources
from notifier.adapters.store import build_store
from notifier.app.compose import account_sessions
from notifier.app.settings import TrackSettings
from notifier.domain.cloudtrail import IgnoredEvent, call_from_cloudtrail
from notifier.observability import logger, metrics, tracer
from notifier.usecases.tracking import InvalidTaskInput, TrackResult, await_task, follow_call

SETTINGS = TrackSettings.from_env()  # cold start: a missing TABLE_NAME fails here, by name

_OUTCOME_METRICS = {"tracked": "JobsAutoTracked", "already_tracked": "DuplicateTrackEvents", "woken": "ResourcesWoken"}


@cache
def _adapters() -> tuple[Any, PersonalizeResources]:
    session = boto3.session.Session()
    personalize = PersonalizeResources(
        session, max_pool_connections=2, accounts=account_sessions(session, SETTINGS.members)
    )
    return build_store(SETTINGS.table_name, session), personalize


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    if isinstance(event, dict) and "taskToken" in event:
        return _task_waits(event, context)
    try:
        call = call_from_cloudtrail(event)
    except IgnoredEvent as exc:
        # Logged with the event's id and name only: a whole CloudTrail event carries caller identity.
        logger.info("Ignoring event", extra={"reason": str(exc), "event_id": _event_id(event)})
        metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
        return {"outcome": "ignored", "reason": str(exc)}
    store, describer = _adapters()
    # A describe that cannot end in time is given up (the poll describes the record later), not killed mid-write.
    describer.deadline.bind(lambda: context.get_remaining_time_in_millis() / 1000)
    result: TrackResult = follow_call(call, store, describer)
    logger.info("Auto-track", extra={"job_arn": call.arn, "call": call.name, "outcome": result.outcome})
    metrics.add_metric(name=_OUTCOME_METRICS.get(result.outcome, "EventsIgnored"), unit=MetricUnit.Count, value=1)
    return {"outcome": result.outcome, "jobArn": call.arn, "call": call.name}


def _task_waits(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    """A task's direct invocation: not a CloudTrail event (EventBridge's have `detail-type`). Bad input raises
    InvalidTaskInput, which fails the task at once with that message."""
    store, describer = _adapters()
    describer.deadline.bind(lambda: context.get_remaining_time_in_millis() / 1000)
    try:
        result = await_task(
            event.get("arn"), event.get("taskToken"), store, describer, heartbeat_seconds=event.get("heartbeatSeconds")
        )
    except InvalidTaskInput as exc:
        logger.warning("A task's input was refused", extra={"reason": str(exc)})
        metrics.add_metric(name="TasksRefused", unit=MetricUnit.Count, value=1)
        raise
    logger.info("A task waits", extra={"job_arn": result.arn, "outcome": result.outcome})
    metrics.add_metric(name="TasksWaiting", unit=MetricUnit.Count, value=1)
    return {"outcome": result.outcome, "jobArn": result.arn}


def _event_id(event: Any) -> str | None:
    if isinstance(event, dict) and isinstance(event.get("detail"), dict):
        return str(event["detail"].get("eventID") or event.get("id"))
    return None
