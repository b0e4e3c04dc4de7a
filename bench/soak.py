"""`make soak`: many tracked jobs through full lifecycles over many polls, with random faults.

    python -m bench.soak                 # 10,000 jobs (tens of minutes on 2 cores)
    python -m bench.soak --jobs 1000     # a shorter run

Faults, each poll at random: Personalize throttling (a token bucket, and describes refused outright),
SNS publishes refused, DynamoDB writes throttled, the function killed mid-poll. Jobs move only once the
notifier has seen their previous status (polls outpace jobs), so every transition that happened must
reach the subscriber queue: the run prints transitions made, notified, duplicates (allowed only from
the documented window, with the same id) and exits 1 on any loss.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto import mock_aws

from bench.__main__ import REGION, arn_of, seed_jobs  # importing it sets the environment first
from notifier.adapters.store import build_store
from notifier.app.compose import build_poller
from notifier.app.settings import Settings
from notifier.ports import PublishFailed, StoreUnavailable
from notifier.usecases.poll.poller import Poller
from notifier_local import personalize as emulator
from notifier_local.aws import create_watch_table
from notifier_local.inbox import CHATBOT_ENDPOINT, inbox

PATHS = (
    ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"),
    ("CREATE PENDING", "CREATE IN_PROGRESS", "CREATE FAILED"),
    ("CREATE PENDING", "ACTIVE"),
)


class Killed(BaseException):
    """The Lambda ran out of time or memory: nothing after this runs."""


class Flaky:
    """Wraps an adapter; each call fails with probability `rate`; the process may be killed after the
    `kill_after`-th publish (None: not this poll)."""

    def __init__(
        self, inner: Any, rate: float, error: Exception, rng: random.Random, kill_after: int | None = None
    ) -> None:
        self.inner, self.rate, self.error, self.rng, self.kill_after = inner, rate, error, rng, kill_after
        self.name = getattr(inner, "name", "")
        self.publishes = 0

    def __getattr__(self, attribute: str) -> Any:
        target = getattr(self.inner, attribute)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            if attribute in ("publish", "save") and self.rng.random() < self.rate:
                raise self.error
            result = target(*args, **kwargs)
            if attribute == "publish":
                self.publishes += 1
                if self.publishes == self.kill_after:
                    raise Killed("killed after a publish, before the clear")
            return result

        return call


def faulty_poller(settings: Settings, session: boto3.session.Session, rng: random.Random, now: datetime) -> Poller:
    poller = build_poller(settings, session)
    poller._clock = lambda: now
    poller._describer._config.retries["max_attempts"] = 2  # keep botocore's backoff sleeps short
    # One poll in ten is killed part-way, after a random number of SNS publishes.
    kill_after = rng.randint(1, 500) if rng.random() < 0.1 else None
    poller._channels = [
        Flaky(channel, 0.05, PublishFailed("refused (soak)"), rng, kill_after=kill_after if index == 0 else None)
        for index, channel in enumerate(poller._channels)
    ]
    poller._store = Flaky(poller._store, 0.02, StoreUnavailable("throttled (soak)"), rng)
    return poller


def count_losses(paths: dict[str, tuple[str, ...]], position: dict[str, int], delivered: dict) -> tuple[int, int]:
    lost = duplicates = 0
    for arn, path in paths.items():
        seen, statuses = set(), []
        for notification_id, status in delivered[arn]:
            if notification_id in seen:
                duplicates += 1
                continue
            seen.add(notification_id)
            statuses.append(status)
        expected = list(path[1 : position[arn] + 1])
        lost += len(expected) - sum(1 for a, b in zip(statuses, expected, strict=False) if a == b)
    return lost, duplicates


def run(jobs_count: int, seed: int, max_polls: int) -> int:
    rng = random.Random(seed)
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        create_watch_table(session.client("dynamodb"), "soak-jobs")
        topic = session.client("sns").create_topic(Name="soak")["TopicArn"]
        # A chat (https) subscriber: moto's SQS slows down with every message a queue holds, which a soak of
        # this size would turn into hours; the inbox keeps each delivery as the subscriber receives it.
        session.client("sns").subscribe(TopicArn=topic, Protocol="https", Endpoint=CHATBOT_ENDPOINT)
        inbox.clear()
        paths = {arn_of(i): rng.choice(PATHS) for i in range(jobs_count)}
        position = dict.fromkeys(paths, 0)
        seed_jobs(session, "soak-jobs", ["CREATE PENDING"] * jobs_count, now)
        settings = Settings(table_name="soak-jobs", topic_arn=topic, stuck_after_minutes=0)
        store = build_store("soak-jobs", session)
        made, faults = 0, Counter()
        delivered: dict[str, list[tuple[str, str]]] = defaultdict(list)
        started = time.perf_counter()
        for poll in range(1, max_polls + 1):
            stored = {job.arn: job for job in store.all_jobs()}
            if poll > 1 and all(
                position[a] + 1 == len(p) and stored[a].status == p[-1] and not stored[a].pending
                for a, p in paths.items()
            ):
                break
            for arn, path in paths.items():  # jobs move on, but only past a status the notifier has seen
                if position[arn] + 1 < len(path) and stored[arn].status == path[position[arn]] and rng.random() < 0.5:
                    position[arn] += 1
                    made += 1
                    reason = "soak" if path[position[arn]] == "CREATE FAILED" else None
                    emulator.set_status(arn, path[position[arn]], failure_reason=reason)
            emulator.clear_faults()
            for arn in rng.sample(list(paths), k=max(1, jobs_count // 1000)):
                emulator.inject_fault(arn, "ThrottlingException", "Rate exceeded (soak)")
            emulator.limits.set(0.0, rate_per_second=500.0)
            try:
                report = faulty_poller(settings, session, rng, now).poll()
                faults.update(
                    {
                        "publish refused": report.publish_errors,
                        "store write failed": report.store_errors,
                        "describe failed": report.describe_errors,
                    }
                )
            except Killed:
                faults["function killed"] += 1
            emulator.limits.set()
            now += timedelta(minutes=5)
            for mail in inbox.take():
                chat = json.loads(mail.body)  # what the chat channel received: id, thread (the job), status
                delivered[chat["metadata"]["threadId"]].append((chat["id"], chat["content"]["keywords"][1]))
            print(
                f"poll {poll}: {made:,} transitions made, {sum(map(len, delivered.values())):,} delivered",
                file=sys.stderr,
            )

        lost, duplicates = count_losses(paths, position, delivered)
        notified = sum(len({i for i, _ in d}) for d in delivered.values())
        print(f"\nSoak: {jobs_count:,} jobs, {poll} polls, {time.perf_counter() - started:.0f} s")
        print(f"  transitions made      {made:,}")
        print(f"  transitions notified  {notified:,} (unique notification ids)")
        print(f"  lost                  {lost:,}")
        print(f"  duplicates            {duplicates:,} (same id: a publish not yet recorded when a fault struck)")
        print("  faults injected       " + ", ".join(f"{name}: {count:,}" for name, count in sorted(faults.items())))
        ok = lost == 0 and notified == made
        print(f"  {'✓' if ok else '✗'} transitions notified = transitions made")
        return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-polls", type=int, default=60)
    args = parser.parse_args(argv)
    return run(args.jobs, args.seed, args.max_polls)


if __name__ == "__main__":
    sys.exit(main())
