"""What happens to an event when its target fails, for every event source -> target edge of every stack, in every
configuration of the matrix, evaluated from the synthesized templates as EventBridge and Lambda would.

AWS's behaviour, as documented:
- EventBridge invokes a Lambda target asynchronously. Its target RetryPolicy and DeadLetterConfig cover only
  what EventBridge cannot deliver (the Invoke call refused); without a policy it retries for 24 hours, 185 times,
  then drops the event, unless the target has a dead-letter queue (EventBridge user guide, "Event retry policy
  and using dead-letter queues").
- An API destination target: EventBridge retries a request answered 429 or 5xx (or not answered) under the same
  policy, and puts one answered with another 4xx in the dead-letter queue at once (EventBridge user guide, "API
  destinations"); "delivery refused" covers both.
- Once Lambda has taken an asynchronous event, a function error or timeout is retried MaximumRetryAttempts times
  (default 2), and a throttled event is kept and retried until it is MaximumEventAgeInSeconds old (default 6
  hours); then Lambda discards it, unless an on-failure destination (or a dead-letter queue) keeps it; Lambda
  sends to it with the function's execution role (Lambda developer guide, "Error handling and automatic retries
  in asynchronous invocation", "Capturing records of asynchronous invocations").

Each edge must be in PROMISES, which says what the README promises for it: a new edge fails until it is stated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.context_values import WEBHOOK_OPTIONS
from tests.iam import Request, Resolver, decide, role_policies
from tests.infra.conftest import satellite
from tests.infra.options import CONFIGURATIONS, synthesized

pytestmark = pytest.mark.infra

# When the target is refused (EventBridge) or the function fails (Lambda), in the order Lambda sees failures.
FAILURES = ("delivery refused", "function error", "function timeout", "function throttled")
LAMBDA_DEFAULTS = {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 6 * 3600}


@dataclass(frozen=True)
class Fate:
    kept_in: str | None  # the queue's logical ID, or None: dropped
    after: str  # what happened before: the retries made


@dataclass(frozen=True)
class Promise:
    """What the README says happens to this edge's events when its target fails."""

    kept: frozenset[str]  # the failures whose events are kept in a queue
    why_dropped_is_right: str = ""


PROMISES = {
    # The schedule: the next scheduled poll is the retry; a poll event older than a minute is worthless.
    ("PollerSchedule", "PollerPollFunction"): Promise(
        kept=frozenset({"delivery refused"}),
        why_dropped_is_right="a failed or throttled poll is not retried: the next scheduled poll does its work",
    ),
    # CloudTrail's Create/Update/... calls: each is the only word that a job or resource exists.
    ("AutoTrackingCreateJobCalls", "AutoTrackingTrackFunction"): Promise(kept=frozenset(FAILURES)),
    # Other regions' calls sent on to the home bus.
    ("CreateJobCalls", "HomeBus"): Promise(kept=frozenset({"delivery refused"})),
    # An organization's member accounts: their calls sent to the central bus, and tracked from it.
    ("PersonalizeCalls", "HomeBus"): Promise(kept=frozenset({"delivery refused"})),
    ("AutoTrackingMemberCalls", "AutoTrackingTrackFunction"): Promise(kept=frozenset(FAILURES)),
    # Each webhook's notifications: what the service refuses (a 4xx at once, a 429 or 5xx after EventBridge's
    # retries) is kept.
    **{
        (f"Webhooks{name}Rule", f"Webhooks{name}DestinationApiDestination"): Promise(
            kept=frozenset({"delivery refused"})
        )
        for name in (service[0].upper() + service[1:] for service in WEBHOOK_OPTIONS)
    },
}


@dataclass(frozen=True)
class Edge:
    stack: str
    rule_id: str
    target: dict
    template: dict

    @property
    def key(self) -> tuple[str, str]:
        arn = self.target["Arn"]
        target = arn["Fn::GetAtt"][0] if isinstance(arn, dict) and "Fn::GetAtt" in arn else "HomeBus"
        return _stripped(self.rule_id), _stripped(target)

    def lambda_target(self) -> str | None:
        arn = self.target["Arn"]
        if isinstance(arn, dict) and "Fn::GetAtt" in arn:
            logical_id = arn["Fn::GetAtt"][0]
            if self.template["Resources"][logical_id]["Type"] == "AWS::Lambda::Function":
                return logical_id
        return None


def _stripped(logical_id: str) -> str:
    """A logical ID without the hash CDK appends: the construct path, which says what the resource is."""
    return re.sub(r"[0-9A-F]{8}$", "", logical_id)


def edges(assembly: Path) -> list[Edge]:
    found = []
    for path in sorted(assembly.glob("*.template.json")):
        template = json.loads(path.read_text())
        for rule_id, rule in template["Resources"].items():
            if rule["Type"] == "AWS::Events::Rule":
                for target in rule["Properties"].get("Targets", []):
                    found.append(Edge(path.name.removesuffix(".template.json"), rule_id, target, template))
    return found


def invoke_config(template: dict, function_id: str) -> dict:
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::EventInvokeConfig" and properties["FunctionName"] == {"Ref": function_id}:
            return properties
    return {}


def fate(edge: Edge, failure: str) -> Fate:
    """Where an event of this edge ends up when its target fails this way, as AWS would handle it."""
    if failure == "delivery refused":
        policy = edge.target.get("RetryPolicy", {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400})
        queue = edge.target.get("DeadLetterConfig", {}).get("Arn")
        return Fate(queue["Fn::GetAtt"][0] if queue else None, f"EventBridge retries {policy}")
    function_id = edge.lambda_target()
    if function_id is None:
        return Fate(None, "no function: nothing fails after delivery")
    config = {**LAMBDA_DEFAULTS, **invoke_config(edge.template, function_id)}
    function = edge.template["Resources"][function_id]["Properties"]
    destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    destination = destination or function.get("DeadLetterConfig", {}).get("TargetArn")
    retried = (
        f"kept and retried until {config['MaximumEventAgeInSeconds']} s old"
        if failure == "function throttled"
        else f"{config['MaximumRetryAttempts']} retries"
    )
    return Fate(destination["Fn::GetAtt"][0] if destination else None, retried)


def alarmed(template: dict, queue_id: str) -> bool:
    """An alarm on the queue's depth that fires at the first message and tells the alarms topic."""
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] != "AWS::CloudWatch::Alarm" or properties.get("MetricName") != (
            "ApproximateNumberOfMessagesVisible"
        ):
            continue
        watched = [d["Value"] for d in properties["Dimensions"] if d["Name"] == "QueueName"]
        if watched == [{"Fn::GetAtt": [queue_id, "QueueName"]}]:
            return properties["Threshold"] <= 1 and properties["EvaluationPeriods"] == 1 and properties["AlarmActions"]
    return False


def may_send(edge: Edge, queue_id: str, failure: str) -> bool:
    """The sender may put the event on the queue: EventBridge by the queue's policy, Lambda by the role."""
    template, resolve = edge.template, Resolver(edge.template)
    queue_arn = resolve.arn(queue_id)
    if failure == "delivery refused":
        documents = [
            r["Properties"]["PolicyDocument"]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::SQS::QueuePolicy" and {"Ref": queue_id} in r["Properties"]["Queues"]
        ]
        request = Request(
            "sqs:SendMessage",
            queue_arn,
            {"Service": "events.amazonaws.com"},
            {"aws:SourceArn": resolve.arn(edge.rule_id), "aws:SecureTransport": "true"},
        )
        return decide(resolve(documents), request) == "allow"
    function_id = edge.lambda_target()
    assert function_id is not None
    role = f"arn:aws:iam::123456789012:role/{function_id}"
    request = Request("sqs:SendMessage", queue_arn, {"AWS": role}, {"aws:SecureTransport": "true"})
    return decide(resolve(role_policies(template, function_id)), request) == "allow"


@pytest.fixture(scope="module", params=list(CONFIGURATIONS))
def assembly(request, tmp_path_factory) -> Path:
    return synthesized(request.param, tmp_path_factory.getbasetemp() / "configurations")


def test_every_edge_keeps_what_the_readme_says_it_keeps(assembly: Path) -> None:
    found = edges(assembly)
    assert found, "no event source -> target edge found"
    for edge in found:
        assert edge.key in PROMISES, f"{edge.stack}: state what happens when {edge.key} fails (PROMISES)"
        promise = PROMISES[edge.key]
        failures = FAILURES if edge.lambda_target() else ("delivery refused",)
        for failure in failures:
            outcome = fate(edge, failure)
            if failure not in promise.kept:
                # A dropped event is a decision, stated with its reason, never an accident.
                assert promise.why_dropped_is_right, f"{edge.key} drops events on {failure}: say why (PROMISES)"
                assert outcome.kept_in is None, f"{edge.key} keeps events on {failure}: the README should say so"
                continue
            where = f"{edge.stack} {edge.key} on {failure} ({outcome.after})"
            assert outcome.kept_in is not None, f"{where}: the event is dropped"
            queue = edge.template["Resources"][outcome.kept_in]
            assert queue["Type"] == "AWS::SQS::Queue", where
            assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600, where
            assert may_send(edge, outcome.kept_in, failure), f"{where}: may not send to {outcome.kept_in}"
            home_stack = not satellite(edge.stack)
            # Alarms tell the home region's alarms topic (an alarm acts only in its own region).
            assert alarmed(edge.template, outcome.kept_in) or not home_stack, f"{where}: no alarm on the queue"


def test_the_poll_is_never_retried_on_top_of_its_schedule(assembly: Path) -> None:
    [edge] = [edge for edge in edges(assembly) if edge.key == ("PollerSchedule", "PollerPollFunction")]
    function_id = edge.lambda_target()
    assert function_id is not None
    config = {**LAMBDA_DEFAULTS, **invoke_config(edge.template, function_id)}
    rate = edge.template["Resources"][edge.rule_id]["Properties"]["ScheduleExpression"]
    minutes = int(rate.removeprefix("rate(").split(" ")[0])
    assert config["MaximumRetryAttempts"] == 0
    # The shortest age Lambda allows (60 s, AWS::Lambda::EventInvokeConfig), never past the next poll.
    assert config["MaximumEventAgeInSeconds"] == 60 <= minutes * 60
    for failure in ("function error", "function timeout", "function throttled"):
        assert fate(edge, failure).kept_in is None  # dropped: the next poll is the retry
