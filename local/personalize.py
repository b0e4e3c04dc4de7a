"""A Personalize emulator for moto: the job and resource calls moto 5 does not implement.

moto's PersonalizeResponse dispatches an action to the method of the same snake_case name, so adding
methods here makes the calls work both under `mock_aws()` and in a moto server. Every response goes
back through botocore's parser on the client side, so a shape mistake here fails loudly in tests.

Tests and the demo move jobs and resources along with `set_status` (and `set_update_status` for a resource's
latest update, `train_automatically` for a new automatic version), the way Personalize would. Update, Start,
Stop and Delete calls move a resource to the first status of that change, as Personalize answers them.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.session

from notifier.domain.kinds import KINDS, REGISTRY, SOLUTION_VERSION, Kind, api_name
from notifier.domain.usage import REQUEST_METRICS, USAGE_NAMESPACE
from notifier.domain.watched import solution_of
from notifier_local.moto_internals import JsonRESTError, PersonalizeBackend, PersonalizeResponse, personalize_backends

DEFAULT_ACCOUNT = "123456789012"
ARN_PATTERN = re.compile(r"arn:([a-z\d-]+):personalize:.*:.*:.+")

# Personalize's clock for job timestamps; tests point it at their fake clock so every time agrees.
clock: Callable[[], float] = time.time


def _now() -> float:
    return clock()  # looked up at call time, so a swapped clock applies


class InvalidInputException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidInputException", message)


class ResourceNotFoundException(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"Could not find resource: {arn}")


class ResourceAlreadyExistsException(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceAlreadyExistsException", f"Resource already exists: {arn}")


class AccessDeniedException(JsonRESTError):
    """Another account's resource, read without a role there: as AWS answers (Personalize has no resource
    policies, so only the account's own identities may call it)."""

    def __init__(self, caller: str, action: str, arn: str) -> None:
        super().__init__(
            "AccessDeniedException",
            f"User: arn:aws:iam::{caller}:user/caller is not authorized to perform: personalize:{action} on "
            f"resource: {arn}",
        )


class DeniedByPolicy(JsonRESTError):
    """An account whose Personalize calls a service control policy denies (refuse_account)."""

    def __init__(self, caller: str, action: str, arn: str) -> None:
        super().__init__(
            "AccessDeniedException",
            f"User: arn:aws:sts::{caller}:assumed-role/caller is not authorized to perform: personalize:{action} "
            f"on resource: {arn} with an explicit deny in a service control policy",
        )


_refused_accounts: set[str] = set()


def refuse_account(account: str | None) -> None:
    """Deny every Personalize call made in `account`, as an SCP would; None lifts every such denial."""
    if account is None:
        _refused_accounts.clear()
    else:
        _refused_accounts.add(account)


def _own(response: PersonalizeResponse, arn: str, action: str) -> str:
    """The ARN, when it is of the caller's account (moto acts as the account its credentials are of)."""
    caller = response.current_account
    if arn.split(":")[4] != caller:
        raise AccessDeniedException(caller, action, arn)
    if caller in _refused_accounts:
        raise DeniedByPolicy(caller, action, arn)
    return arn


class InjectedFault(JsonRESTError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


_MODEL = botocore.session.get_session().get_service_model("personalize")


@dataclass
class EmulatedJob:
    """A job of any registered kind, answering in the shapes of botocore's service model."""

    kind: Kind
    arn: str
    name: str | None
    request: dict[str, Any]  # the Create... parameters, kept as given
    status: str
    failure_reason: str | None = None
    created: float = field(default_factory=_now)
    updated: float = field(default_factory=_now)
    details: dict[str, Any] = field(default_factory=dict)  # what Personalize adds (numDeleted, trainingHours)

    def describe(self) -> dict[str, Any]:
        operation = _MODEL.operation_model(api_name(self.kind.describe_operation))
        members = operation.output_shape.members[self.kind.describe_response_key].members
        described = {
            **self.request,
            **self.details,
            self.kind.describe_arn_parameter: self.arn,
            "status": self.status,
            "creationDateTime": self.created,
            "lastUpdatedDateTime": self.updated,
            "jobName": self.name,
            "name": self.name,
        }
        if self.failure_reason is not None:
            described["failureReason"] = self.failure_reason
        return {key: value for key, value in described.items() if key in members and value is not None}

    def summary(self) -> dict[str, Any]:
        operation = _MODEL.operation_model(api_name(self.kind.list_operation))
        members = operation.output_shape.members[self.kind.list_response_key].member.members
        return {key: value for key, value in self.describe().items() if key in members}

    @property
    def parent(self) -> str | None:
        """What its List... call narrows by; where it was not asked for by that name (a campaign is made from a
        solution version, listed by its solution), the solution of what it was made from."""
        if self.kind.list_filter_parameter is None:
            return None
        return self.request.get(self.kind.list_filter_parameter) or solution_of(self.request.get(self.kind.parent_key))


@dataclass
class CallLog:
    """Counts of emulated calls by action, for tests and the benchmark."""

    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, action: str) -> None:
        with self.lock:
            self.counts[action] = self.counts.get(action, 0) + 1

    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()


calls = CallLog()


@dataclass
class Limits:
    """What a real Personalize endpoint costs: latency per call and a request-rate throttle (token bucket).

    Off by default; the benchmark turns them on. A call beyond the rate is answered ThrottlingException,
    which botocore's retry modes know how to back off from.
    """

    latency_seconds: float = 0.0
    rate_per_second: float | None = None
    throttled: int = 0
    _tokens: float = 0.0
    _last: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self) -> None:
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        if self.rate_per_second is None:
            return
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.rate_per_second, self._tokens + (now - self._last) * self.rate_per_second)
            self._last = now
            if self._tokens < 1:
                self.throttled += 1
                raise InjectedFault("ThrottlingException", "Rate exceeded")
            self._tokens -= 1

    def set(self, latency_seconds: float = 0.0, rate_per_second: float | None = None) -> None:
        with self._lock:
            self.latency_seconds, self.rate_per_second = latency_seconds, rate_per_second
            self._tokens, self._last, self.throttled = rate_per_second or 0.0, time.monotonic(), 0


limits = Limits()


# job ARN -> (error code, message): every describe of that job fails so, until cleared.
faults: dict[str, tuple[str, str]] = {}


def inject_fault(arn: str, code: str = "ThrottlingException", message: str = "Rate exceeded") -> None:
    faults[arn] = (code, message)


def clear_faults() -> None:
    faults.clear()
    _metrics_refusals.clear()


def _jobs(backend: PersonalizeBackend) -> dict[str, EmulatedJob]:
    # Stored on the backend instance, so moto's reset clears emulated jobs with everything else.
    return backend.__dict__.setdefault("emulated_export_jobs", {})


def backend(region: str = "us-east-1", account: str = DEFAULT_ACCOUNT) -> PersonalizeBackend:
    return personalize_backends[account][region]


# --- the API, as moto response methods ---


def _params(response: PersonalizeResponse) -> dict[str, Any]:
    return json.loads(response.body or "{}")


def _check_arn(arn: Any, parameter: str) -> str:
    if not isinstance(arn, str) or len(arn) > 256 or not ARN_PATTERN.fullmatch(arn):
        raise InvalidInputException(f"Value {arn!r} at '{parameter}' failed to satisfy constraint: ARN pattern")
    return arn


def _create(self: PersonalizeResponse, kind: Kind) -> str:
    calls.record(api_name("create_" + kind.describe_operation.removeprefix("describe_")))
    params = _params(self)
    required = kind.parent_key if kind.lives_on else kind.list_filter_parameter  # what it is made from
    parent = _check_arn(params.get(required), required) if required else None
    name_key = "name" if kind.arn_path_parts == 2 or kind.lives_on else "jobName"
    name = params.get(name_key)
    if kind.arn_path_parts == 2:  # a solution version: solution/<solution name>/<version id>
        path = f"{str(parent).rsplit('/', 1)[-1]}/{uuid.uuid4().hex[:8]}"
    else:
        if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*", name) or len(name) > 63:
            raise InvalidInputException(f"Value {name!r} at '{name_key}' failed to satisfy constraint")
        path = name
    arn = f"arn:aws:personalize:{self.region}:{self.current_account}:{kind.arn_resource_type}/{path}"
    jobs = _jobs(self.personalize_backend)
    if arn in jobs:
        raise ResourceAlreadyExistsException(arn)
    first = "PENDING" if kind.name == "data-deletion-job" else "CREATE PENDING"
    jobs[arn] = EmulatedJob(kind=kind, arn=arn, name=name, request=params, status=first)
    return json.dumps({kind.describe_arn_parameter: arn})


def _describe(self: PersonalizeResponse, kind: Kind) -> str:
    calls.record(api_name(kind.describe_operation))
    limits.admit()
    arn = _check_arn(_params(self).get(kind.describe_arn_parameter), kind.describe_arn_parameter)
    if arn in faults:
        raise InjectedFault(*faults[arn])
    _own(self, arn, api_name(kind.describe_operation))
    job = _jobs(self.personalize_backend).get(arn)
    if job is None or job.kind is not kind:
        raise ResourceNotFoundException(arn)
    return json.dumps({kind.describe_response_key: job.describe()})


def _list(self: PersonalizeResponse, kind: Kind) -> str:
    calls.record(api_name(kind.list_operation))
    limits.admit()
    params = _params(self)
    parent = params.get(kind.list_filter_parameter)
    if parent:
        _own(self, _check_arn(parent, kind.list_filter_parameter or ""), api_name(kind.list_operation))
    max_results = int(params.get("maxResults", 100))
    if not 1 <= max_results <= 100:
        raise InvalidInputException(f"Value {max_results} at 'maxResults' failed to satisfy constraint")
    listed = sorted(
        (job for job in _jobs(self.personalize_backend).values() if job.kind is kind and parent in (None, job.parent)),
        key=lambda job: (-job.created, job.arn),
    )
    start = int(params.get("nextToken") or 0)
    page = listed[start : start + max_results]
    body: dict[str, Any] = {kind.list_response_key: [job.summary() for job in page]}
    if start + max_results < len(listed):
        body["nextToken"] = str(start + max_results)
    return json.dumps(body)


# A resource's change calls: the status (or latest update) each starts, as the API reference lists them.
def _update(self: PersonalizeResponse, kind: Kind) -> str:
    """Update...: a new latest update, CREATE PENDING, holding what was asked (applied once it is ACTIVE)."""
    job = _target(self, kind, "Update")
    asked = {key: value for key, value in _params(self).items() if key != kind.describe_arn_parameter}
    now = _now()
    job.details[kind.update_key or ""] = {
        **asked,
        "status": "CREATE PENDING",
        "creationDateTime": now,
        "lastUpdatedDateTime": now,
    }
    job.updated = now
    return json.dumps({kind.describe_arn_parameter: job.arn})


def _moves_to(status: str) -> Callable[[PersonalizeResponse, Kind], str]:
    def call(self: PersonalizeResponse, kind: Kind) -> str:
        job = _target(self, kind, status.split(maxsplit=1)[0].title())
        job.status, job.updated = status, _now()
        return "{}" if status.startswith("DELETE") else json.dumps({kind.describe_arn_parameter: job.arn})

    return call


def _target(self: PersonalizeResponse, kind: Kind, verb: str) -> EmulatedJob:
    calls.record(f"{verb}{api_name(kind.describe_operation).removeprefix('Describe')}")
    arn = _check_arn(_params(self).get(kind.describe_arn_parameter), kind.describe_arn_parameter)
    job = _jobs(self.personalize_backend).get(arn)
    if job is None or job.kind is not kind:
        raise ResourceNotFoundException(arn)
    return job


_CHANGE_CALLS: dict[str, Callable[[PersonalizeResponse, Kind], str]] = {
    "Update": _update,
    "Start": _moves_to("START PENDING"),
    "Stop": _moves_to("STOP PENDING"),
    "Delete": _moves_to("DELETE PENDING"),
}


def install() -> None:
    """Teach moto the emulated calls of every registered kind (idempotent)."""
    for kind in REGISTRY:
        for event in kind.change_events:
            verb = next(verb for verb in _CHANGE_CALLS if event.startswith(verb))

            def change(self: PersonalizeResponse, kind: Kind = kind, verb: str = verb) -> str:
                return _CHANGE_CALLS[verb](self, kind)

            setattr(PersonalizeResponse, "_".join(re.findall(r"[A-Z][a-z]*", event)).lower(), change)
        stem = kind.describe_operation.removeprefix("describe_")

        def create(self: PersonalizeResponse, kind: Kind = kind) -> str:
            return _create(self, kind)

        def describe(self: PersonalizeResponse, kind: Kind = kind) -> str:
            return _describe(self, kind)

        def list_(self: PersonalizeResponse, kind: Kind = kind) -> str:
            return _list(self, kind)

        setattr(PersonalizeResponse, f"create_{stem}", create)
        setattr(PersonalizeResponse, kind.describe_operation, describe)
        setattr(PersonalizeResponse, kind.list_operation, list_)
    PersonalizeResponse.describe_dataset = _describe_dataset  # type: ignore[attr-defined]
    PersonalizeResponse.get_solution_metrics = _get_solution_metrics  # type: ignore[attr-defined]
    PersonalizeResponse.list_datasets = _list_datasets  # type: ignore[attr-defined]


def _list_datasets(self: PersonalizeResponse) -> str:
    """ListDatasets of a dataset group: the datasets its jobs name (datasets are not emulated otherwise)."""
    calls.record("ListDatasets")
    group = _check_arn(_params(self).get("datasetGroupArn"), "datasetGroupArn")
    head, _, name = group.partition(":dataset-group/")
    named = {
        dataset
        for job in _jobs(self.personalize_backend).values()
        if isinstance(dataset := job.request.get("datasetArn"), str) and dataset.startswith(f"{head}:dataset/{name}/")
    }
    summaries = [
        {
            "datasetArn": arn,
            "name": arn.rsplit("/", 1)[1].lower(),
            "datasetType": arn.rsplit("/", 1)[1],
            "status": "ACTIVE",
        }
        for arn in sorted(named)
    ]
    return json.dumps({"datasets": summaries})


def _describe_dataset(self: PersonalizeResponse) -> str:
    """Datasets are not emulated (jobs name any dataset ARN): every well-formed one exists, as the parent
    `discover` asks about. A mistyped parent is shown with the kinds the emulator does keep."""
    calls.record("DescribeDataset")
    arn = _own(self, _check_arn(_params(self).get("datasetArn"), "datasetArn"), "DescribeDataset")
    group, _, dataset_type = arn.split(":", 5)[5].removeprefix("dataset/").rpartition("/")
    return json.dumps({"dataset": {"datasetArn": arn, "name": group, "datasetType": dataset_type, "status": "ACTIVE"}})


class ResourceInUseException(JsonRESTError):
    """What GetSolutionMetrics may answer (botocore's model lists it among the operation's errors) while the
    version still trains."""

    def __init__(self, arn: str) -> None:
        super().__init__("ResourceInUseException", f"Resource is in use: {arn}")


# solution version ARN -> its offline metrics (GetSolutionMetrics' map of metric name to value), as set_metrics
# gives them; a version without any answers an empty map, as one trained without holdout data would.
_metrics: dict[str, dict[str, float]] = {}


_metrics_refusals: dict[str, tuple[str, str]] = {}


def set_metrics(version_arn: str, metrics: dict[str, float]) -> None:
    """The offline metrics Personalize computed for this solution version when its training ended."""
    _metrics[version_arn] = dict(metrics)


def refuse_metrics(version_arn: str, code: str = "ResourceInUseException", message: str = "") -> None:
    """GetSolutionMetrics of this version fails (metrics not computed yet, a narrowed policy), its describe not."""
    _metrics_refusals[version_arn] = (code, message or f"Resource is in use: {version_arn}")


def _get_solution_metrics(self: PersonalizeResponse) -> str:
    """GetSolutionMetrics: the version's metrics once it is ACTIVE; while it trains, ResourceInUseException."""
    calls.record("GetSolutionMetrics")
    arn = _own(self, _check_arn(_params(self).get("solutionVersionArn"), "solutionVersionArn"), "GetSolutionMetrics")
    try:
        version = find_job(arn)
    except KeyError:
        raise ResourceNotFoundException(arn) from None
    if version.status != "ACTIVE":
        raise ResourceInUseException(arn)
    if arn in _metrics_refusals:
        raise InjectedFault(*_metrics_refusals[arn])
    return json.dumps({"solutionVersionArn": arn, "metrics": _metrics.get(arn, {})})


# --- moving jobs along, as Personalize would ---


def add_job(kind: Kind, arn: str, request: dict[str, Any], status: str, created: float | None = None) -> None:
    """Seed a job without a Create call (the benchmark seeds thousands)."""
    parts = arn.split(":")
    name = arn.split("/", 1)[1]
    job = EmulatedJob(kind=kind, arn=arn, name=name, request=request, status=status)
    if created is not None:
        job.created = job.updated = created
    _jobs(backend(parts[3], parts[4]))[arn] = job


def all_jobs(region: str = "us-east-1", account: str = DEFAULT_ACCOUNT) -> list[EmulatedJob]:
    """Every job and resource the emulator holds in one account and region, oldest first."""
    return sorted(_jobs(backend(region, account)).values(), key=lambda job: job.created)


def find_job(arn: str) -> EmulatedJob:
    parts = arn.split(":")
    if len(parts) < 6:
        raise KeyError(arn)
    return _jobs(backend(parts[3], parts[4]))[arn]


def set_status(
    arn: str, status: str, failure_reason: str | None = None, at: float | None = None, **details: Any
) -> None:
    """Move a job along; `details` are fields Personalize fills in (numDeleted=..., trainingHours=...)."""
    job = find_job(arn)
    job.status = status
    job.failure_reason = failure_reason
    job.details.update(details)
    job.updated = _now() if at is None else at
    job.created = min(job.created, job.updated)  # moved along `at` a time past: it existed by then
    if job.kind is SOLUTION_VERSION and status == "ACTIVE":
        _sync_campaigns(job)


def _sync_campaigns(version: EmulatedJob) -> None:
    """Campaigns syncing with their solution's latest version move to a new ACTIVE one by themselves (an
    update nobody called: no CloudTrail event tells of it)."""
    solution = solution_of(version.arn)
    for campaign in list(_jobs(backend(*version.arn.split(":")[3:5])).values()):
        config = campaign.request.get("campaignConfig") or {}
        if (
            campaign.kind.name == "campaign"
            and campaign.parent == solution
            and config.get("syncWithLatestSolutionVersion")
        ):
            now = _now()
            campaign.request["solutionVersionArn"] = version.arn
            campaign.details["latestCampaignUpdate"] = {
                "solutionVersionArn": version.arn,
                "campaignConfig": config,
                "status": "ACTIVE",
                "creationDateTime": now,
                "lastUpdatedDateTime": now,
            }
            campaign.updated = now


def set_update_status(arn: str, status: str, failure_reason: str | None = None) -> None:
    """Move a resource's latest update along; once ACTIVE, what it asked for is what the resource has."""
    job = find_job(arn)
    update = job.details[job.kind.update_key or ""]
    update.update(status=status, lastUpdatedDateTime=_now())
    if failure_reason is not None:
        update["failureReason"] = failure_reason
    if status == "ACTIVE":
        for key, value in update.items():
            if key not in ("status", "creationDateTime", "lastUpdatedDateTime", "failureReason"):
                job.request[key] = value
    job.updated = _now()


def train_automatically(solution_arn: str) -> str:
    """Automatic training starts a new version of the solution, as Personalize does on its schedule."""
    solution = find_job(solution_arn)
    if solution.kind is not KINDS["solution"]:
        raise KeyError(solution_arn)
    arn = f"{solution_arn}/{uuid.uuid4().hex[:8]}"
    add_job(SOLUTION_VERSION, arn, {"solutionArn": solution_arn, "trainingType": "AUTOMATIC"}, "CREATE PENDING")
    find_job(arn).name = None
    return arn


RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"


@dataclass(frozen=True)
class ServingCampaign:
    dataset_group: str
    solution: str
    version: str
    campaign: str


def serving_campaign(
    client: Any, *, group: str, solution: str, campaign: str, sync: bool, auto_training: bool = True
) -> ServingCampaign:
    """Through real Create... calls, as a user makes them: a dataset group, a solution and its first version,
    each ACTIVE, and a campaign on that version (still CREATE PENDING), syncing with the latest one or not."""
    group_arn = client.create_dataset_group(name=group)["datasetGroupArn"]
    solution_arn = client.create_solution(
        name=solution, datasetGroupArn=group_arn, recipeArn=RECIPE, performAutoTraining=auto_training
    )["solutionArn"]
    version_arn = client.create_solution_version(solutionArn=solution_arn)["solutionVersionArn"]
    for arn in (group_arn, solution_arn, version_arn):
        set_status(arn, "ACTIVE")
    campaign_arn = client.create_campaign(
        name=campaign,
        solutionVersionArn=version_arn,
        minProvisionedTPS=1,
        campaignConfig={"syncWithLatestSolutionVersion": True} if sync else {},
    )["campaignArn"]
    return ServingCampaign(group_arn, solution_arn, version_arn, campaign_arn)


def answer_requests(client: Any, arn: str, per_hour: list[float], until: float | None = None) -> None:
    """Personalize's own metrics of a campaign or recommender that answered requests: `per_hour[-1]` in the hour
    before `until` (now), the one before it earlier, each as the Sum it publishes to CloudWatch (`client` is a
    cloudwatch client: one PutMetricData call, as the service would make it)."""
    kind = find_job(arn).kind.name
    metric, dimension = REQUEST_METRICS[kind][0]
    end = _now() if until is None else until
    hour = end - end % 3600
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": dimension, "Value": arn}],
            "Timestamp": datetime.fromtimestamp(hour - 3600 * (len(per_hour) - index) + 60, tz=UTC),
            "Value": float(value),
            "Unit": "Count",
        }
        for index, value in enumerate(per_hour)
        if value
    ]
    for first in range(0, len(data), 1000):  # botocore: PutMetricData MetricData (max 1000)
        client.put_metric_data(Namespace=USAGE_NAMESPACE, MetricData=data[first : first + 1000])


def backdate(arn: str, seconds: float) -> None:
    """Pretend the job was created `seconds` ago (a demo job that ran for an hour, in seconds)."""
    find_job(arn).created -= seconds


def delete_job(arn: str) -> None:
    parts = arn.split(":")
    _jobs(backend(parts[3], parts[4])).pop(arn, None)


install()
