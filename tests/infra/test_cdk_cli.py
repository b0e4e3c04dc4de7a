"""The real CDK CLI bootstraps and deploys the app into an embedded AWS (a moto server on localhost)."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import aws_cdk
import boto3
import pytest

from notifier_local.cdk_cli import _serve_public_parameters, deploy
from notifier_local.server import embedded_aws
from tests.userenv import user_environment

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.infra


def test_cdk_bootstrap_and_deploy_create_a_working_stack(tmp_path) -> None:
    with embedded_aws() as aws:
        outputs = deploy(aws, tmp_path / "outputs.json", context={"notifyEmails": "ana@example.com"})
        session = boto3.session.Session(
            aws_access_key_id="embedded", aws_secret_access_key="embedded", region_name="us-east-1"
        )
        dynamodb = session.client("dynamodb", endpoint_url=aws.endpoint)
        table = dynamodb.describe_table(TableName=outputs["TableName"])["Table"]
        assert table["TableStatus"] == "ACTIVE"
        assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["active-jobs", "followers"]
        sns = session.client("sns", endpoint_url=aws.endpoint)
        assert sns.get_topic_attributes(TopicArn=outputs["TopicArn"])["Attributes"]["KmsMasterKeyId"]
        function = session.client("lambda", endpoint_url=aws.endpoint).get_function_configuration(
            FunctionName=outputs["FunctionName"]
        )
        assert function["Handler"] == "notifier.handlers.poll.handler"
        assert function["Runtime"] == "python3.14"
        assert function["Environment"]["Variables"]["TABLE_NAME"] == outputs["TableName"]
        assert function["Environment"]["Variables"]["TOPIC_ARN"] == outputs["TopicArn"]


def as_a_newcomer(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """A command in the clone as a newcomer runs it: Python only, no Node on PATH, a home of their own."""
    return subprocess.run(
        list(argv), cwd=REPO, env=user_environment(tmp_path), capture_output=True, text=True, timeout=300, check=False
    )


def run_make_synth(tmp_path: Path, args: str) -> subprocess.CompletedProcess[str]:
    return as_a_newcomer(
        tmp_path, "make", "--no-print-directory", "-s", "synth", f"ARGS=--output {tmp_path / 'cdk.out'} {args}"
    )


def test_make_synth_needs_no_node_passes_args_and_prints_nothing_of_the_toolchain(tmp_path: Path) -> None:
    done = run_make_synth(tmp_path, "-c notifyEmails=ana@example.com -c stackName=Retail")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "cdk.out" / "Retail.template.json").is_file()  # ARGS reached the CLI and the app
    printed = done.stdout + done.stderr
    # No Node banner, no jsii line as a bytes repr, no unset feature flags, no stray stack-trace line.
    for noise in ("b'", "end-of-life", "feature flags are not configured", "program.js", "Node 20"):
        assert noise not in printed, printed


def test_make_synth_arguments_reach_the_app(tmp_path: Path) -> None:
    done = run_make_synth(tmp_path, "-c notifyEmails=not-an-email")
    assert done.returncode != 0
    assert "notifyEmails: 'not-an-email' is not an email address" in done.stdout + done.stderr


def test_cdk_json_sets_every_feature_flag_a_new_cdk_app_gets() -> None:
    """`cdk init` writes the library's recommended flags; a library upgrade that recommends more fails here,
    so each new flag is taken deliberately (a template that changes under a deployed stack may replace)."""
    [archive] = (Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz")
    with tarfile.open(archive) as bundle:
        recommended = json.load(bundle.extractfile("package/recommended-feature-flags.json"))
    assert json.loads((REPO / "cdk.json").read_text())["context"] == recommended


def test_the_readmes_npx_cdk_runs_in_the_activated_virtualenv_with_no_node_on_path(tmp_path: Path) -> None:
    """`source .venv/bin/activate; npx cdk ...` as the README has it: the venv's npx and node, nothing else."""
    script = (
        f"source {REPO / '.venv' / 'bin' / 'activate'} && "
        f"npx cdk synth --quiet -c notifyEmails=ana@example.com -o {tmp_path / 'cdk.out'}"
    )
    done = as_a_newcomer(tmp_path, "bash", "-c", script)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "cdk.out" / "PersonalizeJobNotifier.template.json").is_file()
    assert (done.stdout + done.stderr).strip() == "", done.stdout + done.stderr  # --quiet: nothing of the toolchain


def test_the_readme_deploy_in_three_steps_deploys_as_written(tmp_path: Path) -> None:
    """The README's three lines, run in the clone by a newcomer's shell against an embedded AWS: `make dev`, the
    activated virtualenv's npx, `cdk bootstrap`, `cdk deploy` with the README's options. Appended only what this
    offline check needs: an output directory of the test's own, no approval prompt (there is no terminal), direct
    deployment (moto leaves a change set's outputs empty) and an outputs file to read."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Deploy in three steps", 1)[1].split("```sh\n", 1)[1].split("\n```", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    assert [line.split()[:3] for line in lines] == [
        ["make", "dev", "&&"],
        ["npx", "cdk", "bootstrap"],
        ["npx", "cdk", "deploy"],
    ]
    out, outputs = tmp_path / "cdk.out", tmp_path / "outputs.json"
    lines[1] += f" --output {out}"
    lines[2] += f" --output {out} --require-approval never --method direct --outputs-file {outputs}"
    with embedded_aws() as aws:
        _serve_public_parameters(aws, REPO)
        done = subprocess.run(
            ["bash", "-c", " && ".join(lines)],
            cwd=REPO,
            env=user_environment(tmp_path, **aws.environment(), CDK_DISABLE_CLI_TELEMETRY="true"),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [stack] = json.loads(outputs.read_text()).values()
    assert {"TableName", "TopicArn", "FunctionName"} <= set(stack)
    template = json.loads((out / "PersonalizeJobNotifier.template.json").read_text())
    subscribed = {
        r["Properties"]["Endpoint"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"].get("Protocol") == "email"
    }
    assert {"you@example.com", "oncall@example.com"} <= subscribed
