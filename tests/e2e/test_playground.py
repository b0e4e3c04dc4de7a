"""`make playground` as a user works it: one terminal runs it and plays Personalize's part, another runs the
`notifier` CLI with the exports it printed; Ctrl-C stops it and nothing is left listening."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.userenv import user_environment

pytestmark = pytest.mark.e2e

NOTIFIER = str(Path(sys.executable).with_name("notifier"))
PROMPT = "playground> "
ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly-users"


class Terminal:
    """The playground's terminal: what it printed so far (read as it comes), and a line typed at its prompt."""

    def __init__(self, home: Path, *options: str) -> None:
        self.process = subprocess.Popen(
            [NOTIFIER, "local", *options],
            env=user_environment(home),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := os.read(self.process.stdout.fileno(), 4096):
            self._chunks.append(chunk)

    @property
    def printed(self) -> str:
        return b"".join(self._chunks).decode(errors="replace")

    def until_prompt(self, timeout: float = 180) -> str:
        """What it prints until it waits at its prompt again."""
        start, deadline = len(self.printed), time.monotonic() + timeout
        while not self.printed.endswith(PROMPT):
            assert time.monotonic() < deadline, self.printed
            assert self.process.poll() is None, self.printed
            time.sleep(0.05)
        return self.printed[start:]

    def type(self, line: str) -> str:
        assert self.process.stdin is not None
        start = len(self.printed)
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + 60
        while not (len(self.printed) > start and self.printed.endswith(PROMPT)):
            assert time.monotonic() < deadline and self.process.poll() is None, self.printed
            time.sleep(0.05)
        return self.printed[start:].removesuffix(PROMPT)

    def finished(self, timeout: float) -> str:
        """Everything it printed, once it has exited."""
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return self.printed


@pytest.fixture(scope="module")
def terminal(tmp_path_factory) -> Iterator[Terminal]:
    # --no-schedule: each poll of the walk-through is the one typed (test_the_playground_polls_on_its_own)
    playground = Terminal(tmp_path_factory.mktemp("home"), "--no-schedule")
    try:
        yield playground
    finally:
        if playground.process.poll() is None:
            playground.process.kill()
            playground.process.wait()


@pytest.fixture(scope="module")
def exported(terminal: Terminal) -> dict[str, str]:
    """The variables the playground says to export, as a shell would take them."""
    terminal.until_prompt()
    [line] = [line for line in terminal.printed.splitlines() if line.strip().startswith("export ")]
    return dict(word.split("=", 1) for word in shlex.split(line.strip())[1:])


def other_terminal(exported: dict[str, str], home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NOTIFIER, *argv],
        env=user_environment(home, **exported),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_the_readme_walk_through_works_by_hand(terminal: Terminal, exported: dict[str, str], tmp_path) -> None:
    assert "Deploying the stack" in terminal.printed and "cdk: ✅" in terminal.printed  # the real CDK CLI
    assert "created " + ARN in terminal.type("create nightly-users")
    tracked = other_terminal(exported, tmp_path, "track", ARN)  # the stack's table, found from its outputs
    assert tracked.returncode == 0 and f"tracking  {ARN}  (CREATE PENDING)" in tracked.stdout, tracked
    terminal.type(f'set {ARN} "CREATE IN_PROGRESS"')
    assert "→ Personalize: Dataset export job nightly-users is now CREATE IN_PROGRESS" in terminal.type("poll")
    terminal.type(f"set {ARN} ACTIVE --output s3://acme-exports/nightly-users/")
    polled = other_terminal(exported, tmp_path, "poll")  # the CLI's own poll, on the same table and topic
    assert polled.returncode == 0, polled
    assert "notified  Personalize: Dataset export job nightly-users finished: s3://acme-exports/nightly-users/" in (
        polled.stdout
    )
    shown = other_terminal(exported, tmp_path, "show", ARN)
    assert shown.returncode == 0 and "ACTIVE" in shown.stdout and "s3://acme-exports/nightly-users/" in shown.stdout
    assert re.search(r"ACTIVE\s+" + re.escape(ARN), terminal.type("jobs"))


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("set nope ACTIVE", "error: 'nope' is not an ARN"),
        ("bogus", "error: argument COMMAND: invalid choice: 'bogus'"),
        (f'set {ARN} "CREATE IN_PROGRESS', "error: No closing quotation"),
        ("create nightly-users", "error: ResourceAlreadyExistsException"),  # made by the walk-through above
        (f"set {ARN.replace('nightly', 'never')} ACTIVE", "error: the emulator holds no"),
    ],
)
def test_a_command_that_cannot_be_done_is_one_line_and_the_playground_goes_on(
    terminal: Terminal, exported, line: str, said: str
) -> None:
    answer = terminal.type(line)
    assert answer.count("\n") == 1 and answer.startswith(said), answer
    assert terminal.process.poll() is None


def test_a_failure_reason_set_by_hand_reaches_the_subscribers(terminal: Terminal, exported, tmp_path) -> None:
    arn = ARN.replace("nightly-users", "weekly-items")
    terminal.type("create weekly-items")
    assert other_terminal(exported, tmp_path, "track", arn).returncode == 0
    terminal.type(f'set {arn} "CREATE FAILED" --reason "Access Denied on s3://acme-exports/"')
    polled = terminal.type("poll")
    assert "→ Personalize: Dataset export job weekly-items failed: Access Denied on s3://acme-exports/" in polled
    # The deployed webhooks too, through EventBridge's API destinations to the playground's receiver.
    assert "webhook hooks.slack.com: *:x: Dataset export job weekly-items failed*" in polled
    assert "webhook events.pagerduty.com: trigger Dataset export job weekly-items failed" in polled


def test_statuses_names_and_quiet_answers_are_what_a_person_expects(terminal: Terminal, exported) -> None:
    """A status the kind does not have is refused, naming Personalize's; two words need no quotes; the name
    `create` took stands for the ARN; `received` with nothing new says so."""
    terminal.type("create monthly-users")
    refused = terminal.type("set monthly-users ACTIVEE")
    assert refused.count("\n") == 1 and refused.startswith("error: 'ACTIVEE' is not a status of a dataset export")
    assert "CREATE PENDING, CREATE IN_PROGRESS, ACTIVE, CREATE FAILED" in refused
    moved = terminal.type("set monthly-users CREATE IN_PROGRESS")
    assert moved.strip() == f"{ARN.replace('nightly', 'monthly')} is now CREATE IN_PROGRESS"
    assert "status: CREATE IN_PROGRESS" in terminal.type("show monthly-users")
    terminal.type("received")
    assert terminal.type("received").strip() == "(nothing new since last asked)"


def test_the_other_terminal_is_told_how_to_reach_notifier(terminal: Terminal, exported, tmp_path) -> None:
    """The lines it prints, pasted into a shell whose PATH does not hold the virtualenv, make `notifier` work."""
    terminal.until_prompt()
    lines = terminal.printed.split("In another terminal", 1)[1].splitlines()
    [activate] = [line.strip() for line in lines if line.strip().startswith(("source ", "alias notifier="))]
    [export] = [line.strip() for line in lines if line.strip().startswith("export ")]
    shell = subprocess.run(
        ["bash", "-c", f"shopt -s expand_aliases; {activate}; {export}; notifier list --all"],
        env=user_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert shell.returncode == 0 and "nightly-users" in shell.stdout, shell.stdout + shell.stderr


def test_ctrl_c_stops_it_and_leaves_nothing_listening(terminal: Terminal, exported: dict[str, str]) -> None:
    port = int(exported["AWS_ENDPOINT_URL"].rsplit(":", 1)[1])
    terminal.process.send_signal(signal.SIGINT)
    printed = terminal.finished(timeout=60)
    assert terminal.process.returncode == 0
    assert "Stopped: the embedded AWS is shut down, nothing is left running." in printed
    assert "Traceback" not in printed
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_taken_port_is_one_line_and_exit_1_at_once(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = subprocess.run(
            [NOTIFIER, "local", "--port", str(port)],
            env=user_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert ran.returncode == 1 and ran.stdout == ""
    assert ran.stderr.count("\n") == 1
    assert ran.stderr.startswith(f"notifier: the playground cannot start: port {port} on 127.0.0.1 is in use")


def test_the_playground_polls_on_its_own_as_the_deployed_schedule_does(tmp_path) -> None:
    """`notifier wait` in the other terminal ends when the job does, without anyone typing `poll`."""
    playground = Terminal(tmp_path / "playground", "--without-cdk")
    try:
        playground.until_prompt()
        [line] = [line for line in playground.printed.splitlines() if line.strip().startswith("export ")]
        exported = dict(word.split("=", 1) for word in shlex.split(line.strip())[1:])
        playground.type("create hourly-users")
        arn = ARN.replace("nightly", "hourly")
        assert other_terminal(exported, tmp_path, "track", arn).returncode == 0
        playground.type("set hourly-users ACTIVE --output s3://acme-exports/hourly-users/")
        waited = other_terminal(exported, tmp_path, "wait", arn, "--timeout", "60")
        assert waited.returncode == 0 and "s3://acme-exports/hourly-users/" in waited.stdout, waited
        deadline = time.monotonic() + 30
        while "(scheduled poll) → Personalize: Dataset export job hourly-users finished" not in playground.printed:
            assert time.monotonic() < deadline, playground.printed
            time.sleep(0.2)
    finally:
        playground.process.send_signal(signal.SIGINT)
        playground.finished(timeout=60)


def test_the_docs_playground_example_runs_as_written(tmp_path) -> None:
    """Each line of Try it's playground example, typed as it stands: none is refused, and each does its part."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "try-it.md").read_text()
    block = page.split("<!-- playground-example -->\n```\n", 1)[1].split("\n```", 1)[0]
    lines = [line.removeprefix(PROMPT).split("  #", 1)[0].strip() for line in block.splitlines()]
    playground = Terminal(tmp_path, "--without-cdk", "--no-schedule")
    try:
        playground.until_prompt()
        answers = {line: playground.type(line) for line in lines}
    finally:
        playground.process.send_signal(signal.SIGINT)
        playground.finished(timeout=60)
    assert not [line for line, answer in answers.items() if "error:" in answer], answers
    assert answers["poll"].startswith("polled: ")  # nothing is tracked yet: the other terminal tracks
    assert "status: CREATE FAILED" in answers["show weekly-items"]
