"""`make demo` / `notifier demo`: the whole notifier on an embedded AWS, narrated for a newcomer.

It starts a moto server with the Personalize emulator, deploys the real stack with the real CDK CLI (for an
organization), subscribes an inbox and a queue, tracks three export jobs with the `notifier` CLI, runs the
deployed function's handler in-process while the jobs move, watches a campaign move to a new solution
version, hears and reads a job of a second account of the organization (and tells once of an account it
cannot read), and prints what each subscriber received. It exits 1 when a notification is missing or
unexpected, and always stops its server.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TextIO

import boto3

from notifier_local import personalize as emulator
from notifier_local.api_destinations import Received, webhooks_received
from notifier_local.cast import EVERYTHING, FAILURES, NEVER_CREATED, TYPO
from notifier_local.cdk_cli import has_cdk_app
from notifier_local.deployment import deploy_stack, deployed_handler, subscribe
from notifier_local.inbox import inbox
from notifier_local.scenario import (
    another_account,
    campaign_follows_new_version,
    campaigns_and_their_use,
    create_jobs,
    poll_while_jobs_move,
    run_notifier,
)
from notifier_local.server import embedded_aws, pointed_at
from notifier_local.showing import (
    Narrator,
    check,
    jobs_mail,
    show_webhooks,
    show_what_arrived,
    slack_check,
    webhook_checks,
)


def run(out: TextIO | None = None, with_cdk: bool = True) -> int:
    """Run the demo; 0 when every subscriber got exactly what it should, 1 otherwise."""
    say = Narrator(out or sys.stdout, steps=9)
    say.line("Personalize job notifier: the whole system on an embedded AWS (no AWS account is used)")
    inbox.clear()
    emulator.calls.reset()
    with (
        tempfile.TemporaryDirectory(prefix="notifier-demo-") as scratch,
        embedded_aws() as aws,
        pointed_at(aws),
        webhooks_received() as webhooks,
    ):
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
        jobs = create_jobs(session)
        created = [job for job in jobs if job.arn != NEVER_CREATED]
        tracked = run_notifier(["--table", outputs["TableName"], "track", *(job.arn for job in created)])
        say.line(f"    $ notifier --table {outputs['TableName']} track <{len(created)} ARNs>")
        say.block(tracked.stdout + tracked.stderr)
        ahead = run_notifier(["--table", outputs["TableName"], "track", "--no-describe", NEVER_CREATED])
        say.line("    $ notifier track --no-describe <the export a pipeline is about to create; it never does>")
        say.block(ahead.stdout + ahead.stderr)
        if tracked.returncode != 0 or ahead.returncode != 0:
            say.line(f"    notifier track exited {tracked.returncode or ahead.returncode}")
            return 1
        typo = run_notifier(["--table", outputs["TableName"], "track", TYPO])
        say.line("    $ notifier track <an ARN with a typo>")
        say.block(typo.stdout + typo.stderr + f"(exit {typo.returncode})")

        say.step("Polling with the deployed function's handler and environment, while the jobs move")
        handler = deployed_handler(session.client("lambda"), outputs["FunctionName"], say)
        delivered = poll_while_jobs_move(handler, jobs, queue, say)

        say.step("A campaign that syncs with its solution's latest version moves to a new one")
        campaign = campaign_follows_new_version(session, outputs["TableName"], handler, queue, say)
        delivered += campaign.delivered

        say.step("What campaigns serve, against what they bill for: one busy, one nobody calls")
        usage = campaigns_and_their_use(
            session, outputs["TableName"], handler, queue, say, version=campaign.new_version
        )

        say.step("Another account of the organization: its job heard and read from here")
        organization = another_account(
            Path(scratch) / "cdk.out", outputs["TableName"], handler, queue, say, deployed_with_cdk=deploys
        )

        say.step("What the subscribers received")
        show_what_arrived(say, delivered + usage.delivered + organization.delivered, outputs["TableName"])
        checks = _webhooks(say, webhooks.requests) if deploys else []  # deployed by the CDK CLI only
        checks += check(jobs, campaign, delivered, jobs_mail(EVERYTHING), jobs_mail(FAILURES))
        checks += [
            *usage.checks,
            *organization.checks,
            (typo.returncode == 2 and TYPO in typo.stderr, "the ARN with a typo was refused (exit 2)"),
            slack_check(organization, usage),
        ]
        say.line("\nChecks:")
        for passed, text in checks:
            say.line(f"    {'✓' if passed else '✗'} {text}")
        ok = all(passed for passed, _ in checks)
        verdict = "passed" if ok else "FAILED"
        say.line(f"\nDemo {verdict} in {say.elapsed:.0f} s; the embedded AWS is stopped, nothing is left running.")
        return 0 if ok else 1


def _webhooks(say: Narrator, received: list[Received]) -> list[tuple[bool, str]]:
    """What the Slack webhook and PagerDuty received, shown; whether it is what they should have."""
    show_webhooks(say, received)
    return webhook_checks(received)
