"""What is served, and what it costs: what a subscribed queue (and a failure-only one) receives about ACTIVE
campaigns and recommenders nobody calls, or calls far under the minimum they bill for; read from CloudWatch as
Personalize publishes it, once an hour, never on the minutes between."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from notifier.adapters.usage import MAX_QUERIES_PER_CALL
from notifier.domain.arns import parse_arn
from notifier.domain.clock import parse_iso
from notifier.domain.usage import DEFAULT_IDLE_HOURS, DEFAULT_REPEAT_HOURS
from notifier.domain.watched import Snapshot, iso, start_watching
from notifier_local import personalize as emulator
from notifier_local.aws import QueueSubscriber
from tests.conftest import ACCOUNT, REGION, World
from tests.integration.test_auto_tracking import track_handler  # noqa: F401 (a fixture)
from tests.integration.test_poll_handler import FakeLambdaContext
from tests.integration.test_resources import Resources

pytestmark = pytest.mark.integration


@pytest.fixture
def made(world: World) -> Resources:
    return Resources(world)


def active(world: World, made: Resources, arn: str) -> str:
    """Tracked, then ACTIVE as Personalize moves it, told once: a resource at rest that bills."""
    assert world.track(arn).outcome == "tracked"
    emulator.set_status(arn, "ACTIVE")
    world.poll()
    world.delivered()
    return arn


def campaign(world: World, made: Resources, name: str = "home-page", minimum: int = 10) -> str:
    group = made.dataset_group(f"{name}-group")
    version = made.version(made.solution(group, name=f"{name}-solution", auto=False))
    arn = made.client.create_campaign(name=name, solutionVersionArn=version, minProvisionedTPS=minimum)["campaignArn"]
    return active(world, made, arn)


def requests(world: World, arn: str, per_hour: list[float]) -> None:
    """Personalize's CloudWatch metrics as the next reading (an hour on) sees them: per_hour[-1] the last hour."""
    until = world.clock() + timedelta(hours=1)
    emulator.answer_requests(world.session.client("cloudwatch"), arn, per_hour, until=until.timestamp())


def hours_later(world: World, hours: float) -> list:
    """The clock moved on; the poll that falls due reads usage. What the subscriber received."""
    world.clock.advance(hours=hours)
    report = world.poll()
    assert report.usage_reads == 1, report.summary()
    return world.delivered()


def test_an_idle_campaign_is_told_once_again_after_the_repeat_period_and_in_use_when_requests_return(
    world: World, made: Resources, email
) -> None:
    home = campaign(world, made)
    assert hours_later(world, 1) == []  # ACTIVE for an hour: not judged yet
    [idle] = hours_later(world, DEFAULT_IDLE_HOURS)
    said = (
        "Campaign home-page served no requests in 24 h; it bills at least 10 TPS for every hour it is ACTIVE "
        "(240 TPS-hours a day)"
    )
    assert idle.subject == "Personalize: Campaign home-page is idle: no requests in 24 h, it bills 240 TPS-hours a day"
    assert said in email(home)
    assert (idle.attributes["event"], idle.attributes["outcome"], idle.attributes["jobKind"]) == (
        "idle",
        "idle",
        "campaign",
    )
    figures = idle.document["usage"]
    assert (figures["requests"], figures["minimum"], figures["windowHours"], figures["billedTpsHours"]) == (
        0.0,
        10.0,
        24,
        240.0,
    )
    assert f"aws personalize update-campaign --campaign-arn {home} --min-provisioned-tps 1" in email(home)
    for _ in range(3):
        assert hours_later(world, 1) == []  # still idle: not told again every hour
    world.clock.advance(hours=DEFAULT_REPEAT_HOURS - 4)
    [again] = hours_later(world, 1)
    assert again.attributes["outcome"] == "idle" and again.document["id"] != idle.document["id"]
    requests(world, home, [50, 30_000])
    [back] = hours_later(world, 1)
    assert (
        back.subject
        == "Personalize: Campaign home-page is in use again: 30,050 requests in 24 h, busiest hour 8.33 TPS"
    )
    assert (back.attributes["event"], back.attributes["outcome"], back.attributes["usageBefore"]) == (
        "in_use",
        "recovered",  # the end of what a failure-only subscriber was told
        "idle",
    )
    assert hours_later(world, 1) == []  # in use: nothing more to say


def test_an_underused_recommender_is_told_with_its_utilization(world: World, made: Resources, email) -> None:
    group = made.dataset_group("shop")
    picks = active(world, made, made.recommender(group))  # 2 requests/s minimum
    world.clock.advance(hours=DEFAULT_IDLE_HOURS)
    requests(world, picks, [360.0] * 23 + [720.0])  # 0.1 and 0.2 requests/s: the busiest hour is 10 %
    [underused] = hours_later(world, 1)
    assert (
        "Recommender top-picks is underused: its busiest hour averaged 0.2 RPS, 10 % of its minimum "
        "2 RPS (a minimum of 1 would have covered it)"
    ) in email(picks)
    figures = underused.document["usage"]
    assert figures["requests"] == 360 * 23 + 720
    assert figures["peakTps"] == pytest.approx(0.2) and figures["utilizationPercent"] == pytest.approx(5.208, 1e-3)
    assert figures["coveringMinimum"] == 1 and figures["billedTpsHours"] == 48.0
    assert "--recommender-config minRecommendationRequestsPerSecond=1" in email(picks)


def test_a_campaign_active_for_less_than_the_window_is_not_called_idle(world: World, made: Resources) -> None:
    campaign(world, made)
    for _ in range(DEFAULT_IDLE_HOURS - 1):
        assert hours_later(world, 1) == []


def test_requests_that_cannot_be_read_are_told_once(world: World, made: Resources) -> None:
    campaign(world, made)
    world.clock.advance(hours=DEFAULT_IDLE_HOURS)
    with refused(world.session, "AccessDenied", "User is not authorized to perform: cloudwatch:GetMetricData"):
        [unknown] = hours_later(world, 1)
        assert unknown.attributes["outcome"] == "usage_unknown"
        assert (
            "AccessDenied: User is not authorized to perform: cloudwatch:GetMetricData"
            in unknown.document["usage"]["unreadable"]
        )
        assert hours_later(world, 1) == []  # still refused: not again
    [idle] = hours_later(world, 1)
    assert idle.attributes["outcome"] == "idle"


def test_the_failure_only_subscription_receives_idle_not_underused(
    world: World, made: Resources, failures: QueueSubscriber
) -> None:
    quiet = campaign(world, made, "quiet")
    slow = campaign(world, made, "slow")
    world.clock.advance(hours=DEFAULT_IDLE_HOURS)
    requests(world, slow, [3600.0] * 24)  # 1 TPS of 10
    told = {message.document["jobArn"]: message.attributes["outcome"] for message in hours_later(world, 1)}
    assert told == {quiet: "idle", slow: "underused"}
    assert [message.document["jobArn"] for message in failures.receive_all()] == [quiet]
    requests(world, quiet, [36_000.0])  # 10 TPS: in use
    requests(world, slow, [36_000.0])
    assert {message.attributes["event"] for message in hours_later(world, 1)} == {"in_use"}
    back = failures.receive_all()
    assert [(m.document["jobArn"], m.attributes["event"]) for m in back] == [(quiet, "in_use")]


def test_between_readings_a_poll_makes_no_cloudwatch_call_and_no_write(world: World, made: Resources) -> None:
    campaign(world, made)
    world.clock.advance(hours=1)
    assert world.poll().usage_reads == 1
    for _ in range(5):
        world.clock.advance(minutes=5)
        report = world.poll()
        assert (report.usage_reads, report.cloudwatch_calls, report.store_errors) == (0, 0, 0)
        assert report.idle


def test_overlapping_polls_read_an_hour_once(world: World, made: Resources) -> None:
    campaign(world, made)
    world.clock.advance(hours=1)
    first, second = world.poller(), world.poller()
    reads = first.poll().usage_reads + second.poll().usage_reads
    assert reads == 1


class refused:
    """CloudWatch answers every GetMetricData of this session with an error, as AWS would (the client's own
    parser turns it into the ClientError the adapter sees)."""

    def __init__(self, session: boto3.session.Session, code: str, message: str) -> None:
        self._events = session._session.get_component("event_emitter")
        self._answer = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 403}}

    def _refuse(self, **_: object) -> tuple[object, dict]:
        return _Http(), self._answer

    def __enter__(self) -> refused:
        self._events.register("before-call.cloudwatch.GetMetricData", self._refuse, unique_id="refuse-usage")
        return self

    def __exit__(self, *_: object) -> None:
        self._events.unregister("before-call.cloudwatch.GetMetricData", unique_id="refuse-usage")


class _Http:
    status_code = 403
    headers: dict[str, str] = {}
    content = b""


def test_a_thousand_active_campaigns_are_read_in_a_few_calls_an_hour(world: World) -> None:
    """GetMetricData takes 500 queries a call: a campaign's two request metrics make 1,000 campaigns four calls,
    once an hour, however often the poll runs."""
    store = world.store
    for index in range(1000):
        arn = f"arn:aws:personalize:{REGION}:{ACCOUNT}:campaign/shop-{index:04d}"
        snapshot = Snapshot(status="ACTIVE", facts=(("Minimum TPS", "1"),), updated_at=iso(world.clock()))
        store.add(start_watching(parse_arn(arn), world.clock(), snapshot))
    calls = []
    for _ in range(60):  # an hour of polls, a minute apart
        world.clock.advance(minutes=1)
        report = world.poll()
        calls.append(report.cloudwatch_calls)
    assert sum(calls) == 2 * 1000 // MAX_QUERIES_PER_CALL and calls.count(0) == 59


def as_before_the_upgrade(world: World, arn: str):
    """The table as a notifier without usage reading left it: the record in no partition, no reading, no clock."""
    dynamodb = world.session.client("dynamodb")
    key = {"jobArn": {"S": arn}}
    dynamodb.update_item(
        TableName=world.table_name,
        Key=key,
        UpdateExpression="REMOVE activeShard, #usage",
        ExpressionAttributeNames={"#usage": "usage"},
    )
    dynamodb.delete_item(TableName=world.table_name, Key={"jobArn": {"S": "usage-clock"}})
    return dynamodb


def test_campaigns_watched_before_an_upgrade_are_read_from_the_first_hour(world: World, made: Resources) -> None:
    """A table written by a notifier that had no usage reading: its campaigns at rest are in no partition of the
    index, and there is no usage clock. The first reading reads the whole table once, and puts them in."""
    home = campaign(world, made)
    dynamodb = as_before_the_upgrade(world, home)
    [idle] = hours_later(world, DEFAULT_IDLE_HOURS)
    assert idle.document["jobArn"] == home and idle.attributes["outcome"] == "idle"
    item = dynamodb.get_item(TableName=world.table_name, Key={"jobArn": {"S": home}})["Item"]
    assert item["activeShard"] == {"S": "serving"}  # read by the serving partition's query from now on


def test_a_record_the_first_reading_could_not_write_is_read_from_the_table_again(world: World, made: Resources) -> None:
    """The table is read whole until every record written before the upgrade has been written into the serving
    partition: one the first reading could not write (throttled) is read, and put in, at the next."""
    home = campaign(world, made)
    dynamodb = as_before_the_upgrade(world, home)
    world.clock.advance(hours=DEFAULT_IDLE_HOURS - 1)
    with throttled_writes_of(world.session, home):
        report = world.poll()
    assert (report.usage_reads, report.store_errors) == (1, 1), report.summary()
    [idle] = hours_later(world, 1)
    assert idle.document["jobArn"] == home and idle.attributes["outcome"] == "idle"
    item = dynamodb.get_item(TableName=world.table_name, Key={"jobArn": {"S": home}})["Item"]
    assert item["activeShard"] == {"S": "serving"}


class throttled_writes_of:
    """DynamoDB refuses every PutItem of one record (throttled, as AWS answers when a partition is hot)."""

    def __init__(self, session: boto3.session.Session, arn: str) -> None:
        self._events = session._session.get_component("event_emitter")
        self._arn = arn

    def _refuse(self, params: dict, **_: object) -> tuple[object, dict] | None:
        item = json.loads(params["body"])["Item"]  # the request as serialized for the wire
        if item["jobArn"]["S"] != self._arn:
            return None
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "Rate of requests exceeds the allowed"}
        return _Http(), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    def __enter__(self) -> throttled_writes_of:
        self._events.register("before-call.dynamodb.PutItem", self._refuse, unique_id="throttle-record")
        return self

    def __exit__(self, *_: object) -> None:
        self._events.unregister("before-call.dynamodb.PutItem", unique_id="throttle-record")


def test_an_unreadable_hour_inside_an_idle_spell_neither_repeats_the_idle_notice_nor_hides_its_end(
    world: World, made: Resources
) -> None:
    home = campaign(world, made)
    world.clock.advance(hours=DEFAULT_IDLE_HOURS)
    [idle] = hours_later(world, 1)
    with refused(world.session, "ThrottlingException", "Rate exceeded"):
        assert [m.attributes["outcome"] for m in hours_later(world, 1)] == ["usage_unknown"]
    assert hours_later(world, 1) == []  # still the idle spell told an hour ago: not told again
    requests(world, home, [36_000.0])
    [back] = hours_later(world, 1)
    assert (idle.attributes["outcome"], back.attributes["outcome"]) == ("idle", "recovered")


def test_a_campaign_a_task_waits_on_is_read_as_the_poll_left_it(
    world: World,
    made: Resources,
    track_handler,  # noqa: F811
) -> None:
    """A campaign in the polled partition (a task waits on it, its heartbeats written every few polls) is read in its
    hour as the poll wrote it, not as it was read at the poll's start: its reading is recorded, not lost to a race."""
    home = campaign(world, made)
    track_handler({"arn": home, "taskToken": "usage-task", "heartbeatSeconds": 900}, FakeLambdaContext())
    world.clock.now = parse_iso(world.store.get(home).task_tokens[0].since) + timedelta(hours=DEFAULT_IDLE_HOURS)
    report = world.poll()
    assert (report.usage_reads, report.lost_races) == (1, 0), report.summary()
    assert world.store.get(home).usage is not None


def test_a_campaign_deleted_without_an_event_heard_is_told_deleted_not_idle(world: World, made: Resources) -> None:
    """A campaign at rest is described by no poll; deleted where the notifier hears nothing of it (no trail), it
    would read as an ACTIVE campaign with no requests. Before telling idle, the reading describes it: it is gone."""
    home = campaign(world, made)
    emulator.delete_job(home)
    told = hours_later(world, DEFAULT_IDLE_HOURS)
    assert [message.attributes["outcome"] for message in told] == ["not_found"]
    assert world.store.get(home).ended_by is not None
    assert hours_later(world, DEFAULT_REPEAT_HOURS) == []  # and never idle after


def test_an_idle_recommender_stopped_without_an_event_heard_is_told_stopped_not_idle(
    world: World, made: Resources
) -> None:
    group = made.dataset_group("stopped-group")
    arn = made.client.create_recommender(
        name="stopped-picks",
        datasetGroupArn=group,
        recipeArn="arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
    )["recommenderArn"]
    active(world, made, arn)
    emulator.set_status(arn, "INACTIVE")
    told = hours_later(world, DEFAULT_IDLE_HOURS)
    assert [message.document["status"] for message in told] == ["INACTIVE"]
    assert not any(message.attributes["outcome"] == "idle" for message in told)


def test_an_account_cloudwatch_refuses_is_told_once_for_all_its_campaigns(world: World, made: Resources) -> None:
    """A member role without cloudwatch:GetMetricData refuses every resource of its account at once: one notice,
    naming how many it speaks for, not one per campaign."""
    for name in ("home-page", "search-page", "cart-page"):
        campaign(world, made, name=name)
    world.clock.advance(hours=DEFAULT_IDLE_HOURS)
    with refused(world.session, "AccessDenied", "User is not authorized to perform: cloudwatch:GetMetricData"):
        [unknown] = hours_later(world, 1)
        assert unknown.attributes["outcome"] == "usage_unknown"
        assert (
            f"(and 2 more of account {ACCOUNT} in {REGION}: one notice for all)"
            in unknown.document["usage"]["unreadable"]
        )
        assert hours_later(world, 1) == []
    assert sorted(m.attributes["outcome"] for m in hours_later(world, 1)) == ["idle"] * 3
