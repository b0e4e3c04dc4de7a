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
    assert "'not-an-arn' is not an ARN this notifier" in err
    assert good in out
    assert world.store.get(good) is not None
    assert world.store.get("not-an-arn") is None


def test_a_job_personalize_does_not_know_is_refused_and_nothing_is_written(world: World) -> None:
    ghost = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/ghost"
    code, out, err = run("--table", world.table_name, "track", ghost)
    assert (code, out) == (2, "")
    assert err.startswith(f"notifier: not tracked: {ghost}: Personalize does not know this dataset export job")
    assert "`--no-describe` tracks it anyway" in err and err.count("\n") == 1
    assert world.store.get(ghost) is None


def test_no_describe_tracks_an_unknown_job_and_leaves_it_to_the_poll(world: World) -> None:
    ghost = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/ghost"
    code, out, _ = run("--table", world.table_name, "track", "--no-describe", ghost)
    assert code == 0 and out == f"tracking  {ghost}  (status not known yet)\n"
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
        "notifier: no table: stack 'PersonalizeJobNotifier' does not exist in us-east-1 (pass --table or set "
        "TABLE_NAME, or --region / --stack to find the stack)\n"
    )
    monkeypatch.setenv("TABLE_NAME", world.table_name)
    assert run("track", arn)[0] == 0


def test_a_missing_table_is_one_line_naming_it_and_what_to_check(world: World) -> None:
    arn = world.export_job("lost")
    code, out, err = run("--table", "no-such-table", "track", arn)
    assert (code, out) == (2, "")
    assert err == (
        "notifier: table 'no-such-table' (from --table) does not exist in us-east-1: check --region, "
        "or pass the table the stack printed with --table\n"
    )
