"""Personalize adapter: describe a tracked job in the region its ARN names, and say what went wrong in domain terms."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from notifier.adapters.accounts import AccountSessions
from notifier.domain.arns import InvalidArn, account_of, parse_arn
from notifier.domain.cadence import Target
from notifier.domain.clock import utc_now
from notifier.domain.kinds import KINDS, SOLUTION_VERSION, Kind
from notifier.domain.quality import Metrics, metrics_of
from notifier.domain.watched import Snapshot, Summary, Update, Watched, iso, solution_of, start_watching
from notifier.ports import AccountUnreachable, DescribeFailed, ResourceNotFound, ResourceRejected

DEFAULT_MAX_ATTEMPTS = 5
# botocore's standard and adaptive retries sleep rand(0, 1) * min(2 ** (attempt - 1), 20) seconds before a
# retry, and up to 5 s more when the answer has an x-amz-retry-after header (botocore/retries/standard.py,
# ExponentialBackoff.delay_amount): the longest a retry can wait.
_MAX_BACKOFF_SECONDS, _RETRY_AFTER_EXTRA_SECONDS = 20, 5


class CallOutOfTime(BotoCoreError):
    """A call given up because another attempt could not end in time; `code` and `message` are the last
    attempt's error (what the call would have failed with had it not been retried)."""

    fmt = "{code}: {message}"

    @property
    def code(self) -> str:
        return str(self.kwargs["code"])

    @property
    def message(self) -> str:
        """The attempt's error message, and why it was not retried."""
        return str(self.kwargs["message"])


def client_config(
    max_pool_connections: int, max_attempts: int = DEFAULT_MAX_ATTEMPTS, time_margin_seconds: float = 15.0
) -> Config:
    """Adaptive retries: botocore backs off and rate-limits itself when Personalize throttles. One attempt
    (connecting, then waiting for the answer) fits in the time margin the poll keeps, less a reserve for the
    writes and publishes after it: a call the poll starts can always make its first attempt."""
    connect, read = attempt_timeouts(time_margin_seconds)
    return Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        max_pool_connections=max_pool_connections,
        connect_timeout=connect,
        read_timeout=read,
    )


def reserve_seconds(time_margin_seconds: float) -> float:
    """What a call leaves of the function's time, for recording and publishing what it found."""
    return time_margin_seconds / 5


def attempt_timeouts(time_margin_seconds: float) -> tuple[float, float]:
    """(connect, read) timeouts of one attempt: together they fill the margin less the reserve (2 s and 10 s
    at the poll's 15 s margin; 1 s and 3 s at fast mode's 5 s)."""
    budget = time_margin_seconds - reserve_seconds(time_margin_seconds)
    connect = min(2.0, budget / 4)
    return connect, budget - connect


class CallDeadline:
    """Bounds each Personalize call, retries included, by the time its caller has left: a retry is made only
    if its longest backoff and a whole attempt still end before the reserve; an attempt that could not end in
    time is not sent. Either way the call ends with the last error (or CallOutOfTime), never past the function.
    """

    def __init__(self, attempt_seconds: float, reserve_seconds: float) -> None:
        self._attempt = attempt_seconds
        self._reserve = reserve_seconds
        self._remaining: Callable[[], float] = lambda: math.inf

    def bind(self, remaining_seconds: Callable[[], float]) -> None:
        """The time source of the invocation under way (the Lambda context's remaining time)."""
        self._remaining = remaining_seconds

    def left(self) -> float:
        return self._remaining() - self._reserve

    def install(self, client: Any) -> None:
        # Retries: asked before botocore's retry handler. Sending: on the generic event, after the adaptive rate
        # limiter's wait for a token (also on it), which can be long once Personalize has throttled.
        client.meta.events.register_first("needs-retry.personalize", self._may_retry)
        client.meta.events.register_last("before-send", self._may_send)

    def _may_retry(self, attempts: int, response: Any = None, caught_exception: Any = None, **_: Any) -> None:
        """Nothing to say (None) unless the attempt failed and a retry could not end in time: then the call
        ends here, with the attempt's error. (Raising, not answering False: botocore releases before 1.40 take
        a False answer as "retry at once".)"""
        if isinstance(caught_exception, CallOutOfTime):
            raise caught_exception  # refused at sending: no retry either
        http = response[0] if response else None
        if caught_exception is None and (http is None or http.status_code < 300):
            return
        backoff = min(2 ** (attempts - 1), _MAX_BACKOFF_SECONDS)
        if http is not None and "x-amz-retry-after" in http.headers:
            backoff += _RETRY_AFTER_EXTRA_SECONDS
        left = self.left()
        if left >= backoff + self._attempt:
            return
        if caught_exception is not None:
            code, message = type(caught_exception).__name__, str(caught_exception)
        else:
            error = (response[1] or {}).get("Error", {})
            code, message = str(error.get("Code", http.status_code)), str(error.get("Message", ""))
        raise self._out_of_time(code, message, left)

    def _may_send(self, **_: Any) -> None:
        left = self.left()
        if left < self._attempt:
            raise self._out_of_time("CallOutOfTime", "no time for an attempt", left)

    def _out_of_time(self, code: str, error: str, left: float) -> CallOutOfTime:
        why = f"not retried: {left:.1f} s left, an attempt may take {self._attempt:.1f} s"
        return CallOutOfTime(code=code, message=f"{error} ({why})")


class Pacer:
    """Spaces requests at most `rate` per second, across threads: staying under a known quota costs less
    than being throttled and backing off (botocore's adaptive mode slows down hard after a throttle)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, **_: Any) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


class PersonalizeResources:
    """One client per account and region, made on first use and shared by the describe threads (clients are
    thread-safe). An ARN of another account is read through `accounts` (its member role), else as this one.

    With `max_rps`, every request attempt (retries too) to a region is paced under that rate.
    """

    def __init__(
        self,
        session: boto3.session.Session | None = None,
        max_pool_connections: int = 10,
        max_rps: float | None = None,
        config: Config | None = None,
        time_margin_seconds: float = 15.0,
        *,
        accounts: AccountSessions | None = None,
    ) -> None:
        self._session = session or boto3.session.Session()
        self._accounts = accounts
        # `config` (the CLI's timeouts and retries) wins over the Lambda's defaults where both say something.
        defaults = client_config(max_pool_connections, time_margin_seconds=time_margin_seconds)
        self._config = defaults.merge(config) if config else defaults
        self.deadline = CallDeadline(
            attempt_seconds=self._config.connect_timeout + self._config.read_timeout,
            reserve_seconds=reserve_seconds(time_margin_seconds),
        )
        self._max_rps = max_rps
        self._clients: dict[tuple[str | None, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, region: str, account: str | None = None, partition: str = "aws") -> Any:
        """The client for a region of this account, or of `account` (through its member role)."""
        session = self._accounts.session_for(account, partition) if self._accounts and account else self._session
        key = (None if session is self._session else account, region)
        with self._lock:
            if key not in self._clients:
                client = session.client("personalize", region_name=region, config=self._config)
                if self._max_rps:
                    # request-created fires once per HTTP attempt, before signing: retries are paced too. The
                    # quota is per account and region, as the clients are.
                    client.meta.events.register("request-created.personalize", Pacer(self._max_rps).wait)
                self.deadline.install(client)
                self._clients[key] = client
            return self._clients[key]

    def client_for(self, arn: str) -> Any:
        """The client that reads this ARN: its region, its account."""
        parts = arn.split(":")
        return self.client(parts[3], account=parts[4], partition=parts[1])

    def describe(self, job: Watched) -> Snapshot:
        kind = job.kind
        with self._failures(job.arn, job.arn, _describe_error):
            response = getattr(self.client_for(job.arn), kind.describe_operation)(
                **{kind.describe_arn_parameter: job.arn}
            )
        return snapshot_from(job.arn, kind, response.get(kind.describe_response_key))

    @contextmanager
    def _failures(
        self, arn: str, where: str, error: Callable[[str, str, str], Exception] = DescribeFailed
    ) -> Iterator[None]:
        """Personalize's and botocore's errors in domain terms, naming `where` the call was made: another account
        refusing (AccountUnreachable), else `error` (gone or rejected, for a describe), else DescribeFailed."""
        try:
            yield
        except DescribeFailed:
            raise  # the member role's credentials could not be had (raised from botocore's refresh)
        except ClientError as exc:
            details = exc.response.get("Error", {})
            code, message = str(details.get("Code", "Unknown")), str(details.get("Message", ""))
            raise self._refused(arn, code, message) or error(where, code, message) from exc
        except CallOutOfTime as exc:
            raise error(where, exc.code, exc.message) from exc
        except BotoCoreError as exc:
            raise DescribeFailed(where, type(exc).__name__, str(exc)) from exc

    def solution_metrics(self, version_arn: str) -> dict[str, float]:
        """GetSolutionMetrics: the version's offline metrics (an open map; numbers only, finite)."""
        with self._failures(version_arn, version_arn):
            response = self.client_for(version_arn).get_solution_metrics(solutionVersionArn=version_arn)
        return dict(_metrics(response.get("metrics")))

    def previous_active_version(self, version_arn: str, created_at: str | None) -> str | None:
        """The solution's ACTIVE version created last before this one (one ListSolutionVersions), or None."""
        solution = solution_of(version_arn)
        region = version_arn.split(":")[3]
        earlier = [
            summary
            for summary in self.list_summaries(SOLUTION_VERSION, region, solution)
            if summary.arn != version_arn
            and summary.status == "ACTIVE"
            and summary.created_at is not None
            and (created_at is None or summary.created_at <= created_at)
        ]
        return max(earlier, key=lambda summary: summary.created_at or "").arn if earlier else None

    def data_imported(self, version_arn: str, since: str, until: str) -> bool:
        """Whether an import into the solution's dataset group ended (ACTIVE) after `since` and by `until`: one
        DescribeSolution, one ListDatasets, one ListDatasetImportJobs per dataset."""
        solution = solution_of(version_arn) or version_arn
        region = version_arn.split(":")[3]
        with self._failures(solution, solution):
            described = self.client_for(solution).describe_solution(solutionArn=solution)
        group = described.get("solution", {}).get("datasetGroupArn")
        if not isinstance(group, str):
            raise DescribeFailed(solution, "NoDatasetGroup", "DescribeSolution named no dataset group")
        imports = KINDS["dataset-import-job"]
        return any(
            summary.status == "ACTIVE" and since < (summary.updated_at or "") <= until
            for dataset in self._datasets_of(group, region)
            for summary in self.list_summaries(imports, region, dataset)
        )

    def last_met(self, target: Target, arn: str) -> tuple[str, str] | None:
        """When what meets an expectation last happened, and what it was, as Personalize lists it: a dataset's
        latest successful import (one ListDatasetImportJobs), a dataset group's (one ListDatasets, then one
        listing per dataset), a solution's latest ACTIVE version (one ListSolutionVersions), the creation of the
        version a campaign serves (its describe, then the version's). None: nothing yet."""
        region = arn.split(":")[3]
        if target is Target.CAMPAIGN:
            return self._served_version(arn)
        if target is Target.SOLUTION:
            return _latest(self.list_summaries(SOLUTION_VERSION, region, arn))
        datasets = [arn] if target is Target.DATASET else self._datasets_of(arn, region)
        imports = KINDS["dataset-import-job"]
        return max(
            (found for dataset in datasets if (found := _latest(self.list_summaries(imports, region, dataset)))),
            default=None,
        )

    def describe_arn(self, arn: str) -> Snapshot:
        """What `describe` says of an ARN that is not (yet) a record."""
        return self.describe(start_watching(parse_arn(arn), utc_now()))

    def _datasets_of(self, group_arn: str, region: str) -> list[str]:
        with self._failures(group_arn, f"ListDatasets in {region} for {group_arn}"):
            pages = self._pages(
                self.client(region, account=account_of(group_arn)), "list_datasets", {"datasetGroupArn": group_arn}
            )
            return [
                d["datasetArn"]
                for page in pages
                for d in page.get("datasets", [])
                if isinstance(d.get("datasetArn"), str)
            ]

    def _served_version(self, campaign_arn: str) -> tuple[str, str] | None:
        campaign = self.describe_arn(campaign_arn)
        if not campaign.parent_arn:
            return None
        version = self.describe_arn(campaign.parent_arn)
        return (version.created_at, campaign.parent_arn) if version.created_at else None

    def missing(self, arn: str) -> str | None:
        """Personalize's word that this resource does not exist; None when it does or cannot be told here (no
        permission to describe it, say): a listing under a mistyped parent is empty, not an error."""
        operation, parameter = _describe_call(arn)
        try:
            getattr(self.client_for(arn), operation)(**{parameter: arn})
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") == "ResourceNotFoundException":
                return str(error.get("Message") or f"{arn} does not exist")
        except (BotoCoreError, CallOutOfTime, DescribeFailed):
            pass
        return None

    def _refused(self, arn: str, code: str, message: str) -> AccountUnreachable | None:
        """Access denied in another account is that account's role refusing (an SCP, a narrowed policy): every
        one of its jobs would be refused alike. In this account it is this job's own problem."""
        account = account_of(arn)
        if (
            code != "AccessDeniedException"
            or not account
            or not self._accounts
            or not self._accounts.is_member(account)
        ):
            return None
        return AccountUnreachable(account, self._accounts.role_arn(account, arn.split(":")[1]), code, message)

    def list_summaries(self, kind: Kind, region: str, parent_arn: str | None) -> Iterator[Summary]:
        """botocore's paginator over List...; a failure mid-way is a DescribeFailed naming the listing."""
        params = {kind.list_filter_parameter: parent_arn} if parent_arn and kind.list_filter_parameter else {}
        where = f"{kind.list_operation} in {region}" + (f" for {parent_arn}" if parent_arn else "")
        with self._failures(parent_arn or "", where):
            account = account_of(parent_arn) if parent_arn else None  # a member's parent: listed there
            for page in self._pages(self.client(region, account=account), kind.list_operation, params):
                for summary in page.get(kind.list_response_key, []):
                    parsed = summary_from(summary, kind)
                    if parsed is not None:
                        yield parsed

    @staticmethod
    def _pages(client: Any, operation: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """botocore's paginator where it has one; otherwise follow nextToken by hand (ListDataDeletionJobs)."""
        if client.can_paginate(operation):
            yield from client.get_paginator(operation).paginate(**params)
            return
        token: str | None = None
        while True:
            page = getattr(client, operation)(**params, **({"nextToken": token} if token else {}))
            yield page
            token = page.get("nextToken")
            if not token:
                return


def _latest(summaries: Iterator[Summary]) -> tuple[str, str] | None:
    """The latest success of a listing: (when it ended, its ARN)."""
    done = [
        (summary.updated_at or summary.created_at or "", summary.arn)
        for summary in summaries
        if summary.status == "ACTIVE" and (summary.updated_at or summary.created_at)
    ]
    return max(done, default=None)


def _describe_call(arn: str) -> tuple[str, str]:
    """The Describe... operation and its ARN parameter for a watched kind, or for a dataset (a parent only)."""
    try:
        kind = parse_arn(arn).kind
    except InvalidArn:
        return "describe_dataset", "datasetArn"
    return kind.describe_operation, kind.describe_arn_parameter


def _describe_error(arn: str, code: str, message: str) -> Exception:
    """Personalize's error in domain terms: gone, rejected, or failed for a reason that may pass."""
    if code == "ResourceNotFoundException":
        return ResourceNotFound(message or f"{arn} does not exist")
    if code == "InvalidInputException":
        return ResourceRejected(message or f"{arn} was rejected")
    return DescribeFailed(arn, code, message)


def summary_from(summary: Any, kind: Kind) -> Summary | None:
    """A list row, or None when it lacks an ARN or a status (nothing to track from it)."""
    if not isinstance(summary, dict):
        return None
    arn, status = summary.get(kind.describe_arn_parameter), summary.get("status")
    if not isinstance(arn, str) or not isinstance(status, str):
        return None
    return Summary(
        arn=arn,
        status=status,
        name=_text(summary.get("jobName")) or _text(summary.get("name")),
        created_at=_time(summary.get("creationDateTime")),
        updated_at=_time(summary.get("lastUpdatedDateTime")),
        failure_reason=_text(summary.get("failureReason")),
    )


def snapshot_from(arn: str, kind: Kind, described: Any) -> Snapshot:
    """Read the fields worth telling; a missing status is a malformed answer, any other gap is tolerated."""
    if not isinstance(described, dict):
        raise DescribeFailed(arn, "MalformedResponse", "the describe response has no description")
    status = described.get("status")
    if not isinstance(status, str) or not status.strip():
        raise DescribeFailed(arn, "MalformedResponse", f"the describe response has no usable status ({status!r})")
    facts = tuple(
        (label, value)
        for label, path in kind.facts
        if (value := _fact(_dig(described, tuple(path.split("."))))) is not None
    )
    return Snapshot(
        status=status,
        name=_text(described.get("jobName")) or _text(described.get("name")),
        parent_arn=_text(described.get(kind.parent_key)) if kind.parent_key else None,
        input_location=_text(_dig(described, kind.input_path)),
        facts=facts,
        output_path=_text(_dig(described, kind.output_path)),
        failure_reason=_text(described.get("failureReason")),
        created_at=_time(described.get("creationDateTime")),
        updated_at=_time(described.get("lastUpdatedDateTime")),
        update=_update(described.get(kind.update_key)) if kind.update_key else None,
        trains_automatically=bool(kind.trains_key) and described.get(kind.trains_key) is True,
        metrics=_metrics(described.get("modelMetrics")),
    )


def _metrics(values: Any) -> Metrics:
    """A map of metric name to number as Personalize returns it; anything else in it (a NaN, a string) is left out."""
    if not isinstance(values, dict):
        return ()
    return metrics_of(
        {
            name: value
            for name, value in values.items()
            if isinstance(name, str)
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        }
    )


def _update(summary: Any) -> Update | None:
    """latestCampaignUpdate and its kin; absent until the resource's first Update... call."""
    if not isinstance(summary, dict) or not _text(summary.get("status")):
        return None
    return Update(
        status=summary["status"],
        started_at=_time(summary.get("creationDateTime")),
        failure_reason=_text(summary.get("failureReason")),
    )


def _dig(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document if path else None


def _fact(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (int, str)) and str(value):
        return str(value)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> str | None:
    return iso(value) if isinstance(value, datetime) else None
