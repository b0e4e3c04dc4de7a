"""Is the new model better? What a subscribed queue (and a failure-only one) receives when a solution version
finishes training: its offline metrics beside the previous ACTIVE version's, and the `quality` verdict; a
syncing campaign that moved to a worse model; a recommender's model metrics; metrics that cannot be had."""

from __future__ import annotations

import pytest

from notifier.domain.quality import DEFAULT_KEY_METRIC
from notifier.rendering.envelope import failure_filter_policy
from notifier_local import personalize as emulator
from notifier_local.aws import QueueSubscriber
from tests.conftest import World
from tests.integration.test_resources import Resources

pytestmark = pytest.mark.integration

NDCG = DEFAULT_KEY_METRIC


@pytest.fixture
def made(world: World) -> Resources:
    return Resources(world)


def train(world: World, made: Resources, solution: str, metrics: dict[str, float] | None) -> str:
    """A version created, tracked (as CloudTrail's record of the call would), trained and ACTIVE, then polled."""
    arn = made.client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    world.track(arn)
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    world.poll()
    if metrics is not None:
        emulator.set_metrics(arn, metrics)
    world.clock.advance(minutes=5)
    emulator.set_status(arn, "ACTIVE", trainingHours=2.5)
    world.poll()
    return arn


def finished(world: World, arn: str):
    [told] = [d for d in world.delivered() if d.document["jobArn"] == arn and d.document["status"] == "ACTIVE"]
    return told


def test_each_trained_version_is_told_first_improved_regressed_or_unchanged(
    world: World, made: Resources, failures: QueueSubscriber, email
) -> None:
    solution = made.solution(made.dataset_group(), auto=False)
    first = train(world, made, solution, {NDCG: 0.25, "precision_at_25": 0.05, "coverage": 0.4})
    told = finished(world, first)
    assert told.attributes["quality"] == "first"
    assert told.document["metrics"] == {NDCG: 0.25, "precision_at_25": 0.05, "coverage": 0.4}
    assert told.document["previousVersion"] is None
    assert told.subject.endswith("finished: NDCG@25 0.2500, its first model")

    better = train(world, made, solution, {NDCG: 0.3125, "precision_at_25": 0.05, "coverage": 0.41})
    told = finished(world, better)
    assert told.attributes["quality"] == "improved"
    assert told.document["previousVersion"] == {
        "arn": first,
        "metrics": {NDCG: 0.25, "precision_at_25": 0.05, "coverage": 0.4},
    }
    assert told.subject.endswith("improved: NDCG@25 0.3125 (+25.0 %)")

    worse = train(world, made, solution, {NDCG: 0.275, "precision_at_25": 0.045, "coverage": 0.41})
    told = finished(world, worse)
    short = better.rsplit("/", 1)[1]
    assert told.attributes["quality"] == "regressed"
    assert told.document["quality"] == "regressed"
    assert told.document["qualityRule"] == {"keyMetric": NDCG, "thresholdPercent": 5.0}
    assert told.subject.endswith("regressed: NDCG@25 0.2750 (-12.0 %)")
    text = email(worse)
    assert f"Quality: regressed: NDCG@25 0.2750, 12.0 % below {short}" in text
    table = text[text.index(f"Metrics of version {worse.rsplit('/', 1)[1]}:") :].splitlines()
    assert table[1].split() == ["Metric", "This", "model", short, "Change"]
    assert table[2].split() == ["Coverage", "0.4100", "0.4100", "+0.0", "%"]
    assert table[3].split() == ["NDCG@25", "0.2750", "0.3125", "-12.0", "%"]
    assert table[4].split() == ["Precision@25", "0.0450", "0.0500", "-10.0", "%"]
    assert "Training hours:" in text and "2.5" in text  # billed hours, as before

    same = train(world, made, solution, {NDCG: 0.28, "coverage": 0.41})
    assert finished(world, same).attributes["quality"] == "unchanged"  # +1.8 %: under the 5 % threshold

    # On-call's failure-only subscription gets the regression, none of the others.
    assert [(d.document["jobArn"], d.attributes["quality"]) for d in failures.receive_all()] == [(worse, "regressed")]


def test_comparing_costs_one_call_per_version_once_the_baseline_is_kept(world: World, made: Resources) -> None:
    solution = made.solution(made.dataset_group(), auto=False)
    emulator.calls.reset()
    train(world, made, solution, {NDCG: 0.2})
    # The first: its metrics, and one listing that finds no version before it.
    assert emulator.calls.counts.get("GetSolutionMetrics") == 1
    assert emulator.calls.counts.get("ListSolutionVersions") == 1
    emulator.calls.reset()
    train(world, made, solution, {NDCG: 0.3})
    assert emulator.calls.counts.get("GetSolutionMetrics") == 1  # the previous version's metrics: from the table
    assert "ListSolutionVersions" not in emulator.calls.counts
    emulator.calls.reset()
    for _ in range(3):
        world.clock.advance(minutes=1)
        assert world.poll().idle
    assert emulator.calls.total() == 0  # nothing to assess: nothing called


def test_a_version_before_the_notifier_knew_the_solution_is_found_and_read_once(world: World, made: Resources) -> None:
    solution = made.solution(made.dataset_group(), auto=False)
    older = made.version(solution)  # trained before anything was watched
    emulator.set_metrics(older, {NDCG: 0.4})
    world.clock.advance(days=7)
    emulator.calls.reset()
    newer = train(world, made, solution, {NDCG: 0.3})
    told = finished(world, newer)
    assert told.attributes["quality"] == "regressed"
    assert told.document["previousVersion"] == {"arn": older, "metrics": {NDCG: 0.4}}
    assert emulator.calls.counts.get("GetSolutionMetrics") == 2 and emulator.calls.counts["ListSolutionVersions"] == 1


def test_metrics_not_available_are_told_as_missing_and_never_block_or_repeat(
    world: World, made: Resources, email
) -> None:
    solution = made.solution(made.dataset_group(), auto=False)
    arn = made.client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    world.track(arn)
    emulator.refuse_metrics(arn, "AccessDeniedException", "not authorized to perform: personalize:GetSolutionMetrics")
    emulator.set_status(arn, "ACTIVE")
    world.poll()
    told = finished(world, arn)
    assert "quality" in told.attributes and told.attributes["quality"] == "unknown"
    assert told.document["metrics"] == {}
    assert "AccessDeniedException" in told.document["metricsMissing"]
    assert "Metrics: not available (AccessDeniedException" in email(arn)
    assert told.subject.endswith("finished (ACTIVE)")
    world.clock.advance(minutes=5)
    world.poll()
    assert world.delivered() == []  # told once, without them


def test_a_syncing_campaign_that_moved_to_a_worse_model_says_so(
    world: World, made: Resources, failures: QueueSubscriber
) -> None:
    solution, old, campaign = made.active_campaign(sync=True)
    emulator.set_metrics(old, {NDCG: 0.3125})
    world.delivered()
    world.clock.advance(days=7)
    new = made.client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    world.track(new)
    emulator.set_metrics(new, {NDCG: 0.275})
    emulator.set_status(new, "ACTIVE")  # Personalize moves the campaign to it by itself
    world.poll()  # the version told (regressed), the campaign woken
    world.poll()  # the campaign described: it serves the new version
    moved = next(d for d in world.delivered() if d.document["jobArn"] == campaign)
    assert moved.subject == (
        f"Personalize: Campaign home-page updated: now serves {new.rsplit('/', 1)[1]}, NDCG@25 0.2750, "
        f"12.0 % below {old.rsplit('/', 1)[1]}"
    )
    assert moved.attributes["quality"] == "regressed" and moved.document["metricsOf"] == new
    assert sorted(d.document["jobKind"] for d in failures.receive_all()) == ["campaign", "solution-version"]


def test_a_recommender_update_carries_its_model_metrics(world: World, made: Resources, email) -> None:
    recommender = made.recommender(made.dataset_group())
    world.track(recommender)
    emulator.set_status(recommender, "ACTIVE", modelMetrics={"coverage": 0.27, "precision_at_25": 0.11})
    world.poll()
    [active] = world.delivered()
    assert active.document["metrics"] == {"coverage": 0.27, "precision_at_25": 0.11}
    assert "quality" not in active.attributes and active.document["quality"] is None
    text = email(recommender)
    assert "Model metrics:" in text and "Precision@25" in text


def test_a_regression_after_an_import_is_told_as_trained_on_new_data_and_pages_no_one_by_default(
    world: World, made: Resources, failures: QueueSubscriber, email
) -> None:
    """Personalize's guide advises against comparing versions trained on different data: a worse model after an
    import into its dataset group is `regressed on new data`, which the failure-only route leaves out
    unless it was deployed to take it (regressionsOnNewData); a regression on the same data still pages."""
    group = made.dataset_group("shop")
    solution = made.solution(group, name="shop-movies", auto=False)
    first = train(world, made, solution, {NDCG: 0.30})
    world.clock.advance(hours=1)
    nightly = made.client.create_dataset_import_job(
        jobName="nightly",
        datasetArn=group.replace(":dataset-group/", ":dataset/") + "/INTERACTIONS",
        dataSource={"dataLocation": "s3://imports/nightly/"},
        roleArn="arn:aws:iam::123456789012:role/PersonalizeImport",
    )["datasetImportJobArn"]
    emulator.set_status(nightly, "ACTIVE")
    world.clock.advance(hours=1)
    all_regressions = QueueSubscriber(
        world.session.client("sns"),
        world.session.client("sqs"),
        world.topic_arn,
        "all-regressions",
        failure_filter_policy(regressions_on_new_data=True),
    )
    after_import = train(world, made, solution, {NDCG: 0.24})
    told = finished(world, after_import)
    assert (told.attributes["quality"], told.attributes["newData"]) == ("regressed", "true")
    assert told.document["trainedOnNewData"] is True
    assert told.subject.endswith("regressed on new data: NDCG@25 0.2400 (-20.0 %)")
    assert "Quality: regressed on new data: NDCG@25 0.2400, 20.0 % below" in email(after_import)
    same_data = train(world, made, solution, {NDCG: 0.20})
    told = finished(world, same_data)
    assert "newData" not in told.attributes and told.document["trainedOnNewData"] is False
    assert [d.document["jobArn"] for d in failures.receive_all()] == [same_data]
    assert [d.document["jobArn"] for d in all_regressions.receive_all()] == [after_import, same_data]
    assert first not in {d.document["jobArn"] for d in failures.receive_all()}
