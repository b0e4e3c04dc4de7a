"""Deploy this repository's CDK app into an embedded AWS with the real CDK CLI (`cdk bootstrap`, `cdk deploy`)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path

import boto3

from notifier_local.node import NodeMissing, node_environment, node_executable
from notifier_local.server import ACCOUNT, DUMMY_CREDENTIALS, REGION, EmbeddedAws, serve_powertools_layer

REPO_ROOT = Path(__file__).resolve().parent.parent


class DeployFailed(RuntimeError):
    pass


def has_cdk_app(repo: Path = REPO_ROOT) -> bool:
    """True in a clone of the repository; False for an installed package, which ships no CDK app."""
    return (repo / "app.py").is_file() and (repo / "cdk.json").is_file()


def cdk_command(repo: Path = REPO_ROOT) -> list[str]:
    """The pinned CLI from node_modules (`make dev` runs `npm ci`), run by the packaged Node; never whatever
    `npx` would fetch, never a `node` that PATH may or may not have."""
    local_cli = repo / "node_modules" / "aws-cdk" / "bin" / "cdk"
    if not local_cli.exists():
        raise DeployFailed(
            f"the CDK CLI is not installed in {repo / 'node_modules'}: run `make dev` (it runs `npm ci`)"
        )
    try:
        return [node_executable(), str(local_cli)]
    except NodeMissing as exc:
        raise DeployFailed(str(exc)) from None


def app_command() -> str:
    """This repository's app, run by this interpreter (quoted: the CLI runs it through a shell)."""
    return f"{shlex.quote(sys.executable)} app.py"


def cdk_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The CLI's environment: its Node found without PATH, and no notices of its own (telemetry, the JS SDK's
    maintenance banner, Node's warnings): the CDK's, not the notifier's output."""
    return {
        **environ,
        **node_environment(environ),
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1",
        "NODE_NO_WARNINGS": "1",
    }


def deploy(
    aws: EmbeddedAws,
    outputs_file: Path,
    *,
    context: Mapping[str, str] | None = None,
    stack_name: str = "PersonalizeJobNotifier",
    progress: Callable[[str], None] = lambda line: None,
    repo: Path = REPO_ROOT,
    assembly_dir: Path | None = None,
) -> dict[str, str]:
    """Bootstrap the embedded account, deploy the stack, return its outputs.

    The cloud assembly goes to `assembly_dir` (default: beside `outputs_file`), never the user's cdk.out.
    """
    env = cdk_environment({**os.environ, **aws.environment()})
    cli = cdk_command(repo)
    _serve_public_parameters(aws, repo)
    app = app_command()
    output = ["--output", str(assembly_dir or outputs_file.parent / "cdk.out")]
    context_args = [arg for key, value in (context or {}).items() for arg in ("-c", f"{key}={value}")]
    context_args += ["-c", f"stackName={stack_name}"]
    # Bootstrapping names its environment, so it needs no app: run where no cdk.json is, it synthesizes nothing
    # (with the app it would synthesize it once more, the demo's longest step after the deploy itself).
    scratch = outputs_file.parent
    steps = [
        ("bootstrapping the embedded account", scratch, ["bootstrap", f"aws://{ACCOUNT}/{REGION}", *output]),
        (
            "deploying the stack",
            repo,
            [
                "deploy",
                stack_name,
                "--app",
                app,
                *output,
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
    for label, where, arguments in steps:
        progress(f"cdk: {label}")
        _run_streaming(cli, arguments, where, env, progress)
    return json.loads(outputs_file.read_text())[stack_name]


# Lines of the CLI's own output worth showing as progress.
_PROGRESS_MARKERS = ("success: Published", "CREATE_COMPLETE", "Environment aws://", "✅")


def _run_streaming(
    cli: list[str], arguments: list[str], cwd: Path, env: dict[str, str], progress: Callable[[str], None]
) -> None:
    """Run a CLI step, forwarding its milestones as they happen; on failure, raise with its last lines."""
    tail: deque[str] = deque(maxlen=60)
    with subprocess.Popen(
        [*cli, *arguments], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            tail.append(line.rstrip())
            if any(marker in line for marker in _PROGRESS_MARKERS):
                progress(f"cdk: {' '.join(line.split())}")
    if process.returncode != 0:
        output = "\n".join(tail)
        raise DeployFailed(f"`cdk {arguments[0]}` failed (exit {process.returncode}):\n{output}")


def _serve_public_parameters(aws: EmbeddedAws, repo: Path) -> None:
    """The public SSM parameters the app resolves at deploy time, which moto does not publish."""
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))
    # Imported here: infra/ is in a clone only, and a clone is the only place this deploys from.
    from infra.settings import POWERTOOLS_LAYER_PARAMETER  # noqa: PLC0415

    lambda_client = boto3.client(
        "lambda",
        endpoint_url=aws.endpoint,
        region_name=REGION,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    serve_powertools_layer(POWERTOOLS_LAYER_PARAMETER, lambda_client)


def main(argv: list[str] | None = None) -> int:
    """`python -m notifier_local.cdk_cli ARGS`: the pinned CLI on this repository's app (what `make synth`,
    `make deploy` and `make destroy` run), with the app run by this interpreter."""
    args = sys.argv[1:] if argv is None else argv
    try:
        command = [*cdk_command(), *args, "--app", app_command()]
    except DeployFailed as exc:
        print(f"cdk: {exc}", file=sys.stderr)
        return 2
    try:
        return subprocess.run(command, cwd=REPO_ROOT, env=cdk_environment(), check=False).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
