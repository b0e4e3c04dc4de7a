"""The job-kind registry against botocore's own Personalize service model: every name it uses exists."""

from __future__ import annotations

import botocore.session
import pytest

from notifier.arns import parse_arn
from notifier.kinds import KINDS, REGISTRY, Kind

pytestmark = pytest.mark.unit

MODEL = botocore.session.get_session().get_service_model("personalize")


def api(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


def test_the_registry_covers_every_job_kind_users_wait_on() -> None:
    assert sorted(KINDS) == [
        "batch-inference-job",
        "batch-segment-job",
        "data-deletion-job",
        "dataset-export-job",
        "dataset-import-job",
        "solution-version",
    ]


@pytest.mark.parametrize("kind", REGISTRY, ids=lambda kind: kind.name)
def test_describe_operation_and_fields_exist_in_botocore(kind: Kind) -> None:
    operation = MODEL.operation_model(api(kind.describe_operation))
    assert list(operation.input_shape.required_members) == [kind.describe_arn_parameter]
    described = operation.output_shape.members[kind.describe_response_key]
    for field in ("status", "failureReason", "creationDateTime", "lastUpdatedDateTime", kind.parent_key):
        assert field in described.members, field
    for path in (kind.output_path, kind.input_path):
        shape = described
        for key in path:
            assert key in shape.members, (kind.name, path)
            shape = shape.members[key]
    for _, key in kind.facts:
        assert key in described.members, key


@pytest.mark.parametrize("kind", REGISTRY, ids=lambda kind: kind.name)
def test_list_and_create_operations_exist_in_botocore(kind: Kind) -> None:
    listing = MODEL.operation_model(api(kind.list_operation))
    assert kind.list_filter_parameter in listing.input_shape.members
    summary = listing.output_shape.members[kind.list_response_key].member
    assert {kind.describe_arn_parameter, "status"} <= set(summary.members)
    create = MODEL.operation_model(kind.create_event)
    assert list(create.output_shape.members) == [kind.describe_arn_parameter]  # what CloudTrail's response holds


@pytest.mark.parametrize(
    ("arn", "kind", "name"),
    [
        ("arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly", "dataset-export-job", "nightly"),
        ("arn:aws:personalize:eu-west-1:123456789012:dataset-import-job/load-1", "dataset-import-job", "load-1"),
        ("arn:aws:personalize:us-west-2:123456789012:batch-inference-job/recs", "batch-inference-job", "recs"),
        ("arn:aws:personalize:us-west-2:123456789012:batch-segment-job/segs", "batch-segment-job", "segs"),
        ("arn:aws:personalize:ap-south-1:123456789012:solution/movies/6f1a2b3c", "solution-version", "movies/6f1a2b3c"),
        ("arn:aws-cn:personalize:cn-north-1:123456789012:data-deletion-job/gdpr-7", "data-deletion-job", "gdpr-7"),
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
    ],
)
def test_each_vocabulary_normalizes_to_one_set_of_outcomes(kind: str, statuses: dict[str, str]) -> None:
    for status, outcome in statuses.items():
        assert KINDS[kind].outcome(status).value == outcome
