"""`make playground` / `notifier local`: the embedded AWS with the stack deployed, to try the CLI by hand.

It starts the moto server with the Personalize emulator, deploys the stack (the CDK CLI in a clone, its
resources directly otherwise), prints what to export so `notifier` and your own boto3 scripts reach it, and
reads commands that play Personalize's part: create a job, move it to a status (with an output path or a
failure reason), run the deployed function's poll, show what the subscribers received. Ctrl-C, `quit` or
the end of input stop it; the server stops with it.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import boto3
from botocore.exceptions import ClientError

from notifier.domain.arns import InvalidArn, parse_arn
from notifier_local import personalize as emulator
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
    move.add_argument("arn", metavar="ARN")
    move.add_argument(
        "status", metavar="STATUS", help="CREATE IN_PROGRESS, ACTIVE, CREATE FAILED, ... (quote two words)"
    )
    move.add_argument("--output", metavar="S3PATH", default=None, help="the S3 path it reports as its output")
    move.add_argument("--reason", metavar="TEXT", default=None, help="its failureReason")
    commands.add_parser("poll", add_help=False, help="run the deployed function's poll once")
    commands.add_parser("received", add_help=False, help="the subjects the subscribers got since last asked")
    commands.add_parser("jobs", add_help=False, help="what the emulator holds, with statuses")
    commands.add_parser("help", add_help=False, help="this list")
    commands.add_parser("quit", add_help=False, help="stop the embedded AWS and exit")
    return parser


@dataclass
class Playground:
    out: TextIO
    poll: Callable[[], dict[str, int]]
    queue: QueueSubscriber
    personalize: object

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

    def _set(self, args: argparse.Namespace) -> None:
        try:
            kind = parse_arn(args.arn).kind
            emulator.find_job(args.arn)
        except InvalidArn as exc:
            raise CommandError(str(exc)) from None
        except KeyError:
            raise CommandError(f"the emulator holds no {args.arn} (`jobs` lists what it holds)") from None
        details = {}
        if args.output:
            if not kind.output_path:
                raise CommandError(f"a {kind.label.lower()} reports no output path")
            *parents, leaf = kind.output_path
            nested: dict[str, object] = {leaf: args.output}
            for key in reversed(parents):
                nested = {key: nested}
            details.update(nested)
        emulator.set_status(args.arn, args.status, failure_reason=args.reason, **details)
        self.say(f"{args.arn} is now {args.status}")

    def _poll(self, args: argparse.Namespace) -> None:
        summary = self.poll()
        self.say(
            f"polled: {summary['jobs_polled']} described, {summary['transitions']} transition(s), "
            f"{summary['notifications_published']} published"
        )
        self._received(args)

    def _received(self, args: argparse.Namespace) -> None:
        for message in self.queue.receive_all():
            self.say(f"  → {message.subject}")

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


def exports(variables: dict[str, str]) -> str:
    return "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in sorted(variables.items()))


def run(stdin: TextIO | None = None, out: TextIO | None = None, with_cdk: bool = True, port: int | None = None) -> int:
    """Serve until `quit`, the end of input or Ctrl-C; 0 then, the server stopped."""
    stdin, out = stdin or sys.stdin, out or sys.stdout
    say = Narrator(out, steps=2)
    inbox.clear()
    try:
        with tempfile.TemporaryDirectory(prefix="notifier-local-") as scratch, embedded_aws(port) as aws:
            with pointed_at(aws):
                say.step(f"Starting an embedded AWS on {aws.endpoint} (loopback only)")
                say.step("Deploying the stack into it")
                outputs, template = deploy_stack(aws, Path(scratch), say, with_cdk=with_cdk, stack=STACK)
                session = boto3.session.Session()
                queue = subscribe(session, outputs["TopicArn"], template, say)
                poll = deployed_handler(session.client("lambda"), outputs["FunctionName"], say)
                playground = Playground(out, poll, queue, session.client("personalize"))
            variables = {
                **{k: v for k, v in aws.environment().items() if not k.startswith("CDK_")},
                "NOTIFIER_STACK": STACK,
                "TABLE_NAME": outputs["TableName"],
                "TOPIC_ARN": outputs["TopicArn"],
            }
            playground.say(
                "\nReady. In another terminal, so `notifier` and your boto3 scripts use this embedded AWS:\n\n"
                f"  {exports(variables)}\n\n"
                "then, for example: notifier list, notifier track ARN, notifier poll, notifier show ARN.\n"
                "Here, play Personalize's part (`help` lists the commands; Ctrl-C or `quit` stops):"
            )
            with pointed_at(aws):
                _serve(playground, stdin, out)
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
