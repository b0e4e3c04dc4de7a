"""Did the pipeline stall? Expected cadences as a subscribed queue (and a failure-only one) sees them: met by
what the poll sees finish, looked up once when one falls due, one `overdue`, another only after a further
period, one `recovered`; nothing once cleared; declared at deploy time; set and shown with the CLI."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from notifier.cli import main
from notifier.domain.cadence import expect
from notifier_local import personalize as emulator
from notifier_local.aws import QueueSubscriber
from tests.conftest import ACCOUNT, REGION, World
from tests.integration.test_resources import Resources

pytestmark = pytest.mark.integration

GROUP = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/retail"
DATASET = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/retail/INTERACTIONS"


@pytest.fixture
def made(world: World) -> Resources:
    return Resources(world)


def expecting(world: World, arn: str, every: timedelta) -> None:
    world.store.save_expectation(expect(arn, every, world.clock()), None)


def imported(world: World, name: str, *, watched: bool) -> str:
    """An import into DATASET that succeeds: watched (tracked from CloudTrail's record), or not at all."""
    arn = world.session.client("personalize").create_dataset_import_job(
        jobName=name,
        datasetArn=DATASET,
        dataSource={"dataLocation": f"s3://imports/{name}/"},
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/PersonalizeImport",
    )["datasetImportJobArn"]
    if watched:
        world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    world.poll()
    return arn


def events(world: World) -> list[tuple[str, str]]:
    return [(d.attributes["event"], d.document.get("arn") or d.document["jobArn"]) for d in world.delivered()]


def test_overdue_once_a_period_and_recovered_once(world: World, made: Resources, failures: QueueSubscriber) -> None:
    solution = made.solution(made.dataset_group(), auto=False)
    expecting(world, solution, timedelta(days=8))
    emulator.calls.reset()
    for _ in range(3):
        world.clock.advance(hours=1)
        world.poll()
    assert emulator.calls.total() == 0 and world.delivered() == []  # not due: no call, nothing told

    world.clock.advance(days=8)
    world.poll()
    [overdue] = world.delivered()
    assert emulator.calls.counts == {"ListSolutionVersions": 1}  # one look when it fell due
    assert overdue.attributes["event"] == "overdue" and overdue.attributes["outcome"] == "overdue"
    assert overdue.document["arn"] == solution and overdue.document["target"] == "solution"
    assert overdue.subject == "Personalize: Overdue: solution movies: nothing for 8 d 3 h (expected every 8 d)"
    emulator.calls.reset()
    for _ in range(3):
        world.clock.advance(hours=6)
        world.poll()
    assert world.delivered() == [] and emulator.calls.total() == 0  # told once this period

    world.clock.advance(days=8)
    world.poll()
    assert events(world) == [("overdue", solution)]  # another period unmet: one more

    version = made.client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    world.track(version)
    emulator.set_status(version, "ACTIVE")
    world.poll()
    assert sorted(events(world)) == [("recovered", solution), ("transition", version)]
    # On-call hears each overdue, and the recovery that ends them.
    assert [d.attributes["event"] for d in failures.receive_all()] == ["overdue", "overdue", "recovered"]

    assert world.store.delete_expectation(solution)  # `notifier expect ARN --clear`
    world.clock.advance(days=30)
    emulator.calls.reset()
    world.poll()
    assert world.delivered() == [] and emulator.calls.total() == 0


def test_an_import_the_notifier_did_not_watch_is_found_by_the_one_look(world: World) -> None:
    expecting(world, DATASET, timedelta(hours=26))
    world.clock.advance(hours=20)
    imported(world, "nightly", watched=False)
    world.clock.advance(hours=7)  # due by the expectation's clock: the look finds the import of 7 h ago
    emulator.calls.reset()
    world.poll()
    assert world.delivered() == [] and emulator.calls.counts == {"ListDatasetImportJobs": 1}
    assert world.store.expectation(DATASET).last_met is not None
    world.clock.advance(hours=20)  # 27 h after that import
    world.poll()
    assert events(world) == [("overdue", DATASET)]


def test_a_watched_import_meets_its_dataset_group_and_dataset(world: World) -> None:
    expecting(world, GROUP, timedelta(hours=26))
    expecting(world, DATASET, timedelta(hours=26))
    world.clock.advance(hours=25)
    job = imported(world, "daily", watched=True)
    assert [e for e, _ in events(world)] == ["transition"]
    for arn in (GROUP, DATASET):
        assert world.store.expectation(arn).last_met_by == job
    emulator.calls.reset()
    world.clock.advance(hours=25)
    world.poll()
    assert world.delivered() == [] and emulator.calls.total() == 0  # met 25 h ago: not due, not looked up
    world.clock.advance(hours=2)
    world.poll()
    assert set(events(world)) == {("overdue", DATASET), ("overdue", GROUP)}
    assert emulator.calls.counts == {"ListDatasets": 1, "ListDatasetImportJobs": 2}


def test_a_campaign_serving_an_old_version_is_overdue(world: World, made: Resources) -> None:
    _, version, campaign = made.active_campaign()
    world.delivered()
    expecting(world, campaign, timedelta(days=10))
    world.clock.advance(days=11)
    emulator.calls.reset()
    world.poll()
    told = {message.attributes["event"]: message for message in world.delivered()}
    assert set(told) == {"overdue", "idle"}  # nothing asked it for recommendations these 11 days either
    overdue = told["overdue"]
    assert overdue.document["arn"] == campaign and overdue.document["lastMetBy"] == version
    assert "serving a solution version created within the last 10 d" in overdue.document["expected"]
    # One describe to look at what it serves, one before it is told idle (that it is still ACTIVE).
    assert emulator.calls.counts == {"DescribeCampaign": 2, "DescribeSolutionVersion": 1}


def test_declared_expectations_are_kept_as_declared(world: World, made: Resources) -> None:
    solution = made.solution(made.dataset_group(), auto=False)
    world.poll(expectations=((solution, 3600),))
    assert world.store.expectation(solution).every_seconds == 3600
    world.poll(expectations=((solution, 7200),))
    assert world.store.expectation(solution).every_seconds == 7200
    world.poll(expectations=())
    assert world.store.expectation(solution) is None  # no longer declared: gone


def cli(world: World, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--table", world.table_name, *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_cli_sets_shows_lists_and_clears_an_expectation(world: World, made: Resources) -> None:
    solution = made.solution(made.dataset_group(), auto=False)
    version = made.version(solution)  # trained before: the CLI's one look finds it
    code, out, err = cli(world, "expect", solution, "--every", "8d")
    assert (code, err) == (0, "")
    assert "Expected:   a new ACTIVE solution version every 8 d" in out and version in out
    code, out, _ = cli(world, "show", solution, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["job"] is None and shown["expectation"]["lastMetBy"] == version
    code, out, _ = cli(world, "list")
    assert "Expected cadences" in out and "solution/movies" in out and "on cadence" in out
    code, out, _ = cli(world, "expect", DATASET, "--every", "26h")
    assert code == 0 and "a successful import every 26 h" in out
    assert cli(world, "show", DATASET)[0] == 0

    # The poll (on today's clock, which the CLI used) finds it due after eight days without a new version.
    world.clock.advance(seconds=(datetime.now(UTC) - world.clock()).total_seconds() + 9 * 86400)
    world.poll()
    assert ("overdue", solution) in events(world)

    assert cli(world, "expect", solution, "--clear") == (0, f"no longer expecting anything of {solution}\n", "")
    code, _, err = cli(world, "expect", solution, "--clear")
    assert code == 2 and f"no cadence is expected of {solution}" in err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (
            ("expect", f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/x", "--every", "1d"),
            "dataset-export-job",
        ),
        (("expect", GROUP, "--every", "soon"), "'soon' is not a duration"),
        (("expect", GROUP, "--every", "1m"), "outside 5 minutes to 366 days"),
        (("expect", "not-an-arn", "--every", "1d"), "'not-an-arn'"),
    ],
)
def test_bad_input_to_expect_is_one_line_naming_it(world: World, argv: tuple[str, ...], named: str) -> None:
    code, out, err = cli(world, *argv)
    assert code == 2 and out == "" and named in err and len(err.strip().splitlines()) == 1


def test_a_hand_edited_expectation_is_skipped_and_the_poll_goes_on(world: World) -> None:
    job = world.export_job("nightly")
    world.track(job)
    world.session.client("dynamodb").put_item(
        TableName=world.table_name,
        Item={
            "jobArn": {"S": f"expectation/{DATASET}"},
            "jobKind": {"S": "expectation"},
            "expectedOf": {"S": DATASET},
            "target": {"S": "dataset"},
            "everySeconds": {"N": "3600"},
            "since": {"S": "yesterday"},
            "version": {"N": "1"},
            "activeShard": {"S": "active"},
            "lastCheckedAt": {"S": "2026-11-24T09:00:00.000Z"},
        },
    )
    emulator.set_status(job, "ACTIVE")
    report = world.poll()
    assert report.malformed_items == 1 and "since 'yesterday' is not a UTC timestamp" in report.problems[0]
    assert events(world) == [("transition", job)]  # the job's notification went out all the same


def test_a_look_that_cannot_be_made_is_told_with_its_reason_once_a_period(world: World, made: Resources) -> None:
    _, _, campaign = made.active_campaign()
    world.delivered()
    expecting(world, campaign, timedelta(days=1))
    emulator.delete_job(campaign)  # gone: DescribeCampaign answers ResourceNotFoundException
    world.clock.advance(days=2)
    world.poll()
    [overdue] = [d for d in world.delivered() if d.attributes["event"] == "overdue"]
    assert "Could not find resource" in overdue.document["lookupFailed"]
    emulator.calls.reset()
    for _ in range(3):
        world.clock.advance(hours=1)
        world.poll()
    assert not [d for d in world.delivered() if d.attributes["event"] == "overdue"]
    assert "DescribeCampaign" not in emulator.calls.counts  # not looked up again this period


def test_setting_a_period_again_keeps_what_was_seen_and_told(world: World, made: Resources) -> None:
    solution = made.solution(made.dataset_group(), auto=False)
    made.version(solution)
    assert cli(world, "expect", solution, "--every", "8d")[0] == 0
    first = world.store.expectation(solution)
    assert cli(world, "expect", solution, "--every", "2d")[0] == 0
    again = world.store.expectation(solution)
    assert again.every_seconds == 2 * 86400 and (again.last_met, again.since) == (first.last_met, first.since)
    world.poll(expectations=((solution, 3600),))
    code, _, err = cli(world, "expect", solution, "--every", "1d")
    assert code == 2 and "declared at deploy time" in err
