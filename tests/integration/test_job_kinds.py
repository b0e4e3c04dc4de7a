"""Every job kind end to end through the emulator: created by its real Create call, tracked, notified."""

from __future__ import annotations

import pytest

from notifier_local import personalize as emulator
from tests.conftest import ACCOUNT, REGION, World
from tests.integration.test_auto_tracking import cloudtrail_event
from tests.integration.test_poll_handler import FakeLambdaContext

pytestmark = pytest.mark.integration

ROLE = f"arn:aws:iam::{ACCOUNT}:role/Personalize"
DATASET = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/retail/ITEMS"
SOLUTION = f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/movies"
VERSION = f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/movies/1a2b3c4d"
GROUP = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/retail"

# kind: (create call, its parameters, the ARN key of its answer, the success path, details Personalize adds)
KINDS = {
    "dataset-import-job": (
        "create_dataset_import_job",
        {
            "jobName": "load-items",
            "datasetArn": DATASET,
            "roleArn": ROLE,
            "dataSource": {"dataLocation": "s3://in/items.csv"},
        },
        "datasetImportJobArn",
        ("CREATE IN_PROGRESS", "ACTIVE"),
        {},
    ),
    "batch-inference-job": (
        "create_batch_inference_job",
        {
            "jobName": "nightly-recs",
            "solutionVersionArn": VERSION,
            "roleArn": ROLE,
            "numResults": 25,
            "jobInput": {"s3DataSource": {"path": "s3://in/users.json"}},
            "jobOutput": {"s3DataDestination": {"path": "s3://out/recs/"}},
        },
        "batchInferenceJobArn",
        ("CREATE IN_PROGRESS", "ACTIVE"),
        {},
    ),
    "batch-segment-job": (
        "create_batch_segment_job",
        {
            "jobName": "segments",
            "solutionVersionArn": VERSION,
            "roleArn": ROLE,
            "jobInput": {"s3DataSource": {"path": "s3://in/items.json"}},
            "jobOutput": {"s3DataDestination": {"path": "s3://out/segments/"}},
        },
        "batchSegmentJobArn",
        ("CREATE IN_PROGRESS", "ACTIVE"),
        {},
    ),
    "solution-version": (
        "create_solution_version",
        {"solutionArn": SOLUTION, "trainingMode": "FULL"},
        "solutionVersionArn",
        ("CREATE IN_PROGRESS", "ACTIVE"),
        {"trainingHours": 3.25},
    ),
    "data-deletion-job": (
        "create_data_deletion_job",
        {
            "jobName": "gdpr-7",
            "datasetGroupArn": GROUP,
            "roleArn": ROLE,
            "dataSource": {"dataLocation": "s3://in/ids.csv"},
        },
        "dataDeletionJobArn",
        ("IN_PROGRESS", "COMPLETED"),
        {"numDeleted": 1234},
    ),
}


PARENTS = {
    "dataset-import-job": DATASET,
    "batch-inference-job": VERSION,
    "batch-segment-job": VERSION,
    "solution-version": SOLUTION,
    "data-deletion-job": GROUP,
}


def create(world: World, kind: str) -> str:
    operation, params, arn_key, _, _ = KINDS[kind]
    return getattr(world.session.client("personalize"), operation)(**params)[arn_key]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_tracked_and_its_ending_notified_with_its_details(world: World, kind: str) -> None:
    arn = create(world, kind)
    result = world.track(arn)
    assert result.outcome == "tracked" and result.job.kind.name == kind
    running, done = KINDS[kind][3]
    emulator.set_status(arn, running)
    world.clock.advance(minutes=5)
    world.poll()
    emulator.set_status(arn, done, **KINDS[kind][4])
    world.clock.advance(minutes=5)
    world.poll()
    first, last = world.delivered()
    assert first.document["status"] == running and first.attributes["terminal"] == "false"
    assert (last.document["status"], last.attributes["outcome"], last.attributes["jobKind"]) == (
        done,
        "succeeded",
        kind,
    )
    assert last.document["detailType"] == f"Personalize {world.store.get(arn).kind.label.title()} State Change"
    assert last.document["parentArn"] == PARENTS[kind]
    facts = last.document["facts"]
    if kind == "data-deletion-job":
        assert facts == {"Records deleted": "1234"}
    if kind == "solution-version":
        assert facts == {"Training mode": "FULL", "Training hours": "3.25"}
    if kind == "batch-inference-job":
        assert (
            last.document["outputPath"] == "s3://out/recs/" and last.document["inputLocation"] == "s3://in/users.json"
        )
        assert facts["Results per item"] == "25"


def test_a_stopped_training_is_an_ending_of_its_own(world: World) -> None:
    arn = create(world, "solution-version")
    world.track(arn)
    emulator.set_status(arn, "CREATE STOPPING")
    world.poll()
    emulator.set_status(arn, "CREATE STOPPED")
    world.clock.advance(minutes=5)
    world.poll()
    stopping, stopped = world.delivered()
    assert (stopping.attributes["outcome"], stopping.attributes["terminal"]) == ("in_progress", "false")
    assert (stopped.attributes["outcome"], stopped.attributes["terminal"]) == ("stopped", "true")
    assert "stopped (CREATE STOPPED)" in stopped.subject
    assert not world.store.get(arn).in_active_index


def test_a_failed_data_deletion_carries_its_reason(world: World) -> None:
    arn = create(world, "data-deletion-job")
    world.track(arn)
    emulator.set_status(arn, "FAILED", failure_reason="The role cannot read s3://in/ids.csv")
    world.poll()
    [message] = world.delivered()
    assert message.attributes["outcome"] == "failed"
    assert message.document["failureReason"] == "The role cannot read s3://in/ids.csv"


@pytest.mark.parametrize("kind", KINDS)
def test_cloudtrail_create_events_of_each_kind_are_auto_tracked(world: World, kind: str, monkeypatch) -> None:
    import importlib
    import sys

    monkeypatch.setenv("TABLE_NAME", world.table_name)
    sys.modules.pop("notifier.handlers.track", None)
    handler = importlib.import_module("notifier.handlers.track").handler
    operation, _, arn_key, _, _ = KINDS[kind]
    arn = create(world, kind)
    event_name = "".join(part.capitalize() for part in operation.split("_"))
    event = cloudtrail_event(None, eventName=event_name, responseElements={arn_key: arn})
    assert handler(event, FakeLambdaContext()) == {"outcome": "tracked", "jobArn": arn, "call": event_name}
    assert world.store.get(arn).kind.name == kind


def test_discovery_lists_the_kinds_under_each_parent(world: World) -> None:
    from notifier.adapters.personalize import PersonalizeResources
    from notifier.usecases.discovery import discover

    arns = {kind: create(world, kind) for kind in KINDS}
    emulator.calls.reset()
    report = discover(PersonalizeResources(world.session), world.store, regions=[REGION], parent_arns=[VERSION, GROUP])
    assert set(report.tracked) == {arns["batch-inference-job"], arns["batch-segment-job"], arns["data-deletion-job"]}
    assert set(emulator.calls.counts) == {
        "ListBatchInferenceJobs",
        "ListBatchSegmentJobs",
        "ListDataDeletionJobs",
        "ListRecommenders",  # a dataset group's resources too
        "ListSolutions",
    }
    everything = discover(PersonalizeResources(world.session), world.store, regions=[REGION])
    assert set(everything.tracked) == {arns["dataset-import-job"], arns["solution-version"]}


def test_discovery_inside_the_poll_takes_any_parent_the_cli_takes(world: World) -> None:
    from notifier.app.compose import PollCycle
    from notifier.app.settings import Settings

    batch = create(world, "batch-inference-job")
    settings = Settings.from_env(
        {"TABLE_NAME": world.table_name, "TOPIC_ARN": world.topic_arn, "DISCOVER": VERSION, "AWS_REGION": "eu-west-1"}
    )
    assert settings.discover_regions == (REGION,)  # the parent's own region, not the function's
    assert PollCycle(settings, world.session).run().jobs_discovered == 1
    assert world.store.get(batch).kind.name == "batch-inference-job"
