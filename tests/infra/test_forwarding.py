"""-c trackRegions=...: a stack per listed region forwards its Create... calls to the home region's bus.

Synthesized with cdk-nag, linted, its permissions evaluated as AWS would (EventBridge assumes the role, the
role may put events on the home bus and nowhere else), and created in moto's CloudFormation in its region.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.iam import ACCOUNT, Request, Resolver, decide
from tests.infra.conftest import cfn_lint, nag_report

pytestmark = pytest.mark.infra

HOME, ELSEWHERE = "us-east-1", ("eu-west-1", "us-west-2")
HOME_BUS = f"arn:aws:events:{HOME}:{ACCOUNT}:event-bus/default"


@pytest.fixture(scope="module")
def assembly(tmp_path_factory) -> Path:
    import os

    from app import build_app

    outdir = tmp_path_factory.mktemp("forwarding")
    saved = os.environ.get("CDK_DEFAULT_REGION")
    os.environ["CDK_DEFAULT_REGION"] = HOME  # what `cdk deploy` sets from the profile
    try:
        app, _ = build_app(
            {"notifyEmails": "ana@example.com", "trackRegions": ",".join(ELSEWHERE)}, nag=True, outdir=str(outdir)
        )
        app.synth()
    finally:
        if saved is None:
            os.environ.pop("CDK_DEFAULT_REGION")
        else:
            os.environ["CDK_DEFAULT_REGION"] = saved
    return outdir


def template(assembly: Path, name: str) -> dict:
    return json.loads((assembly / f"{name}.template.json").read_text())


def rules(stack: dict) -> list[dict]:
    return [r["Properties"] for r in stack["Resources"].values() if r["Type"] == "AWS::Events::Rule"]


def test_each_region_forwards_the_home_rule_s_calls_to_the_home_bus(assembly: Path) -> None:
    home = template(assembly, "PersonalizeJobNotifier")
    [home_rule] = [r for r in rules(home) if "EventPattern" in r]
    for region in ELSEWHERE:
        forwarder = template(assembly, f"PersonalizeJobNotifier-Forward-{region}")
        [rule] = rules(forwarder)
        assert rule["EventPattern"] == home_rule["EventPattern"]
        [target] = rule["Targets"]
        resolve = Resolver(forwarder, region=region)
        assert resolve(target["Arn"]) == HOME_BUS
        role_id = target["RoleArn"]["Fn::GetAtt"][0]
        trust = forwarder["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]
        assumed = Request("sts:AssumeRole", resolve.arn(role_id), {"Service": "events.amazonaws.com"})
        assert decide([trust], assumed) == "allow"
        policies = [
            resolve(r["Properties"]["PolicyDocument"])
            for r in forwarder["Resources"].values()
            if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        ]
        role = {"AWS": f"arn:aws:iam::{ACCOUNT}:role/{role_id}"}
        assert decide(policies, Request("events:PutEvents", HOME_BUS, role)) == "allow"
        elsewhere_bus = HOME_BUS.replace(HOME, region)
        assert decide(policies, Request("events:PutEvents", elsewhere_bus, role)) == "implicit-deny"


def test_the_forwarders_pass_cdk_nag_and_cfn_lint(assembly: Path) -> None:
    report = nag_report(assembly)
    assert (report["conclusion"], report["violations"]) == ("success", [])
    for region in ELSEWHERE:
        assert cfn_lint(assembly / f"PersonalizeJobNotifier-Forward-{region}.template.json") == ""


def test_a_forwarder_is_created_in_its_region(assembly: Path) -> None:
    region = ELSEWHERE[0]
    with mock_aws():
        session = boto3.session.Session(region_name=region)
        cloudformation = session.client("cloudformation")
        body = template(assembly, f"PersonalizeJobNotifier-Forward-{region}")
        body.get("Parameters", {}).pop("BootstrapVersion", None)
        body.get("Rules", {}).pop("CheckBootstrapVersion", None)
        cloudformation.create_stack(StackName="Forward", TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_IAM"])
        [stack] = cloudformation.describe_stacks(StackName="Forward")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        [rule] = session.client("events").list_rules()["Rules"]
        [target] = session.client("events").list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert target["Arn"] == HOME_BUS


@pytest.mark.parametrize(
    ("context", "region", "message"),
    [
        ({"trackRegions": "eu-west"}, HOME, "trackRegions: 'eu-west' is not an AWS region name"),
        # Spelt like a region, which none is: not a stack ...-Forward-eu-wset-1.
        (
            {"trackRegions": "eu-wset-1"},
            HOME,
            "trackRegions: 'eu-wset-1' is not a region Amazon Personalize runs in (did you mean eu-west-1?)",
        ),
        # A region, where Personalize does not run: no "did you mean" another one.
        (
            {"trackRegions": "af-south-1"},
            HOME,
            "trackRegions: 'af-south-1' is not a region Amazon Personalize runs in (botocore",
        ),
        # Each condition is named alone.
        ({"trackRegions": HOME}, HOME, f"trackRegions {HOME!r} is this stack's own region"),
        ({"trackRegions": "eu-west-1", "autoTrack": "false"}, HOME, "which autoTrack=false turns off"),
        ({"trackRegions": "eu-west-1"}, None, "forwards to this stack's region, which is not known here"),
    ],
)
def test_a_forwarding_that_cannot_work_stops_synth(
    monkeypatch, context: dict, region: str | None, message: str
) -> None:
    from app import build_app

    if region is None:
        monkeypatch.delenv("CDK_DEFAULT_REGION", raising=False)
    else:
        monkeypatch.setenv("CDK_DEFAULT_REGION", region)
    with pytest.raises(SystemExit) as stopped:
        build_app(context, nag=False)
    assert message in str(stopped.value)
