"""The tracked-jobs table: on-demand, point-in-time recovery, TTL for finished jobs, a sparse index of active ones."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from notifier.store import ACTIVE_INDEX, TTL_ATTRIBUTE


class JobsTable(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="jobArn", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            # Tracked jobs and their history are the user's record: keep them if the stack is deleted.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.table.add_global_secondary_index(
            index_name=ACTIVE_INDEX,
            # Present only on jobs still polled, so a poll reads O(active), never the history.
            partition_key=dynamodb.Attribute(name="activeShard", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="lastCheckedAt", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
