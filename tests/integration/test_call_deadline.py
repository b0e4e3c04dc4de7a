"""No Personalize call outlasts the function: each call, retries included, ends before the reserve the poll keeps
for writing and publishing, against an endpoint that never answers and one that throttles every request."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from notifier.adapters.personalize import PersonalizeResources, attempt_timeouts, reserve_seconds
from notifier.domain import watched
from notifier.domain.arns import parse_arn
from notifier.ports import DescribeFailed
from tests.endpoints import silent_endpoint

pytestmark = pytest.mark.integration

ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly"
MARGIN = 5.0  # fast mode's time margin: the tightest the stack deploys
INVOCATION = 7.0  # seconds the invocation has left when the call starts: just over the margin


def resources(endpoint: str, monkeypatch) -> PersonalizeResources:
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", endpoint)
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
    return PersonalizeResources(session, time_margin_seconds=MARGIN)


def describe_with_time_left(describer: PersonalizeResources) -> tuple[float, DescribeFailed]:
    """Describe with INVOCATION seconds left on a real clock; (seconds it took, the error)."""
    started = time.monotonic()
    describer.deadline.bind(lambda: INVOCATION - (time.monotonic() - started))
    job = watched.start_watching(parse_arn(ARN), datetime.now(UTC))
    with pytest.raises(DescribeFailed) as failed:
        describer.describe(job)
    return time.monotonic() - started, failed.value


@pytest.fixture
def silent() -> Iterator[str]:
    with silent_endpoint() as url:
        yield url


class Throttling(BaseHTTPRequestHandler):
    requests = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests += 1
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def throttling() -> Iterator[str]:
    Throttling.requests = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_one_attempt_fits_in_the_margin_less_the_reserve() -> None:
    for margin in (5.0, 15.0):
        connect, read = attempt_timeouts(margin)
        assert connect > 0 and read > 0 and connect + read + reserve_seconds(margin) == margin


def test_a_silent_endpoint_is_given_up_on_before_the_function_runs_out(monkeypatch, silent: str) -> None:
    took, error = describe_with_time_left(resources(silent, monkeypatch))
    # One attempt (read timeout), then no retry: the next could not end before the reserve.
    assert took < INVOCATION - reserve_seconds(MARGIN), took
    assert error.code == "ReadTimeoutError"


def test_throttling_is_retried_only_while_a_retry_can_end_in_time(monkeypatch, throttling: str) -> None:
    took, error = describe_with_time_left(resources(throttling, monkeypatch))
    assert took < INVOCATION - reserve_seconds(MARGIN), took
    # The last attempt's error, or the attempt the adaptive rate limiter held back until it was too late.
    assert error.code in ("ThrottlingException", "CallOutOfTime")
    # At most one retry fits (botocore makes 6 attempts with time to spare: the first and 5 retries).
    assert 1 <= Throttling.requests <= 2
