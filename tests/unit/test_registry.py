"""The job-kind registry against botocore's own Personalize service model: every name it uses exists."""

from __future__ import annotations

import botocore.session
import pytest

from notifier.domain.arns import parse_arn
from notifier.domain.kinds import KINDS, REGISTRY, Kind

pytestmark = pytest.mark.unit

MODEL = botocore.session.get_session().get_service_model("personalize")


def api(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


def test_the_registry_covers_every_job_and_resource_users_wait_on() -> None:
    assert sorted(KINDS) == [
        "batch-inference-job",
        "batch-segment-job",
        "campaign",
        "data-deletion-job",
        "dataset-export-job",
        "dataset-group",
        "dataset-import-job",
        "recommender",
        "solution",
        "solution-version",
    ]
    assert {kind.name for kind in REGISTRY if kind.lives_on} == {"campaign", "recommender", "solution", "dataset-group"}


SCALARS = ("string", "integer", "long", "float", "double", "boolean")  # what a fact can show


def shape_at(shape, dotted: str):
    for key in dotted.split("."):
        assert key in shape.members, dotted
        shape = shape.members[key]
    return shape


@pytest.mark.parametrize("kind", REGISTRY, ids=lambda kind: kind.name)
def test_describe_operation_and_fields_exist_in_botocore(kind: Kind) -> None:
    operation = MODEL.operation_model(api(kind.describe_operation))
    assert list(operation.input_shape.required_members) == [kind.describe_arn_parameter]
    described = operation.output_shape.members[kind.describe_response_key]
    for field in ("status", "creationDateTime", "lastUpdatedDateTime"):
        assert field in described.members, field
    # Every kind tells why it failed, except a solution: botocore's Solution has no failureReason.
    assert ("failureReason" in described.members) is (kind.name != "solution")
    if kind.parent_key:
        assert kind.parent_key in described.members
    for path in (kind.output_path, kind.input_path):
        if path:
            shape_at(described, ".".join(path))
    for _, dotted in kind.facts:
        assert shape_at(described, dotted).type_name in ("string", "integer", "float", "double", "boolean", "long"), (
            dotted
        )
    if kind.update_key:
        update = described.members[kind.update_key]
        assert {"status", "failureReason", "creationDateTime"} <= set(update.members)
    if kind.trains_key:
        assert described.members[kind.trains_key].type_name == "boolean"


@pytest.mark.parametrize("kind", REGISTRY, ids=lambda kind: kind.name)
def test_list_and_create_operations_exist_in_botocore(kind: Kind) -> None:
    listing = MODEL.operation_model(api(kind.list_operation))
    if kind.list_filter_parameter is None:
        assert set(listing.input_shape.members) == {"nextToken", "maxResults"}  # ListDatasetGroups: no filter
    else:
        assert kind.list_filter_parameter in listing.input_shape.members
    summary = listing.output_shape.members[kind.list_response_key].member
    assert {kind.describe_arn_parameter, "status"} <= set(summary.members)
    create = MODEL.operation_model(kind.create_event)
    assert kind.describe_arn_parameter in create.output_shape.members  # what CloudTrail's response holds


@pytest.mark.parametrize("kind", [kind for kind in REGISTRY if kind.lives_on], ids=lambda kind: kind.name)
def test_every_call_that_changes_a_resource_names_it_in_its_request(kind: Kind) -> None:
    """Update/Start/Stop/Delete calls wake a resource: each takes its ARN, under the describe parameter's name
    (CloudTrail's requestParameters carry it)."""
    assert kind.change_events and any(event.startswith("Delete") for event in kind.change_events)
    for event in kind.change_events:
        operation = MODEL.operation_model(event)
        assert operation.input_shape.required_members[0] == kind.describe_arn_parameter, event
    # Every such call botocore knows for this kind is listed: a new one (say, a future Pause...) fails here.
    noun = api(kind.describe_operation).removeprefix("Describe")
    known = {
        name
        for name in MODEL.operation_names
        if name.endswith(noun) and name.startswith(("Update", "Start", "Stop", "Delete"))
    }
    assert known == set(kind.change_events)


def test_the_documented_statuses_of_each_resource_are_what_the_registry_knows() -> None:
    """The status strings botocore's documentation lists, each sorted into an outcome the registry gives."""
    import re

    for kind in (k for k in REGISTRY if k.lives_on):
        shape = MODEL.operation_model(api(kind.describe_operation)).output_shape.members[kind.describe_response_key]
        documented = set(re.findall(r"[A-Z]+(?: [A-Z_]+)?", shape.members["status"].documentation))
        statuses = {
            s for s in documented if s.split()[0] in ("CREATE", "ACTIVE", "DELETE", "STOP", "START", "INACTIVE")
        }
        for status in statuses:
            outcome = kind.outcome(status).value
            expected = (
                "succeeded"
                if status == "ACTIVE"
                else "failed"
                if status == "CREATE FAILED"
                else "stopped"
                if status == "INACTIVE"
                else "in_progress"
            )
            assert outcome == expected, (kind.name, status)
        assert {"ACTIVE", "CREATE FAILED", "CREATE PENDING"} <= statuses, kind.name
    assert "INACTIVE" in MODEL.shape_for("Recommender").members["status"].documentation


@pytest.mark.parametrize(
    ("arn", "kind", "name"),
    [
        ("arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly", "dataset-export-job", "nightly"),
        ("arn:aws:personalize:eu-west-1:123456789012:dataset-import-job/load-1", "dataset-import-job", "load-1"),
        ("arn:aws:personalize:us-west-2:123456789012:batch-inference-job/recs", "batch-inference-job", "recs"),
        ("arn:aws:personalize:us-west-2:123456789012:batch-segment-job/segs", "batch-segment-job", "segs"),
        ("arn:aws:personalize:ap-south-1:123456789012:solution/movies/6f1a2b3c", "solution-version", "movies/6f1a2b3c"),
        ("arn:aws-cn:personalize:cn-north-1:123456789012:data-deletion-job/gdpr-7", "data-deletion-job", "gdpr-7"),
        ("arn:aws:personalize:us-east-1:123456789012:campaign/home-page", "campaign", "home-page"),
        ("arn:aws:personalize:us-east-1:123456789012:recommender/top-picks", "recommender", "top-picks"),
        ("arn:aws:personalize:us-east-1:123456789012:solution/movies", "solution", "movies"),
        ("arn:aws:personalize:us-east-1:123456789012:dataset-group/retail", "dataset-group", "retail"),
    ],
)
def test_the_kind_and_region_come_from_the_arn(arn: str, kind: str, name: str) -> None:
    parsed = parse_arn(arn)
    assert (parsed.kind.name, parsed.name, parsed.region) == (kind, name, arn.split(":")[3])


@pytest.mark.parametrize(
    ("kind", "statuses"),
    [
        ("solution-version", {"CREATE STOPPING": "in_progress", "CREATE STOPPED": "stopped", "ACTIVE": "succeeded"}),
        ("data-deletion-job", {"PENDING": "in_progress", "COMPLETED": "succeeded", "FAILED": "failed"}),
        ("batch-inference-job", {"CREATE IN_PROGRESS": "in_progress", "CREATE FAILED": "failed"}),
        ("recommender", {"STOP IN_PROGRESS": "in_progress", "INACTIVE": "stopped", "START PENDING": "in_progress"}),
        ("campaign", {"DELETE PENDING": "in_progress", "ACTIVE": "succeeded", "CREATE FAILED": "failed"}),
    ],
)
def test_each_vocabulary_normalizes_to_one_set_of_outcomes(kind: str, statuses: dict[str, str]) -> None:
    for status, outcome in statuses.items():
        assert KINDS[kind].outcome(status).value == outcome
