"""`notifier wait` as a pipeline runs it: its own process against an embedded AWS, a job finishing, failing and
vanishing while it waits, one still running at the timeout, an ARN Personalize does not know, Ctrl-C; describing
directly (no stack) and reading the table a poll keeps."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from notifier_local import personalize as emulator
from notifier_local.server import EmbeddedAws, embedded_aws
from tests.e2e.test_cli_as_a_user import INTERRUPTED, NOTIFIER, User

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with embedded_aws() as embedded:
        yield embedded


@pytest.fixture
def user(aws: EmbeddedAws, tmp_path: Path) -> User:
    return User(aws, tmp_path)


def started(user: User, *argv: str, describes: int = 1) -> subprocess.Popen[str]:
    """`notifier ARGV...` in its own process, returned once it has made its first `describes` describe calls:
    its first look is about 5 s later, so what a test changes now happens while it waits."""
    emulator.calls.reset()
    process = subprocess.Popen(
        [NOTIFIER, *argv], env=user.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while emulator.calls.counts.get("DescribeDatasetExportJob", 0) < describes:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the wait never started"
        time.sleep(0.05)
    return process


def test_it_waits_and_tells_each_ending_with_its_path_or_reason(user: User) -> None:
    done, failing, vanishing = user.job(), user.job(), user.job()
    waiting = started(user, "wait", done, failing, vanishing, describes=3)
    emulator.set_status(done, "ACTIVE")
    emulator.set_status(failing, "CREATE FAILED", failure_reason="Input data has too few rows: 12 (at least 1000)")
    emulator.delete_job(vanishing)
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 1, out + err
    lines = out.splitlines()
    assert f"succeeded  {done}  s3://exports/{done.rsplit('/', 1)[1]}/" in lines
    assert f"failed  {failing}  Input data has too few rows: 12 (at least 1000)" in lines  # verbatim
    assert any(line.startswith(f"not_found  {vanishing}") for line in lines)
    assert err == ""  # piped: nothing but the results (on a terminal, a line says it describes directly)


def test_all_succeeded_is_exit_0_and_json_carries_the_subscribers_documents(user: User) -> None:
    first, second = user.job(), user.job()
    for arn in (first, second):
        emulator.set_status(arn, "ACTIVE")
    ran = user.run("wait", first, second, "--json")
    assert ran.code == 0, ran.err
    document = json.loads(ran.out)
    assert (document["schemaVersion"], document["command"], document["pending"]) == (1, "wait", [])
    assert [r["jobArn"] for r in document["results"]] == [first, second]
    assert {r["document"]["outcome"] for r in document["results"]} == {"succeeded"}
    assert document["results"][0]["document"]["outputPath"] == document["results"][0]["outputPath"]


def test_the_timeout_is_a_code_of_its_own_naming_what_still_runs(user: User) -> None:
    running = user.job()
    emulator.set_status(running, "CREATE IN_PROGRESS")
    ran = user.run("wait", running, "--timeout", "2s")
    assert ran.code == 124 and ran.out == ""
    assert ran.err.endswith(f"notifier: still waiting after 2 s: {running} (CREATE IN_PROGRESS)\n")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("wait", "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/never-made"), "Could not find"),
        (("wait", "nope"), "'nope'"),
        (("wait", "ARN_PLACEHOLDER", "--timeout", "soon"), "--timeout: 'soon' is not a duration"),
    ],
)
def test_bad_input_is_exit_2_and_one_line(user: User, argv: tuple[str, ...], named: str) -> None:
    argv = tuple(user.job() if a == "ARN_PLACEHOLDER" else a for a in argv)
    ran = user.run(*argv)
    assert ran.code == 2 and named in ran.err and ran.err.strip().count("\n") == 0, ran.err


def test_ctrl_c_while_it_waits_exits_130_at_once(user: User) -> None:
    waiting = started(user, "wait", user.job())
    waiting.send_signal(signal.SIGINT)
    out, err = waiting.communicate(timeout=10)
    assert (waiting.returncode, out, err) == INTERRUPTED


def test_with_a_table_it_reads_what_the_poll_keeps_and_describes_nothing(user: User) -> None:
    arn = user.job()
    waiting = started(user, "--table", user.table, "wait", arn)  # tracked: its one describe
    emulator.set_status(arn, "ACTIVE")
    emulator.calls.reset()
    polled = user.run("--table", user.table, "poll", "--topic", user.topic)
    assert polled.code == 0, polled.err
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0 and out.startswith(f"succeeded  {arn}"), out + err
    assert emulator.calls.counts.get("DescribeDatasetExportJob") == 1  # the poll's one describe, none of the wait's
