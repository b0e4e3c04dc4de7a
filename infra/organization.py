"""One notifier for every account of an AWS Organization (-c organizationId=o-...).

Personalize's calls reach EventBridge only as CloudTrail records, in the caller's account and region. A rule
in another account may send them to a bus here once its policy admits the sender and the rule names a role
("If you grant permissions using an organization, then accounts in that organization must specify a RoleArn",
EventBridge PutPermission), across regions too, in one hop: an event received from another account is not
sent on to a third ("Sending and receiving events between AWS accounts", EventBridge user guide). So every
member region's rule targets this stack's bus directly; the region forwarders carry this account's calls only.

The central side (this module's MemberEvents, and the fixed names of the poll and track roles) lives in the
notifier's stack; the member side is MemberStack, one asset-free template that StackSets deploy as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudformation as cloudformation
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from notifier.domain.cadence import CADENCE_LISTS
from notifier.domain.kinds import KINDS, SOLUTION_METRICS_ACTION

from .cloudtrail import watched_calls
from .context_values import ContextError
from .queues import kept_events_queue
from .settings import DeploySettings

ROLE_NAME_MAX = 64  # iam CreateRole RoleName (botocore's model)
# The names the member template and the central stack share: the reader role (in each member account), the
# central poll and track roles it trusts, and the central bus member accounts send their calls to.
READER_SUFFIX, POLL_SUFFIX, TRACK_SUFFIX, BUS_SUFFIX = "-Reader", "-Poll", "-Track", "-MemberCalls"


@dataclass(frozen=True)
class OrganizationNames:
    """The names both sides agree on: the member template trusts the central roles by ARN, so they are fixed."""

    poll_role: str
    track_role: str
    member_role: str
    bus: str

    @classmethod
    def of(cls, prefix: str) -> OrganizationNames:
        longest = max(POLL_SUFFIX, TRACK_SUFFIX, READER_SUFFIX, key=len)
        if len(prefix) + len(longest) > ROLE_NAME_MAX:
            raise ContextError(
                f"stackName {prefix!r} is {len(prefix)} characters; with organizationId it may have "
                f"{ROLE_NAME_MAX - len(longest)} at most (IAM role names, such as ...{longest}, have {ROLE_NAME_MAX})"
            )
        return cls(
            poll_role=f"{prefix}{POLL_SUFFIX}",
            track_role=f"{prefix}{TRACK_SUFFIX}",
            member_role=f"{prefix}{READER_SUFFIX}",
            bus=f"{prefix}{BUS_SUFFIX}",
        )

    def central_role_arns(self, partition: str, account: str) -> list[str]:
        return [f"arn:{partition}:iam::{account}:role/{name}" for name in (self.poll_role, self.track_role)]


def member_environment(settings: DeploySettings, names: OrganizationNames) -> dict[str, str]:
    """What tells the poll and track functions to read other accounts' ARNs through the member role."""
    environment = {"MEMBER_ROLE_NAME": names.member_role}
    if settings.member_external_id:
        environment["MEMBER_EXTERNAL_ID"] = settings.member_external_id
    return environment


def allow_assuming_member_role(role: iam.IRole, settings: DeploySettings, names: OrganizationNames) -> None:
    """sts:AssumeRole on the member role, in the organization's accounts only (aws:ResourceOrgID: the role's
    account's organization, a global condition key IAM puts in the context of sts:AssumeRole)."""
    stack = cdk.Stack.of(role)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="ReadMemberAccounts",
            actions=["sts:AssumeRole"],
            resources=[
                stack.format_arn(
                    service="iam", region="", account="*", resource="role", resource_name=names.member_role
                )
            ],
            conditions={"StringEquals": {"aws:ResourceOrgID": settings.organization_id}},
        )
    )
    partition = "<AWS::Partition>" if cdk.Token.is_unresolved(stack.partition) else stack.partition
    cdk.Validations.of(role).acknowledge(
        cdk.Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:iam::*:role/{names.member_role}]",
            reason="Member accounts join the organization after deploy: the role is named, the account is any "
            "of the organization's (aws:ResourceOrgID).",
        )
    )


class MemberEvents(Construct):
    """The bus member accounts send their Personalize calls to: the organization's accounts may put events
    there, and only CloudTrail's records of Personalize calls."""

    def __init__(self, scope: Construct, construct_id: str, *, organization_id: str, bus_name: str) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(
            self, "Bus", event_bus_name=bus_name, description="Personalize calls of member accounts"
        )
        # Principal * narrowed by aws:PrincipalOrgID (EventBridge's way to admit an organization) and by the
        # event's source and detail-type (the events:source and events:detail-type keys of PutEvents, one value a
        # put entry, "Example policy: Send events to a custom bus in a different account", EventBridge user
        # guide). ForAllValues holds for a request without the key at all (IAM User Guide, "Multivalued context
        # keys"): Null false requires both keys to be there, so an entry must name its source and detail-type.
        self.bus.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationPersonalizeCalls",
                principals=[iam.StarPrincipal()],
                actions=["events:PutEvents"],
                resources=[self.bus.event_bus_arn],
                conditions={
                    "StringEquals": {"aws:PrincipalOrgID": organization_id},
                    "Null": {"events:source": "false", "events:detail-type": "false"},
                    "ForAllValues:StringEquals": {
                        "events:source": ["aws.personalize"],
                        "events:detail-type": ["AWS API Call via CloudTrail"],
                    },
                },
            )
        )


def reader_actions() -> tuple[list[str], list[str]]:
    """Everything the notifier reads of a member's Personalize, and nothing that changes anything: the
    Describe actions of every watched kind, DescribeDataset (an export's parent) and GetSolutionMetrics (a trained
    version's quality); their List actions."""
    described = {f"personalize:{kind.described_by}" for kind in KINDS.values()} | {
        "personalize:DescribeDataset",
        f"personalize:{SOLUTION_METRICS_ACTION}",
    }
    listed = {f"personalize:{kind.listed_by}" for kind in KINDS.values()} | {f"personalize:{a}" for a in CADENCE_LISTS}
    return sorted(described), sorted(listed)


class MemberStack(cdk.Stack):
    """What a member account deploys, in each region it runs Personalize in: a rule sending Personalize's calls
    to the central bus, and (in one region: IAM is global) the read-only role the central functions assume.

    Asset-free, environment-agnostic and needing no CDK bootstrap, so StackSets deploy its template as it is.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        names: OrganizationNames,
        central_account: str,
        central_region: str,
        **kwargs: object,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            synthesizer=cdk.BootstraplessSynthesizer(),
            description=f"Personalize job notifier, member account: sends Personalize calls to {central_account} "
            "and lets its notifier read them",
            **kwargs,
        )
        role_region = cdk.CfnParameter(
            self,
            "ReaderRoleRegion",
            default=central_region,
            description="The one region whose stack creates the notifier's read-only role (IAM roles are global)",
        )
        # Deployed in the notifier's own account (`cdk deploy --all` there, a StackSet reaching it), the stack makes
        # nothing: that account's calls are heard by its own rule, and a second route would deliver them twice.
        in_member = cdk.CfnCondition(
            self,
            "InMemberAccount",
            expression=cdk.Fn.condition_not(cdk.Fn.condition_equals(cdk.Aws.ACCOUNT_ID, central_account)),
        )
        in_role_region = cdk.CfnCondition(
            self,
            "CreatesReaderRole",
            expression=cdk.Fn.condition_and(
                in_member, cdk.Fn.condition_equals(cdk.Aws.REGION, role_region.value_as_string)
            ),
        )
        central_roles = names.central_role_arns(self.partition, central_account)
        described, listed = reader_actions()
        trust: dict[str, object] = {"ArnEquals": {"aws:PrincipalArn": central_roles}}
        if settings.member_external_id:
            trust["StringEquals"] = {"sts:ExternalId": settings.member_external_id}
        # Trusting the central account, narrowed to the two roles' ARNs: a principal naming the roles would
        # turn into their unique IDs, and a role deleted and re-created would silently lose the trust.
        self.reader = iam.CfnRole(
            self,
            "Reader",
            role_name=names.member_role,
            description="Lets the Personalize job notifier read this account's Personalize jobs and resources",
            assume_role_policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:{self.partition}:iam::{central_account}:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": trust,
                    }
                ],
            },
            policies=[
                iam.CfnRole.PolicyProperty(
                    policy_name="ReadPersonalize",
                    policy_document={
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DescribePersonalize",
                                "Effect": "Allow",
                                "Action": described,
                                "Resource": f"arn:{self.partition}:personalize:*:{self.account}:*",
                            },
                            {
                                "Sid": "ListPersonalize",
                                "Effect": "Allow",
                                "Action": listed,
                                "Resource": "*",  # Personalize's List actions take no resource ARN
                            },
                            # The requests its campaigns and recommenders answered (the hourly usage reading):
                            # GetMetricData has no resource types (Service Authorization Reference, CloudWatch).
                            *(
                                [
                                    {
                                        "Sid": "ReadServedRequests",
                                        "Effect": "Allow",
                                        "Action": "cloudwatch:GetMetricData",
                                        "Resource": "*",
                                    }
                                ]
                                if settings.usage_monitoring
                                else []
                            ),
                        ],
                    },
                )
            ],
        )
        self.reader.cfn_options.condition = in_role_region
        cdk.Validations.of(self.reader).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="Personalize's List actions and CloudWatch's GetMetricData take no resource ARN; the role may "
                "only read.",
            ),
            cdk.Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:personalize:*:<AWS::AccountId>:*]",
                reason="The notifier reads whichever of this account's Personalize jobs and resources it is told "
                "of, in any region: their names are not known when this stack is deployed.",
            ),
        )
        if settings.auto_track:
            self._send_calls(names, central_account, central_region)
        for child in self.node.find_all():
            if isinstance(child, cdk.CfnResource) and child.cfn_options.condition is None:
                child.cfn_options.condition = in_member
        # A stack needs one resource whatever its conditions say: a handle that does nothing and costs nothing.
        cdk.CfnResource(self, "Placeholder", type="AWS::CloudFormation::WaitConditionHandle")

    def _send_calls(self, names: OrganizationNames, central_account: str, central_region: str) -> None:
        central_bus = events.EventBus.from_event_bus_arn(
            self,
            "CentralBus",
            f"arn:{self.partition}:events:{central_region}:{central_account}:event-bus/{names.bus}",
        )
        self.dead_letters = kept_events_queue(
            self, "ForwardDeadLetters", "the dead-letter queue of the rule sending Personalize calls to the notifier"
        )
        # targets.EventBus makes the role EventBridge sends with: events:PutEvents on the central bus only.
        self.rule = events.Rule(
            self,
            "PersonalizeCalls",
            description="Personalize API calls recorded by CloudTrail, sent to the organization's job notifier",
            event_pattern=watched_calls(),
            targets=[targets.EventBus(central_bus, dead_letter_queue=self.dead_letters)],
        )


def member_template(
    stack_id: str, settings: DeploySettings, names: OrganizationNames, central_account: str, central_region: str
) -> str:
    """The member template as StackSets take it (TemplateBody): the app's `stack_id` stack, synthesized alike in an
    app of its own (names derived from the stack's path, such as a queue policy's Sid, come out the same)."""
    app = cdk.App()
    stack = MemberStack(
        app, stack_id, settings=settings, names=names, central_account=central_account, central_region=central_region
    )
    return json.dumps(app.synth().get_stack_by_name(stack.stack_name).template, separators=(",", ":"))


def member_stack_set(
    scope: Construct, construct_id: str, *, settings: DeploySettings, template_body: str, regions: list[str]
) -> cloudformation.CfnStackSet:
    """A service-managed StackSet of the member template: every account of the OUs but this one, the new ones as
    they join (automatic deployment), each in `regions`; the read-only role in the first of them unless this
    stack's region is one. Service-managed StackSets skip the management account.

    A failed instance (an account whose SCP refuses IAM, say) does not fail this stack (failure tolerance 100%):
    the StackSet's console lists each account's instance and why it failed."""
    stack = cdk.Stack.of(scope)
    role_region = stack.region if stack.region in regions else regions[0]
    return cloudformation.CfnStackSet(
        scope,
        construct_id,
        stack_set_name=f"{cdk.Stack.of(scope).stack_name}-Member",
        description="Personalize job notifier: each member account's rule and read-only role",
        permission_model="SERVICE_MANAGED",
        auto_deployment=cloudformation.CfnStackSet.AutoDeploymentProperty(
            enabled=True, retain_stacks_on_account_removal=False
        ),
        call_as=settings.member_stack_set_call_as,
        capabilities=["CAPABILITY_NAMED_IAM"],
        template_body=template_body,
        managed_execution={"Active": True},
        operation_preferences=cloudformation.CfnStackSet.OperationPreferencesProperty(
            failure_tolerance_percentage=100, max_concurrent_percentage=100, region_concurrency_type="PARALLEL"
        ),
        parameters=[
            cloudformation.CfnStackSet.ParameterProperty(parameter_key="ReaderRoleRegion", parameter_value=role_region)
        ],
        stack_instances_group=[
            cloudformation.CfnStackSet.StackInstancesProperty(
                # This account, if it is in an OU (a delegated administrator's), is left out: it hears itself.
                deployment_targets=cloudformation.CfnStackSet.DeploymentTargetsProperty(
                    organizational_unit_ids=list(settings.member_ous),
                    account_filter_type="DIFFERENCE",
                    accounts=[stack.account],
                ),
                regions=regions,
            )
        ],
    )
