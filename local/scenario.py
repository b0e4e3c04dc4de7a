"""The demo's world: the export jobs it creates and moves, the campaign that follows its solution's new version,
the second account of the organization, and the `notifier` commands it runs as a user would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import boto3

from notifier.adapters.items import USAGE_CLOCK_KEY
from notifier.domain.clock import iso
from notifier.domain.quality import DEFAULT_KEY_METRIC as DEMO_KEY_METRIC
from notifier_local import personalize as emulator
from notifier_local.aws import Delivered, QueueSubscriber, account_admin
from notifier_local.cast import (
    DATASET,
    EVERYTHING,
    FAILURE_REASON,
    FAILURES,
    MEMBER,
    NEVER_CREATED,
    OUTSIDER,
    STACK,
    DemoCampaign,
    DemoJob,
    DemoOrganization,
    DemoUsage,
)
from notifier_local.deployment import deployed_track
from notifier_local.inbox import inbox
from notifier_local.moto_fixes import lambda_deliveries
from notifier_local.server import ACCOUNT, REGION
from notifier_local.showing import Narrator, change_in_words

DEMO_ACTIVE_HOURS = 25  # more than the default window (24 h): old enough to be judged


def create_jobs(session: boto3.session.Session) -> list[DemoJob]:
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


def campaign_follows_new_version(
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
    tracked = run_notifier(["--table", table, "track", campaign])
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
    run_notifier(["--table", table, "track", new])
    say.line("    (Personalize) a new solution version is training; it is tracked, as CloudTrail would")
    # The offline metrics Personalize computed when each training ended: the new model is the better one.
    emulator.set_metrics(old, {DEMO_KEY_METRIC: 0.2751, "precision_at_25": 0.0412, "coverage": 0.38})
    emulator.set_metrics(new, {DEMO_KEY_METRIC: 0.3012, "precision_at_25": 0.0455, "coverage": 0.41})
    emulator.set_status(new, "ACTIVE", trainingHours=2.5)
    say.line("    (Personalize) it is ACTIVE, with its offline metrics; the syncing campaign moves to it by itself")
    poll(": the version is told, and the campaign that follows its solution is woken")
    poll("")
    return DemoCampaign(campaign=campaign, old_version=old, new_version=new, delivered=delivered)


def campaigns_and_their_use(
    session: boto3.session.Session,
    table: str,
    handler: Callable[[], dict[str, int]],
    queue: QueueSubscriber,
    say: Narrator,
    *,
    version: str,
) -> DemoUsage:
    """Two campaigns made yesterday, each billing 10 TPS an hour: one busy, one nobody calls. An hour's usage
    reading (CloudWatch's GetRecommendations, as Personalize publishes it) tells the idle one, to the failure-only
    inbox too, and `notifier usage` shows both."""
    personalize = session.client("personalize")
    busy, idle = (
        personalize.create_campaign(name=name, solutionVersionArn=version, minProvisionedTPS=10)["campaignArn"]
        for name in ("top-sellers", "clearance")
    )
    for arn in (busy, idle):
        emulator.set_status(arn, "ACTIVE", at=time.time() - DEMO_ACTIVE_HOURS * 3600)
    say.line(f"    (Personalize) top-sellers and clearance are ACTIVE since {DEMO_ACTIVE_HOURS} h, 10 TPS minimum each")
    tracked = run_notifier(["--table", table, "track", busy, idle])
    say.line("    $ notifier track <top-sellers> <clearance>")
    say.block(tracked.stdout + tracked.stderr)
    # What Personalize published to CloudWatch: top-sellers answered 8 to 14 requests a second all day.
    emulator.answer_requests(session.client("cloudwatch"), busy, [3600.0 * (8 + hour % 7) for hour in range(24)])
    say.line("    (CloudWatch) top-sellers answered 8 to 14 requests/s every hour; clearance none")
    _the_hour_passes(session, table)
    say.line("    (an hour passes: the usage reading falls due)")
    summary = handler()
    delivered = queue.receive_all()
    say.line(
        f"    poll: requests of {summary['usage_resources']} campaigns read in {summary['cloudwatch_calls']} "
        f"GetMetricData call(s), {summary['usage_notices']} told"
    )
    for message in delivered:
        say.line(f"      → {message.subject}")
    shown = run_notifier(["--table", table, "usage"])
    say.line("    $ notifier usage")
    say.block(shown.stdout + shown.stderr)
    told = {m.document["jobArn"]: m.attributes.get("outcome") for m in delivered}
    failures = [m for m in inbox.for_address(FAILURES) if m.attributes.get("jobKind") == "campaign"]
    checks = [
        (told == {idle: "idle"}, "of the campaigns billing 10 TPS, the one nobody called was told idle, once"),
        (
            [m.attributes.get("outcome") for m in failures] == ["idle"],
            f"{FAILURES} got the idle campaign (it costs money for nothing)",
        ),
        (shown.returncode == 0 and "top-sellers" in shown.stdout, "`notifier usage` shows each campaign's use"),
    ]
    return DemoUsage(delivered=delivered, checks=checks)


def _the_hour_passes(session: boto3.session.Session, table: str) -> None:
    """The usage clock (the table's one item that says when usage is read next) falls due now."""
    session.client("dynamodb").update_item(
        TableName=table,
        Key={"jobArn": {"S": USAGE_CLOCK_KEY}},
        UpdateExpression="SET nextReadAt = :now",
        ExpressionAttributeValues={":now": {"S": iso(datetime.now(UTC))}},
        ConditionExpression="attribute_exists(jobArn)",
    )


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


def another_account(
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
    tracked = deployed_track(boto3.client("lambda"))(handed[0]) if handed else {"outcome": "not delivered"}
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
    cli = run_notifier(["--table", table, "track", outsider])
    say.line(f"    $ notifier track <an export job of account {OUTSIDER}, which has no member stack yet>")
    say.block(cli.stdout + cli.stderr)
    second = poll_and_show("")
    third = poll_and_show(": still unreachable, and nothing more is said")
    listed = run_notifier(["--table", table, "list"])
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


def run_notifier(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """The real `notifier` command, in its own process, pointed at the embedded AWS."""
    return subprocess.run(
        [sys.executable, "-m", "notifier", *argv], env=os.environ.copy(), capture_output=True, text=True, check=False
    )


def poll_while_jobs_move(
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
            say.line(f"      → {message.document['jobName']}: {change_in_words(message.document)}")
    return delivered
