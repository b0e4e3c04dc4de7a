#!/usr/bin/env python3
"""CDK app: `cdk deploy` ships the Personalize job notifier. Options come from context (-c key=value)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# aws-cdk-lib's own CfnEventBusPolicy (an organization's bus policy) reads a property deprecated in the library
# itself, and jsii would print a warning for it on every synth: nothing a user of this app can act on.
os.environ.setdefault("JSII_DEPRECATED", "quiet")

import aws_cdk as cdk  # after the variable the jsii runtime reads when it starts
from cdk_nag import AwsSolutionsChecks

from infra.context_values import ContextError, stack_name
from infra.forwarding import RegionForwarder
from infra.organization import MemberStack, OrganizationNames, member_stack_set, member_template
from infra.settings import DeploySettings
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
        if settings.organization:
            OrganizationNames.of(name)  # the roles' names fit IAM's limit
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
    if settings.organization:
        _organization_stacks(app, stack, name, settings)
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


def _organization_problem(account: str, region: str) -> str | None:
    """Why member stacks cannot be made: they name this stack's account and region, which must be known."""
    if cdk.Token.is_unresolved(account) or cdk.Token.is_unresolved(region):
        missing = " and ".join(
            what for what, value in (("account", account), ("region", region)) if cdk.Token.is_unresolved(value)
        )
        return (
            f"the member stack names this stack's account and region, and no {missing} was found (cdk deploy "
            "takes them from your profile; or set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION)"
        )
    return None


def _organization_stacks(app: cdk.App, stack: NotifierStack, name: str, settings: DeploySettings) -> None:
    """The member stack every member account deploys (`...-Member`), and, with memberOus, the StackSet that
    deploys it."""
    if problem := _organization_problem(stack.account, stack.region):
        raise SystemExit(f"Cannot synthesize: organizationId {settings.organization_id!r}: {problem}")
    names = stack.notifier.organization
    assert names is not None  # an organization's stack has its names
    member_id = f"{name}-Member"
    MemberStack(
        app,
        member_id,
        settings=settings,
        names=names,
        central_account=stack.account,
        central_region=stack.region,
    )
    if settings.member_ous:
        regions = list(settings.member_regions or (stack.region, *settings.track_regions))
        # Trusted access with Organizations cannot be enabled for StackSets in the China (Beijing) and China (Ningxia)
        # Regions (CloudFormation user guide, "Prerequisites for using StackSets", its note).
        if china := [region for region in (stack.region, *regions) if region.startswith("cn-")]:
            raise SystemExit(
                f"Cannot synthesize: memberOus: StackSets cannot use Organizations' trusted access in the China "
                f"regions ({', '.join(dict.fromkeys(china))}): deploy the member template by hand there"
            )
        member_stack_set(
            stack,
            "MemberStackSet",
            settings=settings,
            template_body=member_template(member_id, settings, names, stack.account, stack.region),
            regions=regions,
        )


if __name__ == "__main__":
    try:
        build_app()[0].synth()
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
