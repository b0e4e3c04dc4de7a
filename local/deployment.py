"""The stack on the embedded AWS: deployed by the real CDK CLI (or its resources created directly), subscribed
to as people and programs would, and its functions' handlers run in-process with their deployed environment
(moto runs no Lambda code)."""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from notifier.observability import logger
from notifier.rendering.envelope import FAILURE_FILTER_POLICY
from notifier_local.aws import QueueSubscriber, create_watch_table
from notifier_local.cast import EVERYTHING, FAILURES, ORGANIZATION, STACK, WEBHOOK_SECRETS
from notifier_local.cdk_cli import deploy, has_cdk_app
from notifier_local.inbox import CHATBOT_ENDPOINT
from notifier_local.server import EmbeddedAws
from notifier_local.showing import Narrator


def deploy_stack(
    aws: EmbeddedAws, scratch: Path, say: Narrator, with_cdk: bool, stack: str = STACK
) -> tuple[dict[str, str], dict[str, Any]]:
    """The stack in the embedded AWS (the CDK CLI in a clone, else its resources directly): outputs, template."""
    context = {
        "notifyEmails": EVERYTHING,
        "failureEmails": FAILURES,
        "pollMinutes": "5",
        "organizationId": ORGANIZATION,
    }
    if with_cdk and has_cdk_app():
        secrets = boto3.session.Session().client("secretsmanager")
        for option, (name, value) in WEBHOOK_SECRETS.items():
            secrets.create_secret(Name=name, SecretString=value)
            context[option] = f"secretsmanager:{name}"
        names = ", ".join(name for name, _ in WEBHOOK_SECRETS.values())
        say.line(f"    a Slack webhook URL and a PagerDuty routing key stored in Secrets Manager: {names}")
        assembly = scratch / "cdk.out"
        outputs = deploy(
            aws,
            scratch / "outputs.json",
            context=context,
            stack_name=stack,
            progress=lambda line: say.line(f"    {line}"),
            assembly_dir=assembly,
        )
        return outputs, json.loads((assembly / f"{stack}.template.json").read_text())
    why = "--without-cdk was given" if with_cdk is False else "an installed package ships no CDK app"
    say.line(f"    ({why}: creating the stack's table, encrypted topic and function directly;")
    say.line("     run `make demo` in a clone to deploy them with the CDK CLI)")
    return _provision_directly(stack), {}


def _provision_directly(stack: str) -> dict[str, str]:
    session = boto3.session.Session()
    create_watch_table(session.client("dynamodb"), f"{stack}-jobs")
    key = session.client("kms").create_key(Description="demo notifications")["KeyMetadata"]["Arn"]
    topic = session.client("sns").create_topic(Name=f"{stack}-topic", Attributes={"KmsMasterKeyId": key})
    role = session.client("iam").create_role(RoleName=f"{stack}-poll", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    session.client("lambda").create_function(
        FunctionName=f"{stack}-poll",
        Runtime="python3.14",
        Role=role,
        Handler="notifier.handlers.poll.handler",
        Timeout=240,
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={"Variables": {"TABLE_NAME": f"{stack}-jobs", "TOPIC_ARN": topic["TopicArn"]}},
    )
    return {"TableName": f"{stack}-jobs", "TopicArn": topic["TopicArn"], "FunctionName": f"{stack}-poll"}


def _declared_subscriptions(template: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The stack's email subscriptions to the jobs topic, as synthesized. moto's CloudFormation skips this resource
    type, so the demo creates each through the SNS API, filter policy included, exactly as declared."""
    jobs_topic = template.get("Outputs", {}).get("TopicArn", {}).get("Value")
    declared = [
        (r["Properties"]["Protocol"], r["Properties"]["Endpoint"], r["Properties"].get("FilterPolicy"))
        for r in template.get("Resources", {}).values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["TopicArn"] == jobs_topic
    ]
    return declared or [("email", EVERYTHING, None), ("email", FAILURES, FAILURE_FILTER_POLICY)]


def subscribe(
    session: boto3.session.Session, topic_arn: str, template: dict[str, Any], say: Narrator
) -> QueueSubscriber:
    sns = session.client("sns")
    for protocol, endpoint, policy in _declared_subscriptions(template):
        attributes = {"FilterPolicy": json.dumps(policy)} if policy else {}
        sns.subscribe(TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint, Attributes=attributes)
        say.line(f"    {protocol} {endpoint}" + (f"  filter {json.dumps(policy)}" if policy else "  (everything)"))
    sns.subscribe(TopicArn=topic_arn, Protocol="https", Endpoint=CHATBOT_ENDPOINT)
    say.line("    https Amazon Q Developer in chat applications  (the Slack channel: the chat JSON)")
    queue = QueueSubscriber(sns, session.client("sqs"), topic_arn, "demo-pipeline")
    say.line("    sqs demo-pipeline  (a program: receives the JSON document)")
    return queue


def deployed_track(lambda_client: Any) -> Callable[[dict[str, Any]], dict[str, str]]:
    """The deployed track function's handler, imported here with its environment (moto runs no Lambda code)."""
    [configuration] = [
        f for f in lambda_client.list_functions()["Functions"] if f["Handler"] == "notifier.handlers.track.handler"
    ]
    os.environ.update(configuration["Environment"]["Variables"])
    sys.modules.pop("notifier.handlers.track", None)
    module = importlib.import_module("notifier.handlers.track")
    context = _DemoContext(function_name=configuration["FunctionName"], timeout_ms=30_000)

    def invoke(event: dict[str, Any]) -> dict[str, str]:
        stdout, sys.stdout = sys.stdout, io.StringIO()  # its metrics, kept out of the narration
        try:
            return module.handler(event, context)
        finally:
            sys.stdout = stdout

    return invoke


@dataclass
class _DemoContext:
    function_name: str
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = ""
    aws_request_id: str = "demo"
    timeout_ms: int = 240_000
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int(self.timeout_ms - (time.monotonic() - self.started) * 1000)


def deployed_handler(lambda_client: Any, function_name: str, say: Narrator) -> Callable[[], dict[str, int]]:
    """moto cannot run Lambda code without Docker: import the handler here, with the deployed environment."""
    configuration = lambda_client.get_function_configuration(FunctionName=function_name)
    environment = configuration["Environment"]["Variables"]
    say.line(f"    handler {configuration['Handler']}, environment: {', '.join(sorted(environment))}")
    os.environ.update(environment)
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
    sys.modules.pop("notifier.handlers.poll", None)
    module = importlib.import_module("notifier.handlers.poll")
    logs = io.StringIO()  # the handler's JSON logs and metrics, kept out of the narration
    logger.registered_handler.setStream(logs)  # type: ignore[attr-defined]
    timeout = int(configuration.get("Timeout", 240)) * 1000

    def invoke() -> dict[str, int]:
        context = _DemoContext(function_name=function_name, timeout_ms=timeout)
        stdout = sys.stdout
        sys.stdout = logs  # Powertools prints EMF metrics to stdout
        try:
            return module.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, context)
        finally:
            sys.stdout = stdout

    return invoke
