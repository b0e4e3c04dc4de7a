"""Security as a feature, asserted on the synthesized template and on what the handlers log."""

from __future__ import annotations

import re

import pytest
from aws_cdk.assertions import Template

from tests.infra.conftest import FULL_CONTEXT, as_list, policy_statements

pytestmark = pytest.mark.infra

# The only actions granted on "*": their services offer no resource-level permissions for them.
NO_RESOURCE_LEVEL = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "personalize:ListBatchInferenceJobs",
    "personalize:ListBatchSegmentJobs",
    "personalize:ListCampaigns",
    "personalize:ListDatasetGroups",
    "personalize:ListRecommenders",
    "personalize:ListSolutions",
    "personalize:ListDataDeletionJobs",
    "personalize:ListDatasetExportJobs",
    "personalize:ListDatasets",  # a dataset group's datasets, when its expected cadence falls due
    "personalize:ListDatasetImportJobs",
    "personalize:ListSolutionVersions",
    # Answering a waiting task, and its heartbeats: no resource types (Service Authorization Reference, "Actions
    # defined by AWS Step Functions").
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
    "states:SendTaskHeartbeat",
    # The requests campaigns and recommenders answered: GetMetricData has no resource types (Service
    # Authorization Reference, "Actions defined by Amazon CloudWatch").
    "cloudwatch:GetMetricData",
}
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|TOKEN|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY", re.IGNORECASE)
SECRET_VALUES = re.compile(r"AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|xox[abp]-|-----BEGIN")


@pytest.fixture(scope="module", params=["defaults", "every-option"])
def template(synth, request) -> Template:
    context = {} if request.param == "defaults" else {**FULL_CONTEXT, "discover": "all"}
    return synth(context)


def test_no_statement_allows_a_wildcard_action(template: Template) -> None:
    for statement in policy_statements(template):
        for action in as_list(statement["Action"]):
            assert "*" not in action, statement


def test_star_resources_only_where_the_api_has_no_resource_level_permissions(template: Template) -> None:
    for statement in policy_statements(template):
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= NO_RESOURCE_LEVEL, statement


def test_no_role_has_an_aws_managed_policy(template: Template) -> None:
    for role in template.find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"], role


def test_managed_policies_only_cap_chat_channels_and_grant_nothing(template: Template) -> None:
    # A guardrail grants nothing: a chat member's permissions are the intersection of it and their own role.
    resources = template.to_json()["Resources"]
    guardrails = {
        reference["Ref"]
        for resource in resources.values()
        if resource["Type"].startswith("AWS::Chatbot::")
        for reference in resource["Properties"].get("GuardrailPolicies", [])
        if isinstance(reference, dict) and "Ref" in reference
    }
    managed = {logical_id for logical_id, r in resources.items() if r["Type"] == "AWS::IAM::ManagedPolicy"}
    assert managed == guardrails
    for logical_id in managed:
        properties = resources[logical_id]["Properties"]
        assert not ({"Roles", "Users", "Groups"} & set(properties)), logical_id


def test_every_topic_and_queue_refuses_plain_http(template: Template) -> None:
    for policy_type in ("AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy"):
        for policy in template.find_resources(policy_type).values():
            denies = [
                s
                for s in policy["Properties"]["PolicyDocument"]["Statement"]
                if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            ]
            assert denies, policy_type
    assert template.find_resources("AWS::SNS::TopicPolicy") and template.find_resources("AWS::SQS::QueuePolicy")


def test_no_environment_variable_carries_a_secret_or_logs_whole_events(template: Template) -> None:
    for function in template.find_resources("AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        for name, value in variables.items():
            assert not SECRET_NAMES.search(name), name
            assert not (isinstance(value, str) and SECRET_VALUES.search(value)), name
        assert variables.get("POWERTOOLS_LOGGER_LOG_EVENT", "false") == "false"
        assert variables.get("POWERTOOLS_LOG_LEVEL", "INFO") in ("INFO", "WARNING", "ERROR")


def test_data_at_rest_is_encrypted(template: Template) -> None:
    for table in template.find_resources("AWS::DynamoDB::Table").values():
        assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}
    for topic in template.find_resources("AWS::SNS::Topic").values():
        assert "KmsMasterKeyId" in topic["Properties"]
    for queue in template.find_resources("AWS::SQS::Queue").values():
        assert queue["Properties"].get("SqsManagedSseEnabled") is True
