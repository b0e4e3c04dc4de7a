#!/usr/bin/env python3
"""CDK app: `cdk deploy` ships the Personalize job notifier. Options come from context (-c key=value)."""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.forwarding import RegionForwarder
from infra.settings import ContextError, DeploySettings, stack_name
from infra.stack import DEFAULT_STACK_NAME, NotifierStack


def build_app(
    context: dict[str, object] | None = None,
    nag: bool = True,
    synthesizer: cdk.IStackSynthesizer | None = None,
    outdir: str | None = None,
) -> tuple[cdk.App, NotifierStack]:
    """The app and its one stack. A context value that cannot be deployed stops here, naming itself."""
    app = cdk.App(context=context, outdir=outdir)
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
        if cdk.Token.is_unresolved(stack.region) or not settings.auto_track or region == stack.region:
            raise SystemExit(
                f"Cannot synthesize: trackRegions {region!r} forwards to this stack's region, which must be known "
                "(cdk deploy knows it from your profile; or set CDK_DEFAULT_REGION), differ from it, and have "
                "autoTrack on"
            )
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
