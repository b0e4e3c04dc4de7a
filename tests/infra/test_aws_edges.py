"""What AWS enforces and moto does not, checked on the synthesized template as AWS would evaluate it.

- Every edge where an AWS service acts on a stack resource (CloudWatch alarms publishing to a topic and using
  its key, EventBridge invoking a Lambda or writing to a dead-letter queue, Lambda and Amazon Q Developer in
  chat applications assuming their roles) is allowed by that resource's policy documents, with intrinsic
  functions resolved; no Deny applies.
- Alarm messages (no message attributes) reach every email recipient: no filter policy stands in the way.
- The Powertools layer is resolved at deploy time from the public parameter of the pinned release.
- Every feature flag in cdk.json is one the pinned aws-cdk-lib defines.
"""

from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import aws_cdk
import pytest
from aws_cdk.assertions import Template

from infra.settings import POWERTOOLS_VERSION
from tests.iam import ACCOUNT, Request, Resolver, decide
from tests.infra.conftest import FULL_CONTEXT, satellite
from tests.infra.options import CONFIGURATIONS, EXAMPLES, options_the_app_reads, synthesized

pytestmark = pytest.mark.infra

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Edge:
    """A service principal acting on one of the stack's resources, on behalf of another of them."""

    principal: str
    action: str
    resource: str  # logical ID of the resource acted on
    source: str  # logical ID of the resource on whose behalf (the alarm, the rule)

    def __str__(self) -> str:
        return f"{self.principal} {self.action} on {self.resource} for {self.source}"


@pytest.fixture(scope="module", params=list(CONFIGURATIONS))
def template(request, tmp_path_factory) -> dict:
    """The notifier stack's template in each configuration of the matrix (tests/infra/options.py)."""
    assembly = synthesized(request.param, tmp_path_factory.getbasetemp() / "configurations")
    [path] = [path for path in assembly.glob("*.template.json") if not satellite(path.name)]
    return json.loads(path.read_text())


def test_every_option_the_app_reads_is_in_the_matrix() -> None:
    # A new option gets an example value in tests/infra/options.py, and so runs through every matrix test.
    covered = {key for values in EXAMPLES.values() for key in values}
    assert covered == options_the_app_reads()
    assert len(CONFIGURATIONS) == len(EXAMPLES) + 3


def _logical_id(reference: dict) -> str:
    return reference["Ref"] if "Ref" in reference else reference["Fn::GetAtt"][0]


def service_edges(template: dict) -> list[Edge]:
    """Every place the template asks an AWS service to act on one of its resources."""
    resources = template["Resources"]
    edges = []
    for alarm_id, alarm in resources.items():
        if alarm["Type"] != "AWS::CloudWatch::Alarm":
            continue
        for action in alarm["Properties"].get("AlarmActions", []):
            topic_id = _logical_id(action)
            edges.append(Edge("cloudwatch.amazonaws.com", "sns:Publish", topic_id, alarm_id))
            key = resources[topic_id]["Properties"].get("KmsMasterKeyId")
            if key is not None:  # SNS uses the topic's key on the publisher's behalf
                edges += [
                    Edge("cloudwatch.amazonaws.com", action, _logical_id(key), alarm_id)
                    for action in ("kms:GenerateDataKey", "kms:Decrypt")
                ]
    for rule_id, rule in resources.items():
        if rule["Type"] != "AWS::Events::Rule":
            continue
        for target in rule["Properties"].get("Targets", []):
            target_id = _logical_id(target["Arn"])
            kind = resources[target_id]["Type"]
            if kind == "AWS::Events::ApiDestination":
                # EventBridge calls an API destination with the target's role (its trust checked here, its
                # events:InvokeApiDestination in tests/infra/test_webhooks.py).
                edges.append(Edge("events.amazonaws.com", "sts:AssumeRole", _logical_id(target["RoleArn"]), rule_id))
            else:
                assert kind == "AWS::Lambda::Function", f"no check for a {target_id} target"
                edges.append(Edge("events.amazonaws.com", "lambda:InvokeFunction", target_id, rule_id))
            if "DeadLetterConfig" in target:
                queue_id = _logical_id(target["DeadLetterConfig"]["Arn"])
                edges.append(Edge("events.amazonaws.com", "sqs:SendMessage", queue_id, rule_id))
    # Services that act with a role of the stack's: the role's trust policy must let them assume it.
    role_users = {"AWS::Lambda::Function": ("Role", "lambda.amazonaws.com")}
    role_users["AWS::Chatbot::SlackChannelConfiguration"] = ("IamRoleArn", "chatbot.amazonaws.com")
    role_users["AWS::Chatbot::MicrosoftTeamsChannelConfiguration"] = ("IamRoleArn", "chatbot.amazonaws.com")
    for user_id, user in resources.items():
        if user["Type"] in role_users:
            attribute, principal = role_users[user["Type"]]
            edges.append(Edge(principal, "sts:AssumeRole", _logical_id(user["Properties"][attribute]), user_id))
    return edges


def resource_policies(template: dict, logical_id: str) -> list[dict]:
    """The policy documents AWS evaluates for a call on this resource, as the template declares them.

    A topic or queue without a policy resource keeps its default policy, which allows only the owner
    account's principals: for a service principal, no document allows anything.
    """
    resources = template["Resources"]
    resource = resources[logical_id]
    kind = resource["Type"]
    if kind == "AWS::KMS::Key":
        return [resource["Properties"]["KeyPolicy"]]
    if kind == "AWS::IAM::Role":
        return [resource["Properties"]["AssumeRolePolicyDocument"]]
    if kind in ("AWS::SNS::Topic", "AWS::SQS::Queue"):
        policy_type, listed = (
            ("AWS::SNS::TopicPolicy", "Topics") if kind == "AWS::SNS::Topic" else ("AWS::SQS::QueuePolicy", "Queues")
        )
        return [
            r["Properties"]["PolicyDocument"]
            for r in resources.values()
            if r["Type"] == policy_type and {"Ref": logical_id} in r["Properties"][listed]
        ]
    if kind == "AWS::Lambda::Function":
        # Each AWS::Lambda::Permission is one statement of the function's resource-based policy.
        statements = []
        for permission in resources.values():
            properties = permission.get("Properties", {})
            if permission["Type"] != "AWS::Lambda::Permission" or _logical_id(properties["FunctionName"]) != logical_id:
                continue
            condition = {"ArnLike": {"AWS:SourceArn": properties["SourceArn"]}} if "SourceArn" in properties else {}
            if "SourceAccount" in properties:
                condition["StringEquals"] = {"AWS:SourceAccount": properties["SourceAccount"]}
            statements.append(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": properties["Principal"]},
                    "Action": properties["Action"],
                    "Resource": {"Fn::GetAtt": [logical_id, "Arn"]},
                    "Condition": condition,
                }
            )
        return [{"Statement": statements}] if statements else []
    raise AssertionError(f"no resource policy model for {kind}")


def evaluate(template: dict, edge: Edge, source_arn: str | None = None, account: str = ACCOUNT) -> str:
    resolve = Resolver(template)
    context = {"aws:SourceAccount": account, "aws:SecureTransport": "true"}  # services call each other over TLS
    if edge.action != "sts:AssumeRole":  # (a service assuming a role names no source resource here)
        context["aws:SourceArn"] = source_arn or resolve.arn(edge.source)
    request = Request(
        action=edge.action, resource=resolve.arn(edge.resource), principal={"Service": edge.principal}, context=context
    )
    return decide(resolve(resource_policies(template, edge.resource)), request)


def test_every_service_that_acts_on_a_stack_resource_is_allowed_to(template: dict) -> None:
    edges = service_edges(template)
    refused = [f"{edge}: {evaluate(template, edge)}" for edge in edges if evaluate(template, edge) != "allow"]
    assert not refused, "\n".join(refused)
    # The walk found what the stack wires (so this test cannot pass on an empty list).
    kinds = {(edge.principal, edge.action) for edge in edges}
    chat = {"AWS::Chatbot::SlackChannelConfiguration", "AWS::Chatbot::MicrosoftTeamsChannelConfiguration"}
    slack = any(r["Type"] in chat for r in template["Resources"].values())
    webhooks = any(r["Type"] == "AWS::Events::ApiDestination" for r in template["Resources"].values())
    assert kinds == {
        ("cloudwatch.amazonaws.com", "sns:Publish"),
        ("cloudwatch.amazonaws.com", "kms:GenerateDataKey"),
        ("cloudwatch.amazonaws.com", "kms:Decrypt"),
        ("events.amazonaws.com", "lambda:InvokeFunction"),
        ("events.amazonaws.com", "sqs:SendMessage"),
        ("lambda.amazonaws.com", "sts:AssumeRole"),
        *([("chatbot.amazonaws.com", "sts:AssumeRole")] if slack else []),
        *([("events.amazonaws.com", "sts:AssumeRole")] if webhooks else []),
    }
    alarms = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert sum(edge.action == "sns:Publish" for edge in edges) == len(alarms) >= 4


def test_only_this_stacks_alarms_in_this_account_may_publish(template: dict) -> None:
    [edge, *_] = [edge for edge in service_edges(template) if edge.action == "sns:Publish"]
    elsewhere = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:SomeoneElsesAlarm"
    assert evaluate(template, edge, source_arn=elsewhere) == "implicit-deny"
    assert evaluate(template, edge, account="210987654321") == "implicit-deny"


def test_alarm_messages_reach_every_email_recipient_unfiltered(synth) -> None:
    template = synth(FULL_CONTEXT).to_json()
    resources = template["Resources"]
    recipients = set(FULL_CONTEXT["notifyEmails"].split(",")) | set(FULL_CONTEXT["failureEmails"].split(","))
    alarm_topics = {
        _logical_id(action)
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        for action in r["Properties"]["AlarmActions"]
    }
    assert alarm_topics
    for topic in alarm_topics:
        # An alarm message has no message attributes, and "an empty set of attributes results in the filter
        # not matching" (SNS developer guide, attribute key matching): only an unfiltered subscription gets it.
        reached = {
            r["Properties"]["Endpoint"]
            for r in resources.values()
            if r["Type"] == "AWS::SNS::Subscription"
            and r["Properties"]["TopicArn"] == {"Ref": topic}
            and r["Properties"]["Protocol"] == "email"
            and "FilterPolicy" not in r["Properties"]
        }
        assert reached == recipients, topic


def test_alarm_names_say_whose_alarm_it_is() -> None:
    # CloudWatch's email subject is 'ALARM: "<alarm name>" in <region>'.
    from app import build_app

    _, stack = build_app({"stackName": "RetailNotifier"}, nag=False)
    names = [
        r["Properties"]["AlarmName"]
        for r in Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values()
    ]
    assert names and all(re.fullmatch(r"RetailNotifier-[A-Za-z]+", name) for name in names), names


@pytest.mark.parametrize("context", [{}, FULL_CONTEXT], ids=["defaults", "channels"])
def test_powertools_layer_is_the_pinned_release_resolved_at_deploy_time(synth, context: dict) -> None:
    template = synth(context).to_json()
    # The release the tests run (requirements-dev.txt), the one the Lambda-runtime test's layer holds
    # (requirements-lambda-layer.txt) and the one the stack deploys are one release.
    pins = {
        name: re.search(r"aws-lambda-powertools\[\w+\]==([\d.]+)", (REPO / name).read_text())
        for name in ("requirements-dev.txt", "requirements-lambda-layer.txt")
    }
    assert {name: pin and pin.group(1) for name, pin in pins.items()} == dict.fromkeys(pins, POWERTOOLS_VERSION)
    assert version("aws-lambda-powertools") == POWERTOOLS_VERSION
    functions = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert functions
    for function in functions:
        [layer] = function["Layers"]
        parameter = template["Parameters"][layer["Ref"]]
        [architecture] = function["Architectures"]
        assert parameter == {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": f"/aws/service/powertools/python/{architecture}/{function['Runtime']}/{POWERTOOLS_VERSION}",
        }
    assert "017000801446" not in json.dumps(template)  # no layer account or partition written in


def test_a_given_layer_arn_overrides_the_parameter(synth) -> None:
    arn = "arn:aws-cn:lambda:cn-north-1:498634801083:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:37"
    template = synth({"powertoolsLayerArn": arn}).to_json()
    for function in template["Resources"].values():
        if function["Type"] == "AWS::Lambda::Function":
            assert function["Properties"]["Layers"] == [arn]
    assert not [p for p in template.get("Parameters", {}).values() if "powertools" in p.get("Default", "")]


def defined_feature_flags() -> set[str]:
    """The feature flags the installed aws-cdk-lib defines (cx-api/lib/features.js in its jsii bundle)."""
    [bundle] = (Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz")
    with tarfile.open(bundle) as archive:
        source = archive.extractfile("package/cx-api/lib/features.js").read().decode()  # type: ignore[union-attr]
    return set(re.findall(r'"(@aws-cdk(?:-containers)?/[\w.-]+:[\w.-]+)"', source))


def test_every_feature_flag_in_cdk_json_is_one_aws_cdk_lib_defines() -> None:
    defined = defined_feature_flags()
    assert "@aws-cdk/aws-lambda:recognizeLayerVersion" in defined and len(defined) > 100
    context = json.loads((REPO / "cdk.json").read_text())["context"]
    unknown = sorted(key for key in context if key.startswith("@aws-cdk") and key not in defined)
    assert not unknown, f"cdk.json sets flags aws-cdk-lib {aws_cdk.__version__} does not define: {unknown}"
