#!/usr/bin/env python3
"""CDK app: `cdk deploy` ships the Personalize job notifier. Options come from context (-c key=value)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.forwarding import RegionForwarder
from infra.settings import ContextError, DeploySettings, stack_name
from infra.stack import DEFAULT_STACK_NAME, NotifierStack

# The feature flags a new CDK app gets (`cdk init` writes the library's recommended set into cdk.json). The
# CLI passes cdk.json's context to the app; read here too, so an app built in-process synthesizes the same.
FEATURE_FLAGS: dict[str, object] = json.loads((Path(__file__).with_name("cdk.json")).read_text())["context"]


def _forwarding_problem(region: str, home_region: str, auto_track: bool) -> str | None:
    """Why a trackRegions region cannot forward to this stack, naming the one condition that fails."""
    if not auto_track:
        return "forwards CloudTrail events for auto-tracking, which autoTrack=false turns off"
    if cdk.Token.is_unresolved(home_region):
        return (
            "forwards to this stack's region, which is not known here: cdk deploy knows it from your profile "
            "(or set CDK_DEFAULT_REGION)"
        )
    if region == home_region:
        return f"is this stack's own region ({home_region}), which tracks its own events: list only the others"
    return None


def build_app(
    context: dict[str, object] | None = None,
    nag: bool = True,
    synthesizer: cdk.IStackSynthesizer | None = None,
    outdir: str | None = None,
) -> tuple[cdk.App, NotifierStack]:
    """The app and its one stack. A context value that cannot be deployed stops here, naming itself."""
    app = cdk.App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir)
    try:
        settings = DeploySettings.from_app_context(app.node.get_all_context())
        name = stack_name(app.node.try_get_context("stackName"), DEFAULT_STACK_NAME)
    except ContextError as exc:
        raise SystemExit(f"Cannot synthesize: {exc}") from None
    stack = NotifierStack(
        app,
        name,
        settings=settings,
        synthesizer=synthesizer,
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
        description="Personalize job notifier: tells you when Amazon Personalize jobs finish",
    )
    for region in settings.track_regions:
        if problem := _forwarding_problem(region, stack.region, settings.auto_track):
            raise SystemExit(f"Cannot synthesize: trackRegions {region!r} {problem}")
        RegionForwarder(
            app,
            f"{name}-Forward-{region}",
            home_region=stack.region,
            env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=region),
            description=f"Personalize job notifier: forwards {region}'s Create...Job calls to {stack.region}",
        )
    if not settings.recipients:
        # Deploys fine, tells nobody: say so where `cdk deploy` prints it.
        cdk.Annotations.of(stack).add_warning_v2(
            "notifier:noRecipients",
            "Nobody will be notified: give -c notifyEmails=... or -c failureEmails=... (addresses), or "
            "-c slackWorkspaceId=... -c slackChannelId=... (programs can still subscribe to the TopicArn output)",
        )
    if nag:
        # cdk-nag 3.x: findings fail synth unless acknowledged (with a reason) where they apply.
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    return app, stack


if __name__ == "__main__":
    try:
        build_app()[0].synth()
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
