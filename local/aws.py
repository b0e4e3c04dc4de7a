"""Embedded-AWS helpers: the table as the stack defines it, a queue that subscribes as a person would, and
another account of the organization as its admin reaches it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from notifier.adapters.items import ACTIVE_INDEX, FOLLOWERS_INDEX, FOLLOWS_ATTRIBUTE, TTL_ATTRIBUTE

ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole"


def account_admin(account: str, region: str = "us-east-1") -> boto3.session.Session:
    """Another account of the organization, as the organization's admin reaches it: through the role AWS
    Organizations creates in the accounts it creates (moto switches accounts on sts:AssumeRole)."""
    credentials = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ORGANIZATION_ACCESS_ROLE}", RoleSessionName="organization-admin"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def create_watch_table(dynamodb: Any, name: str) -> None:
    """The table of what is watched with its two sparse indexes (mirrors infra's storage construct)."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "jobArn", "AttributeType": "S"},
            {"AttributeName": "activeShard", "AttributeType": "S"},
            {"AttributeName": "lastCheckedAt", "AttributeType": "S"},
            {"AttributeName": FOLLOWS_ATTRIBUTE, "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "jobArn", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": ACTIVE_INDEX,
                "KeySchema": [
                    {"AttributeName": "activeShard", "KeyType": "HASH"},
                    {"AttributeName": "lastCheckedAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": FOLLOWERS_INDEX,
                "KeySchema": [{"AttributeName": FOLLOWS_ATTRIBUTE, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )


@dataclass(frozen=True)
class Delivered:
    """One SNS delivery as an SQS subscriber receives it."""

    subject: str | None
    body: str
    attributes: dict[str, str]

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.body)


class QueueSubscriber:
    """An SQS queue subscribed to a topic (optionally with a filter policy), read back message by message."""

    def __init__(
        self, sns: Any, sqs: Any, topic_arn: str, name: str, filter_policy: dict[str, Any] | None = None
    ) -> None:
        self._sqs = sqs
        self.queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        attributes = {"FilterPolicy": json.dumps(filter_policy)} if filter_policy else {}
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)

    def receive_all(self) -> list[Delivered]:
        delivered: list[Delivered] = []
        while True:
            response = self._sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = response.get("Messages", [])
            if not messages:
                return delivered
            for message in messages:
                envelope = json.loads(message["Body"])
                delivered.append(
                    Delivered(
                        subject=envelope.get("Subject"),
                        body=envelope["Message"],
                        attributes={
                            name: value["Value"] for name, value in envelope.get("MessageAttributes", {}).items()
                        },
                    )
                )
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
