"""The table of what is watched: on-demand, point-in-time recovery, TTL for what ended, a sparse index of what is
under way, and a sparse index of the campaigns that follow a solution's latest version."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from notifier.adapters.items import ACTIVE_INDEX, FOLLOWERS_INDEX, FOLLOWS_ATTRIBUTE, TTL_ATTRIBUTE


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
            # Tracked jobs and their history are the user's record: keep them if the stack is deleted (RETAIN),
            # and refuse a DeleteTable from the console or the API until protection is turned off.
            removal_policy=RemovalPolicy.RETAIN,
            deletion_protection=True,
        )
        self.table.add_global_secondary_index(
            index_name=ACTIVE_INDEX,
            # Present only on jobs still polled, so a poll reads O(active), never the history.
            partition_key=dynamodb.Attribute(name="activeShard", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="lastCheckedAt", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.table.add_global_secondary_index(
            index_name=FOLLOWERS_INDEX,
            # Present only on campaigns syncing with their solution's latest version: a new ACTIVE version
            # finds the campaigns to wake with one query. Added to a deployed table in place (one GSI per update).
            partition_key=dynamodb.Attribute(name=FOLLOWS_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
