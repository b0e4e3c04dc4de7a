"""`notifier track`: what a person sees in the terminal, the exit code, and what lands in the table."""

from __future__ import annotations

import io

import pytest

from notifier.cli import main
from notifier_local import personalize as emulator
from tests.conftest import World

pytestmark = pytest.mark.integration


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_track_records_the_current_status_and_says_so(world: World) -> None:
    arn = world.export_job("nightly-users")
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    code, out, err = run("--table", world.table_name, "track", arn)
    assert (code, err) == (0, "")
    assert out == f"tracking  {arn}  (CREATE IN_PROGRESS)\n"
    stored = world.store.get(arn)
    assert stored.status == "CREATE IN_PROGRESS" and stored.in_active_index and stored.pending == ()


def test_tracking_twice_is_a_no_op_that_says_so(world: World) -> None:
    arn = world.export_job("twice")
    run("--table", world.table_name, "track", arn)
    before = world.store.get(arn)
    code, out, _ = run("--table", world.table_name, "track", arn)
    assert code == 0 and out == f"already tracked  {arn}\n"
    assert world.store.get(arn) == before


def test_a_bad_arn_is_named_exits_2_and_the_good_ones_are_still_tracked(world: World) -> None:
    good = world.export_job("good")
    code, out, err = run("--table", world.table_name, "track", "not-an-arn", good)
    assert code == 2
    assert "'not-an-arn' is not a job ARN" in err
    assert good in out
    assert world.store.get(good) is not None
    assert world.store.get("not-an-arn") is None


def test_a_job_personalize_does_not_know_is_tracked_and_left_to_the_poll(world: World) -> None:
    ghost = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/ghost"
    code, out, _ = run("--table", world.table_name, "track", ghost)
    assert code == 0 and "status not known yet; Personalize does not know this job; the next poll reports it" in out
    world.poll()
    [message] = world.delivered()
    assert message.attributes["event"] == "not_found"


def test_an_already_finished_job_is_recorded_but_not_polled(world: World) -> None:
    arn = world.export_job("finished")
    emulator.set_status(arn, "ACTIVE")
    code, out, _ = run("--table", world.table_name, "track", arn)
    assert code == 0 and "(ACTIVE; already finished, nothing to wait for)" in out
    assert world.poll().jobs_read == 0


def test_table_from_the_environment_and_a_clear_error_without_one(world: World, monkeypatch) -> None:
    arn = world.export_job("env-table")
    monkeypatch.delenv("TABLE_NAME", raising=False)
    code, _, err = run("track", arn)
    assert code == 2
    assert err == (
        "notifier: stack 'PersonalizeJobNotifier' not found in us-east-1: pass --table, set TABLE_NAME, "
        "or name the stack with --stack\n"
    )
    monkeypatch.setenv("TABLE_NAME", world.table_name)
    assert run("track", arn)[0] == 0


def test_a_missing_table_is_one_line_and_exit_1(world: World) -> None:
    arn = world.export_job("lost")
    code, out, err = run("--table", "no-such-table", "track", arn)
    assert code == 1 and out == ""
    assert err.startswith("notifier: table 'no-such-table': ResourceNotFoundException")
    assert err.count("\n") == 1
