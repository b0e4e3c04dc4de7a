"""The `notifier` command as a person runs it: its own process, an embedded AWS, reading stdout, stderr and
the exit code. Each test names what a newcomer met and what they expected instead."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from notifier.adapters.store import DynamoWatchStore
from notifier.cli.aws import client_config
from notifier.cli.commands import COMMANDS
from notifier.cli.options import EXIT_CODES
from notifier.domain.arns import parse_arn
from notifier.domain.watched import Snapshot, iso, start_watching
from notifier_local import personalize as emulator
from notifier_local.aws import create_watch_table
from notifier_local.server import ACCOUNT, REGION, EmbeddedAws, embedded_aws
from tests import endpoints
from tests.userenv import path_without_node

pytestmark = pytest.mark.e2e

NOTIFIER = str(Path(sys.executable).with_name("notifier"))
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def one_line_error(self) -> bool:
        return "Traceback" not in self.err and self.err.count("\n") == 1 and self.err.startswith("notifier: ")


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with embedded_aws() as embedded:
        yield embedded


class User:
    """A terminal with credentials for the embedded AWS, no AWS config of its own, and a fresh table."""

    def __init__(self, aws: EmbeddedAws, home: Path) -> None:
        self.aws = aws
        (home / ".aws").mkdir()
        self.env = {
            "PATH": path_without_node(),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            **{k: v for k, v in aws.environment().items() if not k.startswith("CDK_")},
        }
        session = boto3.session.Session(aws_access_key_id="embedded", aws_secret_access_key="embedded")
        self.clients = {
            name: session.client(name, region_name=REGION, endpoint_url=aws.endpoint)
            for name in ("dynamodb", "sns", "personalize")
        }
        self.table = f"jobs-{uuid.uuid4().hex[:8]}"
        create_watch_table(self.clients["dynamodb"], self.table)
        self.topic = self.clients["sns"].create_topic(Name=f"topic-{self.table}")["TopicArn"]
        # A dataset of this test's own: the emulator's jobs outlive a test, its listings must not mix them.
        self.dataset = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/{self.table}/INTERACTIONS"

    def run(self, *argv: str, env: dict[str, str | None] | None = None, timeout: float = 90) -> Ran:
        environment = dict(self.env)
        for name, value in (env or {}).items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        done = subprocess.run(
            [NOTIFIER, *argv], env=environment, capture_output=True, text=True, timeout=timeout, check=False
        )
        return Ran(done.returncode, done.stdout, done.stderr)

    def job(self, name: str | None = None) -> str:
        name = name or f"export-{uuid.uuid4().hex[:8]}"
        return self.clients["personalize"].create_dataset_export_job(
            jobName=name,
            datasetArn=self.dataset,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/Export",
            jobOutput={"s3DataDestination": {"path": f"s3://exports/{name}/"}},
        )["datasetExportJobArn"]

    def stored(self) -> list[str]:
        items = self.clients["dynamodb"].scan(TableName=self.table)["Items"]
        return sorted(item["jobArn"]["S"] for item in items)


@pytest.fixture
def user(aws: EmbeddedAws, tmp_path: Path) -> User:
    return User(aws, tmp_path)


# 1. options before or after the subcommand


def test_options_work_after_the_subcommand_as_in_the_aws_cli(user: User) -> None:
    arn = user.job()
    tracked = user.run("track", arn, "--table", user.table, "--region", REGION)
    assert (tracked.code, tracked.err) == (0, "") and arn in tracked.out
    listed = user.run("list", "--table", user.table)
    assert listed.code == 0 and listed.out.splitlines()[0].split()[0] == "JOB"
    # Before the subcommand still works; after it wins over before.
    assert user.run("--table", "elsewhere", "list", "--table", user.table).code == 0


# 2. --version, and bare `notifier`


def test_version_and_bare_command_print_instead_of_failing(user: User) -> None:
    version = user.run("--version")
    assert (version.code, version.out) == (0, "notifier 0.1.0\n")
    bare = user.run()
    assert bare.code == 0 and bare.out.startswith("usage: notifier") and "exit codes:" in bare.out
    assert bare.err == ""


# 3. help never touches AWS; a missing profile is one line


def test_help_ignores_a_broken_profile_and_commands_name_it(user: User) -> None:
    helped = user.run("--help", env={"AWS_PROFILE": "nosuch"})
    assert helped.code == 0 and "usage: notifier" in helped.out and helped.err == ""
    for args, env in ((("list",), {"AWS_PROFILE": "nosuch"}), (("--profile", "nosuch", "list"), None)):
        failed = user.run("--table", user.table, *args, env=env)
        assert failed.code == 1 and failed.one_line_error, failed
        assert "profile 'nosuch' not found" in failed.err


# 4. and 5. poll's topic: a malformed one named; a missing one named, with how to give it


def test_a_malformed_topic_is_one_line_naming_the_option(user: User) -> None:
    polled = user.run("--table", user.table, "poll", "--topic", "not-a-topic")
    assert polled.code == 2 and polled.one_line_error, polled
    assert "--topic 'not-a-topic' is not an SNS topic ARN" in polled.err


def test_a_missing_topic_is_named_as_the_thing_missing(user: User) -> None:
    polled = user.run("--table", user.table, "poll", env={"TOPIC_ARN": None})
    assert polled.code == 2 and polled.one_line_error, polled
    assert polled.err.startswith("notifier: no topic: stack 'PersonalizeJobNotifier' does not exist in us-east-1")
    assert "--topic" in polled.err and "--table" not in polled.err


# 6. discover's parents and regions


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--dataset", "junk"), "--parent 'junk' is not the ARN of"),
        (("--parent", f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/x"), "dataset-export-job/x"),
        (("--all", "--regions", "us-east-1,us-easst"), "--regions: 'us-easst' is not an AWS region name"),
        # A region name no region has: named with the likely one, before any of the regions is asked.
        (("--all", "--regions", "eu-west-1,us-eats-1"), "--regions: 'us-eats-1' is not a region Amazon Personalize"),
        # A parent with a typo lists nothing: Personalize is asked whether it exists.
        (("--parent", f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/retial"), "dataset-group/retial does"),
        (("--parent", f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/retial"), "solution/retial does not exist"),
    ],
)
def test_discover_refuses_what_it_cannot_list(user: User, args: tuple[str, ...], named: str) -> None:
    found = user.run("--table", user.table, "discover", *args)
    assert found.code == 2 and found.one_line_error and named in found.err, found
    assert user.stored() == []


# 7. a job Personalize does not know is refused; access denied is tracked with a warning


def test_track_refuses_an_arn_personalize_does_not_know_and_writes_nothing(user: User) -> None:
    typo = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/nightly-usres"
    refused = user.run("--table", user.table, "track", typo)
    assert (refused.code, refused.out) == (2, "") and refused.one_line_error, refused
    assert typo in refused.err and "Personalize does not know this dataset export job" in refused.err
    assert user.stored() == []
    kept = user.run("--table", user.table, "track", "--no-describe", typo)
    assert kept.code == 0 and user.stored() == [typo]


def test_access_denied_on_describe_tracks_and_names_the_missing_permission(user: User) -> None:
    arn = user.job()
    emulator.inject_fault(arn, "AccessDeniedException", "User is not authorized to perform DescribeDatasetExportJob")
    try:
        tracked = user.run("--table", user.table, "track", arn)
    finally:
        emulator.clear_faults()
    assert tracked.code == 0 and user.stored() == [arn]
    assert tracked.err == (
        f"notifier: warning: tracked without a status: your identity may not call "
        f"personalize:DescribeDatasetExportJob on {arn}\n"
    )


# 8. the region from AWS_REGION alone, and hints that are true


def test_aws_region_alone_is_enough_and_no_region_names_both_variables(user: User) -> None:
    only_aws_region = user.run("--table", user.table, "list", env={"AWS_DEFAULT_REGION": None})
    assert only_aws_region.code == 0, only_aws_region
    nowhere = user.run("--table", user.table, "list", env={"AWS_DEFAULT_REGION": None, "AWS_REGION": None})
    assert nowhere.code == 1 and nowhere.one_line_error
    assert "AWS_REGION" in nowhere.err and "AWS_DEFAULT_REGION" in nowhere.err and "--region" in nowhere.err
    empty = user.run("--table", user.table, "list", env={"AWS_DEFAULT_REGION": "", "AWS_REGION": ""})
    assert empty.code == 1 and empty.one_line_error, empty


# 9. poll prints lines for people, logs only with -v, and fails when a publish failed


def test_poll_output_is_readable_lines_with_each_reason_and_logs_only_with_verbose(user: User) -> None:
    arn = user.job()
    assert user.run("--table", user.table, "track", arn).code == 0
    emulator.set_status(arn, "ACTIVE")
    gone = f"arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic"
    verbose = user.run("--table", user.table, "poll", "--topic", gone, "-v")
    assert verbose.code == 1 and '"level":"WARNING"' in verbose.err.replace(" ", ""), verbose
    # Another job, without -v: the reason on stderr as a line, no log records anywhere.
    arn = user.job()
    assert user.run("--table", user.table, "track", arn).code == 0
    emulator.set_status(arn, "ACTIVE")
    polled = user.run("--table", user.table, "poll", "--topic", gone)
    assert polled.code == 1, polled
    assert not [line for line in polled.out.splitlines() if line.startswith("{")]  # no JSON log records
    assert polled.out.splitlines()[-1].startswith("polled 1 job(s): 1 transition(s), 0 notification(s) published")
    assert f"notifier: publish to sns failed for {arn}: " in polled.err and "NotFound" in polled.err
    assert '"level"' not in polled.err


# 10. an endpoint that never answers; progress on long work


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    with endpoints.silent_endpoint() as url:
        yield url


def test_a_silent_endpoint_is_given_up_on_naming_it(user: User, silent_endpoint: str) -> None:
    started = time.monotonic()
    hung = user.run(
        "--table", user.table, "list", env={"AWS_ENDPOINT_URL": silent_endpoint, "NOTIFIER_TIMEOUT_SECONDS": "3"}
    )
    assert time.monotonic() - started < 20
    assert hung.code == 1 and hung.one_line_error, hung
    assert f"could not reach {silent_endpoint}" in hung.err


def test_the_default_timeouts_give_up_within_a_minute() -> None:
    config = client_config({})
    attempts = config.retries["total_max_attempts"]
    # Each attempt waits at most connect + read; standard retries back off at most 2 s and then 4 s.
    assert attempts * (config.connect_timeout + config.read_timeout) + 2 + 4 <= 60


def test_poll_and_discover_say_what_they_are_doing_on_stderr(user: User) -> None:
    for _ in range(3):
        user.job()
    found = user.run("--table", user.table, "discover", "--parent", user.dataset)
    assert found.code == 0 and "listed 3" in found.out
    polled = user.run("--table", user.table, "poll", "--topic", user.topic)
    assert polled.err.startswith(f"polling the jobs watched in {user.table} ...")


# 11. Ctrl-C


INTERRUPTED = (130, "", "notifier: interrupted\n")


def interrupted_when(
    user: User,
    argv: list[str],
    ready: Callable[[], None],
    env: dict[str, str] | None = None,
    *,
    lost: list[bool] | None = None,
    command: str = NOTIFIER,
) -> tuple[int, str, str]:
    """`notifier ARGV...`, Ctrl-C once `ready` returns: (exit code, stdout, stderr). With `lost`, a Ctrl-C that
    changed nothing in 5 s is pressed again, as a person would, and `lost` says so."""
    process = subprocess.Popen(
        [command, *argv],
        env={**user.env, "NOTIFIER_TIMEOUT_SECONDS": "60", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        ready()
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=5 if lost is not None else 30)
        except subprocess.TimeoutExpired:
            if lost is None:
                raise  # swallowed until the command's own timeout
            lost.append(True)
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    return process.returncode, out.decode(), err.decode()


@contextmanager
def unanswering_endpoint() -> Iterator[tuple[str, Callable[[], None]]]:
    """An endpoint that takes connections and never answers, and a wait for the first one to arrive."""
    listener, held = socket.create_server(("127.0.0.1", 0)), []

    def connected() -> None:
        listener.settimeout(60)
        held.append(listener.accept()[0])  # a request has reached the endpoint; it stays unanswered

    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", connected
    finally:
        for connection in held:
            connection.close()
        listener.close()


def test_ctrl_c_inside_a_request_is_one_line_and_exit_130(user: User) -> None:
    with unanswering_endpoint() as (endpoint, connected):
        argv = ["--table", user.table, "list"]
        assert interrupted_when(user, argv, connected, env={"AWS_ENDPOINT_URL": endpoint}) == INTERRUPTED


def test_ctrl_c_while_worker_threads_describe_is_one_line_and_exit_130(user: User) -> None:
    # The table answers; Personalize, asked from the poll's worker threads, does not.
    user.run("--table", user.table, "track", "--no-describe", user.job(), user.job())
    with unanswering_endpoint() as (endpoint, connected):
        argv = ["--table", user.table, "poll", "--topic", user.topic]
        code, out, err = interrupted_when(user, argv, connected, env={"AWS_ENDPOINT_URL_PERSONALIZE": endpoint})
    assert (code, out, err) == (130, "", f"polling the jobs watched in {user.table} ...\nnotifier: interrupted\n")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The `notifier` command as `pip install` gives it (a wheel, not this clone's editable install, whose import
    hook Python's start-up loads before any script runs), in a fresh virtualenv that finds its dependencies in
    this one's site-packages: the command's path."""
    scratch = tmp_path_factory.mktemp("wheel")
    pip_env = {**os.environ, "PYTHONWARNINGS": "ignore:Editable installation", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "-w", str(scratch), str(REPO)], env=pip_env, check=True)
    [wheel] = scratch.glob("personalize_job_notifier-*.whl")
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    [site] = [Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_relative_to(sys.prefix)]
    [own_site] = (venv / "lib").glob("python3*/site-packages")
    (own_site / "dependencies.pth").write_text(f"{site}\n")  # a path: its directory's .pth files are not run
    subprocess.run(
        [*pip, "--python", str(python), "install", "-q", "--no-deps", "--no-compile", str(wheel)],
        env=pip_env,
        check=True,
        timeout=300,
    )
    return venv / "bin" / "notifier"


# What CPython prints of an exception it ignores while it starts, before the script's first line: a failed check of
# the script as an import path entry (Modules/main.c, pymain_run_python), a failed line of a .pth file (site.py),
# a KeyboardInterrupt in the callback that drops an import's lock (Lib/importlib/_bootstrap.py, _get_module_lock).
# The press is lost with it; the entry module imports nothing before its handler, so none of these can come later.
STARTUP_REPORTS = (
    "Failed checking if argv[0] is an import path entry\n",
    "Error processing line ",
    "Exception ignored in: <function _get_module_lock.<locals>.cb",
)


def before_the_command_ran(code: int, out: str, err: str, package: Path) -> bool:
    """Interrupted before the command's Ctrl-C handler was installed: while the Python interpreter itself
    started (killed by the signal, or its own report of its start-up), or while the console script loaded the
    entry module (notifier_console), whose first statement installs the handler. No frame of the package's own
    code, nor of the entry module: the package is imported only after that."""
    if out or code not in (-signal.SIGINT, 1, 130):
        return False
    if code == -signal.SIGINT and not err:
        return True
    found = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', err)
    frames = [Path(path).resolve() for path, _, _ in found]
    if any(frame.is_relative_to(package) for frame in frames):
        return False
    # The entry module's own top level, up to the statement that installs the handler (the press can land on
    # that very statement, before it took effect): still before the command; a line after it, or any of its
    # functions, is the command.
    for path, line, where in found:
        if Path(path).name == "notifier_console.py" and (where != "<module>" or int(line) > _installs_handler(path)):
            return False
    if code == 130:  # the start-up lost the press and printed why; the press again was answered, in one line
        return err.startswith(STARTUP_REPORTS) and err.endswith("KeyboardInterrupt\nnotifier: interrupted\n")
    # CPython's own fatal error, when the signal lands while it sets up sys.stdin/stdout/stderr (its runtime
    # "core initialized", no line of any module run yet): the interpreter's start-up, not the command.
    if code == 1 and err.startswith("Fatal Python error: init_") and "runtime state: core initialized" in err:
        return True
    return "KeyboardInterrupt" in err


def _installs_handler(entry_module: str) -> int:
    """The line of the entry module that installs its Ctrl-C handler."""
    lines = Path(entry_module).read_text().splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.startswith("_signal.signal(_signal.SIGINT"))


@contextmanager
def the_other_core_busy() -> Iterator[None]:
    """As in a loaded `make test`: a process that keeps a core busy for as long as this lasts."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        busy.kill()
        busy.wait()


def test_ctrl_c_at_any_moment_from_the_start_is_one_line_and_exit_130(
    user: User, silent_endpoint: str, installed: Path
) -> None:
    """A sweep over the first second, with the machine loaded: every 5 ms through start-up and imports, then
    parsing, the session, the request. Each Ctrl-C is one line and exit 130, unless it came before the command's
    code ran at all (the interpreter's start-up)."""
    [package] = installed.parent.parent.glob("lib/python3*/site-packages/notifier")
    handled = 0
    with the_other_core_busy():
        for delay in [i * 0.005 for i in range(40)] + [0.3, 0.45, 0.6, 0.8, 1.0]:
            argv, env, lost = ["--table", user.table, "list"], {"AWS_ENDPOINT_URL": silent_endpoint}, []
            code, out, err = interrupted_when(
                user, argv, lambda wait=delay: time.sleep(wait), env=env, lost=lost, command=str(installed)
            )
            # CPython can lose a SIGINT that lands while it starts (before any line of the entry module): the
            # press again is then answered. From 0.3 s on, the first press always is.
            assert not lost or delay < 0.3, (delay, "a Ctrl-C was lost after start-up")
            if (code, out, err) == INTERRUPTED:
                handled += 1
                continue
            assert before_the_command_ran(code, out, err, package), (delay, code, out, err)
    assert handled >= 3, "the sweep never reached the command"  # (the late ones, however loaded the machine)


# 12. --json everywhere, --quiet, help with examples and exit codes


def test_every_command_that_prints_data_has_versioned_json(user: User) -> None:
    arn = user.job()
    tracked = json.loads(user.run("--table", user.table, "track", arn, "--json").out)
    assert tracked == {
        "schemaVersion": 1,
        "command": "track",
        "results": [{"jobArn": arn, "outcome": "tracked", "status": "CREATE PENDING", "message": None}],
    }
    shown = json.loads(user.run("--table", user.table, "show", arn, "--json").out)
    assert (shown["schemaVersion"], shown["job"]["jobArn"], shown["job"]["status"]) == (1, arn, "CREATE PENDING")
    emulator.set_status(arn, "ACTIVE")
    polled = json.loads(user.run("--table", user.table, "poll", "--topic", user.topic, "--json").out)
    assert polled["schemaVersion"] == 1 and polled["summary"]["notificationsPublished"] == 1
    [published] = polled["published"]
    assert (published["jobArn"], published["attributes"]["status"], polled["problems"]) == (arn, "ACTIVE", [])
    found = json.loads(user.run("--table", user.table, "discover", "--parent", user.dataset, "--json").out)
    assert (found["schemaVersion"], found["regions"], found["listed"], found["finished"]) == (1, [REGION], 1, 1)
    listed = json.loads(user.run("--table", user.table, "list", "--all", "--json").out)
    assert listed["schemaVersion"] == 1 and [job["jobArn"] for job in listed["jobs"]] == [arn]
    untracked = json.loads(user.run("--table", user.table, "untrack", arn, "--json").out)
    expected = json.loads(user.run("--table", user.table, "expect", user.dataset, "--every", "26h", "--json").out)
    assert (expected["schemaVersion"], expected["expectation"]["target"]) == (1, "dataset")
    assert expected["expectation"]["everySeconds"] == 26 * 3600 and expected["expectation"]["lastMet"] is None
    # One convention: every key of every document is camelCase.
    for document in (tracked, shown, polled, found, listed, untracked, expected):
        assert not [key for key in keys_of(document) if not re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", key)]


def keys_of(document: object) -> list[str]:
    if isinstance(document, dict):
        return [*document, *(key for value in document.values() for key in keys_of(value))]
    if isinstance(document, list):
        return [key for value in document for key in keys_of(value)]
    return []


def test_quiet_prints_nothing_but_errors(user: User) -> None:
    arn = user.job()
    quiet = user.run("-q", "--table", user.table, "track", arn)
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "") and user.stored() == [arn]
    bad = user.run("--table", user.table, "track", "nope", "--quiet")
    assert bad.code == 2 and bad.out == "" and bad.one_line_error


@pytest.mark.parametrize("command", [*COMMANDS, "demo"])
def test_each_command_help_shows_examples_and_exit_codes(user: User, command: str) -> None:
    helped = user.run(command, "--help")
    assert helped.code == 0 and "examples:" in helped.out and f"notifier {command}" in helped.out
    assert "exit codes:" in helped.out and "130" in helped.out
    assert "job ARN(s)" not in helped.out  # jobs and resources both are watched


def test_demo_help_lists_only_what_the_demo_takes(user: User) -> None:
    helped = user.run("demo", "--help")
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", helped.out.split("examples:")[0]))
    assert options == {"--help", "--without-cdk"}, helped.out
    assert "a missing --topic" not in helped.out  # the other commands' exit codes are not the demo's


def test_discover_names_the_parents_it_takes(user: User) -> None:
    helped = user.run("discover", "--help").out
    assert "--parent ARN, --dataset ARN" in helped and "dataset group" in " ".join(helped.split())


# 13. ARN errors name the part that is wrong; white space is trimmed


@pytest.mark.parametrize(
    ("arn", "named"),
    [
        (f"arn:aws:personalize:us-east:{ACCOUNT}:dataset-export-job/x", "the region 'us-east'"),
        ("arn:aws:personalize:us-east-1:1234:dataset-export-job/x", "the account '1234'"),
        (f"arn:aws:personalise:us-east-1:{ACCOUNT}:dataset-export-job/x", "the service 'personalise'"),
        (f"arn:aws:personalize:us-east-1:{ACCOUNT}:dataset/retail/USERS", "the type 'dataset' is not a kind"),
        (f"arn:aws:personalize:us-east-1:{ACCOUNT}:dataset-export-job/", "the name after dataset-export-job/"),
    ],
)
def test_arn_errors_say_which_part_is_wrong(user: User, arn: str, named: str) -> None:
    refused = user.run("--table", user.table, "track", arn)
    assert refused.code == 2 and refused.one_line_error and named in refused.err, refused


def test_white_space_around_an_arn_is_trimmed(user: User) -> None:
    arn = user.job()
    tracked = user.run("--table", user.table, "track", f"  {arn}\n")
    assert tracked.code == 0 and user.stored() == [arn]


# 14. exit codes as the README says: a missing stack and a missing table alike


def test_a_missing_stack_and_a_missing_table_exit_2_with_what_to_check(user: User) -> None:
    no_stack = user.run("list", "--stack", "NoSuchStack", env={"TABLE_NAME": None})
    assert no_stack.code == 2 and no_stack.one_line_error
    assert "stack 'NoSuchStack' does not exist in us-east-1" in no_stack.err and "--region" in no_stack.err
    no_table = user.run("list", "--table", "no-such-table")
    assert no_table.code == 2 and no_table.one_line_error
    assert "table 'no-such-table' (from --table) does not exist in us-east-1: check --region" in no_table.err


def test_the_docs_state_the_exit_codes_the_cli_prints() -> None:
    assert EXIT_CODES in (REPO / "docs" / "cli.md").read_text()


# 15. synth: unknown context keys, an invalid stack name (the no-recipients warning: tests/infra/test_stack.py)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"notifyEmail": "ana@example.com"}, "unknown context key 'notifyEmail' (did you mean notifyEmails?)"),
        ({"pollMinute": "1"}, "unknown context key 'pollMinute' (did you mean pollMinutes?)"),
        ({"stackName": "my stack"}, "stackName 'my stack' must start with a letter"),
    ],
)
def test_synth_names_a_bad_context_key_or_value(tmp_path: Path, context: dict, message: str) -> None:
    # What `cdk synth -c ...` hands the app: its context in CDK_CONTEXT_JSON.
    synth = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO,
        env={**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert synth.returncode == 1
    assert synth.stderr.strip().splitlines()[-1].startswith(f"Cannot synthesize: {message}")


# 16. the demo's install hint names something that exists


def test_the_demo_without_moto_says_how_to_get_it() -> None:
    blocked = (
        "import sys; sys.modules['notifier_local'] = None; from notifier.cli import main; sys.exit(main(['demo']))"
    )
    ran = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    assert "make demo" in ran.stderr and "personalize-job-notifier[local]" not in ran.stderr


# From the review of the README against the code


def test_a_region_personalize_does_not_run_in_is_refused(user: User) -> None:
    typo = f"arn:aws:personalize:us-esat-1:{ACCOUNT}:dataset-export-job/nightly"
    refused = user.run("--table", user.table, "track", typo)
    assert refused.code == 2 and refused.one_line_error, refused
    assert "Personalize does not run in region 'us-esat-1'" in refused.err and user.stored() == []


def test_bad_arns_are_named_before_anything_asks_aws(user: User) -> None:
    no_credentials = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None}
    refused = user.run("track", "not-an-arn", env={**no_credentials, "TABLE_NAME": None})
    assert refused.code == 2 and "'not-an-arn' is not an ARN this notifier" in refused.err, refused


def test_quiet_silences_warnings_and_untrack_has_json(user: User) -> None:
    arn = user.job()
    emulator.inject_fault(arn, "AccessDeniedException", "not authorized")
    try:
        quiet = user.run("-q", "--table", user.table, "track", arn)
    finally:
        emulator.clear_faults()
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")
    untracked = json.loads(user.run("--table", user.table, "untrack", arn, "--json").out)
    assert untracked == {"schemaVersion": 1, "command": "untrack", "results": [{"jobArn": arn, "outcome": "untracked"}]}


def test_track_gives_up_on_a_silent_endpoint_too(user: User, silent_endpoint: str) -> None:
    started = time.monotonic()
    arn = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/anything"
    hung = user.run(
        "--table", user.table, "track", arn, env={"AWS_ENDPOINT_URL": silent_endpoint, "NOTIFIER_TIMEOUT_SECONDS": "3"}
    )
    assert time.monotonic() - started < 30
    assert hung.code == 1 and f"could not reach {silent_endpoint}" in hung.err, hung


# From a newcomer's first hour: every bad input is one line naming the value, exit 2


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("--region", "eu-wset-1", "list"), "--region 'eu-wset-1' is not an AWS region (did you mean eu-west-1?)"),
        (("show", "--region", "eu-wset-1", "ARN"), "--region 'eu-wset-1' is not an AWS region"),
        (("--regoin", "us-east-1", "list"), "unknown option '--regoin'; did you mean --region?"),
        (("list", "--tabel", "jobs"), "unknown option '--tabel'; did you mean --table?"),
        (("track",), "the following arguments are required: ARN"),
        (
            ("show", f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-expot-job/nightly"),
            "the type 'dataset-expot-job' is not a kind it watches (did you mean dataset-export-job?",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_value_and_exit_2(user: User, argv: tuple[str, ...], named: str) -> None:
    ran = user.run(*argv)
    assert (ran.code, ran.out) == (2, ""), ran
    assert ran.one_line_error and named in ran.err, ran.err


def test_a_region_from_the_environment_is_named_by_its_variable(user: User) -> None:
    ran = user.run("--table", user.table, "list", env={"AWS_REGION": "eu-wset-1"})
    assert ran.code == 2 and ran.one_line_error and "AWS_REGION 'eu-wset-1' is not an AWS region" in ran.err, ran


def test_untrack_of_what_is_not_tracked_says_so_as_show_does(user: User) -> None:
    arn = user.job()
    untracked, shown = user.run("--table", user.table, "untrack", arn), user.run("--table", user.table, "show", arn)
    assert untracked.code == shown.code == 2 and untracked.one_line_error and shown.one_line_error
    assert f"{arn} is not tracked in table {user.table!r}" in untracked.err
    assert f"{arn} is not tracked in table {user.table!r}" in shown.err


# From a newcomer's walk through the docs: the CLI's last rough edges


def test_a_mistyped_command_is_one_line_suggesting_the_one_meant(user: User) -> None:
    ran = user.run("lst")
    assert ran.code == 2 and ran.one_line_error and ran.out == ""
    assert ran.err.startswith("notifier: unknown command 'lst'; did you mean list?")


def test_a_mistyped_region_suggests_the_nearest_by_edits(user: User) -> None:
    ran = user.run("--region", "us-eest-1", "list")
    assert ran.code == 2 and ran.one_line_error
    assert "'us-eest-1' is not an AWS region (did you mean us-east-1?)" in ran.err


def test_track_of_what_personalize_does_not_know_names_its_kind(user: User) -> None:
    campaign = f"arn:aws:personalize:{REGION}:{ACCOUNT}:campaign/nope"
    ran = user.run("--table", user.table, "track", campaign)
    assert ran.code == 2 and ran.one_line_error and "Personalize does not know this campaign" in ran.err


def test_expect_of_what_personalize_does_not_know_is_refused_and_nothing_is_written(user: User) -> None:
    group = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/nope"
    ran = user.run("--table", user.table, "expect", group, "--every", "26h")
    assert ran.code == 2 and ran.one_line_error, ran
    assert ran.err.startswith(f"notifier: dataset group {group} does not exist in Personalize")
    assert user.stored() == []


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ("expect", "GROUP", "--every", "26"),
            "--every: '26' is outside 5 minutes to 366 days (like 26h, 8d, 90m, 2w)",
        ),
        (("expect", "GROUP", "--every", "soon"), "--every: 'soon' is not a duration (like 26h, 8d, 90m, 2w)"),
        (("wait", "JOB", "--timeout", "forever"), "--timeout: 'forever' is not a duration (like 90s, 30m, 6h)"),
    ],
)
def test_a_bad_duration_names_its_option_and_the_help_s_examples(user: User, argv: tuple[str, ...], said: str) -> None:
    filled = [
        {"GROUP": f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/retail", "JOB": user.job()}.get(a, a)
        for a in argv
    ]
    ran = user.run("--table", user.table, *filled)
    assert ran.code == 2 and ran.one_line_error and said in ran.err, ran


def test_each_command_s_help_lists_its_own_exit_codes(user: User) -> None:
    for command in COMMANDS:
        helped = user.run(command, "--help").out.split("exit codes:", 1)[1]
        assert ("124" in helped) == (command == "wait"), command
        assert ("wait only" in helped) is False, command


def test_wait_tells_could_not_find_out_by_its_own_code_at_once(user: User) -> None:
    """An ARN of an account this identity cannot read: AWS refuses, and looking again will not mend that."""
    elsewhere = f"arn:aws:personalize:{REGION}:210987654321:dataset-export-job/nightly"
    started = time.monotonic()
    ran = user.run("wait", elsewhere, "--timeout", "60s")
    assert ran.code == 3 and ran.one_line_error, ran
    assert ran.err.startswith("notifier: could not find out how it ends:") and "AccessDenied" in ran.err
    assert time.monotonic() - started < 30


def test_ctrl_c_in_wait_takes_the_place_of_the_progress_line(user: User) -> None:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [NOTIFIER, "wait", user.job()],
        env={**user.env, "NOTIFIER_TIMEOUT_SECONDS": "60"},
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    screen = b""
    try:
        while b"waiting" not in screen:
            screen += os.read(controller, 4096)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        with contextlib.suppress(OSError):
            while chunk := os.read(controller, 4096):
                screen += chunk
    finally:
        process.kill()
        os.close(controller)
    shown = screen.decode().replace("\r\n", "\n")  # the terminal's line discipline turns \n into \r\n
    last = shown.rsplit("\r", 1)[-1]  # what the terminal shows on the last line
    assert last.replace("\x1b[K", "") == "notifier: interrupted\n", screen


# What is served, and what it costs: `notifier usage`


def test_usage_shows_each_active_campaign_s_requests_against_its_minimum_as_a_table_and_as_json(user: User) -> None:
    personalize = user.clients["personalize"]
    made = emulator.serving_campaign(
        personalize, group=f"{user.table}-g", solution=f"{user.table}-s", campaign=f"{user.table}-busy", sync=False
    )
    quiet = personalize.create_campaign(
        name=f"{user.table}-quiet", solutionVersionArn=made.version, minProvisionedTPS=10
    )["campaignArn"]
    for arn in (made.campaign, quiet):
        emulator.set_status(arn, "ACTIVE")
        emulator.backdate(arn, 3 * 86400)
        emulator.find_job(arn).updated -= 3 * 86400  # ACTIVE these three days
    assert user.run("--table", user.table, "track", made.campaign, quiet).code == 0
    session = boto3.session.Session(aws_access_key_id="embedded", aws_secret_access_key="embedded")
    cloudwatch = session.client("cloudwatch", region_name=REGION, endpoint_url=user.aws.endpoint)
    clear_of_the_hour()  # the datapoints put and the window read fall in the same whole hours
    emulator.answer_requests(cloudwatch, made.campaign, [1800.0] * 23 + [7200.0])  # 0.5/s, a 2/s hour; minimum 1

    shown = user.run("--table", user.table, "usage")
    assert (shown.code, shown.err) == (0, ""), shown
    header, *rows = shown.out.splitlines()
    assert header.split() == ["NAME", "KIND", "MINIMUM", "REQUESTS", "PEAK/S", "UTILIZATION", "BILLED", "VERDICT"]
    by_name = {row.split()[0]: row.split() for row in rows}
    assert by_name[f"{user.table}-busy"][2:] == ["1", "TPS", "48,600", "2", "56.25", "%", "24", "TPS-h", "in_use"]
    assert by_name[f"{user.table}-quiet"][2:] == ["10", "TPS", "0", "0", "0", "%", "240", "TPS-h", "idle"]

    as_json = user.run("--table", user.table, "usage", quiet, "--window", "7d", "--json")
    assert as_json.code == 0, as_json
    document = json.loads(as_json.out)
    [resource] = document["resources"]
    assert (document["command"], document["windowHours"]) == ("usage", 168)
    assert (resource["arn"], resource["verdict"], resource["requests"], resource["minimum"]) == (quiet, None, 0, 10)
    assert resource["activeHours"] == pytest.approx(72, abs=0.1)  # three days of a week: too new to judge

    # A poll reads them as the deployed one does (its first, the usage clock's first hour); list and show tell
    # the last reading.
    assert user.run("--table", user.table, "poll", "--topic", user.topic).code == 0
    listed = user.run("--table", user.table, "list")
    header, *rows = listed.out.splitlines()
    assert header.split()[-1] == "USAGE", listed.out
    usage_of = {row.split()[0]: row.split()[-3:] for row in rows}
    assert usage_of[f"{user.table}-quiet"][-1] == "idle"
    assert usage_of[f"{user.table}-busy"] == ["in_use", "(56.25", "%)"]
    shown = user.run("--table", user.table, "show", quiet)
    assert re.search(
        r"^Usage +idle: 0 requests in 24 h, busiest hour 0/s, 0 % of the minimum on average", shown.out, re.M
    )


def test_usage_does_not_call_a_member_account_s_campaign_idle_on_this_account_s_metrics(user: User) -> None:
    """A campaign of another account of the organization, watched by the central notifier: its requests are in
    that account's CloudWatch. `notifier usage` here says so, not `idle` on the zero this account's would give."""
    member = f"arn:aws:personalize:{REGION}:210987654321:campaign/{user.table}-member"
    three_days_ago = iso(datetime.now(UTC) - timedelta(days=3))
    snapshot = Snapshot(status="ACTIVE", facts=(("Minimum TPS", "5"),), created_at=three_days_ago)
    store = DynamoWatchStore(user.table, user.clients["dynamodb"])
    store.add(start_watching(parse_arn(member), datetime.now(UTC), snapshot))
    shown = user.run("--table", user.table, "usage", "--json")
    assert shown.code == 0, shown  # not a failure: that account is read from there
    [resource] = json.loads(shown.out)["resources"]
    assert (resource["arn"], resource["verdict"], resource["requests"]) == (member, "usage_unknown", None)
    assert "in account 210987654321's CloudWatch: run notifier usage there" in resource["unreadable"]
    assert "210987654321's CloudWatch" in shown.err


def clear_of_the_hour() -> None:
    """Past the first minute of an hour: a reading reads whole hours, and one begun on the hour before it was put
    would miss the earliest of them."""
    into = time.time() % 3600
    if into > 3600 - 60:
        time.sleep(3600 - into + 1)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("usage", "--window", "90m"), "--window: '90m' is not a whole number of hours (like 24h, 7d)"),
        (("usage", "--window", "1y"), "--window: '1y' is not a duration (like 24h, 7d)"),
        (("usage", "JOB"), "is a dataset export job: usage is read of campaigns and recommenders"),
    ],
)
def test_usage_refuses_what_it_cannot_read_in_one_line(user: User, argv: tuple[str, ...], said: str) -> None:
    ran = user.run("--table", user.table, *[user.job() if a == "JOB" else a for a in argv])
    assert ran.code == 2 and ran.one_line_error and said in ran.err, ran


# 9. webhooks


def webhook_stack(user: User, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The webhook part of the stack synthesized with every webhook (its connections, destinations, rules, queue,
    outputs), created in the embedded AWS after the secrets it names, as a user deploys it."""
    from tests.infra.conftest import create_referenced_secrets
    from tests.infra.options import synthesized

    assembly = synthesized("webhooks", tmp_path_factory.getbasetemp() / "configurations")
    full = json.loads((assembly / "PersonalizeJobNotifier.template.json").read_text())
    part = {
        "Resources": {key: value for key, value in full["Resources"].items() if key.startswith("Webhooks")},
        "Outputs": {key: full["Outputs"][key] for key in ("Webhooks", "EventSource", "WebhookDeadLetterQueueUrl")},
    }
    session = boto3.session.Session(aws_access_key_id="embedded", aws_secret_access_key="embedded")
    secrets = session.client("secretsmanager", region_name=REGION, endpoint_url=user.aws.endpoint)
    with contextlib.suppress(secrets.exceptions.ResourceExistsException):
        create_referenced_secrets(json.dumps(part), secrets)
    name = f"Hooks-{user.table}"
    cloudformation = session.client("cloudformation", region_name=REGION, endpoint_url=user.aws.endpoint)
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(part), Capabilities=["CAPABILITY_IAM"])
    return name


def test_test_notify_sends_one_marked_notice_through_each_deployed_webhook(user: User, tmp_path_factory) -> None:
    from notifier_local.api_destinations import Receiver, receive_webhooks

    stack = webhook_stack(user, tmp_path_factory)
    with Receiver() as receiver:
        receive_webhooks(receiver)
        try:
            sent = user.run("--stack", stack, "test-notify")
            every = receiver.take()
            one = user.run("--stack", stack, "test-notify", "--target", "discord", "--json")
            only = receiver.take()
        finally:
            receive_webhooks(None)
    assert (sent.code, sent.err) == (0, ""), sent
    assert "to slack, teams, discord, google-chat, pagerduty" in sent.out and "dead-letter" not in sent.err
    hosts = sorted(request.host for request in every)
    assert hosts == sorted(
        [
            "hooks.slack.com",
            "acme.westeurope.logic.azure.com",
            "discord.com",
            "chat.googleapis.com",
            "events.pagerduty.com",
        ]
    )
    for request in every:
        assert "Test notification from the Personalize notifier" in request.body.decode()
    [page] = [request.json for request in every if request.host == "events.pagerduty.com"]
    assert (page["event_action"], page["payload"]["severity"]) == ("trigger", "info")
    assert one.code == 0 and json.loads(one.out)["targets"] == ["discord"]
    assert [request.host for request in only] == ["discord.com"]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("--stack", "NoSuchStack", "test-notify"), "no webhooks: stack 'NoSuchStack' does not exist"),
        (("test-notify", "--target", "telegram"), "invalid choice: 'telegram'"),
    ],
)
def test_test_notify_refuses_what_it_cannot_send_in_one_line(user: User, argv: tuple[str, ...], said: str) -> None:
    ran = user.run(*argv)
    assert ran.code == 2 and said in ran.err, ran


def test_a_press_on_the_statement_that_installs_the_handler_is_before_the_command() -> None:
    """The classification the Ctrl-C test relies on: a KeyboardInterrupt raised at the entry module's top level,
    up to the statement that installs the handler, came before the command; one in its functions or after it did
    not (as a loaded CI run met it: the press landed on `_signal.signal(...)` itself)."""
    entry = REPO / "notifier_console.py"
    installs = _installs_handler(str(entry))

    def report(line: int, where: str = "<module>") -> str:
        return (
            f'Traceback (most recent call last):\n  File "{entry}", line {line}, in {where}\n'
            "    _signal.signal(_signal.SIGINT, _interrupted)\nKeyboardInterrupt\n"
        )

    package = REPO / "lambda" / "notifier"
    assert before_the_command_ran(1, "", report(installs), package)
    assert not before_the_command_ran(1, "", report(installs + 1), package)
    assert not before_the_command_ran(1, "", report(installs - 5, "run"), package)
