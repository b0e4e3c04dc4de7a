"""`notifier untrack | list | show | poll | discover`: what a person sees, and the exit codes."""

from __future__ import annotations

import io
import json

import pytest

from notifier.cli import main
from notifier_local import personalize as emulator
from tests.conftest import ACCOUNT, DATASET_ARN, World

pytestmark = pytest.mark.integration


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def in_table(world: World, *argv: str) -> tuple[int, str, str]:
    return run("--table", world.table_name, *argv)


def test_untrack_removes_a_job_and_says_when_it_was_not_tracked(world: World) -> None:
    arn = world.export_job("leaving")
    world.track(arn)
    assert in_table(world, "untrack", arn) == (0, f"untracked  {arn}\n", "")
    assert world.store.get(arn) is None
    # As `show` says it of the same ARN: bad input, exit 2, one line naming it and the table.
    assert in_table(world, "untrack", arn) == (
        2,
        "",
        f"notifier: {arn} is not tracked in table 'tracked-jobs' (`notifier list --all` lists what is)\n",
    )
    assert in_table(world, "show", arn)[0] == 2
    code, _, err = in_table(world, "untrack", "arn:aws:personalize:us-east-1:1:x")
    assert code == 2 and "'arn:aws:personalize:us-east-1:1:x' is not an ARN this notifier" in err


def test_list_shows_active_jobs_by_default_and_everything_with_all(world: World) -> None:
    running, finished = world.export_job("running"), world.export_job("finished")
    emulator.set_status(finished, "ACTIVE")
    world.track(running)
    world.clock.advance(minutes=1)
    world.track(finished)
    code, out, _ = in_table(world, "list")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["JOB", "KIND", "STATUS", "ACCOUNT", "REGION", "UPDATED"]
    assert len(lines) == 2 and lines[1].startswith("running ") and "CREATE PENDING" in lines[1]
    assert max(len(line) for line in lines) <= 100  # fits a terminal: ARNs only with --wide
    code, out, _ = in_table(world, "list", "--all", "--wide")
    assert out.splitlines()[0].split()[-1] == "ARN" and out.splitlines()[1].endswith(running)
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["running", "finished"]


def test_list_json_is_a_document_for_scripts(world: World) -> None:
    arn = world.export_job("scripted")
    world.track(arn)
    code, out, _ = in_table(world, "list", "--json")
    document = json.loads(out)
    assert (document["schemaVersion"], document["command"], document["table"]) == (1, "list", world.table_name)
    [job] = document["jobs"]
    assert code == 0
    assert (job["jobArn"], job["status"], job["watching"], job["outcome"]) == (
        arn,
        "CREATE PENDING",
        True,
        "in_progress",
    )


def test_list_with_nothing_tracked_says_so(world: World) -> None:
    assert in_table(world, "list") == (0, "No jobs are being watched.\n", "")


def test_show_tells_the_history_with_times_and_durations(world: World) -> None:
    arn = world.export_job("nightly-users", output="s3://acme/nightly/")
    world.track(arn)
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    world.clock.advance(minutes=5)
    world.poll()
    emulator.set_status(arn, "ACTIVE")
    world.clock.advance(hours=1, minutes=7)
    world.poll()
    code, out, _ = in_table(world, "show", arn)
    assert code == 0
    assert out.splitlines() == [
        "nightly-users  (Dataset export job, us-east-1)",
        f"ARN             {arn}",
        f"Account         {ACCOUNT}",
        f"Dataset         {DATASET_ARN}",
        "Ingestion mode  BULK",
        "Status          ACTIVE",
        "Output          s3://acme/nightly/",
        "Tracked         2026-11-24 09:00:00 UTC",
        "History",
        "  2026-11-24 09:00:00 UTC  CREATE PENDING",
        "  2026-11-24 09:05:00 UTC  CREATE IN_PROGRESS  (+5 min 0 s)",
        "  2026-11-24 10:12:00 UTC  ACTIVE  (+1 h 7 min)",
    ]


def test_show_an_untracked_job_is_one_clear_line(world: World) -> None:
    arn = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/never"
    code, out, err = in_table(world, "show", arn)
    assert (code, out) == (2, "")
    assert err == f"notifier: {arn} is not tracked in table 'tracked-jobs' (track it with `notifier track ARN`)\n"


def test_poll_from_a_laptop_prints_what_it_notified(world: World) -> None:
    arn = world.export_job("laptop")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    code, out, _ = in_table(world, "poll", "--topic", world.topic_arn)
    assert code == 0
    assert out.splitlines() == [
        "notified  Personalize: Dataset export job laptop finished: s3://exports-bucket/laptop/",
        f"polled 1 job(s): 1 transition(s), 1 notification(s) published to {world.topic_arn}, "
        "0 describe error(s), 0 publish error(s)",
    ]
    assert [d.document["status"] for d in world.delivered()] == ["ACTIVE"]


def test_table_and_topic_come_from_the_deployed_stacks_outputs(world: World, monkeypatch) -> None:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    monkeypatch.delenv("TOPIC_ARN", raising=False)
    template = {
        "Resources": {"Nothing": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "TableName": {"Value": world.table_name},
            "TopicArn": {"Value": world.topic_arn},
        },
    }
    world.session.client("cloudformation").create_stack(StackName="MyNotifier", TemplateBody=json.dumps(template))
    arn = world.export_job("from-stack")
    assert run("--stack", "MyNotifier", "track", arn)[0] == 0
    emulator.set_status(arn, "ACTIVE")
    code, out, _ = run("--stack", "MyNotifier", "poll")
    assert code == 0 and "1 notification(s) published" in out


def test_discover_tracks_running_jobs_of_a_dataset_across_pages(world: World) -> None:
    arns = [world.export_job(f"job-{index:03d}") for index in range(230)]
    for arn in arns[:30]:
        emulator.set_status(arn, "ACTIVE")  # finished: nothing to wait for
    world.track(arns[100])  # tracked before: left as it is
    emulator.calls.reset()
    code, out, err = in_table(world, "discover", "--dataset", DATASET_ARN)
    assert code == 0
    assert out.splitlines()[-1] == (
        "listed 230 in us-east-1: 199 newly tracked, 1 already tracked, 30 already finished"
    )
    # The parent asked about once (a mistyped one would list nothing); 100 + 100 + 30 through botocore's
    # paginator; a dataset also has import jobs (none here)
    assert emulator.calls.counts == {"DescribeDataset": 1, "ListDatasetExportJobs": 3, "ListDatasetImportJobs": 1}
    assert "listed 200" in err  # progress on a long listing
    tracked = {job.arn for job in world.store.all_jobs()}
    assert tracked == set(arns[30:])
    assert world.store.get(arns[150]).status == "CREATE PENDING"


def test_discover_all_tracks_what_it_lists_and_an_empty_region_says_so(world: World) -> None:
    world.export_job("anywhere")
    code, out, _ = in_table(world, "discover", "--all")
    assert code == 0 and out.startswith(
        "tracking  arn:aws:personalize:us-east-1:123456789012:dataset-export-job/anywhere"
    )
    code, out, _ = in_table(world, "discover", "--all", "--regions", "eu-central-1")
    assert code == 0 and "listed 0 in eu-central-1" in out


def test_discover_needs_a_scope(world: World, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        in_table(world, "discover")
    assert stopped.value.code == 2
    assert "one of the arguments --parent/--dataset --all is required" in capsys.readouterr().err


def test_no_credentials_is_one_clear_line(monkeypatch, tmp_path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup: nothing leaves here
    code, out, err = run("--table", "tracked-jobs", "list")
    assert (code, out) == (1, "")
    assert err == "notifier: no AWS credentials found (run `aws configure`, or pass --profile / set AWS_PROFILE)\n"


def test_a_poll_from_a_laptop_also_reaches_the_event_bus_as_the_lambda_does(world: World, monkeypatch) -> None:
    monkeypatch.delenv("EVENT_BUS_NAME", raising=False)
    events, sqs = world.session.client("events"), world.session.client("sqs")
    queue_url = sqs.create_queue(QueueName="pipeline-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="jobs", EventPattern=json.dumps({"source": ["personalize-job-notifier"]}))
    events.put_targets(Rule="jobs", Targets=[{"Id": "queue", "Arn": queue_arn}])
    arn = world.export_job("bus")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    assert in_table(world, "poll", "--topic", world.topic_arn)[0] == 0
    [message] = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(message["Body"])
    assert (event["detail"]["jobArn"], event["detail"]["status"]) == (arn, "ACTIVE")
