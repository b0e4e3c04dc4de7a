"""Deploy this repository's CDK app into an embedded AWS with the real CDK CLI (`cdk bootstrap`, `cdk deploy`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from notifier_local.server import ACCOUNT, REGION, EmbeddedAws

REPO_ROOT = Path(__file__).resolve().parent.parent


class DeployFailed(RuntimeError):
    pass


def cdk_command(repo: Path = REPO_ROOT) -> list[str]:
    """The pinned CLI from node_modules (`make dev` runs `npm ci`); never whatever `npx` would fetch."""
    local_cli = repo / "node_modules" / ".bin" / "cdk"
    if local_cli.exists():
        return [str(local_cli)]
    raise DeployFailed(
        f"the CDK CLI is not installed in {repo / 'node_modules'}: run `make dev` (it runs `npm ci`), "
        f"or `npm ci` in {repo}; node is {'at ' + shutil.which('node') if shutil.which('node') else 'not on PATH'}"
    )


def deploy(
    aws: EmbeddedAws,
    outputs_file: Path,
    *,
    context: Mapping[str, str] | None = None,
    stack_name: str = "PersonalizeJobNotifier",
    progress: Callable[[str], None] = lambda line: None,
    repo: Path = REPO_ROOT,
) -> dict[str, str]:
    """Bootstrap the embedded account, deploy the stack, return its outputs."""
    env = {
        **os.environ,
        **aws.environment(),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1",
        "NODE_NO_WARNINGS": "1",
    }
    cli = cdk_command(repo)
    app = f"{sys.executable} app.py"
    context_args = [arg for key, value in (context or {}).items() for arg in ("-c", f"{key}={value}")]
    context_args += ["-c", f"stackName={stack_name}"]
    steps = [
        ("bootstrapping the embedded account", [*cli, "bootstrap", f"aws://{ACCOUNT}/{REGION}", "--app", app]),
        (
            "deploying the stack",
            [
                *cli,
                "deploy",
                stack_name,
                "--app",
                app,
                *context_args,
                "--require-approval",
                "never",
                # Change sets leave the stack's outputs empty in moto; direct deployment does not.
                "--method",
                "direct",
                "--outputs-file",
                str(outputs_file),
                "--progress",
                "events",
            ],
        ),
    ]
    for label, command in steps:
        progress(f"cdk: {label}")
        finished = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=False)
        if finished.returncode != 0:
            raise DeployFailed(f"`cdk {command[1]}` failed (exit {finished.returncode}):\n{finished.stderr[-4000:]}")
        for line in finished.stderr.splitlines():
            if "CREATE_COMPLETE" in line or line.startswith(("✅", " ✅")):
                progress(f"cdk: {line.strip()}")
    return json.loads(outputs_file.read_text())[stack_name]
