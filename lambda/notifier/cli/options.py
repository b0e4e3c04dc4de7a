"""The command line: global options accepted before or after the subcommand (as the AWS CLI does), per-command
help with examples and exit codes. Parsing never imports boto3 or touches AWS."""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

from notifier import __version__
from notifier.domain.spelling import closest

DEFAULT_STACK = "PersonalizeJobNotifier"
PLAYGROUND_POLL_SECONDS = 5  # the playground's own schedule: the deployed one's, at the speed of a person trying
EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130  # as EXIT_CODES below says
EXIT_TIMED_OUT = 124  # `wait` only: --timeout passed first (GNU timeout's code, for scripts that know it)
EXIT_NOT_FOUND_OUT = 3  # `wait` only: how a job ended could not be found out (AWS refused, or failed to the end)
JSON_SCHEMA_VERSION = 1
EVERY_EXAMPLES = "26h, 8d, 90m, 2w"  # what `expect --every` and its errors give as examples
TIMEOUT_EXAMPLES = "90s, 30m, 6h"  # what `wait --timeout` and its errors give as examples
WINDOW_EXAMPLES = "24h, 7d"  # what `usage --window` and its errors give as examples
WEBHOOK_TARGET_NAMES = ("slack", "teams", "discord", "google-chat", "pagerduty")  # test-notify --target

DEMO_EXIT_CODES = """exit codes:
  0    every check passed
  1    a check failed, or the embedded AWS or the deploy into it did not start (the reason is printed)
  130  interrupted (Ctrl-C): the servers it started are stopped"""

LOCAL_EXIT_CODES = """exit codes:
  0    stopped by `quit`, the end of input or Ctrl-C (the server stopped with it)
  1    the embedded AWS or the deploy into it did not start (the reason is printed)"""

OWN_EXIT_CODES = {"demo": DEMO_EXIT_CODES, "local": LOCAL_EXIT_CODES}  # commands that bring their own AWS

WAIT_EXIT_CODES = """exit codes:
  0    every job and resource succeeded
  1    one failed, stopped or vanished (its reason is printed)
  2    bad input, named in the message: a malformed ARN or --timeout, an ARN Personalize does not know
  3    it could not be found out: AWS refused to tell (access denied, expired credentials), or kept failing
  124  --timeout passed before everything settled (what is still under way is printed)
  130  interrupted (Ctrl-C)"""

COMMAND_EXIT_CODES = """exit codes:
  0    success
  1    AWS or the network failed: access denied, throttling, an unreachable endpoint, a missing
       profile or region, a describe or publish that failed during poll (each reason is printed)
  2    bad input, named in the message: a malformed ARN, option or region; an ARN, stack or table that
       does not exist; a missing --topic
  130  interrupted (Ctrl-C)"""

# The command's own table: every command's codes (each command's help lists only its own).
EXIT_CODES = COMMAND_EXIT_CODES.replace(
    "  130  interrupted (Ctrl-C)",
    "  3    wait only: how a job ended could not be found out (AWS refused, or kept failing)\n"
    "  124  wait only: --timeout passed before everything settled\n"
    "  130  interrupted (Ctrl-C)",
)

WHERE = """where the table comes from: --table, else $TABLE_NAME, else the outputs of the deployed stack
(--stack, else $NOTIFIER_STACK, else PersonalizeJobNotifier) in --region (else $AWS_REGION,
$AWS_DEFAULT_REGION or your profile's region)."""

EXAMPLES = {
    None: """examples:
  notifier track arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly
  notifier list --table MyJobsTable
  notifier --profile prod --region eu-west-1 show ARN
  notifier discover --all --json""",
    "track": """examples:
  notifier track arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly
  notifier track ARN1 ARN2 --table MyJobsTable
  notifier track ARN --no-describe        # record it even if Personalize does not know it (yet)""",
    "untrack": """examples:
  notifier untrack arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly""",
    "list": """examples:
  notifier list                # jobs still being watched
  notifier list --all --wide   # finished ones too, with their ARNs
  notifier list --json | jq '.jobs[].status'""",
    "show": """examples:
  notifier show arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly""",
    "poll": """examples:
  notifier poll                           # table and topic from the deployed stack
  notifier poll --table T --topic arn:aws:sns:us-east-1:123456789012:jobs""",
    "discover": """examples:
  notifier discover --parent arn:aws:personalize:us-east-1:123456789012:dataset/retail/INTERACTIONS
  notifier discover --all --regions us-east-1,eu-west-1
  notifier discover --all --accounts 210987654321,345678901234   # members, through a role you may assume there""",
    "usage": """examples:
  notifier usage                 # every ACTIVE campaign and recommender watched: requests in the last 24 h
  notifier usage --window 7d
  notifier usage arn:aws:personalize:us-east-1:123456789012:campaign/home-page --json

what it reads: the requests Personalize published to CloudWatch (GetRecommendations, GetPersonalizedRanking),
hour by hour, against the minimum each one bills for every hour it is ACTIVE.""",
    "expect": """examples:
  notifier expect arn:aws:personalize:us-east-1:123456789012:dataset-group/retail --every 26h
  notifier expect arn:aws:personalize:us-east-1:123456789012:solution/movies --every 8d
  notifier expect arn:aws:personalize:us-east-1:123456789012:campaign/home-page --every 10d
  notifier expect arn:aws:personalize:us-east-1:123456789012:solution/movies --clear""",
    "wait": """examples:
  notifier wait arn:aws:personalize:us-east-1:123456789012:dataset-import-job/nightly --timeout 6h
  notifier wait ARN1 ARN2 --json | jq -r '.results[].outputPath'
  notifier --table MyJobsTable wait ARN   # read the table the deployed poll keeps: no describe calls

where it looks: the table (as for the other commands) when a stack or table is found, else it describes
each ARN itself. The first look is after 5 s, then further apart (with jitter): at most 30 s apart when it
describes, 10 s when it reads the table.""",
    "local": """examples:
  notifier local                # prints the exports for another terminal, then takes commands:
  playground> create nightly-users
  playground> set ARN "CREATE IN_PROGRESS"
  playground> set ARN ACTIVE --output s3://bucket/nightly/
  playground> poll""",
    "test-notify": """examples:
  notifier test-notify                     # every webhook the stack deployed
  notifier test-notify --target slack --target pagerduty
  notifier --stack RetailNotifier test-notify --json

what it does: puts one notice marked as a test on the default event bus, as the poll puts notifications; each
webhook's rule sends it on (PagerDuty opens an info incident, which you resolve).""",
    "demo": """examples:
  notifier demo                 # in a clone: deploys with the CDK CLI into an embedded AWS
  notifier demo --without-cdk   # the resources made directly (what an installed package does)""",
}


ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole"


def package_version() -> str:
    try:
        return version("personalize-job-notifier")
    except PackageNotFoundError:  # running from a checkout that is not installed
        return __version__


def _global_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """On the top-level parser with their defaults; on each subcommand with SUPPRESS, so a value given after
    the subcommand wins and an absent one does not overwrite the value given before it."""

    def default(value: object) -> object:
        return value if top_level else argparse.SUPPRESS

    group = parser.add_argument_group("global options (before or after the command)")
    group.add_argument("--table", default=default(None), help="tracked-jobs table")
    group.add_argument(
        "--stack",
        default=default(os.environ.get("NOTIFIER_STACK", DEFAULT_STACK)),
        help=f"deployed stack whose outputs name the table and topic (default: {DEFAULT_STACK})",
    )
    group.add_argument("--region", default=default(None), help="AWS region of the stack and table")
    group.add_argument("--profile", default=default(None), help="AWS profile from your AWS config")
    group.add_argument(
        "-q", "--quiet", action="store_true", default=default(False), help="print only errors (exit code says it)"
    )
    group.add_argument(
        "-v", "--verbose", action="store_true", default=default(False), help="also print the notifier's logs on stderr"
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line naming the bad value (not a usage block), and an unknown option
    named as such: argparse would take `--regoin us-east-1 list` for a command called us-east-1."""

    def error(self, message: str) -> NoReturn:
        unknown = re.match(r"argument COMMAND: invalid choice: '([^']*)'", message)
        if unknown:  # argparse lists every command; one line names the one meant
            meant = closest(unknown[1], _commands_of(self))
            message = f"unknown command {unknown[1]!r}" + (f"; did you mean {meant}?" if meant else "")
        self.exit(EXIT_BAD_INPUT, f"notifier: {message} (`{self.prog} --help` lists what it takes)\n")

    def parse_args(self, args: Sequence[str] | None = None, namespace: None = None) -> argparse.Namespace:  # type: ignore[override]
        argv = list(sys.argv[1:] if args is None else args)
        known = _option_strings(self)
        for token in argv[: argv.index("--") if "--" in argv else len(argv)]:
            option = token.split("=", 1)[0]
            if option.startswith("--") and not any(name.startswith(option) for name in known):
                close = difflib.get_close_matches(option, sorted(known), n=1, cutoff=0.6)
                self.error(f"unknown option {option!r}" + (f"; did you mean {close[0]}?" if close else ""))
        return super().parse_args(argv, namespace)


def _commands_of(parser: argparse.ArgumentParser) -> list[str]:
    return [
        name for action in parser._actions if isinstance(action, argparse._SubParsersAction) for name in action.choices
    ]


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every --option of the parser and of its subcommands."""
    names: set[str] = set()
    for action in parser._actions:
        names.update(name for name in action.option_strings if name.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                names |= _option_strings(sub)
    return names


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="notifier",
        description="Watch Amazon Personalize jobs and get told when they finish.",
        epilog=f"{EXAMPLES[None]}\n\n{WHERE}\n\n{EXIT_CODES}",
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"notifier {package_version()}")
    _global_options(parser, top_level=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        uses_aws = name not in OWN_EXIT_CODES  # the demo and the playground bring their own AWS
        codes = WAIT_EXIT_CODES if name == "wait" else COMMAND_EXIT_CODES if uses_aws else OWN_EXIT_CODES[name]
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog=f"{EXAMPLES[name]}\n\n{codes}",
            formatter_class=formatter,
        )
        if uses_aws:  # --table, --region and the rest mean nothing to a command that brings its own AWS
            _global_options(sub, top_level=False)
        return sub

    track = command("track", "start watching jobs and resources (asks Personalize for each one's status first)")
    track.add_argument("arns", nargs="+", metavar="ARN", help="ARNs of jobs and resources")
    track.add_argument(
        "--no-describe", action="store_true", help="record the ARNs without asking Personalize (no check they exist)"
    )
    track.add_argument("--json", action="store_true", help="one JSON document on stdout, for scripts")

    untrack = command("untrack", "stop watching jobs and resources (their history is deleted)")
    untrack.add_argument("arns", nargs="+", metavar="ARN", help="ARNs of jobs and resources")
    untrack.add_argument("--json", action="store_true", help="one JSON document on stdout, for scripts")

    listing = command("list", "the jobs and resources being watched")
    listing.add_argument("--all", action="store_true", help="finished jobs too")
    listing.add_argument("--wide", action="store_true", help="a column with each job's ARN")
    listing.add_argument("--json", action="store_true", help="one JSON document on stdout, for scripts")

    show = command("show", "one job's or resource's status history with times and durations")
    show.add_argument("arn", metavar="ARN", help="the ARN of a tracked job or resource")
    show.add_argument("--json", action="store_true", help="one JSON document on stdout, for scripts")

    usage = command("usage", "what ACTIVE campaigns and recommenders served, against the minimum each bills for")
    usage.add_argument("arn", nargs="?", metavar="ARN", help="one campaign or recommender (default: every one watched)")
    usage.add_argument(
        "--window", metavar="DURATION", default="24h", help=f"{WINDOW_EXAMPLES} (whole hours; default 24h)"
    )
    usage.add_argument("--json", action="store_true", help="one JSON document on stdout, for scripts")

    poll = command("poll", "run one poll cycle from here (the code the Lambda runs)")
    poll.add_argument("--topic", help="SNS topic ARN (default: $TOPIC_ARN, else the stack's TopicArn output)")
    poll.add_argument("--json", action="store_true", help="one JSON document on stdout, for scripts")

    discover = command("discover", "track the running jobs Personalize lists")
    scope = discover.add_mutually_exclusive_group(required=True)
    scope.add_argument(
        "--parent",
        "--dataset",
        dest="parents",
        action="append",
        metavar="ARN",
        help="jobs under this parent: a dataset, dataset group, solution or solution version (repeatable; "
        "--dataset is the same option)",
    )
    scope.add_argument("--all", action="store_true", help="every job in the region(s)")
    discover.add_argument("--regions", help="comma-separated regions to list (default: each parent's, else --region)")
    discover.add_argument(
        "--accounts",
        help="comma-separated accounts of your organization to list in, through --role there (the deployed poll "
        "then reads what is found through the member role)",
    )
    discover.add_argument(
        "--role",
        default=ORGANIZATION_ACCESS_ROLE,
        help=f"the role your identity assumes in each of --accounts to list (default: {ORGANIZATION_ACCESS_ROLE}, "
        "which AWS Organizations creates in the accounts it creates)",
    )
    discover.add_argument("--json", action="store_true", help="one JSON document on stdout, for scripts")

    _pipeline_commands(command)

    notify = command("test-notify", "send a test notification to each deployed webhook, to check it")
    notify.add_argument(
        "--target",
        dest="targets",
        action="append",
        choices=WEBHOOK_TARGET_NAMES,
        help="only this webhook (repeatable; default: every one the stack deployed)",
    )
    notify.add_argument("--json", action="store_true", help="one JSON document on stdout, for scripts")

    demo = command("demo", "run the whole notifier on an embedded AWS (no account needed)")
    demo.add_argument("--without-cdk", action="store_true", help="create the resources directly, not with cdk")

    local = command("local", "an embedded AWS with the stack deployed, to try every command by hand")
    local.add_argument("--without-cdk", action="store_true", help="create the resources directly, not with cdk")
    local.add_argument("--port", type=int, default=None, help="the port to serve on (default: a free one)")
    local.add_argument(
        "--no-schedule",
        action="store_true",
        help=f"poll only when `poll` is typed (default: the deployed poll every {PLAYGROUND_POLL_SECONDS} s, as "
        "the deployed schedule would)",
    )
    return parser


def _pipeline_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """The commands pipelines use: an expected cadence, and waiting until jobs settle."""
    expect = command(
        "expect",
        "expect a cadence: an import into a dataset group or dataset, a new version of a solution, a campaign "
        "serving a version no older than DURATION; told once when it is overdue",
    )
    expect.add_argument("arn", metavar="ARN", help="a dataset group, dataset, solution or campaign")
    cadence = expect.add_mutually_exclusive_group(required=True)
    cadence.add_argument("--every", metavar="DURATION", help=f"{EVERY_EXAMPLES} (5 minutes to 366 days)")
    cadence.add_argument("--clear", action="store_true", help="expect nothing of it any more")
    expect.add_argument("--json", action="store_true", help="one JSON document on stdout, for scripts")

    wait = command("wait", "block until jobs and resources settle: exit 0 when all succeeded, 1 when one did not")
    wait.add_argument("arns", nargs="+", metavar="ARN", help="ARNs of jobs and resources")
    wait.add_argument("--timeout", metavar="DURATION", help=f"give up after {TIMEOUT_EXAMPLES} (or seconds): exit 124")
    wait.add_argument("--json", action="store_true", help="one JSON document on stdout: the documents subscribers get")
