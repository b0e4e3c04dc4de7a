"""The real CDK CLI bootstraps and deploys the app into an embedded AWS (a moto server on localhost)."""

from __future__ import annotations

import boto3
import pytest

from notifier_local.cdk_cli import deploy
from notifier_local.server import embedded_aws

pytestmark = pytest.mark.infra


def test_cdk_bootstrap_and_deploy_create_a_working_stack(tmp_path) -> None:
    with embedded_aws() as aws:
        outputs = deploy(aws, tmp_path / "outputs.json", context={"notifyEmails": "ana@example.com"})
        session = boto3.session.Session(
            aws_access_key_id="embedded", aws_secret_access_key="embedded", region_name="us-east-1"
        )
        dynamodb = session.client("dynamodb", endpoint_url=aws.endpoint)
        table = dynamodb.describe_table(TableName=outputs["TableName"])["Table"]
        assert table["TableStatus"] == "ACTIVE"
        assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["active-jobs", "followers"]
        sns = session.client("sns", endpoint_url=aws.endpoint)
        assert sns.get_topic_attributes(TopicArn=outputs["TopicArn"])["Attributes"]["KmsMasterKeyId"]
        function = session.client("lambda", endpoint_url=aws.endpoint).get_function_configuration(
            FunctionName=outputs["FunctionName"]
        )
        assert function["Handler"] == "notifier.handlers.poll.handler"
        assert function["Runtime"] == "python3.14"
        assert function["Environment"]["Variables"]["TABLE_NAME"] == outputs["TableName"]
        assert function["Environment"]["Variables"]["TOPIC_ARN"] == outputs["TopicArn"]
