"""Each Lambda's role allows every AWS call its code makes.

The stack is created in moto's CloudFormation; the poll and track handlers run with their deployed
environment through jobs of every kind (in two regions), discovery, transitions and publishes. moto's
recorder writes down every request on the server's side; each becomes the (action, resource ARN) pairs IAM
authorizes (tests/iam.py) and is evaluated against that function's own role statements from the template,
intrinsic functions resolved with the deployed physical IDs. moto itself checks none of this.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.moto_api import recorder

from notifier.adapters.personalize import PersonalizeResources
from notifier.adapters.store import build_store
from notifier.domain.cadence import expect
from notifier.usecases.tracking import track
from notifier_local import personalize as emulator
from tests.iam import (
    ACCOUNT,
    RecordedCall,
    Request,
    Resolver,
    decide,
    iam_requests,
    recorded_calls,
    request_context,
    role_policies,
)
from tests.infra.conftest import REGION, Deployed, deploy_in_moto, satellite
from tests.infra.options import CONFIGURATIONS, synthesized
from tests.integration.test_auto_tracking import cloudtrail_event
from tests.integration.test_job_kinds import KINDS
from tests.integration.test_poll_handler import FakeLambdaContext

pytestmark = pytest.mark.infra

OTHER_REGION = "eu-west-1"
SCHEDULED_EVENT = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


@pytest.fixture(scope="module", params=list(CONFIGURATIONS))
def configuration(request) -> str:
    """Each configuration of the matrix (tests/infra/options.py): the default, each option alone, all together."""
    return request.param


@pytest.fixture
def deployed(configuration: str, tmp_path_factory) -> Iterator[tuple[boto3.session.Session, Deployed]]:
    assembly = synthesized(configuration, tmp_path_factory.getbasetemp() / "configurations")
    with mock_aws():
        emulator.calls.reset()
        emulator.clear_faults()
        session = boto3.session.Session(region_name=REGION)
        yield session, deploy_in_moto(assembly, session)


class Recording:
    """moto's recorder, writing to a file of this test's own."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __enter__(self) -> Recording:
        recorder._location = str(self._path)  # moto reads the path from MOTO_RECORDER_FILEPATH at import only
        recorder.reset_recording()
        # The poll describes from 8 threads; moto appends each request to the file unlocked, and lines
        # written at once can interleave. One request at a time, while recording.
        self._unlocked, lock = recorder._record_request, threading.Lock()

        def record(*args: Any, **kwargs: Any) -> None:
            with lock:
                self._unlocked(*args, **kwargs)

        recorder._record_request = record  # type: ignore[method-assign]
        recorder.start_recording()
        return self

    def __exit__(self, *exc: object) -> None:
        recorder.stop_recording()
        recorder._record_request = self._unlocked  # type: ignore[method-assign]

    def calls(self) -> list[RecordedCall]:
        return recorded_calls(self._path.read_text())


def deployed_handler(monkeypatch, session, deployed: Deployed, logical_prefix: str) -> tuple[Any, str] | None:
    """The handler module of a deployed function, imported with that function's environment, and its ID; None
    when the configuration has no such function."""
    found = [
        logical_id
        for logical_id, resource in deployed.template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function" and logical_id.startswith(logical_prefix)
    ]
    if not found:
        return None
    [function_id] = found
    configuration = session.client("lambda").get_function_configuration(FunctionName=deployed.physical_ids[function_id])
    for name, value in configuration["Environment"]["Variables"].items():
        monkeypatch.setenv(name, value)
    module = configuration["Handler"].rsplit(".", 1)[0]
    sys.modules.pop(module, None)
    return importlib.import_module(module), function_id


def poll_context(deployed: Deployed, function_id: str) -> FakeLambdaContext:
    """A second more than the poll's time margin: one poll runs whole, and fast mode does not wait to re-check."""
    variables = deployed.template["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    return FakeLambdaContext(remaining_ms=int((float(variables["TIME_MARGIN_SECONDS"]) + 1) * 1000))


def role_documents(deployed: Deployed, function_id: str) -> list[dict]:
    """The identity policies of the function's role, from the template, resolved with the deployed IDs."""
    resolve = Resolver(deployed.template, physical=deployed.physical_ids.__getitem__)
    return resolve(role_policies(deployed.template, function_id))


def platform_calls(deployed: Deployed, function_id: str) -> list[tuple[str, str]]:
    """What the Lambda service does with the function's role on every invocation: its logs, its traces."""
    resolve = Resolver(deployed.template, physical=deployed.physical_ids.__getitem__)
    properties = deployed.template["Resources"][function_id]["Properties"]
    log_group = resolve(properties["LoggingConfig"]["LogGroup"])
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{log_group}:log-stream:2026/11/24/[$LATEST]abc"
    calls = [("logs:CreateLogStream", stream), ("logs:PutLogEvents", stream)]
    if properties.get("TracingConfig", {}).get("Mode") == "Active":
        calls += [("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")]
    return calls


def implied_calls(session, calls: list[RecordedCall]) -> list[tuple[str, str]]:
    """Calls AWS makes with the caller's permissions: publishing to an encrypted topic uses its KMS key."""
    implied = []
    for call in calls:
        if (call.service, call.operation) == ("sns", "Publish"):
            key = topic_key_arn(session, call.params["TopicArn"])
            if key:
                implied += [("kms:GenerateDataKey", key), ("kms:Decrypt", key)]
    return implied


def refused(session, deployed: Deployed, function_id: str, calls: list[RecordedCall]) -> list[str]:
    documents = role_documents(deployed, function_id)
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{function_id}-role"
    wanted = [(pair, request_context(call)) for call in calls for pair in iam_requests(call)]
    wanted += [(pair, {}) for pair in implied_calls(session, calls) + platform_calls(deployed, function_id)]
    return sorted(
        {
            f"{action} on {resource}" + (f" ({', '.join(context['dynamodb:LeadingKeys'])})" if context else "")
            for (action, resource), context in wanted
            if decide(documents, Request(action, resource, {"AWS": role_arn}, context)) != "allow"
        }
    )


def create_every_kind(session) -> list[tuple[str, str, str]]:
    """One job of every kind in the function's region, three more imports into one dataset (so the poll lists
    them instead of describing each), and an export job in another region: (eventName, key, ARN)."""
    created = []
    for operation, params, arn_key, _, _ in KINDS.values():
        arn = getattr(session.client("personalize"), operation)(**params)[arn_key]
        created.append(("".join(part.capitalize() for part in operation.split("_")), arn_key, arn))
    operation, params, arn_key, _, _ = KINDS["dataset-import-job"]
    for n in range(3):
        arn = getattr(session.client("personalize"), operation)(**{**params, "jobName": f"shared-{n}"})[arn_key]
        created.append(("CreateDatasetImportJob", arn_key, arn))
    elsewhere = session.client("personalize", region_name=OTHER_REGION).create_dataset_export_job(
        jobName="eu-users",
        datasetArn=f"arn:aws:personalize:{OTHER_REGION}:{ACCOUNT}:dataset/eu/USERS",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/Personalize",
        jobOutput={"s3DataDestination": {"path": "s3://eu-exports/users/"}},
    )["datasetExportJobArn"]
    return [*created, ("CreateDatasetExportJob", "datasetExportJobArn", elsewhere)]


def test_track_and_poll_roles_allow_every_call_their_code_makes(deployed, monkeypatch, tmp_path) -> None:
    session, stack = deployed
    jobs = create_every_kind(session)

    track_function = deployed_handler(monkeypatch, session, stack, "AutoTrackingTrack")
    track_calls: list[RecordedCall] = []
    if track_function is None:  # autoTrack off: people track with the CLI, under their own credentials
        store = build_store(stack.outputs["TableName"], session)
        for _, _, arn in jobs:
            assert track(arn, store, PersonalizeResources(session)).outcome == "tracked"
    else:
        track_module, _ = track_function
        with Recording(tmp_path / "track.jsonl") as recording:
            for event_name, arn_key, arn in jobs:
                event = cloudtrail_event(
                    None, eventName=event_name, awsRegion=arn.split(":")[3], responseElements={arn_key: arn}
                )
                assert track_module.handler(event, FakeLambdaContext())["outcome"] == "tracked"
        track_calls = recording.calls()

    poll_function = deployed_handler(monkeypatch, session, stack, "PollerPoll")
    assert poll_function is not None
    poll, poll_id = poll_function
    with Recording(tmp_path / "poll.jsonl") as recording:
        poll.handler(SCHEDULED_EVENT, poll_context(stack, poll_id))  # discovery, baselines
        for _, _, arn_key, (running, _), _ in KINDS.values():
            for arn in (arn for _, key, arn in jobs if key == arn_key):
                emulator.set_status(arn, running)
        emulator.set_status(jobs[-1][2], "ACTIVE")
        summary = poll.handler(SCHEDULED_EVENT, poll_context(stack, poll_id))
        assert summary["notifications_published"] >= len(jobs)
        assert summary["list_calls"] >= 1, "four imports into one dataset are listed, not described one by one"
        # A poll that runs out of time part-way records check times, so the jobs left go first next time.
        assert poll.handler(SCHEDULED_EVENT, RunningOutOfTime(calls_with_time=4))["deferred"] > 0
    poll_calls = recording.calls()

    if track_function is not None:
        assert not refused(session, stack, track_function[1], track_calls), "the track role refuses these"
        # The run exercised what the code does (so the check above cannot pass on an empty recording).
        # Reading members' ARNs (-c organizationId), it asks STS once which account is its own (no permission).
        reads_members = (
            "MEMBER_ROLE_NAME"
            in stack.template["Resources"][track_function[1]]["Properties"]["Environment"]["Variables"]
        )
        assert {f"{c.service}:{c.operation}" for c in track_calls} == {
            "dynamodb:PutItem",
            *(f"personalize:Describe{event[len('Create') :]}" for event, _, _ in jobs),
            *(("sts:GetCallerIdentity",) if reads_members else ()),
        }
    assert not refused(session, stack, poll_id, poll_calls), "the poll role refuses these"
    poll_actions = {f"{c.service}:{c.operation}" for c in poll_calls}
    assert {"dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "sns:Publish", "events:PutEvents"} <= (
        poll_actions
    )
    assert "personalize:ListDatasetImportJobs" in poll_actions and OTHER_REGION in {c.region for c in poll_calls}


@pytest.mark.parametrize("configuration", ["defaults", "every-option"], indirect=True)
def test_roles_allow_what_watching_resources_takes(deployed, monkeypatch, tmp_path) -> None:
    """Resources: created and changed (the track role wakes a record: GetItem, PutItem), at rest, a solution's
    automatically trained versions listed, and a syncing campaign woken through the followers index."""
    session, stack = deployed
    personalize = session.client("personalize")
    made = emulator.serving_campaign(
        personalize, group="roles", solution="roles-movies", campaign="roles-home", sync=True
    )
    group, solution, campaign = made.dataset_group, made.solution, made.campaign
    created = [
        ("CreateDatasetGroup", "datasetGroupArn", group),
        ("CreateSolution", "solutionArn", solution),
        ("CreateCampaign", "campaignArn", campaign),
    ]
    track, track_id = deployed_handler(monkeypatch, session, stack, "AutoTrackingTrack")
    poll, poll_id = deployed_handler(monkeypatch, session, stack, "PollerPoll")
    context = poll_context(stack, poll_id)
    with Recording(tmp_path / "track-created.jsonl") as recording:
        for name, key, arn in created:
            event = cloudtrail_event(None, eventName=name, responseElements={key: arn})
            assert track.handler(event, FakeLambdaContext())["outcome"] == "tracked"
    track_calls = recording.calls()
    emulator.set_status(campaign, "ACTIVE")
    poll.handler(SCHEDULED_EVENT, context)  # the campaign comes to rest
    personalize.update_campaign(campaignArn=campaign, minProvisionedTPS=2)  # the user's call, not the notifier's
    with Recording(tmp_path / "track-changed.jsonl") as recording:
        change = cloudtrail_event(
            None, eventName="UpdateCampaign", requestParameters={"campaignArn": campaign}, responseElements=None
        )
        assert track.handler(change, FakeLambdaContext())["outcome"] == "woken"
        # A Step Functions task waits on the update (lambda:invoke.waitForTaskToken): the poll answers it.
        waits = {"arn": campaign, "taskToken": "roles-task-token"}
        assert track.handler(waits, FakeLambdaContext())["outcome"] == "waiting"
    track_calls += recording.calls()
    # A cadence expected of the dataset group (as `notifier expect` writes it) that fell due long ago.
    store = build_store(stack.outputs["TableName"], session)
    variables = stack.template["Resources"][poll_id]["Properties"]["Environment"]["Variables"]
    reads_usage = variables["USAGE_MONITORING"] == "on"
    store.save_expectation(expect(group, timedelta(hours=26), datetime.now(UTC) - timedelta(days=30)), None)
    with Recording(tmp_path / "poll.jsonl") as recording:
        emulator.set_update_status(campaign, "ACTIVE")
        trained = emulator.train_automatically(solution)
        # The solution's versions are looked at once an hour (by default): that hour has passed.
        session.client("dynamodb").update_item(
            TableName=stack.outputs["TableName"],
            Key={"jobArn": {"S": solution}},
            UpdateExpression="SET nextVersionsCheck = :due",
            ExpressionAttributeValues={":due": {"S": "2000-01-01T00:00:00.000Z"}},
        )
        if reads_usage:  # the hour has passed for the usage reading too: the campaign's requests are read
            session.client("dynamodb").update_item(
                TableName=stack.outputs["TableName"],
                Key={"jobArn": {"S": "usage-clock"}},
                UpdateExpression="SET nextReadAt = :due",
                ExpressionAttributeValues={":due": {"S": "2000-01-01T00:00:00.000Z"}},
            )
        poll.handler(SCHEDULED_EVENT, context)  # the update told; the new version found
        emulator.set_metrics(made.version, {"normalized_discounted_cumulative_gain_at_25": 0.3})
        emulator.set_metrics(trained, {"normalized_discounted_cumulative_gain_at_25": 0.25})
        emulator.set_status(trained, "ACTIVE")
        # ACTIVE: its metrics and the previous version's read, the baseline kept, the syncing campaign woken
        summary = poll.handler(SCHEDULED_EVENT, context)
        assert summary["woken"] == 1
    poll_calls = recording.calls()

    assert not refused(session, stack, track_id, track_calls), "the track role refuses these"
    assert not refused(session, stack, poll_id, poll_calls), "the poll role refuses these"
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "personalize:DescribeCampaign"} <= {
        f"{c.service}:{c.operation}" for c in track_calls
    }
    poll_actions = {f"{c.service}:{c.operation}" for c in poll_calls}
    assert {"personalize:ListSolutionVersions", "personalize:DescribeCampaign", "dynamodb:Query"} <= poll_actions
    assert {"personalize:GetSolutionMetrics", "dynamodb:GetItem"} <= poll_actions  # the new model's quality
    assert "personalize:ListDatasets" in poll_actions  # the look when the group's cadence fell due
    assert "states:SendTaskSuccess" in poll_actions  # the waiting task answered
    baseline = {"S": f"model-baseline/{solution}"}
    assert any(c.operation == "PutItem" and c.params["Item"]["jobArn"] == baseline for c in poll_calls)
    assert any(c.params.get("IndexName") == "followers" for c in poll_calls), "the followers index was queried"
    assert ("cloudwatch:GetMetricData" in {a for c in poll_calls for a, _ in iam_requests(c)}) == reads_usage


class RunningOutOfTime(FakeLambdaContext):
    """A minute left until the poll's describing threads have asked the time a few times, then a second for
    everyone: the poll defers what it has not started. (Discovery, before them, always has its minute.)"""

    def __init__(self, calls_with_time: int) -> None:
        self._left = calls_with_time
        self._lock = threading.Lock()

    def get_remaining_time_in_millis(self) -> int:
        with self._lock:
            if threading.current_thread().name.startswith("personalize"):  # the poll's describe threads
                self._left -= 1
            return 60_000 if self._left >= 0 else 1_000


@pytest.mark.parametrize("configuration", ["defaults"], indirect=True)
def test_a_call_the_role_does_not_allow_is_reported(deployed, monkeypatch) -> None:
    session, stack = deployed
    _, track_id = deployed_handler(monkeypatch, session, stack, "AutoTrackingTrack")
    table = stack.outputs["TableName"]
    calls = [
        RecordedCall("dynamodb", "PutItem", REGION, {"TableName": table}),
        RecordedCall("dynamodb", "DeleteItem", REGION, {"TableName": table}),  # tracking never deletes
        RecordedCall("sns", "Publish", REGION, {"TopicArn": stack.outputs["TopicArn"]}),  # nor publishes
    ]
    assert refused(session, stack, track_id, calls) == [
        f"dynamodb:DeleteItem on arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}",
        f"kms:Decrypt on {topic_key_arn(session, stack.outputs['TopicArn'])}",
        f"kms:GenerateDataKey on {topic_key_arn(session, stack.outputs['TopicArn'])}",
        f"sns:Publish on {stack.outputs['TopicArn']}",
    ]


@pytest.mark.parametrize("configuration", ["defaults", "organization"], indirect=True)
def test_the_poll_deletes_expectations_and_marks_only(deployed, monkeypatch, configuration: str) -> None:
    """DeleteItem is conditioned on the item's key (dynamodb:LeadingKeys): a declared expectation no longer
    declared, and with an organization an account's mark; never a job's record."""
    session, stack = deployed
    _, poll_id = deployed_handler(monkeypatch, session, stack, "PollerPoll")
    table = stack.outputs["TableName"]

    def delete(key: str) -> RecordedCall:
        return RecordedCall("dynamodb", "DeleteItem", REGION, {"TableName": table, "Key": {"jobArn": {"S": key}}})

    job = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/nightly"
    mark = delete(f"unreachable-account/{ACCOUNT}")
    allowed_mark = "organizationId" in CONFIGURATIONS[configuration]
    assert not refused(session, stack, poll_id, [delete(f"expectation/{job}")])
    assert refused(session, stack, poll_id, [delete(job)]) == [
        f"dynamodb:DeleteItem on arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table} ({job})"
    ]
    assert bool(refused(session, stack, poll_id, [mark])) is not allowed_mark


def topic_key_arn(session, topic_arn: str) -> str | None:
    key = session.client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"].get("KmsMasterKeyId")
    # (moto's DescribeKey fails on a key whose policy CloudFormation set, so the ARN is built, not looked up.)
    return key if not key or key.startswith("arn:") else f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"


def test_the_poll_role_allows_the_model_lifecycle_and_task_answers_in_every_configuration(
    configuration: str, tmp_path_factory
) -> None:
    """The calls only a trained version, a due expectation or a waiting task makes, evaluated against the poll
    role of each configuration's template (the deployed tests record them in two configurations only)."""
    assembly = synthesized(configuration, tmp_path_factory.getbasetemp() / "configurations")
    [template_file] = [path for path in assembly.glob("*.template.json") if not satellite(path.name)]
    template = json.loads(template_file.read_text())
    resources = template["Resources"]
    [poll_id] = [
        k
        for k, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == "notifier.handlers.poll.handler"
    ]
    [table_id] = [k for k, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"]
    resolve = Resolver(template)
    policies = resolve(role_policies(template, poll_id))
    table, role = resolve.arn(table_id), {"AWS": f"arn:aws:iam::{ACCOUNT}:role/{poll_id}"}
    solution = f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/movies"

    def keyed(action: str, key: str) -> Request:
        return Request(action, table, role, {"dynamodb:LeadingKeys": (key,)})

    allowed = [
        Request("personalize:GetSolutionMetrics", f"{solution}/3f1a2b", role),
        Request("personalize:ListSolutionVersions", "*", role),
        Request("personalize:ListDatasets", "*", role),
        Request("personalize:ListDatasetImportJobs", "*", role),
        Request("personalize:DescribeSolutionVersion", f"{solution}/3f1a2b", role),
        Request("personalize:DescribeSolution", solution, role),  # a regression's look for new data
        Request("states:SendTaskSuccess", "*", role),
        Request("states:SendTaskFailure", "*", role),
        Request("states:SendTaskHeartbeat", "*", role),
        keyed("dynamodb:GetItem", f"model-baseline/{solution}"),
        keyed("dynamodb:PutItem", f"model-baseline/{solution}"),
        keyed("dynamodb:PutItem", f"expectation/{solution}"),
        keyed("dynamodb:DeleteItem", f"expectation/{solution}"),
    ]
    # The hourly usage reading, where it is on: CloudWatch's requests, and the table read once whole.
    reads_usage = resources[poll_id]["Properties"]["Environment"]["Variables"]["USAGE_MONITORING"] == "on"
    usage = [Request("cloudwatch:GetMetricData", "*", role), Request("dynamodb:Scan", table, role)]
    allowed += usage if reads_usage else []
    assert [r.action for r in allowed if decide(policies, r) != "allow"] == []
    assert reads_usage or all(decide(policies, r) == "implicit-deny" for r in usage)
    assert decide(policies, keyed("dynamodb:DeleteItem", f"{solution}/3f1a2b")) == "implicit-deny"  # a record: never
