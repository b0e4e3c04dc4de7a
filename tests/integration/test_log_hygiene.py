"""What the handlers log at INFO: keys and ids, never a whole event, never the caller's identity."""

from __future__ import annotations

import importlib
import io
import sys

import pytest

from notifier_local import personalize as emulator
from tests.conftest import World
from tests.integration.test_auto_tracking import cloudtrail_event
from tests.integration.test_poll_handler import SCHEDULED_EVENT, FakeLambdaContext

pytestmark = pytest.mark.integration


def handler_logs(module_name: str, monkeypatch, **env: str):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop(module_name, None)
    module = importlib.import_module(module_name)
    from notifier.observability import logger

    stream = io.StringIO()
    logger.registered_handler.setStream(stream)
    return module, stream


def test_the_track_lambda_never_logs_the_cloudtrail_event(world: World, monkeypatch) -> None:
    module, stream = handler_logs("notifier.handlers.track", monkeypatch, TABLE_NAME=world.table_name)
    arn = world.export_job("private")
    try:
        module.handler(cloudtrail_event(arn), FakeLambdaContext())
        module.handler(cloudtrail_event(None, errorCode="AccessDenied"), FakeLambdaContext())
    finally:
        from notifier.observability import logger

        logger.registered_handler.setStream(sys.stdout)
    logged = stream.getvalue()
    assert arn in logged  # what it did, by key
    for private in ("203.0.113.7", "assumed-role/DataTeam/ana", "userIdentity", "requestParameters"):
        assert private not in logged


def test_the_poll_lambda_logs_keys_not_message_bodies(world: World, monkeypatch) -> None:
    arn = world.export_job("quiet-logs")
    world.track(arn)
    emulator.set_status(arn, "CREATE FAILED", failure_reason="s3://private-bucket/customer-data/ denied")
    module, stream = handler_logs(
        "notifier.handlers.poll", monkeypatch, TABLE_NAME=world.table_name, TOPIC_ARN=world.topic_arn
    )
    try:
        module.handler(SCHEDULED_EVENT, FakeLambdaContext())
    finally:
        from notifier.observability import logger

        logger.registered_handler.setStream(sys.stdout)
    logged = stream.getvalue()
    assert arn in logged
    assert "private-bucket/customer-data" not in logged  # the failure reason goes to subscribers, not logs
