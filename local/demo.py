"""`make demo` / `notifier demo`: the whole notifier on an embedded AWS, narrated for a newcomer.

It starts a moto server with the Personalize emulator, deploys the real stack with the real CDK CLI (for an
organization), subscribes an inbox and a queue, tracks three export jobs with the `notifier` CLI, runs the
deployed function's handler in-process while the jobs move, watches a campaign move to a new solution
version, hears and reads a job of a second account of the organization (and tells once of an account it
cannot read), and prints what each subscriber received. It exits 1 when a notification is missing or
unexpected, and always stops its server.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import boto3

from notifier.messages import FAILURE_FILTER_POLICY
from notifier.observability import logger
from notifier.quality import DEFAULT_KEY_METRIC as DEMO_KEY_METRIC
from notifier.runtime import build_store
from notifier_local import personalize as emulator
from notifier_local.aws import Delivered, QueueSubscriber, account_admin, create_watch_table
from notifier_local.cdk_cli import deploy, has_cdk_app
from notifier_local.inbox import CHATBOT_ENDPOINT, Mail, inbox
from notifier_local.moto_fixes import lambda_deliveries
from notifier_local.server import ACCOUNT, REGION, EmbeddedAws, embedded_aws, pointed_at

STACK = "PersonalizeJobNotifierDemo"
ORGANIZATION = "o-demo0a1b2c"
MEMBER, OUTSIDER = "210987654321", "345678901234"  # a member with the member stack; one without it yet
EVERYTHING, FAILURES = "ana@example.com", "oncall@example.com"
DATASET = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/retail-demo/INTERACTIONS"
TYPO = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/nightly-usres"
NEVER_CREATED = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/monthly-users"
FAILURE_REASON = (
    "Failed to write to s3://acme-exports/weekly-items/: Access Denied. Check that the role "
    "arn:aws:iam::123456789012:role/PersonalizeExport may call s3:PutObject on this bucket."
)


@dataclass
class DemoJob:
    name: str
    arn: str
    output: str | None
    moves: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # before poll N: (status, reason)


class Narrator:
    def __init__(self, out: TextIO, steps: int) -> None:
        self._out, self._steps, self._step = out, steps, 0
        self._started = time.monotonic()

    def step(self, title: str) -> None:
        self._step += 1
        self.line(f"\n[{self._step}/{self._steps}] {title}  (+{time.monotonic() - self._started:.1f} s)")

    def line(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    def block(self, text: str, indent: str = "    │ ") -> None:
        for line in text.rstrip("\n").splitlines():
            self.line(f"{indent}{line}")

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started


def run(out: TextIO | None = None, with_cdk: bool = True) -> int:
    """Run the demo; 0 when every subscriber got exactly what it should, 1 otherwise."""
    say = Narrator(out or sys.stdout, steps=8)
    say.line("Personalize job notifier: the whole system on an embedded AWS (no AWS account is used)")
    inbox.clear()
    emulator.calls.reset()
    with tempfile.TemporaryDirectory(prefix="notifier-demo-") as scratch, embedded_aws() as aws, pointed_at(aws):
        say.step("Starting an embedded AWS: a moto server with the Personalize emulator")
        say.line(f"    listening on {aws.endpoint} (loopback only; stopped when the demo ends)")

        deploys = with_cdk and has_cdk_app()
        say.step(
            "Deploying the stack with the real CDK CLI (cdk bootstrap, cdk deploy)"
            if deploys
            else "Creating the stack's resources directly (no CDK CLI)"
        )
        outputs, template = deploy_stack(aws, Path(scratch), say, with_cdk=with_cdk)
        for name in ("TableName", "TopicArn", "FunctionName"):
            say.line(f"    {name}: {outputs[name]}")

        say.step("Subscribing, as people and programs would")
        session = boto3.session.Session()
        queue = subscribe(session, outputs["TopicArn"], template, say)

        say.step("Creating export jobs in the emulator and tracking them with the notifier CLI")
        jobs = _create_jobs(session)
        created = [job for job in jobs if job.arn != NEVER_CREATED]
        tracked = _cli(["--table", outputs["TableName"], "track", *(job.arn for job in created)])
        say.line(f"    $ notifier --table {outputs['TableName']} track <{len(created)} ARNs>")
        say.block(tracked.stdout + tracked.stderr)
        ahead = _cli(["--table", outputs["TableName"], "track", "--no-describe", NEVER_CREATED])
        say.line("    $ notifier track --no-describe <the export a pipeline is about to create; it never does>")
        say.block(ahead.stdout + ahead.stderr)
        if tracked.returncode != 0 or ahead.returncode != 0:
            say.line(f"    notifier track exited {tracked.returncode or ahead.returncode}")
            return 1
        typo = _cli(["--table", outputs["TableName"], "track", TYPO])
        say.line("    $ notifier track <an ARN with a typo>")
        say.block(typo.stdout + typo.stderr + f"(exit {typo.returncode})")

        say.step("Polling with the deployed function's handler and environment, while the jobs move")
        handler = deployed_handler(session.client("lambda"), outputs["FunctionName"], say)
        delivered = _poll_while_jobs_move(handler, jobs, queue, say)

        say.step("A campaign that syncs with its solution's latest version moves to a new one")
        campaign = _campaign_follows_new_version(session, outputs["TableName"], handler, queue, say)
        delivered += campaign.delivered

        say.step("Another account of the organization: its job heard and read from here")
        organization = _another_account(
            Path(scratch) / "cdk.out", outputs["TableName"], handler, queue, say, deployed_with_cdk=deploys
        )

        say.step("What the subscribers received")
        _show_what_arrived(say, delivered + organization.delivered, outputs["TableName"])
        checks = _check(jobs, campaign, delivered, _jobs_mail(EVERYTHING), _jobs_mail(FAILURES))
        checks += organization.checks
        checks.append((typo.returncode == 2 and TYPO in typo.stderr, "the ARN with a typo was refused (exit 2)"))
        checks.append(_slack_check(organization))
        say.line("\nChecks:")
        for passed, text in checks:
            say.line(f"    {'✓' if passed else '✗'} {text}")
        ok = all(passed for passed, _ in checks)
        verdict = "passed" if ok else "FAILED"
        say.line(f"\nDemo {verdict} in {say.elapsed:.0f} s; the embedded AWS is stopped, nothing is left running.")
        return 0 if ok else 1


# --- the steps ---


def deploy_stack(
    aws: EmbeddedAws, scratch: Path, say: Narrator, with_cdk: bool, stack: str = STACK
) -> tuple[dict[str, str], dict[str, Any]]:
    """The stack in the embedded AWS (the CDK CLI in a clone, else its resources directly): outputs, template."""
    context = {
        "notifyEmails": EVERYTHING,
        "failureEmails": FAILURES,
        "pollMinutes": "5",
        "organizationId": ORGANIZATION,
    }
    if with_cdk and has_cdk_app():
        assembly = scratch / "cdk.out"
        outputs = deploy(
            aws,
            scratch / "outputs.json",
            context=context,
            stack_name=stack,
            progress=lambda line: say.line(f"    {line}"),
            assembly_dir=assembly,
        )
        return outputs, json.loads((assembly / f"{stack}.template.json").read_text())
    why = "--without-cdk was given" if with_cdk is False else "an installed package ships no CDK app"
    say.line(f"    ({why}: creating the stack's table, encrypted topic and function directly;")
    say.line("     run `make demo` in a clone to deploy them with the CDK CLI)")
    return _provision_directly(stack), {}


def _provision_directly(stack: str) -> dict[str, str]:
    session = boto3.session.Session()
    create_watch_table(session.client("dynamodb"), f"{stack}-jobs")
    key = session.client("kms").create_key(Description="demo notifications")["KeyMetadata"]["Arn"]
    topic = session.client("sns").create_topic(Name=f"{stack}-topic", Attributes={"KmsMasterKeyId": key})
    role = session.client("iam").create_role(RoleName=f"{stack}-poll", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    session.client("lambda").create_function(
        FunctionName=f"{stack}-poll",
        Runtime="python3.14",
        Role=role,
        Handler="notifier.handlers.poll.handler",
        Timeout=240,
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={"Variables": {"TABLE_NAME": f"{stack}-jobs", "TOPIC_ARN": topic["TopicArn"]}},
    )
    return {"TableName": f"{stack}-jobs", "TopicArn": topic["TopicArn"], "FunctionName": f"{stack}-poll"}


def _declared_subscriptions(template: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The stack's email subscriptions to the jobs topic, as synthesized. moto's CloudFormation skips this resource
    type, so the demo creates each through the SNS API, filter policy included, exactly as declared."""
    jobs_topic = template.get("Outputs", {}).get("TopicArn", {}).get("Value")
    declared = [
        (r["Properties"]["Protocol"], r["Properties"]["Endpoint"], r["Properties"].get("FilterPolicy"))
        for r in template.get("Resources", {}).values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["TopicArn"] == jobs_topic
    ]
    return declared or [("email", EVERYTHING, None), ("email", FAILURES, FAILURE_FILTER_POLICY)]


def subscribe(
    session: boto3.session.Session, topic_arn: str, template: dict[str, Any], say: Narrator
) -> QueueSubscriber:
    sns = session.client("sns")
    for protocol, endpoint, policy in _declared_subscriptions(template):
        attributes = {"FilterPolicy": json.dumps(policy)} if policy else {}
        sns.subscribe(TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint, Attributes=attributes)
        say.line(f"    {protocol} {endpoint}" + (f"  filter {json.dumps(policy)}" if policy else "  (everything)"))
    sns.subscribe(TopicArn=topic_arn, Protocol="https", Endpoint=CHATBOT_ENDPOINT)
    say.line("    https Amazon Q Developer in chat applications  (the Slack channel: the chat JSON)")
    queue = QueueSubscriber(sns, session.client("sqs"), topic_arn, "demo-pipeline")
    say.line("    sqs demo-pipeline  (a program: receives the JSON document)")
    return queue


def _create_jobs(session: boto3.session.Session) -> list[DemoJob]:
    personalize = session.client("personalize")
    jobs = []
    for name, output in (
        ("nightly-users", "s3://acme-exports/nightly-users/"),
        ("weekly-items", None),
    ):
        arn = personalize.create_dataset_export_job(
            jobName=name,
            datasetArn=DATASET,
            ingestionMode="BULK",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/PersonalizeExport",
            jobOutput={"s3DataDestination": {"path": output or f"s3://acme-exports/{name}/"}},
        )["datasetExportJobArn"]
        emulator.backdate(arn, 72 * 60)
        jobs.append(DemoJob(name=name, arn=arn, output=output))
    jobs[0].moves = {2: ("CREATE IN_PROGRESS", None), 3: ("ACTIVE", None)}
    jobs[1].moves = {2: ("CREATE IN_PROGRESS", None), 3: ("CREATE FAILED", FAILURE_REASON)}
    # A pipeline tracks the export it is about to create (`--no-describe`: Personalize does not know it yet);
    # its create call never runs. Personalize has no call that deletes an export job: this is how one is lost.
    jobs.append(DemoJob(name=NEVER_CREATED.rsplit("/", 1)[1], arn=NEVER_CREATED, output=None))
    return jobs


@dataclass
class DemoCampaign:
    campaign: str
    old_version: str
    new_version: str
    delivered: list[Delivered]


def _campaign_follows_new_version(
    session: boto3.session.Session,
    table: str,
    handler: Callable[[], dict[str, int]],
    queue: QueueSubscriber,
    say: Narrator,
) -> DemoCampaign:
    """A campaign at rest costs no call; a new ACTIVE version of its solution wakes it, and the update it gets
    (Personalize's own: no CloudTrail event tells of it) is told with the version it served before."""
    personalize = session.client("personalize")
    made = emulator.serving_campaign(
        personalize, group="retail-demo", solution="recommended-for-you", campaign="home-page", sync=True
    )
    solution, old, campaign = made.solution, made.version, made.campaign
    tracked = _cli(["--table", table, "track", campaign])
    say.line("    $ notifier track <the home-page campaign>")
    say.block(tracked.stdout + tracked.stderr)
    delivered: list[Delivered] = []

    def poll(note: str) -> None:
        emulator.calls.reset()
        summary = handler()
        arrived = queue.receive_all()
        delivered.extend(arrived)
        say.line(f"    poll: {emulator.calls.total()} Personalize call(s), {summary['jobs_polled']} described{note}")
        for message in arrived:
            say.line(f"      → {message.subject}")

    emulator.set_status(campaign, "ACTIVE")
    say.line("    (Personalize) home-page is now ACTIVE")
    poll("")
    poll(": the campaign rests, out of the poll, at no cost")
    new = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    emulator.set_status(new, "CREATE IN_PROGRESS")
    _cli(["--table", table, "track", new])
    say.line("    (Personalize) a new solution version is training; it is tracked, as CloudTrail would")
    # The offline metrics Personalize computed when each training ended: the new model is the better one.
    emulator.set_metrics(old, {DEMO_KEY_METRIC: 0.2751, "precision_at_25": 0.0412, "coverage": 0.38})
    emulator.set_metrics(new, {DEMO_KEY_METRIC: 0.3012, "precision_at_25": 0.0455, "coverage": 0.41})
    emulator.set_status(new, "ACTIVE", trainingHours=2.5)
    say.line("    (Personalize) it is ACTIVE, with its offline metrics; the syncing campaign moves to it by itself")
    poll(": the version is told, and the campaign that follows its solution is woken")
    poll("")
    return DemoCampaign(campaign=campaign, old_version=old, new_version=new, delivered=delivered)


@dataclass
class DemoOrganization:
    delivered: list[Delivered]
    checks: list[tuple[bool, str]]


def _member_export(admin: boto3.session.Session, account: str, name: str) -> str:
    return admin.client("personalize").create_dataset_export_job(
        jobName=name,
        datasetArn=f"arn:aws:personalize:{REGION}:{account}:dataset/stage/INTERACTIONS",
        roleArn=f"arn:aws:iam::{account}:role/PersonalizeExport",
        jobOutput={"s3DataDestination": {"path": f"s3://stage-exports/{name}/"}},
    )["datasetExportJobArn"]


def _cloudtrail_record(arn: str, account: str) -> dict[str, str]:
    """CloudTrail's record of the Create call, as EventBridge puts it on the caller's default bus."""
    detail = {
        "eventSource": "personalize.amazonaws.com",
        "eventName": "CreateDatasetExportJob",
        "awsRegion": REGION,
        "recipientAccountId": account,
        "responseElements": {"datasetExportJobArn": arn},
        "eventID": "d3m0d3m0-0000-4000-8000-000000000001",
    }
    return {"Source": "aws.personalize", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(detail)}


def _another_account(
    assembly: Path,
    table: str,
    poll: Callable[[], dict[str, int]],
    queue: QueueSubscriber,
    say: Narrator,
    *,
    deployed_with_cdk: bool,
) -> DemoOrganization:
    """A member account deploys the member stack (its template from the same synth, as a StackSet deploys it);
    CloudTrail's record of a job created there travels to the central bus, the track function watches it,
    and the poll reads it through the member role. An account without the member stack is told once."""
    template = assembly / f"{STACK}-Member.template.json"
    if not deployed_with_cdk or not template.exists():
        say.line("    (the stack was not deployed with the CDK CLI: no member template to deploy; skipped)")
        return DemoOrganization(delivered=[], checks=[])
    admin = account_admin(MEMBER)
    admin.client("cloudformation").create_stack(
        StackName=f"{STACK}-Member", TemplateBody=template.read_text(), Capabilities=["CAPABILITY_NAMED_IAM"]
    )
    say.line(f"    account {MEMBER}: the member stack created from cdk.out/{template.name}, as a StackSet would")
    say.line("      (a rule sending Personalize's CloudTrail calls here, and the read-only role the notifier assumes)")
    arn = _member_export(admin, MEMBER, "stage-users")
    say.line(f"    (account {MEMBER}) CreateDatasetExportJob stage-users")
    lambda_deliveries.clear()
    admin.client("events").put_events(Entries=[_cloudtrail_record(arn, MEMBER)])
    handed = [event for function, event in lambda_deliveries if ":function:" in function]
    say.line(
        f"    CloudTrail's record of it on the member's default bus → its rule → this account's bus → "
        f"{len(handed)} event for the track function"
    )
    tracked = _deployed_track(boto3.client("lambda"))(handed[0]) if handed else {"outcome": "not delivered"}
    say.line(f"    track function: {tracked['outcome']} {tracked.get('jobArn', '')}")
    delivered: list[Delivered] = []

    def poll_and_show(note: str) -> dict[str, int]:
        summary = poll()
        arrived = queue.receive_all()
        delivered.extend(arrived)
        say.line(f"    poll: {summary['jobs_polled']} described, {summary['notifications_published']} published{note}")
        for message in arrived:
            say.line(f"      → {message.subject}")
        return summary

    emulator.set_status(arn, "ACTIVE")
    say.line(f"    (account {MEMBER}) stage-users is now ACTIVE")
    first = poll_and_show(f" (read through arn:aws:iam::{MEMBER}:role/{STACK}-Reader)")

    outsider = _member_export(account_admin(OUTSIDER), OUTSIDER, "sandbox-users")
    cli = _cli(["--table", table, "track", outsider])
    say.line(f"    $ notifier track <an export job of account {OUTSIDER}, which has no member stack yet>")
    say.block(cli.stdout + cli.stderr)
    second = poll_and_show("")
    third = poll_and_show(": still unreachable, and nothing more is said")
    listed = _cli(["--table", table, "list"])
    say.line("    $ notifier list")
    say.block(listed.stdout + listed.stderr)

    finished = [m for m in delivered if m.document.get("jobArn") == arn]
    unreachable = [m for m in delivered if m.attributes.get("outcome") == "unreachable"]
    checks = [
        (
            tracked["outcome"] == "tracked" and len(finished) == 1 and finished[0].document["account"] == MEMBER,
            f"the job of account {MEMBER} came through the central bus, was read and told, naming its account",
        ),
        (
            re.search(
                rf"^Account:\s+{MEMBER}$",
                next((m.body for m in inbox.for_address(EVERYTHING) if arn in m.body), ""),
                re.M,
            )
            is not None,
            "its email names the account",
        ),
        (
            len(unreachable) == 1
            and unreachable[0].document["account"] == OUTSIDER
            and (first["unreachable_accounts"], second["unreachable_accounts"], third["unreachable_accounts"])
            == (0, 1, 1),
            f"account {OUTSIDER}, without the member stack, was told once however many polls",
        ),
    ]
    return DemoOrganization(delivered=delivered, checks=checks)


def _deployed_track(lambda_client: Any) -> Callable[[dict[str, Any]], dict[str, str]]:
    """The deployed track function's handler, imported here with its environment (moto runs no Lambda code)."""
    [configuration] = [
        f for f in lambda_client.list_functions()["Functions"] if f["Handler"] == "notifier.handlers.track.handler"
    ]
    os.environ.update(configuration["Environment"]["Variables"])
    sys.modules.pop("notifier.handlers.track", None)
    module = importlib.import_module("notifier.handlers.track")
    context = _DemoContext(function_name=configuration["FunctionName"], timeout_ms=30_000)

    def invoke(event: dict[str, Any]) -> dict[str, str]:
        stdout, sys.stdout = sys.stdout, io.StringIO()  # its metrics, kept out of the narration
        try:
            return module.handler(event, context)
        finally:
            sys.stdout = stdout

    return invoke


def _slack_check(organization: DemoOrganization) -> tuple[bool, str]:
    chats = [json.loads(m.body) for m in inbox.for_address(CHATBOT_ENDPOINT)]
    threads = {chat["metadata"]["threadId"] for chat in chats}
    expected_chats = 8 + len(organization.delivered)
    expected_threads = 5 + len({m.document.get("jobArn") or m.document["account"] for m in organization.delivered})
    return (
        len(chats) == expected_chats and len(threads) == expected_threads,
        f"Slack got {expected_chats} messages in {expected_threads} threads, one each (got {len(chats)})",
    )


def _jobs_mail(address: str) -> list[Mail]:
    """The job notifications an address received (the organization's step adds its own, checked there)."""
    return [
        m
        for m in inbox.for_address(address)
        if m.attributes.get("jobKind") != "account" and MEMBER not in m.body and OUTSIDER not in m.body
    ]


def _cli(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """The real `notifier` command, in its own process, pointed at the embedded AWS."""
    return subprocess.run(
        [sys.executable, "-m", "notifier", *argv], env=os.environ.copy(), capture_output=True, text=True, check=False
    )


@dataclass
class _DemoContext:
    function_name: str
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = ""
    aws_request_id: str = "demo"
    timeout_ms: int = 240_000
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int(self.timeout_ms - (time.monotonic() - self.started) * 1000)


def deployed_handler(lambda_client: Any, function_name: str, say: Narrator) -> Callable[[], dict[str, int]]:
    """moto cannot run Lambda code without Docker: import the handler here, with the deployed environment."""
    configuration = lambda_client.get_function_configuration(FunctionName=function_name)
    environment = configuration["Environment"]["Variables"]
    say.line(f"    handler {configuration['Handler']}, environment: {', '.join(sorted(environment))}")
    os.environ.update(environment)
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
    sys.modules.pop("notifier.handlers.poll", None)
    module = importlib.import_module("notifier.handlers.poll")
    logs = io.StringIO()  # the handler's JSON logs and metrics, kept out of the narration
    logger.registered_handler.setStream(logs)  # type: ignore[attr-defined]
    timeout = int(configuration.get("Timeout", 240)) * 1000

    def invoke() -> dict[str, int]:
        context = _DemoContext(function_name=function_name, timeout_ms=timeout)
        stdout = sys.stdout
        sys.stdout = logs  # Powertools prints EMF metrics to stdout
        try:
            return module.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, context)
        finally:
            sys.stdout = stdout

    return invoke


def _poll_while_jobs_move(
    handler: Callable[[], dict[str, int]], jobs: list[DemoJob], queue: QueueSubscriber, say: Narrator
) -> list[Delivered]:
    delivered: list[Delivered] = []
    for poll in range(1, 5):
        for job in jobs:
            if poll in job.moves:
                status, reason = job.moves[poll]
                emulator.set_status(job.arn, status, failure_reason=reason)
                say.line(f"    (Personalize) {job.name} is now {status}")
        summary = handler()
        arrived = sorted(queue.receive_all(), key=lambda message: message.document["jobName"])
        delivered += arrived
        say.line(
            f"    poll {poll}: {summary['jobs_polled']} described, {summary['transitions']} transitions, "
            f"{summary['ended']} ended, {summary['notifications_published']} published"
            + (f", {summary['deferred']} left for the next poll (time budget)" if summary["deferred"] else "")
        )
        for message in arrived:
            say.line(f"      → {message.document['jobName']}: {_change(message.document)}")
    return delivered


# --- showing and checking ---


def _show_what_arrived(say: Narrator, delivered: list[Delivered], table_name: str) -> None:
    # In the order the polls told them (within a poll, the describe threads publish in any order).
    order = {message.document["id"]: index for index, message in enumerate(delivered)}
    by_poll = lambda mail: order.get(_notification_id(mail.body), len(order))  # noqa: E731
    _show_mail(say, EVERYTHING, sorted(inbox.for_address(EVERYTHING), key=by_poll))
    _show_mail(say, FAILURES, sorted(inbox.for_address(FAILURES), key=by_poll), subjects_only=True)
    chats = [json.loads(m.body) for m in inbox.for_address(CHATBOT_ENDPOINT)]
    _show_slack(say, sorted(chats, key=lambda chat: order.get(chat["id"], len(order))))
    say.line("\n    The queue's JSON document for the finished export (abridged):")
    finished = next((m.document for m in delivered if m.document.get("status") == "ACTIVE"), {})
    keys = ("id", "event", "jobName", "previousStatus", "status", "outcome", "outputPath", "durationSeconds")
    say.block(json.dumps({key: finished.get(key) for key in keys}, indent=2))
    say.line("\nJobs and their transitions (from the table):")
    say.block(_summary_table(table_name, delivered), indent="    ")


def _notification_id(email: str) -> str:
    return email.rsplit("Notification id: ", 1)[-1].strip()


def _change(document: dict[str, Any]) -> str:
    if document["event"] != "transition":
        return f"{document['event']} ({document.get('detail') or ''})"
    text = f"{document.get('previousStatus')} → {document['status']}"
    if document.get("outputPath") and document["outcome"] == "succeeded":
        text += f", output {document['outputPath']}"
    if document.get("failureReason"):
        text += ", with the failure reason"
    return text


def _show_mail(say: Narrator, address: str, mails: list[Mail], subjects_only: bool = False) -> None:
    say.line(f"\n    {address} received {len(mails)} email(s):")
    for mail in mails:
        say.line(f"    ✉ Subject: {mail.subject}")
        if not subjects_only and (
            mail.attributes.get("terminal") == "true" or mail.attributes.get("event") == "unreachable"
        ):
            say.block(mail.body, indent="      │ ")


_EMOJI = {
    ":white_check_mark:": "✅",
    ":x:": "❌",
    ":grey_question:": "❔",
    ":hourglass_flowing_sand:": "⏳",
    ":warning:": "⚠️",
    ":no_entry:": "⛔",
    ":octagonal_sign:": "🛑",
    ":no_entry_sign:": "🚫",
}


def _show_slack(say: Narrator, chats: list[dict[str, Any]]) -> None:
    """As the Slack channel shows them: one thread per job, the custom notification's title, text, next steps."""
    threads: dict[str, list[dict[str, Any]]] = {}
    for chat in chats:
        threads.setdefault(chat["metadata"]["threadId"], []).append(chat)
    say.line(f"\n    Slack channel (Amazon Q Developer): {len(chats)} message(s) in {len(threads)} thread(s)")
    for thread, messages in threads.items():
        # By the name in its ARN (a solution version's with its solution's), not by the ARN's last part.
        label = (
            thread.replace("/", " ") if thread.startswith("account/") else thread.split(":", 5)[-1].split("/", 1)[-1]
        )
        say.line(f"    🧵 {label}")
        for chat in messages:
            title = chat["content"]["title"]
            for code, emoji in _EMOJI.items():
                title = title.replace(code, emoji)
            say.line(f"      {title}")
            if chat["metadata"]["additionalContext"]["outcome"] in ("succeeded", "failed", "unreachable"):
                say.block(chat["content"]["description"], indent="        ")
                for step in chat["content"]["nextSteps"]:
                    say.line(f"        → {step}")


def _summary_table(table_name: str, delivered: list[Delivered]) -> str:
    rows = [("job", "status history", "notifications")]
    watched = [job for job in build_store(table_name).all_jobs() if hasattr(job, "history")]
    for job in sorted(watched, key=lambda job: job.name):
        history = " → ".join(change.status for change in job.history) or "(never described)"
        if job.ended_by is not None:
            history += f" ⇢ {job.ended_by.value}"
        sent = sum(1 for message in delivered if message.document.get("jobArn") == job.arn)
        rows.append((job.name, history, str(sent)))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def _check(
    jobs: list[DemoJob],
    campaign: DemoCampaign,
    delivered: list[Delivered],
    everything: list[Mail],
    failures: list[Mail],
) -> list[tuple[bool, str]]:
    nightly, weekly, never_created = jobs
    expected = [
        (nightly.arn, "CREATE IN_PROGRESS"),
        (weekly.arn, "CREATE IN_PROGRESS"),
        (nightly.arn, "ACTIVE"),
        (weekly.arn, "CREATE FAILED"),
        (never_created.arn, "not_found"),
        (campaign.campaign, "ACTIVE"),
        (campaign.new_version, "ACTIVE"),
        (campaign.campaign, "ACTIVE"),  # its update finished
    ]
    seen = [
        (m.document["jobArn"], m.document["status"] if m.document["event"] == "transition" else m.document["event"])
        for m in delivered
    ]
    ids = [m.document["id"] for m in delivered]
    active = next((m.body for m in everything if m.attributes.get("status") == "ACTIVE"), "")
    failed = next((m.body for m in everything if m.attributes.get("status") == "CREATE FAILED"), "")
    moved = [
        m.document for m in campaign.delivered if m.document["jobArn"] == campaign.campaign and m.document.get("update")
    ]
    trained = [m for m in campaign.delivered if m.document["jobArn"] == campaign.new_version]
    change = {"what": "Solution version", "before": campaign.old_version, "after": campaign.new_version}
    return [
        (sorted(seen) == sorted(expected), f"the queue got exactly the 8 expected notifications (got {len(seen)})"),
        (len(set(ids)) == len(ids), "no notification was delivered twice"),
        (len(everything) == 8, f"{EVERYTHING} got all 8 emails (got {len(everything)})"),
        (
            len(moved) == 1 and moved[0]["changes"] == [change],
            "the campaign's update names the solution version it serves now and the one before",
        ),
        (
            len(trained) == 1
            and trained[0].attributes.get("quality") == "improved"
            and (trained[0].document.get("previousVersion") or {}).get("arn") == campaign.old_version,
            "the new version was told improved, its metrics beside the version before",
        ),
        (
            sorted(m.attributes.get("outcome", "") for m in failures) == ["failed", "not_found"],
            f"{FAILURES} got only the failure and the missing job (got {len(failures)})",
        ),
        (nightly.output is not None and nightly.output in active, "the ACTIVE email names the output path"),
        (FAILURE_REASON in failed, "the CREATE FAILED email carries the failure reason verbatim"),
    ]
