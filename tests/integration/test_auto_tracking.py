"""Auto-tracking: CloudTrail Create...Job events through the track Lambda, and discovery inside the poll."""

from __future__ import annotations

import copy
import importlib
import sys

import pytest

from notifier.app.compose import PollCycle
from notifier.app.settings import Settings
from notifier_local import personalize as emulator
from tests.conftest import ACCOUNT, DATASET_ARN, REGION, World
from tests.integration.test_poll_handler import FakeLambdaContext

pytestmark = pytest.mark.integration


def cloudtrail_event(arn: str | None, **detail_overrides) -> dict:
    """The shape EventBridge delivers for a CreateDatasetExportJob call recorded by CloudTrail."""
    detail = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/DataTeam/ana"},
        "eventTime": "2026-11-24T09:00:00Z",
        "eventSource": "personalize.amazonaws.com",
        "eventName": "CreateDatasetExportJob",
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.7",
        "requestParameters": {"jobName": "nightly-users", "datasetArn": DATASET_ARN},
        "responseElements": {"datasetExportJobArn": arn},
        "requestID": "c0ffee00-0000-4000-8000-000000000001",
        "eventID": "e1e1e1e1-0000-4000-8000-000000000002",
        "readOnly": False,
        "eventType": "AwsApiCall",
    }
    detail.update(detail_overrides)
    return {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.personalize",
        "account": ACCOUNT,
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


@pytest.fixture
def track_handler(world: World, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", world.table_name)
    sys.modules.pop("notifier.handlers.track", None)
    return importlib.import_module("notifier.handlers.track").handler


def test_a_create_event_tracks_the_new_job_with_its_current_status(world: World, track_handler) -> None:
    arn = world.export_job("nightly-users")
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    assert track_handler(cloudtrail_event(arn), FakeLambdaContext()) == {
        "outcome": "tracked",
        "jobArn": arn,
        "call": "CreateDatasetExportJob",
    }
    job = world.store.get(arn)
    assert job.status == "CREATE IN_PROGRESS" and job.in_active_index and job.pending == ()
    emulator.set_status(arn, "ACTIVE")
    world.poll()
    assert [d.document["status"] for d in world.delivered()] == ["ACTIVE"]


def test_a_duplicate_event_is_harmless(world: World, track_handler) -> None:
    arn = world.export_job("twice")
    track_handler(cloudtrail_event(arn), FakeLambdaContext())
    before = world.store.get(arn)
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    assert track_handler(cloudtrail_event(arn), FakeLambdaContext())["outcome"] == "already_tracked"
    assert world.store.get(arn) == before


ODD_EVENTS = {
    "failed call": (
        cloudtrail_event(None, errorCode="ValidationException", errorMessage="bad role", responseElements=None),
        "CreateDatasetExportJob failed (ValidationException: bad role); nothing changed",
    ),
    "no responseElements": (cloudtrail_event(None, responseElements=None), "carries no datasetExportJobArn"),
    "no ARN in the response": (cloudtrail_event(None), "carries no datasetExportJobArn in its responseElements"),
    "another API call": (cloudtrail_event("x", eventName="DescribeDatasetExportJob"), "not a call this notifier"),
    "a malformed ARN": (cloudtrail_event("arn:aws:s3:::bucket"), "is not an ARN this notifier"),
    "no detail": ({"detail-type": "AWS API Call via CloudTrail"}, "the event has no detail object"),
    "detail of the wrong type": ({"detail": ["CreateDatasetExportJob"]}, "the event has no detail object"),
}


@pytest.mark.parametrize("name", ODD_EVENTS)
def test_odd_cloudtrail_events_are_logged_and_ignored(world: World, track_handler, caplog, name: str) -> None:
    event, reason = ODD_EVENTS[name]
    result = track_handler(copy.deepcopy(event), FakeLambdaContext())
    assert result["outcome"] == "ignored" and reason in result["reason"]
    assert list(world.store.all_jobs()) == []
    [record] = [r for r in caplog.records if r.getMessage() == "Ignoring event"]
    assert reason in record.reason
    assert "203.0.113.7" not in caplog.text  # the caller's identity and address are never logged


def test_the_track_lambda_needs_its_table(monkeypatch) -> None:
    from notifier.app.settings import ConfigError

    monkeypatch.delenv("TABLE_NAME", raising=False)
    sys.modules.pop("notifier.handlers.track", None)
    with pytest.raises(ConfigError, match="TABLE_NAME is required"):
        importlib.import_module("notifier.handlers.track")


def test_discovery_inside_the_poll_tracks_new_jobs_for_accounts_without_a_trail(world: World) -> None:
    running, finished = world.export_job("found-running"), world.export_job("found-finished")
    emulator.set_status(finished, "ACTIVE")
    settings = Settings.from_env(
        {"TABLE_NAME": world.table_name, "TOPIC_ARN": world.topic_arn, "DISCOVER": DATASET_ARN, "AWS_REGION": REGION}
    )
    cycle = PollCycle(settings, world.session)
    cycle.poller._clock = world.clock
    report = cycle.run()
    assert report.jobs_discovered == 1
    assert {job.arn for job in world.store.all_jobs()} == {running}
    emulator.set_status(running, "ACTIVE")
    world.clock.advance(minutes=5)
    assert cycle.run().jobs_discovered == 0
    assert [d.document["jobName"] for d in world.delivered()] == ["found-running"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DISCOVER": "some-dataset", "AWS_REGION": REGION},
            "DISCOVER: 'some-dataset' is not the ARN of a dataset, dataset group, solution or solution version",
        ),
        ({"DISCOVER": "all"}, "DISCOVER_REGIONS (or AWS_REGION) is needed"),
    ],
)
def test_bad_discovery_settings_are_named(env, message) -> None:
    from notifier.app.settings import ConfigError

    base = {"TABLE_NAME": "t", "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t"}
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env({**base, **env})
