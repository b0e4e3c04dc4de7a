"""CloudWatch adapter: the requests each campaign and recommender answered, hour by hour, with GetMetricData.

One call carries up to 500 queries (botocore's model of GetMetricData, MetricDataQueries: max 500), so an hour's
reading of every ACTIVE resource of one account and region is a few calls, whatever their number. Another
account's resources are read through its member role, as its Personalize is.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from notifier.adapters.accounts import AccountSessions
from notifier.domain.usage import HOUR_SECONDS, REQUEST_METRICS, USAGE_NAMESPACE
from notifier.ports import DescribeFailed

MAX_QUERIES_PER_CALL = 500  # botocore: cloudwatch GetMetricData, MetricDataQueries (max 500)


@dataclass
class HourlyRequests:
    """What one account and region answered: each resource's hourly sums (an hour without requests has no
    datapoint), and the calls it took."""

    hourly: dict[str, list[float]] = field(default_factory=dict)
    calls: int = 0


class CloudWatchRequests:
    """One CloudWatch client per account and region, made on first use."""

    def __init__(
        self,
        session: boto3.session.Session | None = None,
        *,
        accounts: AccountSessions | None = None,
        config: Config | None = None,
    ) -> None:
        self._session = session or boto3.session.Session()
        self._accounts = accounts
        self._config = config or Config(retries={"mode": "standard", "max_attempts": 3})
        self._clients: dict[tuple[str | None, str], Any] = {}
        self._lock = threading.Lock()

    def _client(self, account: str, region: str, partition: str) -> Any:
        session = self._accounts.session_for(account, partition) if self._accounts else self._session
        key = (None if session is self._session else account, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = session.client("cloudwatch", region_name=region, config=self._config)
            return self._clients[key]

    def hourly_requests(self, resources: Sequence[tuple[str, str]], start: datetime, end: datetime) -> HourlyRequests:
        """(ARN, kind name) pairs of one account and region: their requests per hour from `start` to `end`.
        DescribeFailed (AccountUnreachable for a member role that cannot be assumed) when CloudWatch cannot be read."""
        found = HourlyRequests()
        if not resources:
            return found
        _, partition, _, region, account = resources[0][0].split(":")[:5]
        queries, owner = _queries(resources)
        where = f"GetMetricData in {account} {region}"
        try:
            client = self._client(account, region, partition)
            by_hour: dict[str, dict[datetime, float]] = {arn: {} for arn, _ in resources}
            for first in range(0, len(queries), MAX_QUERIES_PER_CALL):
                asked: dict[str, Any] = {
                    "MetricDataQueries": queries[first : first + MAX_QUERIES_PER_CALL],
                    "StartTime": start,
                    "EndTime": end,
                    "ScanBy": "TimestampAscending",
                }
                while True:
                    page = client.get_metric_data(**asked)
                    found.calls += 1
                    for result in page.get("MetricDataResults", []):
                        hours = by_hour[owner[result["Id"]]]
                        for at, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                            hours[at] = hours.get(at, 0.0) + float(value)  # a campaign's two metrics, per hour
                    token = page.get("NextToken")
                    if not token:
                        break
                    asked["NextToken"] = token
        except DescribeFailed:
            raise  # the member role's credentials could not be had (raised from botocore's refresh)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise DescribeFailed(where, str(error.get("Code", "Unknown")), str(error.get("Message", ""))) from exc
        except BotoCoreError as exc:
            raise DescribeFailed(where, type(exc).__name__, str(exc)) from exc
        found.hourly = {arn: [hours[at] for at in sorted(hours)] for arn, hours in by_hour.items()}
        return found


def _queries(resources: Sequence[tuple[str, str]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """A Sum query per metric that counts a resource's requests, and which resource each query id belongs to
    (ids: a lower-case letter first, then letters, digits and underscores: MetricDataQuery's Id, as botocore's
    documentation of it says)."""
    queries, owner = [], {}
    for index, (arn, kind) in enumerate(resources):
        for number, (metric, dimension) in enumerate(REQUEST_METRICS[kind]):
            query_id = f"r{index}_{number}"
            owner[query_id] = arn
            queries.append(
                {
                    "Id": query_id,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": USAGE_NAMESPACE,
                            "MetricName": metric,
                            "Dimensions": [{"Name": dimension, "Value": arn}],
                        },
                        "Period": HOUR_SECONDS,
                        "Stat": "Sum",
                    },
                    "ReturnData": True,
                }
            )
    return queries, owner
