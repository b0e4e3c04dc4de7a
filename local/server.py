"""An embedded AWS on localhost: a moto server with the Personalize emulator, started and always stopped."""

from __future__ import annotations

import io
import logging
import os
import socket
import urllib.request
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from notifier_local import personalize  # noqa: F401 - installs the emulated Personalize calls
from notifier_local.moto_internals import SsmParameter, ThreadedMotoServer, ssm_backends

ACCOUNT = "123456789012"
REGION = "us-east-1"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "embedded",
    "AWS_SECRET_ACCESS_KEY": "embedded",
    "AWS_SESSION_TOKEN": "embedded",
}


@dataclass(frozen=True)
class EmbeddedAws:
    port: int

    @property
    def endpoint(self) -> str:
        # "localhost", not 127.0.0.1: moto reads a template's bucket from the URL path only for that host.
        return f"http://localhost:{self.port}"

    def environment(self) -> dict[str, str]:
        """What a process needs to talk to this embedded AWS instead of a real one."""
        return {
            **DUMMY_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "CDK_DEFAULT_ACCOUNT": ACCOUNT,
            "CDK_DEFAULT_REGION": REGION,
        }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PortInUse(RuntimeError):
    """The port asked for is taken: moto's server would say so and then wait forever for its thread."""


def _check_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise PortInUse(
                f"port {port} on 127.0.0.1 is in use ({exc.strerror}): choose another with --port, or leave "
                "--port out for a free one"
            ) from None


@contextmanager
def embedded_aws(port: int | None = None) -> Iterator[EmbeddedAws]:
    """Serve moto on loopback only, starting empty; stopped on exit, on error and on Ctrl-C alike.

    moto's state lives in this process, shared by every server and mock it runs: a new embedded AWS starts from
    none of the resources an earlier one in this process made (a stack of the same name would be updated, not
    created), the emulator's jobs included (they live on moto's backends). Counters and injected faults that tests
    keep (notifier_local.personalize.calls, moto_fixes.task_answers) are theirs to reset."""
    if port:
        _check_free(port)
    port = port or free_port()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log lines in the demo's output
    # moto says so for each resource type its CloudFormation does not create; the demo accounts for those.
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS", category=UserWarning)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        embedded = EmbeddedAws(port=port)
        _reset(embedded)
        yield embedded
    finally:
        server.stop()


def _reset(aws: EmbeddedAws) -> None:
    """moto's documented reset (its server's /moto-api/reset): every backend of this process starts empty. Sent
    straight to loopback, whatever proxy the environment names."""
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with direct.open(urllib.request.Request(f"{aws.endpoint}/moto-api/reset", method="POST"), timeout=30):
        pass


@contextmanager
def pointed_at(aws: EmbeddedAws) -> Iterator[None]:
    """Temporarily point this process's boto3 clients at the embedded AWS."""
    with environment(aws.environment()):
        yield


@contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """These environment variables for this process, while inside; what was there before, afterwards."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def serve_powertools_layer(parameter: str, lambda_client: Any, account: str = ACCOUNT, region: str = REGION) -> str:
    """Stand in for what AWS publishes outside any account: Powertools' public SSM parameter (a CloudFormation
    parameter of the stack resolves it at deploy time), pointing at a layer of the same name published here.

    moto has neither: its SSM API refuses names under /aws/ (they are AWS's own), so the parameter goes into
    moto's SSM backend directly, and a layer in another account cannot be attached in moto. Returns the ARN.
    """
    architecture, runtime = parameter.split("/")[5:7]  # /aws/service/powertools/python/{arch}/{runtime}/{version}
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as layer:
        layer.writestr("python/POWERTOOLS_STAND_IN.txt", f"stands in for the layer {parameter} names\n")
    arn = lambda_client.publish_layer_version(
        LayerName=f"AWSLambdaPowertoolsPythonV3-{runtime.replace('.', '')}-{architecture}",
        Content={"ZipFile": archive.getvalue()},
        CompatibleRuntimes=[runtime],
        CompatibleArchitectures=[architecture],
    )["LayerVersionArn"]
    ssm_backends[account][region]._parameters[parameter].append(
        SsmParameter(
            account_id=account,
            name=parameter,
            value=arn,
            parameter_type="String",
            description=None,
            allowed_pattern=None,
            keyid=None,
            last_modified_date=datetime.now(UTC),
            version=1,
            data_type="text",
        )
    )
    return arn
