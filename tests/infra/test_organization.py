"""-c organizationId=o-...: one notifier for an organization's accounts, evaluated as AWS would evaluate it.

The central stack's bus admits the organization's accounts, and only Personalize's CloudTrail calls; each
member's rule may put events on that bus and nowhere else; the member role trusts the central poll and track
roles (by ARN, with the external ID) and nobody else; the central roles may assume it in the organization's
accounts only; it may read Personalize and change nothing. The member template passes cdk-nag and cfn-lint,
needs no asset and no bootstrap, and is created in a member account's CloudFormation in moto.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import botocore.session
import pytest
from moto import mock_aws

from notifier_local.aws import account_admin
from tests.iam import Request, Resolver, decide
from tests.infra.conftest import cfn_lint, nag_report
from tests.infra.options import EXAMPLES

pytestmark = pytest.mark.infra

CENTRAL, MEMBER, STRANGER = "123456789012", "210987654321", "999999999999"
ORGANIZATION, OTHER_ORGANIZATION = "o-a1b2c3d4e5", "o-zzzzzzzzzz"
REGION = "us-east-1"
CONTEXT = {**EXAMPLES["organization"], "notifyEmails": "ana@example.com", "trackRegions": "eu-west-1"}
EXTERNAL_ID = CONTEXT["memberExternalId"]
CENTRAL_BUS = f"arn:aws:events:{REGION}:{CENTRAL}:event-bus/PersonalizeJobNotifier-MemberCalls"
POLL_ROLE = f"arn:aws:iam::{CENTRAL}:role/PersonalizeJobNotifier-Poll"
TRACK_ROLE = f"arn:aws:iam::{CENTRAL}:role/PersonalizeJobNotifier-Track"
READER = "PersonalizeJobNotifier-Reader"
CLOUDTRAIL = {"events:source": ("aws.personalize",), "events:detail-type": ("AWS API Call via CloudTrail",)}


@pytest.fixture(scope="module")
def assembly(tmp_path_factory) -> Path:
    from app import build_app

    outdir = tmp_path_factory.mktemp("organization")
    saved = {key: os.environ.get(key) for key in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")}
    os.environ.update({"CDK_DEFAULT_ACCOUNT": CENTRAL, "CDK_DEFAULT_REGION": REGION})  # as cdk deploy sets them
    try:
        app, _ = build_app(CONTEXT, nag=True, outdir=str(outdir))
        app.synth()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return outdir


def template(assembly: Path, name: str) -> dict:
    return json.loads((assembly / f"{name}.template.json").read_text())


def resources(stack: dict, kind: str) -> dict[str, dict]:
    return {logical_id: r for logical_id, r in stack["Resources"].items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def central(assembly: Path) -> dict:
    return template(assembly, "PersonalizeJobNotifier")


@pytest.fixture(scope="module")
def member(assembly: Path) -> dict:
    return template(assembly, "PersonalizeJobNotifier-Member")


def member_rule_role(member: dict) -> tuple[str, list[dict]]:
    """The role the member's rule sends with (as in the member's account), and its policies resolved."""
    [rule] = resources(member, "AWS::Events::Rule").values()
    [target] = rule["Properties"]["Targets"]
    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    resolve = Resolver(member, account=MEMBER)
    policies = [
        resolve(r["Properties"]["PolicyDocument"])
        for r in resources(member, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in r["Properties"]["Roles"]
    ]
    return f"arn:aws:iam::{MEMBER}:role/{role_id}", policies


def test_the_central_bus_admits_the_organizations_personalize_calls_and_nothing_else(central: dict) -> None:
    [bus_policy] = resources(central, "AWS::Events::EventBusPolicy").values()
    statement = Resolver(central)(bus_policy["Properties"]["Statement"])
    policy = [{"Statement": [statement]}]
    sender = {"AWS": f"arn:aws:iam::{MEMBER}:role/member-rule"}
    member_call = Request("events:PutEvents", CENTRAL_BUS, sender, CLOUDTRAIL, organization=ORGANIZATION)
    assert decide(policy, member_call) == "allow"
    outsider = Request(
        "events:PutEvents",
        CENTRAL_BUS,
        {"AWS": f"arn:aws:iam::{STRANGER}:role/x"},
        CLOUDTRAIL,
        organization=OTHER_ORGANIZATION,
    )
    assert decide(policy, outsider) == "implicit-deny"
    alone = Request("events:PutEvents", CENTRAL_BUS, {"AWS": f"arn:aws:iam::{STRANGER}:role/x"}, CLOUDTRAIL)
    assert decide(policy, alone) == "implicit-deny"
    # An organization's account putting anything else (its own application's events) is refused.
    other = {**CLOUDTRAIL, "events:source": ("aws.personalize", "acme.orders")}
    assert decide(policy, Request("events:PutEvents", CENTRAL_BUS, sender, other, organization=ORGANIZATION)) == (
        "implicit-deny"
    )
    # A request without one of the keys: ForAllValues alone would hold (vacuously); Null false refuses it.
    for missing in CLOUDTRAIL:
        keys = {key: value for key, value in CLOUDTRAIL.items() if key != missing}
        request = Request("events:PutEvents", CENTRAL_BUS, sender, keys, organization=ORGANIZATION)
        assert decide(policy, request) == "implicit-deny", missing


def test_the_central_rule_tracks_what_the_bus_receives_as_the_home_rule_does(central: dict) -> None:
    rules = resources(central, "AWS::Events::Rule").values()
    patterned = [r["Properties"] for r in rules if "EventPattern" in r["Properties"]]
    [home] = [r for r in patterned if "EventBusName" not in r]
    [members] = [r for r in patterned if "EventBusName" in r]
    assert members["EventPattern"] == home["EventPattern"]
    assert [t["Arn"] for t in members["Targets"]] == [t["Arn"] for t in home["Targets"]]


def test_the_member_rule_sends_to_the_central_bus_and_may_put_nowhere_else(member: dict) -> None:
    [rule] = resources(member, "AWS::Events::Rule").values()
    [target] = rule["Properties"]["Targets"]
    assert Resolver(member, account=MEMBER)(target["Arn"]) == CENTRAL_BUS
    role, policies = member_rule_role(member)
    assert decide(policies, Request("events:PutEvents", CENTRAL_BUS, {"AWS": role})) == "allow"
    for elsewhere in (
        f"arn:aws:events:{REGION}:{CENTRAL}:event-bus/default",
        f"arn:aws:events:{REGION}:{MEMBER}:event-bus/default",
        CENTRAL_BUS.replace(REGION, "eu-west-1"),
    ):
        assert decide(policies, Request("events:PutEvents", elsewhere, {"AWS": role})) == "implicit-deny"
    trust = member["Resources"][role.rsplit("/", 1)[-1]]["Properties"]["AssumeRolePolicyDocument"]
    assert decide([trust], Request("sts:AssumeRole", role, {"Service": "events.amazonaws.com"})) == "allow"


def reader(member: dict) -> dict:
    [role] = [r for r in resources(member, "AWS::IAM::Role").values() if r["Properties"].get("RoleName") == READER]
    return Resolver(member, account=MEMBER)(role["Properties"])


def test_the_member_role_trusts_the_central_poll_and_track_roles_and_nobody_else(member: dict) -> None:
    trust = [reader(member)["AssumeRolePolicyDocument"]]
    role_arn = f"arn:aws:iam::{MEMBER}:role/{READER}"

    def assume(principal: str, external_id: str | None = EXTERNAL_ID) -> str:
        context = {"sts:ExternalId": external_id} if external_id else {}
        return decide(trust, Request("sts:AssumeRole", role_arn, {"AWS": principal}, context))

    assert [assume(POLL_ROLE), assume(TRACK_ROLE)] == ["allow", "allow"]
    assert assume(POLL_ROLE, external_id=None) == "implicit-deny"
    assert assume(POLL_ROLE, external_id="guessed") == "implicit-deny"
    assert assume(f"arn:aws:iam::{CENTRAL}:role/Developer") == "implicit-deny"
    assert assume(f"arn:aws:iam::{CENTRAL}:user/admin") == "implicit-deny"
    assert assume(POLL_ROLE.replace(CENTRAL, STRANGER)) == "implicit-deny"  # its name, in another account
    assert assume(POLL_ROLE.replace(CENTRAL, MEMBER)) == "implicit-deny"
    service = Request("sts:AssumeRole", role_arn, {"Service": "lambda.amazonaws.com"})
    assert decide(trust, service) == "implicit-deny"


def test_the_central_roles_may_assume_the_member_role_in_the_organization_only(central: dict) -> None:
    from tests.iam import role_policies

    functions = resources(central, "AWS::Lambda::Function")
    resolve = Resolver(central)
    for function_id in functions:
        environment = functions[function_id]["Properties"]["Environment"]["Variables"]
        assert environment["MEMBER_ROLE_NAME"] == READER and environment["MEMBER_EXTERNAL_ID"] == EXTERNAL_ID
        policies = resolve(role_policies(central, function_id))
        for account, organization, name, decision in (
            (MEMBER, ORGANIZATION, READER, "allow"),
            (STRANGER, OTHER_ORGANIZATION, READER, "implicit-deny"),
            (STRANGER, None, READER, "implicit-deny"),
            (MEMBER, ORGANIZATION, "OrganizationAccountAccessRole", "implicit-deny"),
        ):
            context = {"aws:ResourceOrgID": organization} if organization else {}
            role = f"arn:aws:iam::{account}:role/{name}"
            request = Request("sts:AssumeRole", role, {"AWS": POLL_ROLE}, context)
            assert decide(policies, request) == decision, (function_id, account, name)


def test_the_member_role_reads_personalize_and_changes_nothing(member: dict) -> None:
    properties = reader(member)
    policies = [policy["PolicyDocument"] for policy in properties["Policies"]]
    caller = {"AWS": f"arn:aws:iam::{MEMBER}:role/{READER}"}
    model = botocore.session.get_session().get_service_model("personalize")
    job = f"arn:aws:personalize:eu-west-1:{MEMBER}:dataset-export-job/nightly"
    allowed = set()
    for operation in model.operation_names:
        if decide(policies, Request(f"personalize:{operation}", job, caller)) == "allow":
            allowed.add(operation)
    assert allowed, "the member role reads nothing"
    reads = {"GetSolutionMetrics"}  # a trained version's offline metrics: reads, changes nothing
    assert all(operation.startswith(("Describe", "List")) or operation in reads for operation in allowed), allowed
    assert {"DescribeDatasetExportJob", "ListDatasetExportJobs", "DescribeSolutionVersion"} <= allowed
    version = f"arn:aws:personalize:eu-west-1:{MEMBER}:solution/movies/3f1a2b"
    assert decide(policies, Request("personalize:GetSolutionMetrics", version, caller)) == "allow"
    # The hourly usage reading of its campaigns and recommenders (GetMetricData has no resource types), and the
    # look for an import before a regressed version (DescribeSolution, ListDatasets, ListDatasetImportJobs).
    solution = f"arn:aws:personalize:eu-west-1:{MEMBER}:solution/movies"
    for action, resource in (
        ("cloudwatch:GetMetricData", "*"),
        ("personalize:DescribeSolution", solution),
        ("personalize:ListDatasets", "*"),
        ("personalize:ListDatasetImportJobs", "*"),
    ):
        assert decide(policies, Request(action, resource, caller)) == "allow", action
    # Another account's resources are not this role's to read, even by ARN.
    elsewhere = job.replace(MEMBER, STRANGER)
    assert decide(policies, Request("personalize:DescribeDatasetExportJob", elsewhere, caller)) == "implicit-deny"


def test_the_member_template_is_asset_free_needs_no_bootstrap_and_passes_cdk_nag_and_cfn_lint(
    assembly: Path, member: dict
) -> None:
    manifest = (
        json.loads((assembly / "PersonalizeJobNotifier-Member.assets.json").read_text())
        if (assembly / "PersonalizeJobNotifier-Member.assets.json").exists()
        else {"files": {}, "dockerImages": {}}
    )
    assert manifest.get("files", {}) in ({}, None) and manifest.get("dockerImages", {}) in ({}, None)
    assert "Rules" not in member and list(member.get("Parameters", {})) == ["ReaderRoleRegion"]
    # Every resource but the placeholder is made in a member account only (not in the notifier's own).
    conditions = {r["Type"]: r.get("Condition") for r in member["Resources"].values()}
    assert conditions.pop("AWS::CloudFormation::WaitConditionHandle") is None
    assert set(conditions.values()) <= {"InMemberAccount", "CreatesReaderRole"}
    assert "AWS::Lambda::Function" not in {r["Type"] for r in member["Resources"].values()}
    assert "AWS::CloudFormation::Stack" not in {r["Type"] for r in member["Resources"].values()}
    report = nag_report(assembly)
    assert (report["conclusion"], report["violations"]) == ("success", [])
    assert cfn_lint(assembly / "PersonalizeJobNotifier-Member.template.json") == ""


def test_the_stack_set_deploys_the_member_template_as_synthesized(central: dict, member: dict) -> None:
    [stack_set] = resources(central, "AWS::CloudFormation::StackSet").values()
    properties = stack_set["Properties"]
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    assert properties["AutoDeployment"]["Enabled"] is True
    assert properties["CallAs"] == "DELEGATED_ADMIN"
    assert json.loads(properties["TemplateBody"]) == member
    [instances] = properties["StackInstancesGroup"]
    assert instances["DeploymentTargets"]["OrganizationalUnitIds"] == CONTEXT["memberOus"].split(",")
    # The notifier's own account is left out, should it be in one of the OUs (a delegated administrator).
    assert (instances["DeploymentTargets"]["AccountFilterType"], instances["DeploymentTargets"]["Accounts"]) == (
        "DIFFERENCE",
        [CENTRAL],
    )
    assert instances["Regions"] == CONTEXT["memberRegions"].split(",")
    assert properties["Parameters"] == [{"ParameterKey": "ReaderRoleRegion", "ParameterValue": REGION}]
    # CloudFormation's limit on a TemplateBody (CreateStackSet: 51,200 bytes).
    assert len(properties["TemplateBody"].encode()) <= 51_200


def test_the_member_template_is_created_in_a_member_account_with_its_role_in_one_region(member: dict) -> None:
    body = json.dumps(member)
    with mock_aws():
        session = account_admin(MEMBER)
        for region in (REGION, "eu-west-1"):
            cloudformation = session.client("cloudformation", region_name=region)
            cloudformation.create_stack(
                StackName="PersonalizeJobNotifier-Member", TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"]
            )
            [stack] = cloudformation.describe_stacks(StackName="PersonalizeJobNotifier-Member")["Stacks"]
            assert stack["StackStatus"] == "CREATE_COMPLETE"
            events = session.client("events", region_name=region)
            [rule] = events.list_rules()["Rules"]
            [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            assert target["Arn"] == CENTRAL_BUS
        roles = [role["RoleName"] for role in session.client("iam").list_roles()["Roles"]]
        assert roles.count(READER) == 1  # made by the stack of the role's region only
        assert session.client("sts").get_caller_identity()["Account"] == MEMBER
        # In the notifier's own account (`cdk deploy --all` there), it makes nothing.
        central = boto3.session.Session(region_name=REGION)
        central.client("cloudformation").create_stack(
            StackName="PersonalizeJobNotifier-Member", TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"]
        )
        assert central.client("events").list_rules()["Rules"] == []
        assert READER not in [role["RoleName"] for role in central.client("iam").list_roles()["Roles"]]


def test_a_stack_set_whose_regions_leave_out_this_one_creates_the_role_in_the_first_of_them(monkeypatch) -> None:
    from app import build_app

    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", CENTRAL)
    monkeypatch.setenv("CDK_DEFAULT_REGION", REGION)
    context = {"organizationId": ORGANIZATION, "memberOus": "r-ab12", "memberRegions": "eu-west-1,eu-central-1"}
    app, _ = build_app(context, nag=False)
    central = app.synth().get_stack_by_name("PersonalizeJobNotifier").template
    [stack_set] = resources(central, "AWS::CloudFormation::StackSet").values()
    assert stack_set["Properties"]["Parameters"] == [
        {"ParameterKey": "ReaderRoleRegion", "ParameterValue": "eu-west-1"}
    ]


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"memberOus": "ou-ab12-cdefgh34"}, "memberOus is an option of organizationId, which is not given"),
        ({"organizationId": "o-123"}, "organizationId 'o-123' is not an AWS Organizations ID"),
        ({"organizationId": ORGANIZATION, "memberOus": "ou-nope"}, "memberOus: 'ou-nope' is not an organizational"),
        ({"organizationId": ORGANIZATION, "memberRegions": "eu-west-1"}, "memberRegions is an option of memberOus"),
        (
            {"organizationId": ORGANIZATION, "memberOus": "r-ab12", "memberStackSetCallAs": "ADMIN"},
            "memberStackSetCallAs 'ADMIN' must be one of SELF, DELEGATED_ADMIN",
        ),
        ({"organizationId": ORGANIZATION, "memberExternalId": "x"}, "memberExternalId 'x' is not an external ID"),
        (
            {"organizationId": ORGANIZATION, "stackName": "N" * 60},
            "is 60 characters; with organizationId it may have 57",
        ),
        (
            {"organizationId": ORGANIZATION, "memberOus": "r-ab12", "memberRegions": "eu-west-1,eu-west-1"},
            "memberRegions: a region is listed twice",
        ),
        ({"organizationId": ORGANIZATION, "memberOus": "r-ab12,r-ab12"}, "memberOus: an OU is listed twice"),
        (
            {"organizationId": ORGANIZATION, "memberOus": "r-ab12", "memberRegions": "cn-north-1"},
            "memberOus: StackSets cannot use Organizations' trusted access in the China regions (cn-north-1)",
        ),
    ],
)
def test_an_organization_option_that_cannot_work_stops_synth(monkeypatch, context: dict, message: str) -> None:
    from app import build_app

    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", CENTRAL)
    monkeypatch.setenv("CDK_DEFAULT_REGION", REGION)
    with pytest.raises(SystemExit) as stopped:
        build_app(context, nag=False)
    assert message in str(stopped.value)


def test_member_stacks_need_the_central_account_known(monkeypatch) -> None:
    from app import build_app

    monkeypatch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    monkeypatch.setenv("CDK_DEFAULT_REGION", REGION)
    with pytest.raises(SystemExit) as stopped:
        build_app({"organizationId": ORGANIZATION}, nag=False)
    assert "names this stack's account and region, and no account was found" in str(stopped.value)


def test_a_members_job_reaches_the_central_bus_is_tracked_and_told_naming_its_account(
    monkeypatch, tmp_path_factory
) -> None:
    """The whole path in moto: the member stack in a member account, CloudTrail's record of a Create call on its
    default bus, the member rule sending it to the central bus, the track function taking what arrives there,
    and the poll reading the job through the member role and notifying a subscriber, naming the account."""
    from notifier_local import personalize as emulator
    from notifier_local.aws import QueueSubscriber
    from notifier_local.moto_fixes import lambda_deliveries
    from tests.infra.conftest import deploy_in_moto
    from tests.infra.options import synthesized
    from tests.infra.test_role_permissions import SCHEDULED_EVENT, deployed_handler, poll_context
    from tests.integration.test_auto_tracking import cloudtrail_event
    from tests.integration.test_poll_handler import FakeLambdaContext

    assembly = synthesized("organization", tmp_path_factory.getbasetemp() / "configurations")
    member = template(assembly, "PersonalizeJobNotifier-Member")
    with mock_aws():
        emulator.calls.reset()
        lambda_deliveries.clear()
        session = boto3.session.Session(region_name=REGION)
        deployed = deploy_in_moto(assembly, session)
        subscriber = QueueSubscriber(session.client("sns"), session.client("sqs"), deployed.outputs["TopicArn"], "ops")
        admin = account_admin(MEMBER)
        admin.client("cloudformation", region_name=REGION).create_stack(
            StackName="PersonalizeJobNotifier-Member",
            TemplateBody=json.dumps(member),
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
        arn = admin.client("personalize", region_name=REGION).create_dataset_export_job(
            jobName="member-nightly",
            datasetArn=f"arn:aws:personalize:{REGION}:{MEMBER}:dataset/retail/INTERACTIONS",
            roleArn=f"arn:aws:iam::{MEMBER}:role/PersonalizeExport",
            jobOutput={"s3DataDestination": {"path": "s3://member-exports/nightly/"}},
        )["datasetExportJobArn"]
        call = cloudtrail_event(arn, recipientAccountId=MEMBER)
        admin.client("events", region_name=REGION).put_events(
            Entries=[
                {"Source": call["source"], "DetailType": call["detail-type"], "Detail": json.dumps(call["detail"])}
            ]
        )
        # What EventBridge hands the track function: only the central bus's rule matched it (the member's own
        # default bus has no notifier rule), with the track function as its target.
        [track_id] = [
            logical_id
            for logical_id, resource in deployed.template["Resources"].items()
            if resource["Type"] == "AWS::Lambda::Function" and logical_id.startswith("AutoTrackingTrack")
        ]
        functions = session.client("lambda")
        track_arn = functions.get_function_configuration(FunctionName=deployed.physical_ids[track_id])["FunctionArn"]
        [(target, arrived)] = [
            (fn, event) for fn, event in lambda_deliveries if event["detail"].get("responseElements")
        ]
        assert target == track_arn and arrived["source"] == "aws.personalize"

        track, _ = deployed_handler(monkeypatch, session, deployed, "AutoTrackingTrack")
        assert track.handler(arrived, FakeLambdaContext())["outcome"] == "tracked"
        emulator.set_status(arn, "ACTIVE")
        poll, poll_id = deployed_handler(monkeypatch, session, deployed, "PollerPoll")
        summary = poll.handler(SCHEDULED_EVENT, poll_context(deployed, poll_id))
        assert (summary["notifications_published"], summary["unreachable_accounts"]) == (1, 0), summary
        [told] = subscriber.receive_all()
        assert told.document["account"] == MEMBER and told.document["jobArn"] == arn
        assert told.subject == "Personalize: Dataset export job member-nightly finished: s3://member-exports/nightly/"


def test_the_deploy_by_hand_the_page_gives_makes_the_reader_role_in_an_account_of_one_other_region(
    member: dict,
) -> None:
    """docs/organizations.md's `aws cloudformation deploy`, run as written in an account that runs Personalize in
    eu-west-1 only (the central stack is in us-east-1): the one stack there makes the role."""
    import re
    import shlex

    page = (Path(__file__).resolve().parents[2] / "docs" / "organizations.md").read_text()
    [command] = re.findall(r"^  aws cloudformation deploy .*?(?<!\\)$", page.replace("\\\n", " "), flags=re.M)
    argv = shlex.split(command)
    options = {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}
    overrides = (
        [
            {"ParameterKey": key, "ParameterValue": value}
            for key, _, value in (pair.partition("=") for pair in argv[argv.index("--parameter-overrides") + 1 :])
        ]
        if "--parameter-overrides" in argv
        else []
    )
    with mock_aws():
        session = account_admin(MEMBER)
        session.client("cloudformation", region_name=options["--region"]).create_stack(
            StackName=options["--stack-name"],
            TemplateBody=json.dumps(member),
            Capabilities=[options["--capabilities"]],
            Parameters=overrides,
        )
        roles = [role["RoleName"] for role in session.client("iam").list_roles()["Roles"]]
    assert options["--region"] != REGION and roles.count(READER) == 1, (command, roles)
