"""Step Functions tasks that wait on a job without a loop (lambda:invoke.waitForTaskToken): the track function
keeps the token, the poll answers it once what it waits on settles; as Step Functions receives the answers (moto
keeps them, `notifier_local.moto_fixes`): success, failure, an execution that ended, an answer that fails."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest

from notifier.domain.clock import parse_iso
from notifier.usecases.tracking import InvalidTaskInput
from notifier_local import moto_fixes
from notifier_local import personalize as emulator
from tests.conftest import ACCOUNT, REGION, World
from tests.integration.test_auto_tracking import track_handler  # noqa: F401 (a fixture)
from tests.integration.test_poll_handler import FakeLambdaContext
from tests.integration.test_resources import Resources

pytestmark = pytest.mark.integration

TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAWV4YW1wbGUtdG9rZW4tMQ=="  # its shape, as a state machine hands one over


@pytest.fixture(autouse=True)
def answers():
    moto_fixes.reset_tasks()
    yield moto_fixes.task_answers
    moto_fixes.reset_tasks()


@pytest.fixture
def waits(track_handler):  # noqa: F811
    def call(arn: object, token: object = TOKEN) -> dict:
        return track_handler({"arn": arn, "taskToken": token}, FakeLambdaContext())

    return call


def test_a_finished_job_answers_its_task_with_the_subscribers_document(world: World, waits, answers) -> None:
    arn = world.export_job("nightly")
    assert waits(arn) == {"outcome": "waiting", "jobArn": arn}
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    world.poll()
    assert answers == []  # still running: nothing to say
    emulator.set_status(arn, "ACTIVE")
    world.poll()
    [answer] = answers
    document = json.loads(answer.output)
    assert answer.succeeded and answer.token == TOKEN
    assert (document["jobArn"], document["outcome"], document["outputPath"]) == (
        arn,
        "succeeded",
        "s3://exports-bucket/nightly/",
    )
    assert document["id"] == world.delivered()[-1].document["id"]  # the very notification subscribers got
    assert not world.store.get(arn).in_active_index  # answered: no longer read
    world.poll()
    assert len(answers) == 1  # never twice


def test_a_failure_is_the_outcome_and_the_reason_verbatim(world: World, waits, answers) -> None:
    arn = world.export_job("broken")
    waits(arn)
    reason = "Insufficient privileges for accessing data in S3: s3://exports-bucket/broken/"
    emulator.set_status(arn, "CREATE FAILED", failure_reason=reason)
    world.poll()
    [answer] = answers
    assert (answer.succeeded, answer.error, answer.cause) == (False, "failed", reason)


def test_a_job_that_vanishes_fails_its_task_as_not_found(world: World, waits, answers) -> None:
    arn = world.export_job("gone")
    waits(arn)
    emulator.delete_job(arn)
    world.poll()
    [answer] = answers
    assert answer.error == "not_found" and "Could not find resource" in answer.cause


def test_a_job_finished_before_the_task_asked_is_answered_by_the_next_poll(world: World, waits, answers) -> None:
    arn = world.export_job("early")
    emulator.set_status(arn, "ACTIVE")
    waits(arn)
    world.poll()
    assert [a.succeeded for a in answers] == [True]


def test_several_tasks_wait_on_one_campaign_update(world: World, waits, answers) -> None:
    _, _, campaign = Resources(world).active_campaign()
    world.delivered()
    Resources(world).client.update_campaign(campaignArn=campaign, minProvisionedTPS=2)
    waits(campaign, "token-a"), waits(campaign, "token-b"), waits(campaign, "token-a")  # a retried invocation
    world.poll()
    assert answers == []  # the update is under way
    emulator.set_update_status(campaign, "ACTIVE")
    world.poll()
    assert sorted(a.token for a in answers) == ["token-a", "token-b"] and all(a.succeeded for a in answers)
    assert json.loads(answers[0].output)["update"] is True


def test_a_task_whose_execution_ended_is_dropped_without_retrying(world: World, waits, answers) -> None:
    arn = world.export_job("abandoned")
    waits(arn)
    moto_fixes.end_task(TOKEN)
    emulator.set_status(arn, "ACTIVE")
    report = world.poll()
    assert answers == [] and report.tasks_gone == 1 and report.publish_errors == 0
    assert world.store.get(arn).task_tokens == ()
    assert world.poll().tasks_gone == 0  # not tried again


def test_an_answer_that_fails_is_retried_by_the_next_poll_and_sent_once(world: World, waits, answers) -> None:
    arn = world.export_job("throttled")
    waits(arn)
    moto_fixes.refuse_answers(TOKEN, 1)
    emulator.set_status(arn, "ACTIVE")
    first = world.poll()
    assert answers == [] and first.publish_errors == 1 and "could not answer a task" in first.problems[0]
    assert TOKEN not in " ".join(first.problems)  # a token is the execution's secret: never in a message
    world.poll()
    world.poll()
    assert [a.token for a in answers] == [TOKEN]


@pytest.mark.parametrize(
    ("arn", "token", "named"),
    [
        ("not-an-arn", TOKEN, "arn: 'not-an-arn' is not an ARN"),
        (f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/never-made", TOKEN, "does not know"),
        (None, TOKEN, "arn: None"),
        ("ARN", "", "taskToken must be a string of 1 to 2048 characters (got 0)"),
        ("ARN", "x" * 2049, "(got 2049)"),
        ("ARN", 42, "(got int)"),
    ],
)
def test_bad_input_fails_the_task_at_once_naming_what_is_wrong(world: World, waits, arn, token, named) -> None:
    arn = world.export_job("fine") if arn == "ARN" else arn
    with pytest.raises(InvalidTaskInput, match=None) as refused:
        waits(arn, token)
    assert named in str(refused.value) and (
        not isinstance(token, str) or len(token) < 8 or token not in str(refused.value)
    )


def test_untracking_what_tasks_wait_on_says_they_are_left_to_their_timeouts(world: World, waits) -> None:
    import io

    from notifier.cli import main

    arn = world.export_job("untracked")
    waits(arn)
    out, err = io.StringIO(), io.StringIO()
    assert main(["--table", world.table_name, "untrack", arn], out=out, err=err) == 0
    assert f"1 Step Functions task(s) waited on {arn}" in err.getvalue() and TOKEN not in err.getvalue()


def test_an_output_past_step_functions_limit_keeps_the_essentials() -> None:
    from notifier.usecases.poll.answers import OUTPUT_MAX_BYTES, _output

    document = {"jobArn": "arn:x", "status": "ACTIVE", "outputPath": "s3://b/p/", "facts": {"x": "y" * 300_000}}
    output = json.loads(_output(document))
    assert output["truncated"] is True and output["outputPath"] == "s3://b/p/" and "facts" not in output
    assert len(_output(document).encode()) <= OUTPUT_MAX_BYTES


def test_a_task_that_asked_for_heartbeats_gets_them_while_the_job_runs_and_none_once_answered(
    world: World,
    track_handler,  # noqa: F811
) -> None:
    arn = world.export_job("beating")
    waited = track_handler({"arn": arn, "taskToken": TOKEN, "heartbeatSeconds": 900}, FakeLambdaContext())
    assert waited["outcome"] == "waiting"
    world.clock.now = parse_iso(world.store.get(arn).task_tokens[0].since)  # the track function's clock
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    beats = []
    for _ in range(15):  # a poll a minute: 900 s / 6 between heartbeats
        world.clock.advance(minutes=1)
        world.poll()
        beats.append(len(moto_fixes.task_heartbeats))
    assert beats == [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5]
    assert set(moto_fixes.task_heartbeats) == {TOKEN}
    emulator.set_status(arn, "ACTIVE")
    world.clock.advance(minutes=5)
    world.poll()
    assert len(moto_fixes.task_answers) == 1
    beaten = len(moto_fixes.task_heartbeats)
    for _ in range(2):
        world.clock.advance(minutes=5)
        world.poll()
    assert len(moto_fixes.task_heartbeats) == beaten  # answered: no heartbeat after


def heartbeat_gaps(
    world: World, seconds_between_polls: list[float], missed: frozenset[int] = frozenset()
) -> list[float]:
    """Polls that many seconds apart (those at the `missed` positions did not run); the seconds between the task's
    handing over, each heartbeat Step Functions received, and the last poll."""
    beaten_at = [world.clock.now]
    for position, seconds in enumerate(seconds_between_polls):
        world.clock.advance(seconds=seconds)
        if position in missed:
            continue
        before = len(moto_fixes.task_heartbeats)
        world.poll()
        if len(moto_fixes.task_heartbeats) > before:
            beaten_at.append(world.clock.now)
    beaten_at.append(world.clock.now)
    return [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(beaten_at)]


def test_the_shortest_heartbeat_is_kept_when_a_poll_comes_early_the_next_is_missed_and_one_late(
    world: World,
    track_handler,  # noqa: F811
) -> None:
    """Three polls of five minutes, the shortest heartbeat wait_task allows: EventBridge's schedule is not exact, a
    poll can fail. A poll a second early, the next one missing, the one after ten seconds late: no gap of 900 s."""
    arn = world.export_job("beating-late")
    track_handler({"arn": arn, "taskToken": TOKEN, "heartbeatSeconds": 900}, FakeLambdaContext())
    world.clock.now = parse_iso(world.store.get(arn).task_tokens[0].since)
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    gaps = heartbeat_gaps(world, [300, 300, 299, 300, 310, 300, 300], missed=frozenset({3}))
    assert max(gaps) < 900, gaps


def test_a_task_whose_answer_is_being_retried_still_gets_its_heartbeats(
    world: World,
    track_handler,  # noqa: F811
) -> None:
    arn = world.export_job("answer-refused")
    track_handler({"arn": arn, "taskToken": TOKEN, "heartbeatSeconds": 900}, FakeLambdaContext())
    world.clock.now = parse_iso(world.store.get(arn).task_tokens[0].since)
    emulator.set_status(arn, "ACTIVE")
    moto_fixes.refuse_answers(TOKEN, 4)
    gaps = heartbeat_gaps(world, [300] * 4)
    assert max(gaps) < 900 and moto_fixes.task_answers == [], gaps
    world.clock.advance(minutes=5)
    world.poll()
    assert [answer.token for answer in moto_fixes.task_answers] == [TOKEN]


def test_a_task_without_heartbeats_gets_none_and_one_whose_execution_ended_is_dropped(
    world: World,
    waits,
    track_handler,  # noqa: F811
) -> None:
    world.clock.now = datetime.now(UTC)
    quiet, ended = world.export_job("quiet"), world.export_job("ended")
    waits(quiet)
    track_handler({"arn": ended, "taskToken": "ended-token", "heartbeatSeconds": 60}, FakeLambdaContext())
    moto_fixes.end_task("ended-token")
    for arn in (quiet, ended):
        emulator.set_status(arn, "CREATE IN_PROGRESS")
    world.clock.advance(minutes=30)
    report = world.poll()
    assert moto_fixes.task_heartbeats == [] and report.tasks_gone == 1
    assert world.store.get(ended).task_tokens == () and len(world.store.get(quiet).task_tokens) == 1


@pytest.mark.parametrize("heartbeat", [0, -5, "900", 1.5, True, 31_536_001])
def test_a_heartbeat_that_is_not_a_whole_number_of_seconds_fails_the_task_at_once(
    world: World,
    track_handler,  # noqa: F811
    heartbeat: object,
) -> None:
    arn = world.export_job("odd-heartbeat")
    with pytest.raises(InvalidTaskInput, match="heartbeatSeconds must be a whole number of seconds"):
        track_handler({"arn": arn, "taskToken": TOKEN, "heartbeatSeconds": heartbeat}, FakeLambdaContext())


def test_an_execution_whose_kms_key_refuses_the_answer_is_failed_without_data_once(
    world: World, waits, answers
) -> None:
    """A state machine encrypted with a customer managed key the poll's role may not use: SendTaskSuccess answers
    KmsAccessDeniedException, every poll alike. The task is failed with no error and no cause (which needs no
    key), the refusal said once, and the token dropped: not a retry every poll."""
    arn = world.export_job("encrypted")
    waits(arn)
    moto_fixes.refuse_answers(TOKEN, 10, "KmsAccessDeniedException")
    emulator.set_status(arn, "ACTIVE")
    report = world.poll()
    [failed] = answers
    assert (failed.succeeded, failed.error, failed.cause) == (False, None, None)
    assert report.tasks_failed_without_data == 1 and report.publish_errors == 0
    [said] = [problem for problem in report.problems if "KMS key" in problem]
    assert "KmsAccessDeniedException" in said and "grant the state machine's execution role kms:GenerateDataKey" in said
    assert TOKEN not in said
    assert world.store.get(arn).task_tokens == ()
    again = world.poll()
    assert len(answers) == 1 and not any("KMS key" in problem for problem in again.problems)
