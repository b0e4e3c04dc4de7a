"""A Personalize emulator for moto: the job calls moto 5 does not implement.

moto's PersonalizeResponse dispatches an action to the method of the same snake_case name, so adding
methods here makes the calls work both under `mock_aws()` and in a moto server. Every response goes
back through botocore's parser on the client side, so a shape mistake here fails loudly in tests.

Tests and the demo move jobs along with `set_status` (or `advance`), the way Personalize would.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.personalize.models import PersonalizeBackend, personalize_backends
from moto.personalize.responses import PersonalizeResponse

DEFAULT_ACCOUNT = "123456789012"
ARN_PATTERN = re.compile(r"arn:([a-z\d-]+):personalize:.*:.*:.+")
EXPORT_LIFECYCLE = ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")

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


class InjectedFault(JsonRESTError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


@dataclass
class ExportJob:
    arn: str
    name: str
    dataset_arn: str
    ingestion_mode: str
    role_arn: str
    output_path: str
    kms_key_arn: str | None
    status: str = "CREATE PENDING"
    failure_reason: str | None = None
    created: float = field(default_factory=_now)
    updated: float = field(default_factory=_now)

    def describe(self) -> dict[str, Any]:
        destination: dict[str, Any] = {"path": self.output_path}
        if self.kms_key_arn:
            destination["kmsKeyArn"] = self.kms_key_arn
        described: dict[str, Any] = {
            "jobName": self.name,
            "datasetExportJobArn": self.arn,
            "datasetArn": self.dataset_arn,
            "ingestionMode": self.ingestion_mode,
            "roleArn": self.role_arn,
            "status": self.status,
            "jobOutput": {"s3DataDestination": destination},
            "creationDateTime": self.created,
            "lastUpdatedDateTime": self.updated,
        }
        if self.failure_reason is not None:
            described["failureReason"] = self.failure_reason
        return described

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "datasetExportJobArn": self.arn,
            "jobName": self.name,
            "status": self.status,
            "creationDateTime": self.created,
            "lastUpdatedDateTime": self.updated,
        }
        if self.failure_reason is not None:
            summary["failureReason"] = self.failure_reason
        return summary


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


# job ARN -> (error code, message): every describe of that job fails so, until cleared.
faults: dict[str, tuple[str, str]] = {}


def inject_fault(arn: str, code: str = "ThrottlingException", message: str = "Rate exceeded") -> None:
    faults[arn] = (code, message)


def clear_faults() -> None:
    faults.clear()


def _jobs(backend: PersonalizeBackend) -> dict[str, ExportJob]:
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


def _create_dataset_export_job(self: PersonalizeResponse) -> str:
    calls.record("CreateDatasetExportJob")
    params = _params(self)
    dataset_arn = _check_arn(params.get("datasetArn"), "datasetArn")
    name = params.get("jobName")
    if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*", name) or len(name) > 63:
        raise InvalidInputException(f"Value {name!r} at 'jobName' failed to satisfy constraint")
    output = params.get("jobOutput", {}).get("s3DataDestination", {})
    job = ExportJob(
        arn=f"arn:aws:personalize:{self.region}:{self.current_account}:dataset-export-job/{name}",
        name=name,
        dataset_arn=dataset_arn,
        ingestion_mode=params.get("ingestionMode", "PUT"),
        role_arn=params.get("roleArn", ""),
        output_path=output.get("path", ""),
        kms_key_arn=output.get("kmsKeyArn"),
    )
    jobs = _jobs(self.personalize_backend)
    if job.arn in jobs:
        raise ResourceAlreadyExistsException(job.arn)
    jobs[job.arn] = job
    return json.dumps({"datasetExportJobArn": job.arn})


def _describe_dataset_export_job(self: PersonalizeResponse) -> str:
    calls.record("DescribeDatasetExportJob")
    arn = _check_arn(_params(self).get("datasetExportJobArn"), "datasetExportJobArn")
    if arn in faults:
        raise InjectedFault(*faults[arn])
    job = _jobs(self.personalize_backend).get(arn)
    if job is None:
        raise ResourceNotFoundException(arn)
    return json.dumps({"datasetExportJob": job.describe()})


def _list_dataset_export_jobs(self: PersonalizeResponse) -> str:
    calls.record("ListDatasetExportJobs")
    params = _params(self)
    dataset_arn = params.get("datasetArn")
    max_results = int(params.get("maxResults", 100))
    if not 1 <= max_results <= 100:
        raise InvalidInputException(f"Value {max_results} at 'maxResults' failed to satisfy constraint")
    listed = sorted(
        (job for job in _jobs(self.personalize_backend).values() if dataset_arn in (None, job.dataset_arn)),
        key=lambda job: (-job.created, job.arn),
    )
    start = int(params.get("nextToken") or 0)
    page = listed[start : start + max_results]
    body: dict[str, Any] = {"datasetExportJobs": [job.summary() for job in page]}
    if start + max_results < len(listed):
        body["nextToken"] = str(start + max_results)
    return json.dumps(body)


def install() -> None:
    """Teach moto the emulated calls (idempotent)."""
    PersonalizeResponse.create_dataset_export_job = _create_dataset_export_job  # type: ignore[attr-defined]
    PersonalizeResponse.describe_dataset_export_job = _describe_dataset_export_job  # type: ignore[attr-defined]
    PersonalizeResponse.list_dataset_export_jobs = _list_dataset_export_jobs  # type: ignore[attr-defined]


# --- moving jobs along, as Personalize would ---


def find_job(arn: str) -> ExportJob:
    parts = arn.split(":")
    if len(parts) < 6:
        raise KeyError(arn)
    return _jobs(backend(parts[3], parts[4]))[arn]


def set_status(arn: str, status: str, failure_reason: str | None = None, at: float | None = None) -> None:
    job = find_job(arn)
    job.status = status
    job.failure_reason = failure_reason
    job.updated = _now() if at is None else at


def backdate(arn: str, seconds: float) -> None:
    """Pretend the job was created `seconds` ago (a demo job that ran for an hour, in seconds)."""
    find_job(arn).created -= seconds


def delete_job(arn: str) -> None:
    parts = arn.split(":")
    _jobs(backend(parts[3], parts[4])).pop(arn, None)


install()
