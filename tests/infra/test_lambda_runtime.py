"""The deployed asset runs as Lambda runs it.

The stack is deployed with the real CDK CLI into a moto server. Each function's asset directory, handler
string and environment come from what was deployed; AWS's runtime interface client (awslambdaric) runs it
against a local Runtime API (notifier_local.lambda_runtime), in a clean virtualenv holding only what the
managed runtime ships (boto3, awslambdaric) plus what the Powertools layer provides (`make` builds both in
.lambda/ from requirements-lambda*.txt). Nothing from the test's own environment leaks in: no moto, no
editable install of the package, no Powertools but the layer's.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest

from notifier_local import personalize as emulator
from notifier_local.aws import QueueSubscriber
from notifier_local.cdk_cli import deploy
from notifier_local.lambda_runtime import Outcome, RuntimeApi
from notifier_local.server import DUMMY_CREDENTIALS, REGION, EmbeddedAws, embedded_aws
from tests.integration.test_auto_tracking import cloudtrail_event

pytestmark = pytest.mark.infra

REPO = Path(__file__).resolve().parents[2]
RUNTIME_PYTHON = REPO / ".lambda" / "runtime" / "bin" / "python"
LAYER = REPO / ".lambda" / "layer" / "python"
STACK = "PersonalizeJobNotifier"
POLL = "notifier.handlers.poll.handler"
SCHEDULED_EVENT = {"version": "0", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


class Stack:
    def __init__(self, aws: EmbeddedAws, outputs: dict[str, str], assembly: Path) -> None:
        self.aws, self.outputs, self.assembly = aws, outputs, assembly
        self.template = json.loads((assembly / f"{STACK}.template.json").read_text())
        self.session = boto3.session.Session(
            aws_access_key_id="embedded", aws_secret_access_key="embedded", region_name=REGION
        )

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.aws.endpoint)

    def function(self, handler: str) -> tuple[dict, Path]:
        """The deployed configuration of the function with this handler, and its synthesized asset directory."""
        [logical_id] = [
            logical_id
            for logical_id, r in self.template["Resources"].items()
            if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == handler
        ]
        name = next(
            r["PhysicalResourceId"]
            for r in self.client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
            if r["LogicalResourceId"] == logical_id
        )
        configuration = self.client("lambda").get_function_configuration(FunctionName=name)
        asset = self.assembly / self.template["Resources"][logical_id]["Metadata"]["aws:asset:path"]
        return configuration, asset


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    assert RUNTIME_PYTHON.exists() and LAYER.is_dir(), "run `make infra` (or `make .lambda/.installed`) first"
    scratch = tmp_path_factory.mktemp("lambda-runtime")
    with embedded_aws() as aws:
        # Tracing on, so the layer's X-Ray SDK runs too (it is off by default: see infra/function.py).
        context = {"notifyEmails": "ana@example.com", "tracing": "true"}
        outputs = deploy(aws, scratch / "outputs.json", context=context, stack_name=STACK)
        yield Stack(aws, outputs, scratch / "cdk.out")


@contextmanager
def running(stack: Stack, handler: str, **overrides: str | None) -> Iterator[RuntimeApi]:
    """The function with this handler, started under awslambdaric as Lambda starts it; stopped afterwards."""
    configuration, asset = stack.function(handler)
    api = RuntimeApi(configuration["FunctionArn"])
    with api.serving():
        environment = {
            "PATH": os.environ["PATH"],
            "LANG": "C.UTF-8",
            # What Lambda sets for every function (Lambda developer guide, "Defined runtime environment variables")
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "_HANDLER": configuration["Handler"],
            "LAMBDA_TASK_ROOT": str(asset),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{configuration['Runtime']}",
            "AWS_LAMBDA_FUNCTION_NAME": configuration["FunctionName"],
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(configuration["MemorySize"]),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:9",  # loopback (discard): the tracer's UDP goes nowhere else
            **DUMMY_CREDENTIALS,
            "AWS_ENDPOINT_URL": stack.aws.endpoint,
            # The runtime's order: the function's code, then the layer (/opt/python).
            "PYTHONPATH": f"{asset}{os.pathsep}{LAYER}",
            "PYTHONNOUSERSITE": "1",
            **configuration["Environment"]["Variables"],
        }
        for name, value in overrides.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        process = subprocess.Popen(
            [str(RUNTIME_PYTHON), "-m", "awslambdaric", configuration["Handler"]],
            cwd=asset,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield api
        finally:
            process.kill()
            process.communicate(timeout=30)


def test_the_runtime_is_clean_and_the_layer_holds_the_pinned_powertools() -> None:
    listed = subprocess.run(
        [str(RUNTIME_PYTHON), "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
    )
    installed = {package["name"].lower() for package in json.loads(listed.stdout)}
    assert {"boto3", "botocore", "awslambdaric"} <= installed
    assert not installed & {"moto", "aws-lambda-powertools", "personalize-job-notifier", "pytest"}
    from infra.settings import POWERTOOLS_VERSION

    assert (LAYER / f"aws_lambda_powertools-{POWERTOOLS_VERSION}.dist-info").is_dir()


def test_a_cloudtrail_event_tracks_the_job_and_a_scheduled_poll_notifies_the_queue(stack: Stack) -> None:
    arn = stack.client("personalize").create_dataset_export_job(
        jobName="nightly-users",
        datasetArn="arn:aws:personalize:us-east-1:123456789012:dataset/retail/INTERACTIONS",
        roleArn="arn:aws:iam::123456789012:role/PersonalizeExport",
        jobOutput={"s3DataDestination": {"path": "s3://exports/nightly-users/"}},
    )["datasetExportJobArn"]
    subscriber = QueueSubscriber(stack.client("sns"), stack.client("sqs"), stack.outputs["TopicArn"], "pipeline")

    with running(stack, "notifier.handlers.track.handler") as track:
        tracked = track.invoke(cloudtrail_event(arn))
    assert tracked == Outcome("response", {"outcome": "tracked", "jobArn": arn, "call": "CreateDatasetExportJob"})
    item = stack.client("dynamodb").get_item(TableName=stack.outputs["TableName"], Key={"jobArn": {"S": arn}})
    assert item["Item"]["status"]["S"] == "CREATE PENDING"

    emulator.set_status(arn, "ACTIVE")
    with xray_daemon() as (daemon, traces), running(stack, POLL, AWS_XRAY_DAEMON_ADDRESS=daemon) as poll:
        summary = poll.invoke(SCHEDULED_EVENT)
    assert summary.kind == "response", summary
    assert (summary.body["transitions"], summary.body["notifications_published"]) == (1, 1)
    [delivered] = subscriber.receive_all()
    assert (delivered.document["jobArn"], delivered.document["status"]) == (arn, "ACTIVE")
    assert delivered.document["outputPath"] == "s3://exports/nightly-users/"
    # The layer's tracer ran: X-Ray daemon datagrams (a header line, then a subsegment) for the handler and
    # for each AWS call botocore made.
    headers, subsegments = zip(*(datagram.split(b"\n", 1) for datagram in traces), strict=True)
    assert set(headers) == {b'{"format":"json","version":1}'}
    names = {json.loads(subsegment)["name"] for subsegment in subsegments}
    assert names == {"## handler", "dynamodb", "personalize", "sns", "events"}, names


@pytest.mark.parametrize(
    ("overrides", "kind", "error_type", "names"),
    [
        # The table is gone: the poll's first query fails, and the invocation reports it.
        ({"TABLE_NAME": "no-such-table"}, "error", "TableNotFound", "no-such-table"),
        # A required setting is missing: the module fails at cold start, reported as an init error.
        ({"TOPIC_ARN": None}, "init_error", "ConfigError", "TOPIC_ARN"),
    ],
)
def test_a_handler_that_raises_is_reported_through_the_error_path(
    stack: Stack, overrides, kind: str, error_type: str, names: str
) -> None:
    with running(stack, POLL, **overrides) as poll:
        outcome = poll.invoke(SCHEDULED_EVENT)
    assert outcome.kind == kind, outcome
    assert error_type in outcome.body["errorType"] and names in outcome.body["errorMessage"], outcome.body


@contextmanager
def xray_daemon() -> Iterator[tuple[str, list[bytes]]]:
    """A stand-in X-Ray daemon on loopback: the address for AWS_XRAY_DAEMON_ADDRESS and what it received."""
    received: list[bytes] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(0.2)
        stop = threading.Event()

        def collect() -> None:
            while not stop.is_set():
                try:
                    received.append(listener.recv(65535))
                except TimeoutError:
                    continue

        thread = threading.Thread(target=collect, daemon=True)
        thread.start()
        try:
            yield f"127.0.0.1:{listener.getsockname()[1]}", received
        finally:
            time.sleep(0.5)  # the tracer sends as subsegments close; let the last ones land
            stop.set()
            thread.join()
