"""The synthesized template created in moto's CloudFormation: every resource comes up, wired as designed."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra.settings import POWERTOOLS_LAYER_PARAMETER
from notifier_local.server import serve_powertools_layer

pytestmark = pytest.mark.infra

ACCOUNT, REGION = "123456789012", "us-east-1"
MOTO_CFN_UNSUPPORTED = {
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::SQS::QueuePolicy",
    "AWS::CloudWatch::Alarm",
}


@pytest.fixture(scope="module")
def assembly(tmp_path_factory) -> Path:
    import aws_cdk as cdk

    from app import build_app

    outdir = tmp_path_factory.mktemp("deploy")
    app, _ = build_app(
        {"notifyEmails": "ana@example.com", "failureEmails": "oncall@example.com"},
        nag=False,
        # No bootstrap stack in this in-process account: skip the BootstrapVersion check.
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
        outdir=str(outdir),
    )
    app.synth()
    return outdir


def upload_assets(assembly: Path, s3) -> None:
    """What `cdk deploy` does before creating the stack: zip each directory asset into the asset bucket."""
    [manifest] = assembly.glob("*.assets.json")
    for asset in json.loads(manifest.read_text())["files"].values():
        source = assembly / asset["source"]["path"]
        for destination in asset["destinations"].values():
            bucket = destination["bucketName"].replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", REGION)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                if source.is_dir():
                    for path in sorted(source.rglob("*")):
                        archive.write(path, path.relative_to(source))
                else:
                    archive.write(source, source.name)
            if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
                s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=buffer.getvalue())


def test_every_resource_is_created_and_wired(assembly: Path) -> None:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        upload_assets(assembly, session.client("s3"))
        # The stack resolves Powertools' public parameter at deploy time (moto fails the create without it).
        layer_arn = serve_powertools_layer(POWERTOOLS_LAYER_PARAMETER, session.client("lambda"))
        cloudformation = session.client("cloudformation")
        [template] = assembly.glob("*.template.json")
        cloudformation.create_stack(
            StackName="PersonalizeJobNotifier",
            TemplateBody=template.read_text(),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
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
        assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["active-jobs"]
        topic = session.client("sns").get_topic_attributes(TopicArn=outputs["TopicArn"])["Attributes"]
        assert topic["KmsMasterKeyId"].startswith("arn:aws:kms:")
        function = session.client("lambda").get_function_configuration(FunctionName=outputs["FunctionName"])
        assert function["Environment"]["Variables"]["TABLE_NAME"] == outputs["TableName"]
        assert function["Environment"]["Variables"]["TOPIC_ARN"] == outputs["TopicArn"]
        # moto's CloudFormation ignores a function's Layers; tests/infra/test_aws_edges.py checks them on the template.
        assert {p["ParameterValue"] for p in stack["Parameters"]} == {layer_arn}
