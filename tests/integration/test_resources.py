"""Resources that live on (campaigns, recommenders, solutions, dataset groups), as a subscribed queue sees them:
created, updated, stopped and started, deleted, trained automatically, and at rest at no Personalize cost."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from notifier.adapters.items import FOLLOWS_ATTRIBUTE
from notifier.app.compose import PollCycle
from notifier.app.settings import Settings
from notifier.domain.kinds import KINDS
from notifier.ports import WatchEnding
from notifier_local import personalize as emulator
from tests.conftest import ACCOUNT, REGION, World
from tests.integration.test_auto_tracking import (
    cloudtrail_event,
    track_handler,  # noqa: F401 (a fixture of `follow`)
)
from tests.integration.test_delivery_protocol import break_topic, mend_topic
from tests.integration.test_poll_handler import FakeLambdaContext

pytestmark = pytest.mark.integration

ROLE = f"arn:aws:iam::{ACCOUNT}:role/Personalize"


class Resources:
    """Real Create... calls against the emulator, the way a user makes these resources."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.client = world.session.client("personalize")

    def dataset_group(self, name: str = "retail") -> str:
        return self.client.create_dataset_group(name=name)["datasetGroupArn"]

    def solution(self, group: str, name: str = "movies", auto: bool = True) -> str:
        arn = self.client.create_solution(
            name=name, datasetGroupArn=group, recipeArn=emulator.RECIPE, performAutoTraining=auto
        )["solutionArn"]
        emulator.set_status(arn, "ACTIVE")
        return arn

    def version(self, solution: str) -> str:
        arn = self.client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        emulator.set_status(arn, "ACTIVE")
        return arn

    def campaign(self, version: str, name: str = "home-page", sync: bool = False) -> str:
        config = {"syncWithLatestSolutionVersion": True} if sync else {}
        return self.client.create_campaign(
            name=name, solutionVersionArn=version, minProvisionedTPS=1, campaignConfig=config
        )["campaignArn"]

    def recommender(self, group: str, name: str = "top-picks") -> str:
        return self.client.create_recommender(
            name=name,
            datasetGroupArn=group,
            recipeArn="arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
            recommenderConfig={"minRecommendationRequestsPerSecond": 2},
        )["recommenderArn"]

    def active_campaign(self, sync: bool = False) -> tuple[str, str, str]:
        """A campaign at rest on version 1 of its solution, watched since before it became ACTIVE."""
        made = emulator.serving_campaign(
            self.client, group="retail", solution="movies", campaign="home-page", sync=sync
        )
        assert self.world.track(made.campaign).outcome == "tracked"
        emulator.set_status(made.campaign, "ACTIVE")
        self.world.poll()
        return made.solution, made.version, made.campaign


@pytest.fixture
def made(world: World) -> Resources:
    return Resources(world)


@pytest.fixture
def follow(track_handler):  # noqa: F811
    """The track Lambda given CloudTrail's record of one call that changes a resource."""

    def call(name: str, arn_key: str, arn: str, **request: object) -> dict:
        return track_handler(change_event(name, arn_key, arn, **request), FakeLambdaContext())

    return call


def change_event(name: str, arn_key: str, arn: str, **request: object) -> dict:
    """CloudTrail's record of a call that changes a resource: its ARN in the request (no response for Delete...)."""
    response = None if name.startswith("Delete") else {arn_key: arn}
    return cloudtrail_event(
        None, eventName=name, requestParameters={arn_key: arn, **request}, responseElements=response
    )


def personalize_calls_of(world: World, polls: int = 3) -> int:
    emulator.calls.reset()
    for _ in range(polls):
        world.clock.advance(minutes=1)
        world.poll()
    return emulator.calls.total()


def test_a_campaign_tells_when_it_is_active_then_rests_at_no_cost(world: World, made: Resources) -> None:
    _, version, campaign = made.active_campaign()
    [active] = world.delivered()
    assert active.subject == "Personalize: Campaign home-page is active"
    assert active.attributes == {
        "status": "ACTIVE",
        "jobKind": "campaign",
        "terminal": "true",
        "event": "transition",
        "outcome": "succeeded",
    }
    document = active.document
    assert document["detailType"] == "Personalize Campaign State Change"
    assert (document["parentArn"], document["serving"], document["facts"]) == (
        version,
        True,
        {"Minimum TPS": "1"},
    )
    item = world.session.client("dynamodb").get_item(TableName=world.table_name, Key={"jobArn": {"S": campaign}})
    # At rest, kept: out of the partition each poll reads, in the one the hourly usage reading reads.
    assert item["Item"]["activeShard"] == {"S": "serving"} and "expiresAt" not in item["Item"]
    assert personalize_calls_of(world) == 0
    assert world.delivered() == []


def test_an_update_call_wakes_the_campaign_and_the_new_version_is_told_with_the_old(
    world: World, made: Resources, follow
) -> None:
    solution, old, campaign = made.active_campaign()
    world.delivered()
    new = made.version(solution)
    made.client.update_campaign(campaignArn=campaign, solutionVersionArn=new)
    woken = follow("UpdateCampaign", "campaignArn", campaign, solutionVersionArn=new)
    assert woken == {"outcome": "woken", "jobArn": campaign, "call": "UpdateCampaign"}
    world.poll()
    emulator.set_update_status(campaign, "CREATE IN_PROGRESS")
    world.poll()
    emulator.set_update_status(campaign, "ACTIVE")
    world.poll()
    pending, in_progress, done = world.delivered()
    assert [d.subject for d in (pending, in_progress)] == [
        "Personalize: Campaign home-page update is now CREATE PENDING",
        "Personalize: Campaign home-page update is now CREATE IN_PROGRESS",
    ]
    assert pending.attributes["terminal"] == "false" and pending.document["update"] is True
    assert done.attributes == {
        "status": "ACTIVE",
        "jobKind": "campaign",
        "terminal": "true",
        "event": "transition",
        "outcome": "succeeded",
    }
    old_id, new_id = old.rsplit("/", 1)[1], new.rsplit("/", 1)[1]
    assert done.subject == f"Personalize: Campaign home-page updated: solution version {new_id} (was {old_id})"
    assert done.document["changes"] == [{"what": "Solution version", "before": old, "after": new}]
    assert (done.document["previousStatus"], done.document["status"]) == ("CREATE IN_PROGRESS", "ACTIVE")
    assert personalize_calls_of(world) == 0  # at rest again


def test_a_failed_update_carries_its_reason_verbatim_and_the_campaign_keeps_serving(
    world: World, made: Resources, follow
) -> None:
    _, old, campaign = made.active_campaign()
    world.delivered()
    made.client.update_campaign(campaignArn=campaign, minProvisionedTPS=500)
    follow("UpdateCampaign", "campaignArn", campaign, minProvisionedTPS=500)
    reason = "Insufficient capacity for minProvisionedTPS 500.\n  Ask for a limit increase."
    emulator.set_update_status(campaign, "CREATE FAILED", failure_reason=reason)
    world.poll()
    [failed] = world.delivered()
    assert failed.attributes["outcome"] == "failed" and failed.attributes["terminal"] == "true"
    assert failed.document["failureReason"] == reason
    assert failed.subject.startswith("Personalize: Campaign home-page update failed: Insufficient capacity")
    assert failed.document["changes"] == [] and failed.document["parentArn"] == old  # still serving the old one
    assert personalize_calls_of(world) == 0


def test_stopping_and_starting_a_recommender_say_whether_it_serves_and_bills(
    world: World, made: Resources, follow
) -> None:
    recommender = made.recommender(made.dataset_group())
    world.track(recommender)
    emulator.set_status(recommender, "ACTIVE")
    world.poll()
    made.client.stop_recommender(recommenderArn=recommender)
    follow("StopRecommender", "recommenderArn", recommender)
    world.poll()
    emulator.set_status(recommender, "INACTIVE")
    world.poll()
    assert personalize_calls_of(world) == 0
    made.client.start_recommender(recommenderArn=recommender)
    follow("StartRecommender", "recommenderArn", recommender)
    emulator.set_status(recommender, "ACTIVE")
    world.poll()
    active, stopping, stopped, started = world.delivered()
    assert active.subject == "Personalize: Recommender top-picks is active"
    assert stopping.attributes["status"] == "STOP PENDING" and stopping.attributes["terminal"] == "false"
    assert stopped.subject == "Personalize: Recommender top-picks stopped: it serves nothing and is not billed"
    assert (stopped.attributes["outcome"], stopped.document["serving"]) == ("stopped", False)
    assert started.subject == "Personalize: Recommender top-picks started: it serves and bills again"
    assert (started.attributes["outcome"], started.document["serving"]) == ("succeeded", True)
    assert started.document["previousStatus"] == "INACTIVE"  # the start was never seen half-way


def test_a_deletion_is_told_once_then_watching_ends(world: World, made: Resources, follow) -> None:
    _, _, campaign = made.active_campaign()
    world.delivered()
    made.client.delete_campaign(campaignArn=campaign)
    assert follow("DeleteCampaign", "campaignArn", campaign)["outcome"] == "woken"
    world.poll()
    emulator.delete_job(campaign)
    world.poll()
    deleting, deleted = world.delivered()
    assert deleting.attributes["status"] == "DELETE PENDING" and deleting.document["serving"] is False
    assert deleted.subject == "Personalize: Campaign home-page was deleted; it is no longer watched"
    assert deleted.attributes == {
        "status": "DELETE PENDING",
        "jobKind": "campaign",
        "terminal": "true",
        "event": "deleted",
        "outcome": "deleted",
    }
    assert world.store.get(campaign).expires_at is not None
    assert personalize_calls_of(world) == 0 and world.delivered() == []


def test_a_resource_deleted_without_a_trace_of_its_deletion_is_not_found(world: World, made: Resources) -> None:
    group = made.dataset_group()
    world.track(group)
    emulator.delete_job(group)
    world.poll()
    [gone] = world.delivered()
    assert (gone.attributes["event"], gone.attributes["outcome"]) == ("not_found", "not_found")


def deleted_group(world: World, made: Resources, follow, *, end_told: bool = True) -> str:
    """A watched dataset group, ACTIVE, then deleted as a user deletes it (DeleteDatasetGroup seen, DELETE
    PENDING told, then gone); with `end_told` False, the notice of its end stays owed (the topic refuses)."""
    group = made.dataset_group("seasonal")
    world.track(group)
    emulator.set_status(group, "ACTIVE")
    world.poll()
    made.client.delete_dataset_group(datasetGroupArn=group)
    assert follow("DeleteDatasetGroup", "datasetGroupArn", group)["outcome"] == "woken"
    world.poll()
    emulator.delete_job(group)
    if not end_told:
        break_topic(world)
    world.poll()
    return group


def test_a_resource_re_created_under_its_name_is_watched_again_with_ids_of_its_own(
    world: World, made: Resources, follow
) -> None:
    group = deleted_group(world, made, follow)
    first_active, deleting, gone = world.delivered()
    assert (deleting.attributes["status"], gone.attributes["event"]) == ("DELETE PENDING", "deleted")
    # Created again under the same name: the same ARN, a new watch (the ended one is replaced, conditionally).
    assert made.dataset_group("seasonal") == group
    assert world.track(group).outcome == "tracked"
    assert world.track(group).outcome == "already_tracked"  # a live watch is never replaced
    emulator.set_status(group, "ACTIVE")
    world.poll()
    [second_active] = world.delivered()
    assert second_active.attributes["status"] == first_active.attributes["status"] == "ACTIVE"
    earlier = {first_active.document["id"], deleting.document["id"], gone.document["id"]}
    assert second_active.document["id"] not in earlier


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # the failing invocation writes none
def test_a_re_creation_seen_before_the_deletion_was_told_is_tried_again_not_dropped(
    world: World,
    made: Resources,
    follow,
    track_handler,  # noqa: F811 (the fixture imported above)
) -> None:
    group = deleted_group(world, made, follow, end_told=False)
    assert world.store.get(group).watch_ending
    made.dataset_group("seasonal")
    created = cloudtrail_event(None, eventName="CreateDatasetGroup", responseElements={"datasetGroupArn": group})
    # The track Lambda fails, so Lambda retries the event (and keeps it in the failed-events queue if it never
    # succeeds) instead of answering "already tracked" and leaving the new group unwatched.
    with pytest.raises(WatchEnding):
        track_handler(created, FakeLambdaContext())
    mend_topic(world)
    world.clock.advance(minutes=5)
    world.poll()  # what was owed is published
    assert track_handler(created, FakeLambdaContext())["outcome"] == "tracked"
    assert [d.attributes["event"] for d in world.delivered()][-1] == "deleted"


def test_a_dataset_group_is_told_active_and_its_creation_failure_with_the_reason(world: World, made: Resources) -> None:
    ok, broken = made.dataset_group("retail"), made.dataset_group("broken")
    world.track(ok), world.track(broken)
    emulator.set_status(ok, "ACTIVE")
    emulator.set_status(broken, "CREATE FAILED", failure_reason="KMS key is not accessible by the role")
    world.poll()
    subjects = sorted(d.subject for d in world.delivered())
    assert subjects == [
        "Personalize: Dataset group broken failed: KMS key is not accessible by the role",
        "Personalize: Dataset group retail is active",
    ]
    assert personalize_calls_of(world) == 0


def test_automatic_training_is_noticed_and_its_new_version_told_like_any(world: World, made: Resources) -> None:
    solution = made.solution(made.dataset_group())
    assert world.track(solution).outcome == "tracked"
    world.poll()  # the first look at its versions: none new
    emulator.calls.reset()
    automatic = emulator.train_automatically(solution)
    world.clock.advance(minutes=30)
    report = world.poll()
    assert emulator.calls.total() == 0 and report.idle  # not yet time to look again
    world.clock.advance(minutes=31)
    report = world.poll()
    assert emulator.calls.counts == {"ListSolutionVersions": 1} and report.jobs_discovered == 1
    emulator.set_status(automatic, "ACTIVE", trainingHours=1.5)
    world.poll()
    [trained] = world.delivered()
    assert trained.attributes["jobKind"] == "solution-version" and trained.attributes["status"] == "ACTIVE"
    assert trained.document["jobArn"] == automatic and trained.document["parentArn"] == solution


def test_a_version_trained_and_finished_between_two_looks_is_still_told(world: World, made: Resources) -> None:
    solution = made.solution(made.dataset_group())
    world.track(solution)
    world.poll()
    world.clock.advance(minutes=20)
    automatic = emulator.train_automatically(solution)
    emulator.set_status(automatic, "ACTIVE")
    world.clock.advance(minutes=41)
    world.poll()  # watched from now, status unknown
    world.poll()  # described: ACTIVE is the outcome waited for
    [trained] = world.delivered()
    assert trained.document["jobArn"] == automatic and trained.attributes["outcome"] == "succeeded"


def test_turning_automatic_training_off_is_an_update_and_stops_the_looks(world: World, made: Resources, follow) -> None:
    solution = made.solution(made.dataset_group())
    world.track(solution)
    made.client.update_solution(solutionArn=solution, performAutoTraining=False)
    follow("UpdateSolution", "solutionArn", solution, performAutoTraining=False)
    emulator.set_update_status(solution, "ACTIVE")
    world.poll()
    [updated] = world.delivered()
    assert updated.subject == "Personalize: Solution movies updated: automatic training no (was yes)"
    assert world.store.get(solution).next_versions_check is None
    assert personalize_calls_of(world, polls=3) == 0
    world.clock.advance(hours=3)
    assert personalize_calls_of(world, polls=1) == 0  # no more looks at its versions


def test_a_syncing_campaign_is_woken_by_its_solutions_new_version(world: World, made: Resources) -> None:
    solution, old, campaign = made.active_campaign(sync=True)
    world.delivered()
    item = world.session.client("dynamodb").get_item(TableName=world.table_name, Key={"jobArn": {"S": campaign}})
    assert item["Item"][FOLLOWS_ATTRIBUTE] == {"S": solution}
    client = world.session.client("personalize")
    new = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    world.track(new)
    emulator.set_status(new, "ACTIVE")  # Personalize moves the syncing campaign to it: no call, no CloudTrail
    report = world.poll()
    assert report.woken == 1
    world.poll()
    version_done, campaign_moved = world.delivered()
    assert version_done.document["jobArn"] == new
    assert campaign_moved.document["jobArn"] == campaign
    assert campaign_moved.document["changes"] == [{"what": "Solution version", "before": old, "after": new}]
    assert personalize_calls_of(world) == 0


def test_idle_polls_with_every_resource_at_rest_make_no_personalize_call(world: World, made: Resources) -> None:
    group = made.dataset_group()
    solution = made.solution(group)
    recommender = made.recommender(group)
    for arn in (group, solution, recommender):
        world.track(arn)
    for arn in (group, recommender):
        emulator.set_status(arn, "ACTIVE")
    world.poll()
    world.delivered()
    cycle = PollCycle(Settings(table_name=world.table_name, topic_arn=world.topic_arn), world.session)
    cycle.poller._clock = world.clock
    emulator.calls.reset()
    for _ in range(5):
        world.clock.advance(minutes=1)
        assert cycle.run().idle
    assert emulator.calls.total() == 0


@pytest.mark.parametrize(
    ("call", "target"),
    [
        ("UpdateCampaign", "campaign"),
        ("DeleteCampaign", "campaign"),
        ("UpdateRecommender", "recommender"),
        ("StopRecommender", "recommender"),
        ("StartRecommender", "recommender"),
        ("DeleteRecommender", "recommender"),
        ("UpdateSolution", "solution"),
        ("DeleteSolution", "solution"),
        ("DeleteDatasetGroup", "dataset-group"),
    ],
)
def test_each_call_that_changes_a_resource_wakes_it(
    world: World, made: Resources, follow, call: str, target: str
) -> None:
    group = made.dataset_group()
    solution = made.solution(group, auto=False)  # at rest between looks at its versions otherwise
    arns = {
        "dataset-group": group,
        "solution": solution,
        "campaign": made.campaign(made.version(solution)),
        "recommender": made.recommender(group),
    }
    arn, key = arns[target], {"dataset-group": "datasetGroupArn"}.get(target, f"{target}Arn")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    world.poll()
    assert world.store.get(arn).in_active_index is False
    assert follow(call, key, arn)["outcome"] == "woken"
    assert world.store.get(arn).in_active_index and world.store.get(arn).woken_by == call
    world.clock.now = datetime.now(UTC) + timedelta(minutes=31)  # the handler woke it by the real clock
    # Nothing changed within the window: back to rest.
    world.poll()
    assert world.store.get(arn).in_active_index is False


def test_a_change_call_on_something_not_watched_starts_watching_it_but_a_deletion_does_not(
    world: World, made: Resources, follow
) -> None:
    recommender = made.recommender(made.dataset_group())
    emulator.set_status(recommender, "ACTIVE")
    made.client.stop_recommender(recommenderArn=recommender)
    assert follow("StopRecommender", "recommenderArn", recommender)["outcome"] == "tracked"
    assert world.store.get(recommender).status == "STOP PENDING"
    other = made.dataset_group("old")
    result = follow("DeleteDatasetGroup", "datasetGroupArn", other)
    assert result["outcome"] == "ignored" and world.store.get(other) is None


ODD_CHANGE_EVENTS = {
    "a failed update": (
        change_event("UpdateCampaign", "campaignArn", f"arn:aws:personalize:{REGION}:{ACCOUNT}:campaign/c") | {},
        {"errorCode": "ResourceInUseException", "errorMessage": "busy"},
        "UpdateCampaign failed (ResourceInUseException: busy); nothing changed",
    ),
    "a deletion naming another kind": (
        change_event("DeleteSolution", "solutionArn", f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/s/v1"),
        {},
        "which is not a solution",
    ),
    "a stop without its ARN": (
        change_event("StopRecommender", "recommenderArn", ""),
        {},
        "carries no recommenderArn in its requestParameters or responseElements",
    ),
}


@pytest.mark.parametrize("name", ODD_CHANGE_EVENTS)
def test_odd_change_events_are_ignored_with_a_reason(world: World, track_handler, name: str) -> None:  # noqa: F811
    event, detail, reason = copy.deepcopy(ODD_CHANGE_EVENTS[name])
    event["detail"].update(detail)
    result = track_handler(event, FakeLambdaContext())
    assert result["outcome"] == "ignored" and reason in result["reason"]
    assert list(world.store.all_jobs()) == []


def test_discovery_watches_a_new_resource_from_one_describe_and_later_listings_cost_none(
    world: World, made: Resources
) -> None:
    from notifier.adapters.personalize import PersonalizeResources
    from notifier.usecases.discovery import discover

    made_ = emulator.serving_campaign(made.client, group="retail", solution="movies", campaign="home-page", sync=True)
    emulator.set_status(made_.campaign, "ACTIVE")
    personalize = PersonalizeResources(world.session)
    kinds = [KINDS["campaign"]]
    emulator.calls.reset()
    first = discover(personalize, world.store, regions=[REGION], kinds=kinds, describer=personalize)
    assert first.tracked == [made_.campaign] and emulator.calls.counts == {"ListCampaigns": 1, "DescribeCampaign": 1}
    record = world.store.get(made_.campaign)
    assert record.follows == made_.solution and not record.in_active_index  # at rest, baseline whole
    emulator.calls.reset()
    again = discover(personalize, world.store, regions=[REGION], kinds=kinds, describer=personalize)
    assert again.already_tracked == 1 and emulator.calls.counts == {"ListCampaigns": 1}  # no describe


def test_the_emulator_serves_a_versions_offline_metrics_as_botocore_parses_them(made: Resources) -> None:
    """GetSolutionMetrics (the quality of each trained version): in progress while training, then the map."""
    from botocore.exceptions import ClientError

    made_ = emulator.serving_campaign(made.client, group="retail", solution="movies", campaign="home", sync=False)
    version = made_.version
    emulator.set_status(version, "CREATE IN_PROGRESS")
    with pytest.raises(ClientError) as training:
        made.client.get_solution_metrics(solutionVersionArn=version)
    assert training.value.response["Error"]["Code"] == "ResourceInUseException"
    emulator.set_status(version, "ACTIVE")
    emulator.set_metrics(version, {"normalized_discounted_cumulative_gain_at_25": 0.2751, "coverage": 0.41})
    answer = made.client.get_solution_metrics(solutionVersionArn=version)
    assert answer["solutionVersionArn"] == version
    assert answer["metrics"] == {"normalized_discounted_cumulative_gain_at_25": 0.2751, "coverage": 0.41}
