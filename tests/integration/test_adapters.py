"""The boto3 adapters' exact requests and error mapping (botocore Stubber: the request is checked, nothing is sent)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from notifier.adapters.personalize import PersonalizeResources
from notifier.adapters.publisher import SnsPublisher
from notifier.domain import watched
from notifier.domain.arns import parse_arn
from notifier.domain.watched import Snapshot
from notifier.ports import DescribeFailed, PublishFailed, ResourceNotFound
from notifier.rendering.jobs import render

pytestmark = pytest.mark.integration

ARN = "arn:aws:personalize:eu-west-1:123456789012:dataset-export-job/nightly"
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def tracked():
    return watched.start_watching(parse_arn(ARN), NOW, Snapshot(status="CREATE PENDING"))


def test_describe_asks_the_arns_region_with_adaptive_retries() -> None:
    describer = PersonalizeResources(boto3.session.Session(region_name="us-east-1"))
    client = describer.client("eu-west-1")
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.config.retries["mode"] == "adaptive"
    with Stubber(client) as stub:
        stub.add_response(
            "describe_dataset_export_job",
            {
                "datasetExportJob": {
                    "jobName": "nightly",
                    "datasetExportJobArn": ARN,
                    "status": "ACTIVE",
                    "jobOutput": {"s3DataDestination": {"path": "s3://bucket/out/"}},
                    "creationDateTime": datetime(2026, 11, 24, 9, tzinfo=UTC),
                    "lastUpdatedDateTime": datetime(2026, 11, 24, 10, tzinfo=UTC),
                }
            },
            {"datasetExportJobArn": ARN},
        )
        snapshot = describer.describe(tracked())
    assert snapshot == Snapshot(
        status="ACTIVE",
        name="nightly",
        output_path="s3://bucket/out/",
        created_at="2026-11-24T09:00:00.000Z",
        updated_at="2026-11-24T10:00:00.000Z",
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ResourceNotFoundException", ResourceNotFound),
        ("ThrottlingException", DescribeFailed),
        ("AccessDenied", DescribeFailed),
    ],
)
def test_describe_errors_become_domain_errors(code, expected) -> None:
    describer = PersonalizeResources(boto3.session.Session(region_name="us-east-1"))
    with Stubber(describer.client("eu-west-1")) as stub:
        stub.add_client_error("describe_dataset_export_job", service_error_code=code, service_message="nope")
        with pytest.raises(expected):
            describer.describe(tracked())


def test_a_describe_answer_without_a_status_is_a_describe_error_not_a_crash() -> None:
    describer = PersonalizeResources(boto3.session.Session(region_name="us-east-1"))
    with Stubber(describer.client("eu-west-1")) as stub:
        stub.add_response("describe_dataset_export_job", {"datasetExportJob": {"jobName": "nightly"}})
        with pytest.raises(DescribeFailed, match="MalformedResponse"):
            describer.describe(tracked())


def test_publish_sends_one_json_structured_message_with_string_attributes() -> None:
    client = boto3.session.Session(region_name="us-east-1").client("sns")
    topic = "arn:aws:sns:us-east-1:123456789012:jobs"
    job = watched.observe(tracked(), Snapshot(status="ACTIVE", output_path="s3://b/p/"), NOW, timedelta(minutes=2))
    notification = render(job, job.pending[0])
    with Stubber(client) as stub:
        stub.add_response(
            "publish",
            {"MessageId": "1"},
            {
                "TopicArn": topic,
                "Subject": notification.subject,
                "Message": json.dumps(notification.bodies),
                "MessageStructure": "json",
                "MessageAttributes": {
                    name: {"DataType": "String", "StringValue": value}
                    for name, value in notification.attributes.items()
                },
            },
        )
        SnsPublisher(topic, client).publish(notification)
        stub.add_client_error("publish", service_error_code="KMSAccessDenied", service_message="key disabled")
        with pytest.raises(PublishFailed, match="KMSAccessDenied: key disabled"):
            SnsPublisher(topic, client).publish(notification)
