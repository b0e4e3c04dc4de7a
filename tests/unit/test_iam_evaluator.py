"""The policy evaluator the AWS-edge tests rely on, held to what the IAM User Guide says must allow or deny."""

from __future__ import annotations

import pytest

from tests.iam import Request, Resolver, UnsupportedPolicy, arn_like, decide

pytestmark = pytest.mark.unit

TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:Notifier-PollErrors"
TLS_ONLY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "sns:Publish",
    "Resource": TOPIC,
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
ALARMS_MAY_PUBLISH = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudwatch.amazonaws.com"},
    "Action": "sns:Publish",
    "Resource": TOPIC,
    "Condition": {"ArnLike": {"aws:SourceArn": [ALARM]}, "StringEquals": {"aws:SourceAccount": "123456789012"}},
}


def alarm_publish(**context: str) -> Request:
    return Request(
        action="sns:Publish",
        resource=TOPIC,
        principal={"Service": "cloudwatch.amazonaws.com"},
        context={"aws:SourceArn": ALARM, "aws:SourceAccount": "123456789012", "aws:SecureTransport": "true", **context},
    )


def test_a_tls_only_policy_alone_lets_no_service_publish() -> None:
    # The defect: a topic policy holding only the TLS Deny replaces SNS's default policy.
    assert decide([{"Statement": [TLS_ONLY]}], alarm_publish()) == "implicit-deny"


def test_the_alarm_statement_allows_this_alarm_and_nothing_else() -> None:
    policy = [{"Statement": [TLS_ONLY, ALARMS_MAY_PUBLISH]}]
    assert decide(policy, alarm_publish()) == "allow"
    assert decide(policy, alarm_publish(**{"aws:SourceArn": ALARM + "X"})) == "implicit-deny"
    assert decide(policy, alarm_publish(**{"aws:SourceAccount": "210987654321"})) == "implicit-deny"
    assert decide(policy, alarm_publish(**{"aws:SecureTransport": "false"})) == "explicit-deny"
    other_service = Request("sns:Publish", TOPIC, {"Service": "events.amazonaws.com"}, alarm_publish().context)
    assert decide(policy, other_service) == "implicit-deny"
    assert decide(policy, Request("sns:Subscribe", TOPIC, alarm_publish().principal, alarm_publish().context)) == (
        "implicit-deny"
    )


def test_a_missing_condition_key_never_matches_but_satisfies_a_negated_operator() -> None:
    statement = {**ALARMS_MAY_PUBLISH, "Condition": {"ArnLike": {"aws:SourceArn": ALARM}}}
    no_source = Request("sns:Publish", TOPIC, {"Service": "cloudwatch.amazonaws.com"})
    assert decide([{"Statement": [statement]}], no_source) == "implicit-deny"
    negated = {**ALARMS_MAY_PUBLISH, "Condition": {"ArnNotLike": {"aws:SourceArn": ALARM}}}
    assert decide([{"Statement": [negated]}], no_source) == "allow"
    if_exists = {**ALARMS_MAY_PUBLISH, "Condition": {"ArnLikeIfExists": {"aws:SourceArn": ALARM}}}
    assert decide([{"Statement": [if_exists]}], no_source) == "allow"


def test_identity_policies_match_actions_without_case_and_resources_by_arn_part() -> None:
    policy = [
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["personalize:DescribeDatasetExportJob"],
                    "Resource": "arn:aws:personalize:*:123456789012:dataset-export-job/*",
                }
            ]
        }
    ]
    job = "arn:aws:personalize:eu-west-1:123456789012:dataset-export-job/nightly"
    assert decide(policy, Request("Personalize:describedatasetexportjob", job)) == "allow"
    assert decide(policy, Request("personalize:DescribeDatasetImportJob", job)) == "implicit-deny"
    assert decide(policy, Request("personalize:DescribeDatasetExportJob", job.replace("1234", "9999"))) == (
        "implicit-deny"
    )
    assert decide(policy, Request("personalize:DescribeDatasetExportJob", job.replace("export", "import"))) == (
        "implicit-deny"
    )


def test_arn_wildcards_stay_within_their_part() -> None:
    assert arn_like("arn:aws:logs:us-east-1:1:log-group:g:*", "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s")
    assert not arn_like("arn:aws:sns:*:1:t", "arn:aws:sns:us-east-1:extra:1:t")
    assert not arn_like("arn:aws:sns:us-*:1:t", "arn:aws:sns:eu-west-1:1:t")


def test_anything_it_cannot_evaluate_is_refused_not_guessed() -> None:
    numeric = {**ALARMS_MAY_PUBLISH, "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}
    with pytest.raises(UnsupportedPolicy, match="NumericLessThan"):
        decide([{"Statement": [numeric]}], alarm_publish(**{"aws:MultiFactorAuthAge": "10"}))
    with pytest.raises(UnsupportedPolicy, match="NotPrincipal"):
        decide([{"Statement": [{**ALARMS_MAY_PUBLISH, "NotPrincipal": {"AWS": "x"}}]}], alarm_publish())


def test_intrinsic_functions_resolve_to_the_arns_aws_would_see() -> None:
    template = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmName": "Notifier-PollErrors"}},
        }
    }
    resolve = Resolver(template)
    assert resolve({"Ref": "Topic"}) == "arn:aws:sns:us-east-1:123456789012:Topic"
    assert resolve({"Fn::GetAtt": ["Alarm", "Arn"]}) == ALARM
    assert resolve({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":x"]]}) == "arn:aws:x"
    assert resolve({"Fn::Sub": "${AWS::Region}/${Alarm.Arn}"}) == f"us-east-1/{ALARM}"
    with pytest.raises(UnsupportedPolicy):
        resolve({"Fn::ImportValue": "elsewhere"})


# An organization's central bus and a member's read role, as the organization mode writes them.
CENTRAL_BUS = "arn:aws:events:us-east-1:123456789012:event-bus/personalize-notifier"
ORG_MAY_PUT = {
    "Effect": "Allow",
    "Principal": {"AWS": "*"},
    "Action": "events:PutEvents",
    "Resource": CENTRAL_BUS,
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
}
CENTRAL_POLL_ROLE = "arn:aws:iam::123456789012:role/PersonalizeJobNotifier-poll"
TRUSTS_THE_CENTRAL_POLL = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"ArnEquals": {"aws:PrincipalArn": CENTRAL_POLL_ROLE}},
}


def test_an_organization_condition_admits_its_accounts_only() -> None:
    member_rule_role = {"AWS": "arn:aws:iam::210987654321:role/forward"}
    bus_policy = [{"Statement": [ORG_MAY_PUT]}]
    inside = Request("events:PutEvents", CENTRAL_BUS, member_rule_role, organization="o-a1b2c3d4e5")
    outside = Request("events:PutEvents", CENTRAL_BUS, member_rule_role, organization="o-zzzzzzzzzz")
    alone = Request("events:PutEvents", CENTRAL_BUS, member_rule_role)  # an account in no organization
    assert [decide(bus_policy, r) for r in (inside, outside, alone)] == ["allow", "implicit-deny", "implicit-deny"]


def test_a_principal_arn_condition_trusts_that_role_and_no_other_of_its_account() -> None:
    trust = [{"Statement": [TRUSTS_THE_CENTRAL_POLL]}]
    poll = Request("sts:AssumeRole", "*", {"AWS": CENTRAL_POLL_ROLE})
    other = Request("sts:AssumeRole", "*", {"AWS": "arn:aws:iam::123456789012:role/Developer"})
    stranger = Request("sts:AssumeRole", "*", {"AWS": "arn:aws:iam::999999999999:role/PersonalizeJobNotifier-poll"})
    service = Request("sts:AssumeRole", "*", {"Service": "lambda.amazonaws.com"})
    assert [decide(trust, r) for r in (poll, other, stranger, service)] == ["allow"] + ["implicit-deny"] * 3
