"""Every channel from one publish: failure-only routing, the chat channel, EventBridge events, stuck jobs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from notifier.app.compose import build_poller
from notifier.app.settings import Settings
from notifier.rendering.envelope import FAILURE_FILTER_POLICY
from notifier_local import personalize as emulator
from notifier_local.aws import QueueSubscriber
from notifier_local.inbox import CHATBOT_ENDPOINT, inbox
from tests.conftest import World

pytestmark = pytest.mark.integration

DETAIL_TYPE = "Personalize Dataset Export Job State Change"


def run_lifecycles(world: World, poller=None) -> dict[str, str]:
    """One job succeeds, one fails, one vanishes; every transition polled."""
    poll = (poller or world.poller()).poll
    arns = {name: world.export_job(name) for name in ("good", "bad")}
    arns["gone"] = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/gone"
    for arn in arns.values():
        world.track(arn)
    for name, status in (("good", "CREATE IN_PROGRESS"), ("bad", "CREATE IN_PROGRESS")):
        emulator.set_status(arns[name], status)
    poll()
    emulator.set_status(arns["good"], "ACTIVE")
    emulator.set_status(arns["bad"], "CREATE FAILED", failure_reason="Input too small")
    world.clock.advance(minutes=5)
    poll()
    return arns


def test_a_failure_only_queue_gets_failures_and_nothing_else(world: World) -> None:
    sns, sqs = world.session.client("sns"), world.session.client("sqs")
    failures = QueueSubscriber(sns, sqs, world.topic_arn, "failures", FAILURE_FILTER_POLICY)
    run_lifecycles(world)
    assert len(world.delivered()) == 5  # everything, for the unfiltered subscriber
    got = sorted((d.document["jobName"], d.attributes["outcome"]) for d in failures.receive_all())
    assert got == [("bad", "failed"), ("gone", "not_found")]


def test_the_readme_filter_on_terminal_events_passes_only_endings(world: World) -> None:
    sns, sqs = world.session.client("sns"), world.session.client("sqs")
    endings = QueueSubscriber(sns, sqs, world.topic_arn, "endings", {"terminal": ["true"]})
    run_lifecycles(world)
    assert sorted(d.document["jobName"] for d in endings.receive_all()) == ["bad", "gone", "good"]


def test_the_chat_channel_gets_one_thread_per_job(world: World) -> None:
    inbox.clear()
    world.session.client("sns").subscribe(TopicArn=world.topic_arn, Protocol="https", Endpoint=CHATBOT_ENDPOINT)
    arns = run_lifecycles(world)
    chats = [json.loads(mail.body) for mail in inbox.all() if mail.protocol == "https"]
    assert len(chats) == 5
    assert {chat["source"] for chat in chats} == {"custom"}
    per_thread = {arn: sum(chat["metadata"]["threadId"] == arn for chat in chats) for arn in arns.values()}
    assert per_thread == {arns["good"]: 2, arns["bad"]: 2, arns["gone"]: 1}  # each job's updates, one thread


@pytest.fixture
def events_queue(world: World):
    """A rule on the bus sending this notifier's events to a queue, as a pipeline would consume them."""
    events, sqs = world.session.client("events"), world.session.client("sqs")
    url = sqs.create_queue(QueueName="pipeline")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="export-landed",
        EventPattern=json.dumps({"source": ["acme.personalize"], "detail-type": [DETAIL_TYPE]}),
    )
    events.put_targets(Rule="export-landed", Targets=[{"Id": "queue", "Arn": arn}])

    def receive() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return receive


def events_poller(world: World, bus: str = "default"):
    settings = Settings.from_env(
        {
            "TABLE_NAME": world.table_name,
            "TOPIC_ARN": world.topic_arn,
            "EVENT_BUS_NAME": bus,
            "EVENT_SOURCE": "acme.personalize",
        }
    )
    poller = build_poller(settings, world.session)
    poller._clock = world.clock
    return poller


def test_every_notification_is_also_an_eventbridge_event(world: World, events_queue) -> None:
    arns = run_lifecycles(world, events_poller(world))
    received = events_queue()
    assert len(received) == 5
    landed = [e for e in received if e["detail"]["status"] == "ACTIVE"]
    [event] = landed
    assert (event["source"], event["detail-type"], event["resources"]) == (
        "acme.personalize",
        DETAIL_TYPE,
        [arns["good"]],
    )
    assert event["detail"]["outputPath"] == "s3://exports-bucket/good/"
    assert event["detail"]["version"] == "1.0"


def test_a_failed_event_is_retried_without_sending_the_email_twice(world: World, events_queue) -> None:
    arn = world.export_job("half")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    report = events_poller(world, bus="no-such-bus").poll()
    assert (report.publish_errors, report.notifications_published) == (1, 0)
    assert [d.document["status"] for d in world.delivered()] == ["ACTIVE"]  # SNS took it
    assert world.store.get(arn).pending[0].delivered == ("sns",)
    world.clock.advance(minutes=5)
    report = events_poller(world).poll()
    assert report.notifications_published == 1
    assert world.delivered() == []  # not again by SNS
    assert [e["detail"]["status"] for e in events_queue()] == ["ACTIVE"]


def test_a_stuck_job_is_reported_once_not_every_poll(world: World) -> None:
    arn = world.export_job("slow")
    world.track(arn)
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    poller = world.poller(stuck_after=timedelta(hours=6))
    poller.poll()
    assert [d.document["status"] for d in world.delivered()] == ["CREATE IN_PROGRESS"]
    world.clock.advance(hours=7)  # Personalize created it at the test clock's start
    for _ in range(3):
        world.clock.advance(minutes=5)
        poller.poll()
    [stuck] = world.delivered()
    assert (stuck.attributes["event"], stuck.attributes["terminal"], stuck.attributes["outcome"]) == (
        "stuck",
        "false",
        "stuck",
    )
    assert "looks stuck" in stuck.subject
    emulator.set_status(arn, "ACTIVE")
    world.clock.advance(minutes=5)
    poller.poll()
    assert [d.document["status"] for d in world.delivered()] == ["ACTIVE"]
