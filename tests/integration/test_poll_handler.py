"""The Lambda entry point as the scheduler calls it: cold-start validation, one poll, metrics in EMF."""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass

import pytest

from notifier.app.settings import ConfigError
from notifier_local import personalize as emulator
from tests.conftest import World

pytestmark = pytest.mark.integration

SCHEDULED_EVENT = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}


@dataclass
class FakeLambdaContext:
    function_name: str = "notifier-poll"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:notifier-poll"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def load_handler(monkeypatch, **env: str):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("notifier.handlers.poll", None)
    return importlib.import_module("notifier.handlers.poll")


def test_handler_polls_publishes_and_reports_metrics(world: World, monkeypatch, capsys) -> None:
    arn = world.export_job("nightly-users")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    module = load_handler(monkeypatch, TABLE_NAME=world.table_name, TOPIC_ARN=world.topic_arn)

    summary = module.handler(SCHEDULED_EVENT, FakeLambdaContext())

    assert summary["transitions"] == 1 and summary["notifications_published"] == 1
    assert [d.document["status"] for d in world.delivered()] == ["ACTIVE"]
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [metrics] = [blob for blob in emf if "JobsPolled" in blob]
    # The finished job, for the dashboard: by outcome, its duration by kind, and how soon it was told.
    finished = {name: blob for blob in emf for name in ("JobsFinished", "JobDuration", "TimeToNotice") if name in blob}
    assert finished["JobsFinished"]["outcome"] == "succeeded" and finished["JobsFinished"]["JobsFinished"] == [1.0]
    assert finished["JobDuration"]["jobKind"] == "dataset-export-job"
    assert finished["TimeToNotice"]["TimeToNotice"][0] >= 0
    dimensions = {name: blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"] for name, blob in finished.items()}
    assert dimensions == {
        "JobsFinished": [["outcome", "service"]],
        "JobDuration": [["jobKind", "service"]],
        "TimeToNotice": [["service"]],
    }
    # Every blob in the one namespace the dashboard and alarms read, with no POWERTOOLS_* variable set here.
    assert {blob["_aws"]["CloudWatchMetrics"][0]["Namespace"] for blob in emf} == {"PersonalizeJobNotifier"}
    figures = {name: metrics[name] for name in ("JobsPolled", "Transitions", "NotificationsPublished", "PublishErrors")}
    assert figures == {
        "JobsPolled": [1.0],
        "Transitions": [1.0],
        "NotificationsPublished": [1.0],
        "PublishErrors": [0.0],
    }


def test_handler_stops_starting_calls_when_the_lambda_is_nearly_out_of_time(world: World, monkeypatch) -> None:
    arn = world.export_job("late")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    module = load_handler(monkeypatch, TABLE_NAME=world.table_name, TOPIC_ARN=world.topic_arn)
    emulator.calls.reset()
    summary = module.handler(SCHEDULED_EVENT, FakeLambdaContext(remaining_ms=5_000))
    assert summary["deferred"] == 1 and emulator.calls.total() == 0
    assert world.delivered() == []


@pytest.mark.parametrize("missing", ["TABLE_NAME", "TOPIC_ARN"])
def test_a_missing_setting_fails_at_cold_start_naming_it(monkeypatch, missing: str) -> None:
    monkeypatch.setenv("TABLE_NAME", "tracked-jobs")
    monkeypatch.setenv("TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:job-notifications")
    monkeypatch.delenv(missing)
    sys.modules.pop("notifier.handlers.poll", None)
    with pytest.raises(ConfigError, match=f"environment variable {missing} is required"):
        importlib.import_module("notifier.handlers.poll")
