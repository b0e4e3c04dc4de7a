"""`make playground` / `notifier local`: the embedded AWS with the stack deployed, to try the CLI by hand.

It starts the moto server with the Personalize emulator, deploys the stack (the CDK CLI in a clone, its
resources directly otherwise), prints what to export so `notifier` and your own boto3 scripts reach it, and
reads commands that play Personalize's part: create a job, move it to a status (with an output path or a
failure reason), run the deployed function's poll, show what the subscribers received. The deployed poll also
runs on its own every few seconds, as the deployed schedule would (`--no-schedule`: only when typed). Ctrl-C,
`quit` or the end of input stop it; the server stops with it.
"""

from __future__ import annotations

import argparse
import functools
import re
import shlex
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import boto3
import botocore.session
from botocore.exceptions import ClientError

from notifier.cli.options import PLAYGROUND_POLL_SECONDS
from notifier.domain.arns import InvalidArn, parse_arn
from notifier.domain.kinds import Kind
from notifier_local import personalize as emulator
from notifier_local.api_destinations import Receiver, webhooks_received
from notifier_local.aws import QueueSubscriber
from notifier_local.deployment import deploy_stack, deployed_handler, subscribe
from notifier_local.inbox import inbox
from notifier_local.server import ACCOUNT, REGION, embedded_aws, pointed_at
from notifier_local.showing import Narrator

STACK = "PersonalizeJobNotifierLocal"
DATASET = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/playground/INTERACTIONS"
PROMPT = "playground> "


class CommandError(Exception):
    """A playground command that cannot be done; the message names what and why."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CommandError(message)


def _commands() -> argparse.ArgumentParser:
    parser = _Parser(prog="", add_help=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    create = commands.add_parser("create", add_help=False, help="an export job in the emulator (CREATE PENDING)")
    create.add_argument("name", metavar="NAME")
    create.add_argument(
        "--output", metavar="S3PATH", default=None, help="its S3 destination (default s3://playground/NAME/)"
    )
    move = commands.add_parser("set", add_help=False, help="move a job or resource to a status, as Personalize would")
    move.add_argument("arn", metavar="NAME|ARN")
    move.add_argument("status", metavar="STATUS", nargs="+", help="CREATE IN_PROGRESS, ACTIVE, CREATE FAILED, ...")
    move.add_argument("--output", metavar="S3PATH", default=None, help="the S3 path it reports as its output")
    move.add_argument("--reason", metavar="TEXT", default=None, help="its failureReason")
    show = commands.add_parser("show", add_help=False, help="what the emulator holds of one job or resource")
    show.add_argument("arn", metavar="NAME|ARN")
    commands.add_parser("poll", add_help=False, help="run the deployed function's poll once")
    commands.add_parser("received", add_help=False, help="the subjects the subscribers got since last asked")
    commands.add_parser("jobs", add_help=False, help="what the emulator holds, with statuses")
    commands.add_parser("help", add_help=False, help="this list")
    commands.add_parser("quit", add_help=False, help="stop the embedded AWS and exit")
    return parser


@functools.cache
def documented_statuses(kind: Kind) -> list[str]:
    """The statuses botocore's model documents for a kind (its `status` member's own words: "CREATE PENDING >
    CREATE IN_PROGRESS > ACTIVE -or- CREATE FAILED"), in that order."""
    model = botocore.session.get_session().get_service_model("personalize")
    shape = kind.describe_response_key[0].upper() + kind.describe_response_key[1:]
    text = re.sub(r"<[^>]+>", "  ", model.shape_for(shape).members["status"].documentation).replace("&gt;", ">")
    text = re.split(r"states:|values:|statuses:", text, maxsplit=1)[-1]
    words = [part.strip() for part in re.split(r">|-or-|\s{2,}", text)]
    return list(dict.fromkeys(word for word in words if re.fullmatch(r"[A-Z_]+(?: [A-Z_]+)?", word)))


@dataclass
class Playground:
    out: TextIO
    poll: Callable[[], dict[str, int]]
    queue: QueueSubscriber
    personalize: object
    webhooks: Receiver | None = None  # what the deployed webhooks (Slack, PagerDuty) received
    lock: threading.Lock = field(default_factory=threading.Lock)  # one poll or command at a time

    def do(self, line: str) -> bool:
        """Carry out one command line; False when it asks to stop."""
        try:
            words = shlex.split(line)
        except ValueError as exc:  # an unbalanced quote
            raise CommandError(f"{exc}: {line.strip()}") from None
        if not words:
            return True
        args = _commands().parse_args(words)
        handler = getattr(self, f"_{args.command}")
        try:
            with self.lock:
                return handler(args) is not False
        except ClientError as exc:  # the emulator refused it, as Personalize would (a name taken, a bad value)
            error = exc.response.get("Error", {})
            raise CommandError(f"{error.get('Code')}: {error.get('Message')}") from None

    def _create(self, args: argparse.Namespace) -> None:
        output = args.output or f"s3://playground/{args.name}/"
        arn = self.personalize.create_dataset_export_job(  # type: ignore[attr-defined]
            jobName=args.name,
            datasetArn=DATASET,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/PersonalizeExport",
            jobOutput={"s3DataDestination": {"path": output}},
        )["datasetExportJobArn"]
        self.say(f"created {arn} (CREATE PENDING); track it: notifier track {arn}")

    def _held(self, name_or_arn: str) -> emulator.EmulatedJob:
        """The job or resource the emulator holds under this ARN, or this name (what `create` took)."""
        if name_or_arn.startswith("arn:"):
            try:
                parse_arn(name_or_arn)
                return emulator.find_job(name_or_arn)
            except InvalidArn as exc:
                raise CommandError(str(exc)) from None
            except KeyError:
                raise CommandError(f"the emulator holds no {name_or_arn} (`jobs` lists what it holds)") from None
        named = [job for job in emulator.all_jobs() if job.arn.rsplit("/", 1)[-1] == name_or_arn]
        if len(named) != 1:
            held = "none" if not named else "more than one: give its ARN"
            raise CommandError(f"'{name_or_arn}' is not an ARN, and the emulator holds {held} of that name")
        return named[0]

    def _set(self, args: argparse.Namespace) -> None:
        job = self._held(args.arn)
        arn, kind, status = job.arn, parse_arn(job.arn).kind, " ".join(args.status)
        statuses = documented_statuses(kind)
        if status not in statuses:
            raise CommandError(
                f"{status!r} is not a status of a {kind.label.lower()}; Personalize's are {', '.join(statuses)}"
            )
        details = {}
        if args.output:
            if not kind.output_path:
                raise CommandError(f"a {kind.label.lower()} reports no output path")
            *parents, leaf = kind.output_path
            nested: dict[str, object] = {leaf: args.output}
            for key in reversed(parents):
                nested = {key: nested}
            details.update(nested)
        emulator.set_status(arn, status, failure_reason=args.reason, **details)
        self.say(f"{arn} is now {status}")

    def _show(self, args: argparse.Namespace) -> None:
        job = self._held(args.arn)
        self.say(f"  {job.arn}\n  status: {job.status}")
        if job.failure_reason:
            self.say(f"  failure reason: {job.failure_reason}")

    def _poll(self, args: argparse.Namespace) -> None:
        summary = self.poll()
        self.say(
            f"polled: {summary['jobs_polled']} described, {summary['transitions']} transition(s), "
            f"{summary['notifications_published']} published"
        )
        self._say_received()

    def _received(self, args: argparse.Namespace) -> None:
        if not self._say_received():
            self.say("  (nothing new since last asked)")

    def _say_received(self, prefix: str = "  ") -> int:
        """What the subscribers got since last asked, a subject a line; how many."""
        messages = self.queue.receive_all()
        for message in messages:
            self.say(f"{prefix}→ {message.subject}")
        hooks = self.webhooks.take() if self.webhooks else []
        for request in hooks:
            self.say(f"{prefix}  webhook {request.host}: {_first_line(request.json)}")
        return len(messages)

    def scheduled(self, stop: threading.Event, every: float) -> None:
        """The deployed poll every `every` seconds until `stop`, saying what it published."""
        while not stop.wait(every):
            with self.lock:
                self.poll()
                self._say_received("\n  (scheduled poll) ")

    def _jobs(self, args: argparse.Namespace) -> None:
        held = emulator.all_jobs()
        for job in held:
            self.say(f"  {job.status:<20} {job.arn}")
        if not held:
            self.say("  (none yet: `create NAME` makes an export job)")

    def _help(self, args: argparse.Namespace) -> None:
        [commands] = [action for action in _commands()._actions if isinstance(action, argparse._SubParsersAction)]
        for choice in commands._choices_actions:
            usage = " ".join(commands.choices[choice.dest].format_usage().split()[1:])
            self.say(f"  {usage:<52} {choice.help}")

    def _quit(self, args: argparse.Namespace) -> bool:
        return False

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def _first_line(body: dict[str, Any]) -> str:
    """What a webhook's body says first: Slack's text, PagerDuty's action and summary."""
    if "payload" in body:
        return f"{body['event_action']} {body['payload']['summary']}"
    return str(body.get("text") or body.get("content") or "").split("\n", 1)[0]


def exports(variables: dict[str, str]) -> str:
    return "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in sorted(variables.items()))


def reaching_notifier() -> str:
    """What makes `notifier` a command in another terminal: this virtualenv's activation, else its full path."""
    scripts = Path(sys.executable).parent
    if sys.prefix != sys.base_prefix and (scripts / "activate").is_file():
        return f"source {shlex.quote(str(scripts / 'activate'))}"
    return f"alias notifier={shlex.quote(str(scripts / 'notifier'))}"


def run(
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    with_cdk: bool = True,
    port: int | None = None,
    schedule: bool = True,
) -> int:
    """Serve until `quit`, the end of input or Ctrl-C; 0 then, the server stopped. With `schedule`, the deployed
    poll runs every PLAYGROUND_POLL_SECONDS on its own, as the deployed schedule runs it."""
    stdin, out = stdin or sys.stdin, out or sys.stdout
    say = Narrator(out, steps=2)
    inbox.clear()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="notifier-local-") as scratch,
            embedded_aws(port) as aws,
            webhooks_received() as webhooks,
        ):
            with pointed_at(aws):
                say.step(f"Starting an embedded AWS on {aws.endpoint} (loopback only)")
                say.step("Deploying the stack into it")
                outputs, template = deploy_stack(aws, Path(scratch), say, with_cdk=with_cdk, stack=STACK)
                session = boto3.session.Session()
                queue = subscribe(session, outputs["TopicArn"], template, say)
                poll = deployed_handler(session.client("lambda"), outputs["FunctionName"], say)
                playground = Playground(out, poll, queue, session.client("personalize"), webhooks)
            variables = {
                **{k: v for k, v in aws.environment().items() if not k.startswith("CDK_")},
                "NOTIFIER_STACK": STACK,
                "TABLE_NAME": outputs["TableName"],
                "TOPIC_ARN": outputs["TopicArn"],
            }
            polls = (
                f"The deployed poll runs here every {PLAYGROUND_POLL_SECONDS} s, as its schedule would "
                "(`poll` runs it now)"
                if schedule
                else "The deployed poll runs when you type `poll` (--no-schedule)"
            )
            playground.say(
                "\nReady. In another terminal, so `notifier` and your boto3 scripts use this embedded AWS:\n\n"
                f"  {reaching_notifier()}\n  {exports(variables)}\n\n"
                "then, for example: notifier list, notifier track ARN, notifier wait ARN, notifier show ARN.\n"
                f"{polls}. Here, play Personalize's part (`help` lists the commands; Ctrl-C or `quit` stops):"
            )
            stop = threading.Event()
            with pointed_at(aws):
                if schedule:
                    threading.Thread(
                        target=playground.scheduled, args=(stop, PLAYGROUND_POLL_SECONDS), daemon=True
                    ).start()
                try:
                    _serve(playground, stdin, out)
                finally:
                    stop.set()
                    with playground.lock:  # a scheduled poll in progress ends before the server stops
                        pass
    except KeyboardInterrupt:
        pass
    print("\nStopped: the embedded AWS is shut down, nothing is left running.", file=out, flush=True)
    return 0


def _serve(playground: Playground, stdin: TextIO, out: TextIO) -> None:
    while True:
        print(PROMPT, end="", file=out, flush=True)
        line = stdin.readline()
        if not line:
            return
        try:
            if not playground.do(line):
                return
        except CommandError as exc:
            playground.say(f"error: {exc} (`help` lists the commands)")
