"""What `cdk deploy` creates, asserted on the synthesized template."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aws_cdk.assertions import Capture, Match, Template

from tests.infra.conftest import FULL_CONTEXT, as_list, policy_statements

pytestmark = pytest.mark.infra

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(synth) -> Template:
    return synth()


@pytest.fixture(scope="module")
def full(synth) -> Template:
    return synth(
        {
            **FULL_CONTEXT,
            "pollMinutes": "15",
            "powertoolsLayerArn": "arn:aws:lambda:us-east-1:111122223333:layer:Powertools:7",
        }
    )


def the(template: Template, resource_type: str) -> dict:
    [resource] = template.find_resources(resource_type).values()
    return resource["Properties"]


def function(template: Template, handler: str) -> dict:
    [found] = [
        resource["Properties"]
        for resource in template.find_resources("AWS::Lambda::Function").values()
        if resource["Properties"]["Handler"] == handler
    ]
    return found


def function_id(template: Template, handler: str) -> str:
    [logical_id] = [
        logical_id
        for logical_id, resource in template.find_resources("AWS::Lambda::Function").items()
        if resource["Properties"]["Handler"] == handler
    ]
    return logical_id


POLL = "notifier.handlers.poll.handler"
TRACK = "notifier.handlers.track.handler"


def test_table_is_on_demand_recoverable_expiring_with_sparse_active_and_followers_indexes(template: Template) -> None:
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "jobArn", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "active-jobs",
                    "KeySchema": [
                        {"AttributeName": "activeShard", "KeyType": "HASH"},
                        {"AttributeName": "lastCheckedAt", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "followers",
                    "KeySchema": [{"AttributeName": "followsSolution", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
        },
    )
    template.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Retain"})


def test_topic_is_encrypted_with_a_rotating_customer_key_and_refuses_plain_http(template: Template) -> None:
    key = Capture()
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [key, "Arn"]}})
    assert template.to_json()["Resources"][key.as_string()]["Properties"]["EnableKeyRotation"] is True
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sns:Publish",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_poll_function_runs_the_newest_python_on_arm_with_json_logs_and_no_idle_cost(template: Template) -> None:
    function_ = function(template, POLL)
    assert function_["Runtime"] == "python3.14"
    assert function_["Architectures"] == ["arm64"]
    # No trace per idle poll (Lambda's sampling cannot be tuned) and no platform lines per idle poll.
    assert "TracingConfig" not in function_
    logging = function_["LoggingConfig"]
    assert (logging["LogFormat"], logging["SystemLogLevel"], logging["ApplicationLogLevel"]) == ("JSON", "WARN", "INFO")
    assert function_["Timeout"] == 55  # ends before the next one-minute poll starts
    env = function_["Environment"]["Variables"]
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true" and "RECHECK_SECONDS" not in env
    assert env["TABLE_NAME"] == {"Ref": template_logical_id(template, "AWS::DynamoDB::Table")}
    assert env["TOPIC_ARN"] == {"Ref": topic_id(template, JOBS_TOPIC)}
    assert env["TIME_MARGIN_SECONDS"] == "15"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "PersonalizeJobNotifier"
    [layer] = function_["Layers"]  # Powertools' public parameter (tests/infra/test_aws_edges.py)
    assert template.to_json()["Parameters"][layer["Ref"]]["Default"].startswith("/aws/service/powertools/python/")
    for log_group in template.find_resources("AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["RetentionInDays"] == 30


def test_powertools_layer_and_poll_rate_come_from_context(full: Template) -> None:
    assert function(full, POLL)["Layers"] == ["arn:aws:lambda:us-east-1:111122223333:layer:Powertools:7"]
    full.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(15 minutes)"})
    assert function(full, POLL)["Timeout"] == 240


def test_fast_mode_and_tracing_are_asked_for_by_context(synth) -> None:
    template = synth({"recheckSeconds": "10", "tracing": "true"})
    poll = function(template, POLL)
    assert poll["Environment"]["Variables"]["RECHECK_SECONDS"] == "10"
    assert "POWERTOOLS_TRACE_DISABLED" not in poll["Environment"]["Variables"]
    assert poll["TracingConfig"] == {"Mode": "Active"}


def test_schedule_retries_and_dead_letters_into_an_encrypted_queue(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(1 minute)",
            "State": "ENABLED",
            "Targets": [
                Match.object_like(
                    {
                        "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
                        "DeadLetterConfig": {"Arn": Match.any_value()},
                    }
                )
            ],
        },
    )
    template.has_resource_properties("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})


def test_no_statement_grants_a_wildcard_action(full: Template) -> None:
    for statement in policy_statements(full):
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), statement


def test_personalize_access_is_describe_only_on_this_accounts_resources_of_each_kind(template: Template) -> None:
    statements = [s for s in policy_statements(template) if s.get("Sid") == "DescribeWatchedPersonalizeResources"]
    assert len(statements) == 2  # the poll and the track Lambda, alike
    statement = statements[0]
    assert statement["Action"] == [
        "personalize:DescribeBatchInferenceJob",
        "personalize:DescribeBatchSegmentJob",
        "personalize:DescribeCampaign",
        "personalize:DescribeDataDeletionJob",
        "personalize:DescribeDatasetExportJob",
        "personalize:DescribeDatasetGroup",
        "personalize:DescribeDatasetImportJob",
        "personalize:DescribeRecommender",
        "personalize:DescribeSolution",
        "personalize:DescribeSolutionVersion",
    ]

    def job_arns(resource_type: str) -> dict:
        return {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":personalize:*:",
                    {"Ref": "AWS::AccountId"},
                    f":{resource_type}/*",
                ],
            ]
        }

    assert statement["Resource"] == [
        job_arns(resource_type)
        for resource_type in (
            "batch-inference-job",
            "batch-segment-job",
            "campaign",
            "data-deletion-job",
            "dataset-export-job",
            "dataset-group",
            "dataset-import-job",
            "recommender",
            "solution",  # solutions, and their versions: solution/NAME/ID
        )
    ]


def test_table_access_is_exactly_what_a_poll_does(template: Template) -> None:
    [statement] = [s for s in policy_statements(template) if s.get("Sid") == "PollTrackedJobs"]
    assert sorted(statement["Action"]) == [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:Scan",  # once: the usage clock's first hour reads the records written before it
        "dynamodb:UpdateItem",
    ]
    table = template_logical_id(template, "AWS::DynamoDB::Table")
    assert statement["Resource"] == [
        {"Fn::GetAtt": [table, "Arn"]},
        {"Fn::Join": ["", [{"Fn::GetAtt": [table, "Arn"]}, "/index/active-jobs"]]},
        {"Fn::Join": ["", [{"Fn::GetAtt": [table, "Arn"]}, "/index/followers"]]},
    ]
    # What a poll lists without discovery: jobs grouped under a parent (three or more active under one), a
    # watched solution's automatically trained versions, and a dataset group's datasets when its expected cadence
    # falls due (List actions take no resource ARN).
    [lists] = [s for s in policy_statements(template) if s.get("Sid") == "ListPersonalizeJobs"]
    assert (lists["Action"], lists["Resource"]) == (
        [
            "personalize:ListBatchInferenceJobs",
            "personalize:ListBatchSegmentJobs",
            "personalize:ListDataDeletionJobs",
            "personalize:ListDatasetExportJobs",
            "personalize:ListDatasetImportJobs",
            "personalize:ListDatasets",
            "personalize:ListSolutionVersions",
        ],
        "*",
    )
    assert function(template, POLL)["Environment"]["Variables"]["SOLUTION_CHECK_MINUTES"] == "60"


def test_no_subscriptions_without_context(template: Template) -> None:
    template.resource_count_is("AWS::SNS::Subscription", 0)
    template.resource_count_is("AWS::Chatbot::SlackChannelConfiguration", 0)


def test_email_subscriptions_and_a_failure_only_filter(full: Template) -> None:
    subscriptions = {
        s["Properties"]["Endpoint"]: s["Properties"]
        for s in full.find_resources("AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": topic_id(full, JOBS_TOPIC)}
    }
    assert set(subscriptions) == {"ana@example.com", "ben@example.org", "oncall@example.com"}
    assert all(s["Protocol"] == "email" for s in subscriptions.values())
    assert "FilterPolicy" not in subscriptions["ana@example.com"]
    failures = ["failed", "not_found", "invalid", "unreachable", "overdue", "idle", "recovered"]
    # A regression pages only on the same data (the newData attribute absent) unless regressionsOnNewData.
    assert subscriptions["oncall@example.com"]["FilterPolicy"] == {
        "$or": [{"outcome": failures}, {"quality": ["regressed"], "newData": [{"exists": False}]}]
    }


def test_regressions_on_new_data_reach_the_failure_only_addresses_where_asked(synth) -> None:
    template = synth({"failureEmails": "oncall@example.com", "regressionsOnNewData": "true"})
    [subscription] = [
        s["Properties"]
        for s in template.find_resources("AWS::SNS::Subscription").values()
        if "FilterPolicy" in s["Properties"]
    ]
    failures = ["failed", "not_found", "invalid", "unreachable", "overdue", "idle", "recovered"]
    assert subscription["FilterPolicy"] == {"$or": [{"outcome": failures}, {"quality": ["regressed"]}]}


def test_slack_channel_receives_the_job_notifications_and_the_alarms(full: Template) -> None:
    full.has_resource_properties(
        "AWS::Chatbot::SlackChannelConfiguration",
        {
            "SlackWorkspaceId": "T0123ABCD",
            "SlackChannelId": "C0456EFGH",
            "SnsTopicArns": [{"Ref": topic_id(full, JOBS_TOPIC)}, {"Ref": topic_id(full, ALARMS_TOPIC)}],
            "UserRoleRequired": True,
        },
    )


def test_alarms_watch_the_notifier_and_tell_the_alarms_topic(template: Template) -> None:
    topic = topic_id(template, ALARMS_TOPIC)
    alarms = [a["Properties"] for a in template.find_resources("AWS::CloudWatch::Alarm").values()]
    assert sorted(a["MetricName"] for a in alarms) == [
        "ApproximateNumberOfMessagesVisible",  # the schedule's and auto-tracking's dead letters
        "ApproximateNumberOfMessagesVisible",  # the track Lambda's failed events
        "DescribeErrors",
        "Errors",  # the poll Lambda
        "Errors",  # the track Lambda
        "PublishErrors",
    ]
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": topic}]
        assert alarm["TreatMissingData"] == "notBreaching"
    alarms = {a["MetricName"]: a for a in alarms}
    assert alarms["PublishErrors"]["Namespace"] == "PersonalizeJobNotifier"
    assert alarms["PublishErrors"]["Dimensions"] == [{"Name": "service", "Value": "personalize-job-notifier"}]
    # CloudWatch must be able to use the alarm topic's key, or alarm notifications vanish silently.
    key = topic_key(template, ALARMS_TOPIC)
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in key["KeyPolicy"]["Statement"])


def topic_key(template: Template, display_name: str) -> dict:
    """The properties of the KMS key a topic (found by its display name) is encrypted with."""
    [topic] = [
        r["Properties"]
        for r in template.find_resources("AWS::SNS::Topic").values()
        if r["Properties"]["DisplayName"] == display_name
    ]
    return template.find_resources("AWS::KMS::Key")[topic["KmsMasterKeyId"]["Fn::GetAtt"][0]]["Properties"]


def test_outputs_name_what_users_and_the_cli_need(template: Template) -> None:
    template.has_output("TableName", {"Value": {"Ref": template_logical_id(template, "AWS::DynamoDB::Table")}})
    template.has_output("TopicArn", {"Value": {"Ref": topic_id(template, JOBS_TOPIC)}})
    template.has_output("AlarmTopicArn", {"Value": {"Ref": topic_id(template, ALARMS_TOPIC)}})
    template.has_output("FunctionName", {"Value": {"Ref": function_id(template, POLL)}})


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"pollMinutes": "5 minute"}, "pollMinutes '5 minute' must be a whole number of minutes"),
        ({"pollMinutes": "0"}, "pollMinutes '0'"),
        ({"notifyEmails": "ana@example.com,not-an-email"}, "notifyEmails: 'not-an-email' is not an email address"),
        ({"failureEmails": "a@b"}, "failureEmails: 'a@b' is not an email address"),
        ({"slackWorkspaceId": "T0123ABCD"}, "slackWorkspaceId and slackChannelId go together"),
        ({"slackWorkspaceId": "t-lower", "slackChannelId": "C1"}, "slackWorkspaceId 't-lower'"),
        # The channel's name where its ID belongs: the schema's pattern would take it.
        (
            {"slackWorkspaceId": "T0123ABCD", "slackChannelId": "general"},
            "slackChannelId 'general' is not a Slack channel ID (like C0123ABCD): a channel's ID is the last part",
        ),
        ({"powertoolsLayerArn": "Powertools"}, "powertoolsLayerArn 'Powertools' is not a Lambda layer version ARN"),
        ({"autoTrack": "maybe"}, "autoTrack 'maybe' must be true or false"),
        ({"personalizeMaxRps": "fast"}, "personalizeMaxRps 'fast' must be a number of requests per second"),
        # The Lambda refuses pacing under 1 request per second at cold start: synth must refuse it first.
        ({"personalizeMaxRps": "0.5"}, "personalizeMaxRps '0.5' must be a number of requests per second from 1"),
        ({"eventSource": "aws.personalize"}, "eventSource 'aws.personalize' must be"),
        ({"stuckAfterMinutes": "six hours"}, "stuckAfterMinutes 'six hours' must be a whole number"),
        ({"solutionCheckMinutes": "-5"}, "solutionCheckMinutes '-5' must be a whole number of minutes from 0 to 10080"),
        (
            {"solutionCheckMinute": "30"},
            "unknown context key 'solutionCheckMinute' (did you mean solutionCheckMinutes?)",
        ),
        ({"discover": "retail"}, "discover: 'retail' is not the ARN of a dataset, dataset group, solution or"),
    ],
)
def test_invalid_context_stops_synth_naming_the_value(context, message) -> None:
    from app import build_app

    with pytest.raises(SystemExit) as stopped:
        build_app(context, nag=False)
    assert message in str(stopped.value)


JOBS_TOPIC, ALARMS_TOPIC = "Personalize jobs", "Personalize notifier alarms"


def topic_id(template: Template, display_name: str) -> str:
    [logical_id] = template.find_resources("AWS::SNS::Topic", {"Properties": {"DisplayName": display_name}})
    return logical_id


def template_logical_id(template: Template, resource_type: str) -> str:
    [logical_id] = template.find_resources(resource_type).keys()
    return logical_id


def test_auto_tracking_rule_matches_cloudtrail_create_and_change_calls(template: Template) -> None:
    track = function_id(template, TRACK)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.personalize"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {
                    "eventSource": ["personalize.amazonaws.com"],
                    "eventName": [
                        "CreateBatchInferenceJob",
                        "CreateBatchSegmentJob",
                        "CreateCampaign",
                        "CreateDataDeletionJob",
                        "CreateDatasetExportJob",
                        "CreateDatasetGroup",
                        "CreateDatasetImportJob",
                        "CreateRecommender",
                        "CreateSolution",
                        "CreateSolutionVersion",
                        "DeleteCampaign",
                        "DeleteDatasetGroup",
                        "DeleteRecommender",
                        "DeleteSolution",
                        "StartRecommender",
                        "StopRecommender",
                        "UpdateCampaign",
                        "UpdateRecommender",
                        "UpdateSolution",
                    ],
                },
            },
            "State": "ENABLED",
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [track, "Arn"]}, "RetryPolicy": Match.any_value()})],
        },
    )
    env = function(template, TRACK)["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": template_logical_id(template, "AWS::DynamoDB::Table")}
    assert "TOPIC_ARN" not in env  # it tracks; it never notifies


def test_the_track_lambda_may_only_add_and_wake_records(template: Template) -> None:
    [statement] = [s for s in policy_statements(template) if s.get("Sid") == "AddTrackedJobs"]
    assert statement["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem"]  # no delete, no scan
    table = template_logical_id(template, "AWS::DynamoDB::Table")
    assert statement["Resource"] == {"Fn::GetAtt": [table, "Arn"]}


def test_auto_tracking_can_be_turned_off(synth) -> None:
    off = synth({"autoTrack": "false"})
    off.resource_count_is("AWS::Lambda::Function", 1)
    assert all("EventPattern" not in r["Properties"] for r in off.find_resources("AWS::Events::Rule").values())


def test_discovery_in_the_poll_adds_the_resources_list_permissions_only_when_asked(synth, template: Template) -> None:
    [statement] = [s for s in policy_statements(template) if s.get("Sid") == "ListPersonalizeJobs"]
    assert not {"personalize:ListCampaigns", "personalize:ListDatasetGroups"} & set(statement["Action"])
    assert "DISCOVER" not in function(template, POLL)["Environment"]["Variables"]
    discovering = synth({"discover": "all"})
    assert function(discovering, POLL)["Environment"]["Variables"]["DISCOVER"] == "all"
    [statement] = [s for s in policy_statements(discovering) if s.get("Sid") == "ListPersonalizeJobs"]
    assert statement["Resource"] == "*"
    assert statement["Action"] == [
        "personalize:ListBatchInferenceJobs",
        "personalize:ListBatchSegmentJobs",
        "personalize:ListCampaigns",
        "personalize:ListDataDeletionJobs",
        "personalize:ListDatasetExportJobs",
        "personalize:ListDatasetGroups",
        "personalize:ListDatasetImportJobs",
        "personalize:ListDatasets",
        "personalize:ListRecommenders",
        "personalize:ListSolutionVersions",
        "personalize:ListSolutions",
    ]


def test_events_go_to_the_default_bus_only(template: Template, synth) -> None:
    env = function(template, POLL)["Environment"]["Variables"]
    assert (env["EVENT_BUS_NAME"], env["EVENT_SOURCE"], env["STUCK_AFTER_MINUTES"]) == (
        "default",
        "personalize-job-notifier",
        "360",
    )
    [statement] = [s for s in policy_statements(template) if s.get("Sid") == "PutJobStateChangeEvents"]
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":events:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":event-bus/default",
            ],
        ]
    }
    custom = function(synth({"eventSource": "acme.ml", "stuckAfterMinutes": "90"}), POLL)["Environment"]["Variables"]
    assert (custom["EVENT_SOURCE"], custom["STUCK_AFTER_MINUTES"]) == ("acme.ml", "90")


def test_personalize_pacing_is_off_unless_asked(template: Template, synth) -> None:
    assert "PERSONALIZE_MAX_RPS" not in function(template, POLL)["Environment"]["Variables"]
    paced = function(synth({"personalizeMaxRps": "8"}), POLL)["Environment"]["Variables"]
    assert paced["PERSONALIZE_MAX_RPS"] == "8"


def test_a_stack_that_would_tell_nobody_warns_at_synth_and_one_with_recipients_does_not() -> None:
    from aws_cdk.assertions import Annotations

    from app import build_app

    _, silent = build_app({}, nag=False)
    Annotations.from_stack(silent).has_warning("*", Match.string_like_regexp("Nobody will be notified"))
    _, heard = build_app({"notifyEmails": "ana@example.com"}, nag=False)
    Annotations.from_stack(heard).has_no_warning("*", Match.string_like_regexp("Nobody will be notified"))


def test_teams_channel_receives_the_job_notifications_and_the_alarms(full: Template) -> None:
    full.has_resource_properties(
        "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
        {
            "TeamId": "0a1b2c3d-4e5f-1a2b-3c4d-0a1b2c3d4e5f",
            "TeamsTenantId": "1a2b3c4d-5e6f-1a2b-3c4d-1a2b3c4d5e6f",
            "TeamsChannelId": "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2",
            "SnsTopicArns": [{"Ref": topic_id(full, JOBS_TOPIC)}, {"Ref": topic_id(full, ALARMS_TOPIC)}],
            "UserRoleRequired": True,
            "ConfigurationName": {"Fn::Join": ["", ["PersonalizeJobNotifier-", {"Ref": "AWS::Region"}, "-teams"]]},
        },
    )


@pytest.mark.parametrize(
    ("teams", "message"),
    [
        ({"teamsTeamId": "0a1b2c3d-4e5f-1a2b-3c4d-0a1b2c3d4e5f"}, "teamsChannelId, teamsTenantId missing"),
        (
            {
                "teamsTeamId": "my-team",
                "teamsTenantId": "1a2b3c4d-5e6f-1a2b-3c4d-1a2b3c4d5e6f",
                "teamsChannelId": "x%3ay%40z",
            },
            "teamsTeamId 'my-team' is not a Microsoft Teams ID",
        ),
        (
            {
                "teamsTeamId": "0a1b2c3d-4e5f-1a2b-3c4d-0a1b2c3d4e5f",
                "teamsTenantId": "1a2b3c4d-5e6f-1a2b-3c4d-1a2b3c4d5e6f",
                "teamsChannelId": "General",
            },
            "teamsChannelId 'General' is not a Teams channel ID (like 19:...@thread.tacv2",
        ),
    ],
)
def test_teams_ids_of_the_wrong_shape_stop_synth_naming_them(teams: dict, message: str) -> None:
    from app import build_app

    with pytest.raises(SystemExit) as stopped:
        build_app(teams, nag=False)
    assert message in str(stopped.value)


TEAMS_IDS = {key: FULL_CONTEXT[key] for key in ("teamsTeamId", "teamsTenantId")}


@pytest.mark.parametrize(
    "channel",
    ["19:b6ef35dc342d56ba5654e6fc6d25a071@thread.tacv2", "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2"],
)
def test_a_teams_channel_id_as_teams_shows_it_or_as_its_link_has_it_deploys_url_encoded(synth, channel: str) -> None:
    template = synth({**TEAMS_IDS, "teamsChannelId": channel})
    template.has_resource_properties(
        "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
        {"TeamsChannelId": "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2"},
    )


def test_the_dashboard_shows_what_finished_how_long_how_soon_and_the_notifier_s_health(template: Template) -> None:
    [dashboard] = template.find_resources("AWS::CloudWatch::Dashboard").values()
    # The body is JSON joined around the region; the region does not matter here.
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    widgets = json.loads("".join(part if isinstance(part, str) else "us-east-1" for part in parts))["widgets"]
    titles = [widget["properties"]["title"] for widget in widgets]
    assert titles == [
        "Jobs finished, by outcome and by kind (per hour)",
        "How long jobs ran, by kind (average seconds)",
        "Time to notice: job's end to notification (seconds)",
        "Poll errors and invocations",
        "Poll duration (max, seconds) against its timeout",
        "Describe and publish errors; dead letters",
        "Requests each campaign and recommender answered (per hour)",
        "Utilization of each watched campaign and recommender (its last hourly reading)",
    ]
    metrics = json.dumps([widget["properties"].get("metrics") for widget in widgets])
    assert "'SampleCount'" in json.dumps(widgets[0]["properties"]["metrics"][1])
    for shown in (
        "JobsFinished",
        "JobDuration",
        "TimeToNotice",
        '"stat": "p95"',
        "Errors",
        "Duration",
        "DescribeErrors",
        "PublishErrors",
        "ApproximateNumberOfMessagesVisible",
    ):
        assert shown in metrics, shown
    [annotation] = widgets[4]["properties"]["annotations"]["horizontal"]
    assert (annotation["label"], annotation["value"]) == ("timeout", function(template, POLL)["Timeout"])


def test_the_dashboard_shows_what_campaigns_and_recommenders_serve_where_usage_is_read(synth) -> None:
    """Personalize's own request counts, one line a resource; the poll's hourly readings against each minimum,
    from its log group (the lines the reading writes); nothing of it where usage is not read."""
    for context, shown in (({}, True), ({"usageMonitoring": "false"}, False)):
        template = synth(context)
        [dashboard] = template.find_resources("AWS::CloudWatch::Dashboard").values()
        parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
        body = "".join(part if isinstance(part, str) else json.dumps(part) for part in parts)
        assert ("SEARCH('{AWS/Personalize,CampaignArn} MetricName=\\\"GetRecommendations\\\"'" in body) is shown
        assert ("filter message = 'Usage read'" in body) is shown
        if shown:
            [log_group] = [k for k in template.find_resources("AWS::Logs::LogGroup") if k.startswith("PollerPoll")]
            assert json.dumps({"Ref": log_group}) in body  # the poll's own log group


# --- what reviews of the deployed defaults found ---


def test_the_alarms_do_not_share_the_key_of_the_notifications_they_report_on(template: Template) -> None:
    jobs_key, alarms_key = topic_key(template, JOBS_TOPIC), topic_key(template, ALARMS_TOPIC)
    assert jobs_key is not alarms_key and jobs_key != alarms_key
    # Only the alarms' key lets CloudWatch in: the jobs key's policy is the account's alone.
    assert [s["Principal"] for s in jobs_key["KeyPolicy"]["Statement"]] == [
        {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}}
    ]
    assert alarms_key["EnableKeyRotation"] is True


@pytest.mark.parametrize("channel", ["slack", "teams"])
def test_chat_configuration_names_differ_per_region(channel: str, monkeypatch) -> None:
    # Chat configuration names are unique per account (their ARNs have no region): two regions, two names.
    from app import build_app
    from tests.infra.options import EXAMPLES

    names = set()
    for region in ("us-east-1", "eu-west-1"):
        monkeypatch.setenv("CDK_DEFAULT_REGION", region)
        _, stack = build_app(EXAMPLES[channel], nag=False)
        [configuration] = [
            r["Properties"]
            for r in Template.from_stack(stack).to_json()["Resources"].values()
            if r["Type"].startswith("AWS::Chatbot::")
        ]
        name = configuration.get("ConfigurationName")
        assert isinstance(name, str) and len(name) <= 128 and region in name, name
        names.add(name)
    assert len(names) == 2


def test_the_chat_guardrail_lets_members_read_cloudwatch_only(full: Template) -> None:
    resources = full.to_json()["Resources"]
    configurations = [r["Properties"] for r in resources.values() if r["Type"].startswith("AWS::Chatbot::")]
    assert len(configurations) == 2
    for configuration in configurations:
        [guardrail] = configuration["GuardrailPolicies"]
        policy = resources[guardrail["Ref"]]
        assert policy["Type"] == "AWS::IAM::ManagedPolicy"
        [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
        # Not CloudWatchReadOnlyAccess (it reads every log group too), nor ReadOnlyAccess (S3 objects, items).
        assert statement == {
            "Action": ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"],
            "Effect": "Allow",
            "Resource": "*",
        }
        assert configuration["UserRoleRequired"] is True


def test_the_jobs_table_refuses_to_be_deleted(template: Template) -> None:
    [table] = template.find_resources("AWS::DynamoDB::Table").values()
    assert table["Properties"]["DeletionProtectionEnabled"] is True  # DeleteTable from the console or the API
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"  # and deleting the stack


def test_the_dashboard_shows_poll_durations_in_seconds_beside_the_timeout(template: Template) -> None:
    [dashboard] = template.find_resources("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    widgets = json.loads("".join(part if isinstance(part, str) else "us-east-1" for part in parts))["widgets"]
    [duration] = [w["properties"] for w in widgets if w["properties"]["title"].startswith("Poll duration")]
    # Lambda's Duration metric is in milliseconds (Lambda developer guide, "Types of metrics for Lambda functions").
    [expression, raw] = duration["metrics"]
    assert expression[0]["expression"] == "duration / 1000" and raw[-1]["id"] == "duration" and not raw[-1]["visible"]
    [annotation] = duration["annotations"]["horizontal"]
    assert annotation["value"] == function(template, POLL)["Timeout"]  # seconds, as the expression


def alarm_table(readme: str) -> dict[str, tuple[str, str]]:
    """The deploy page's alarm table: name -> (when it fires, what it says)."""
    table = readme.split("| alarm | fires on | what it says |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\s*\| `([A-Za-z]+)` \| ([^|]+) \| ([^|]+) \|$", table, flags=re.MULTILINE)
    return {name: (when.strip(), says.strip()) for name, when, says in rows}


def test_alarm_texts_thresholds_and_the_docs_agree(template: Template) -> None:
    readme = (REPO / "docs" / "deploy.md").read_text()
    documented = alarm_table(readme)
    alarms = template.find_resources("AWS::CloudWatch::Alarm").values()
    assert len(alarms) == len(documented) == 6
    for alarm in alarms:
        properties = alarm["Properties"]
        name = properties["AlarmName"].removeprefix("PersonalizeJobNotifier-")
        periods = properties["EvaluationPeriods"]
        assert properties["DatapointsToAlarm"] == periods and properties["Threshold"] == 1
        when = "the first one" if periods == 1 else f"{periods} periods running"
        assert documented[name] == (when, properties["AlarmDescription"]), name
        # What corrects itself alarms when it persists; what is lost or kept aside, at once.
        kept_aside = properties["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert (periods == 1) == kept_aside, name


def test_the_docs_document_every_variable_the_stack_gives_the_functions(full: Template, synth) -> None:
    page = (REPO / "docs" / "how-it-works.md").read_text()
    section = page.split("## Configuration (Lambda environment)", 1)[1].split("\n## ")[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))
    given = set()
    for template in (full, synth({"discover": "all", "recheckSeconds": "10", "personalizeMaxRps": "5"})):
        for function in template.find_resources("AWS::Lambda::Function").values():
            given |= set(function["Properties"]["Environment"]["Variables"])
    assert given and given <= documented, sorted(given - documented)
