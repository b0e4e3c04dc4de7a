"""The synthesized template created in moto's CloudFormation: every resource comes up, wired as designed."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.infra.conftest import REGION, deploy_in_moto, synth_for_moto

pytestmark = pytest.mark.infra

MOTO_CFN_UNSUPPORTED = {
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::SQS::QueuePolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::Lambda::EventInvokeConfig",  # its properties are evaluated in tests/infra/test_invocation_semantics.py
}


@pytest.fixture(scope="module")
def assembly(tmp_path_factory) -> Path:
    return synth_for_moto(
        tmp_path_factory.mktemp("deploy"), {"notifyEmails": "ana@example.com", "failureEmails": "oncall@example.com"}
    )


def test_every_resource_is_created_and_wired(assembly: Path) -> None:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        deployed = deploy_in_moto(assembly, session)
        cloudformation = session.client("cloudformation")
        template = assembly / "PersonalizeJobNotifier.template.json"
        [stack] = cloudformation.describe_stacks(StackName="PersonalizeJobNotifier")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        resources = cloudformation.list_stack_resources(StackName="PersonalizeJobNotifier")["StackResourceSummaries"]
        declared = json.loads(template.read_text())["Resources"]
        assert {r["ResourceStatus"] for r in resources} == {"CREATE_COMPLETE"}
        # moto's CloudFormation creates no physical resource for a few types (it lists them nameless; their
        # properties are asserted on the template instead). Every other resource must really exist.
        supported = {logical_id for logical_id, r in declared.items() if r["Type"] not in MOTO_CFN_UNSUPPORTED}
        assert {r["LogicalResourceId"] for r in resources if r["ResourceType"]} == supported
        assert sum(1 for r in resources if not r["ResourceType"]) == len(declared) - len(supported)

        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        table = session.client("dynamodb").describe_table(TableName=outputs["TableName"])["Table"]
        assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["active-jobs", "followers"]
        topic = session.client("sns").get_topic_attributes(TopicArn=outputs["TopicArn"])["Attributes"]
        assert topic["KmsMasterKeyId"].startswith("arn:aws:kms:")
        function = session.client("lambda").get_function_configuration(FunctionName=outputs["FunctionName"])
        assert function["Environment"]["Variables"]["TABLE_NAME"] == outputs["TableName"]
        assert function["Environment"]["Variables"]["TOPIC_ARN"] == outputs["TopicArn"]
        # The layer parameter was resolved at deploy time (moto's CloudFormation ignores a function's Layers;
        # tests/infra/test_aws_edges.py checks them on the template).
        assert {p["ParameterValue"] for p in stack["Parameters"]} == {deployed.layer_arn}
