"""What one poll costs at N tracked jobs of which A are active, on the Personalize emulator with a real
latency per call and a request-rate throttle; beside it, a naive poller and the throttle bound A / rate.

    make bench                      # the full grid, N in 100, 1,000, 10,000 and A in 0, 10, 100, 1,000
    python -m bench --quick         # a small grid, for a quick look
    python -m bench --organization  # 100 member accounts x 2 regions, beside the same jobs in one account
    python -m bench --models        # the lifecycle of models alone (both grids measure it too)
    python -m bench --latency-ms 50 --rate 10 --out bench-results

Each scenario: N jobs under datasets of 100 jobs each, A of them running (spread evenly across the
datasets), and 10% of the running ones change status just before the measured poll. The naive poller
scans the table, describes every job one by one and writes every item; its calls are counted with the
limits off and its time is the bound those calls imply (it is too slow to run at N = 10,000).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3
from boto3.dynamodb.types import TypeSerializer
from moto import mock_aws

from bench import models, notice, organization, usage
from bench.counters import DynamoCounter
from bench.measured import measured_on, stamp_chart
from bench.table import write_records
from notifier.adapters.items import encode
from notifier.adapters.store import build_store
from notifier.app.compose import build_poller
from notifier.app.settings import Settings
from notifier.domain import watched
from notifier.domain.arns import parse_arn
from notifier.domain.kinds import KINDS
from notifier.domain.usage import UsageClock
from notifier.domain.watched import Snapshot
from notifier_local import personalize as emulator
from notifier_local.aws import QueueSubscriber, create_watch_table

KIND = KINDS["dataset-export-job"]
REGION, ACCOUNT = "us-east-1", "123456789012"
PER_DATASET = 100
CHANGED_FRACTION = 0.1
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass
class Result:
    n: int
    a: int
    poller: str
    wall_seconds: float
    wall_is_bound: bool  # True: computed from the calls (too slow to run), not measured
    personalize_calls: int
    throttled: int
    dynamodb_reads: int
    dynamodb_writes: int
    sns_publishes: int
    peak_memory_mb: float
    transitions_made: int
    transitions_notified: int
    throttle_bound_seconds: float


def arn_of(index: int) -> str:
    return f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/bench-{index:05d}"


def dataset_of(index: int) -> str:
    return f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/bench-{index // PER_DATASET:03d}/INTERACTIONS"


def active_indexes(n: int, a: int) -> list[int]:
    """A running jobs spread evenly across the datasets: the newest ones of each."""
    datasets = math.ceil(n / PER_DATASET)
    per = math.ceil(a / datasets) if a else 0
    chosen = [d * PER_DATASET + PER_DATASET - 1 - k for d in range(datasets) for k in range(per)]
    return sorted(i for i in chosen if i < n)[:a]


def seed_jobs(session: boto3.session.Session, table: str, statuses: list[str], tracked_at: datetime) -> None:
    """Job i (of dataset i // 100) at statuses[i], in the emulator and tracked in `table`, in bulk."""

    def records() -> Iterator[watched.Watched]:
        for index, status in enumerate(statuses):
            request = {
                "jobName": f"bench-{index:05d}",
                "datasetArn": dataset_of(index),
                "jobOutput": {"s3DataDestination": {"path": f"s3://bench/{index}/"}},
            }
            emulator.add_job(KIND, arn_of(index), request, status, created=tracked_at.timestamp() + index)
            snapshot = Snapshot(status=status, parent_arn=dataset_of(index))
            yield watched.start_watching(parse_arn(arn_of(index)), tracked_at, snapshot)

    write_records(session.client("dynamodb"), table, records())


RESTING_CAMPAIGNS = 20  # resources at rest in every scenario: they must cost no call and no read


def seed_resting_campaigns(session: boto3.session.Session, table: str, tracked_at: datetime) -> None:
    """Campaigns watched and ACTIVE with nothing under way: out of the poll's index, as a deployed table has them."""
    campaign, serializer = KINDS["campaign"], TypeSerializer()
    for index in range(RESTING_CAMPAIGNS):
        arn = f"arn:aws:personalize:us-east-1:123456789012:campaign/bench-{index:02d}"
        version = f"arn:aws:personalize:us-east-1:123456789012:solution/bench/v{index:02d}"
        emulator.add_job(campaign, arn, {"solutionVersionArn": version, "minProvisionedTPS": 1}, "ACTIVE")
        snapshot = Snapshot(status="ACTIVE", parent_arn=version, facts=(("Minimum TPS", "1"),))
        record = watched.start_watching(parse_arn(arn), tracked_at, snapshot)
        item = {key: serializer.serialize(value) for key, value in encode(record).items() if value is not None}
        session.client("dynamodb").put_item(TableName=table, Item=item)


def seed(session: boto3.session.Session, n: int, a: int) -> list[int]:
    """N jobs in the emulator and the table, the chosen A running, the rest finished; and resting campaigns."""
    running = set(active_indexes(n, a))
    statuses = ["CREATE PENDING" if index in running else "ACTIVE" for index in range(n)]
    seed_jobs(session, "bench-jobs", statuses, NOW - timedelta(hours=1))
    seed_resting_campaigns(session, "bench-jobs", NOW - timedelta(hours=1))
    # As a deployed table has it between two hourly usage readings (bench/usage.py measures a reading).
    build_store("bench-jobs", session).save_usage_clock(
        UsageClock(next_read_at=watched.iso(NOW + timedelta(minutes=30))), None
    )
    return sorted(running)


def measure_ours(
    session: boto3.session.Session, settings: Settings, n: int, a: int, changed: list[int], *, args: argparse.Namespace
) -> Result:
    poller = build_poller(settings, session)
    poller._clock = lambda: NOW
    counter = DynamoCounter(poller._store._client)
    queue = QueueSubscriber(session.client("sns"), session.client("sqs"), settings.topic_arn, f"q-{n}-{a}")
    emulator.calls.reset()
    emulator.limits.set(args.latency_ms / 1000, args.rate)
    tracemalloc.start()
    started = time.perf_counter()
    report = poller.poll()
    wall = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    throttled = emulator.limits.throttled
    emulator.limits.set()
    notified = len(queue.receive_all())
    return Result(
        n=n,
        a=a,
        poller="notifier",
        wall_seconds=wall,
        wall_is_bound=False,
        personalize_calls=emulator.calls.total(),
        throttled=throttled,
        dynamodb_reads=counter.reads,
        dynamodb_writes=counter.writes,
        sns_publishes=report.notifications_published,
        peak_memory_mb=peak / 2**20,
        transitions_made=len(changed),
        transitions_notified=notified,
        throttle_bound_seconds=a / args.rate,
    )


def measure_naive(
    session: boto3.session.Session, n: int, a: int, changed: list[int], args: argparse.Namespace
) -> Result:
    """Scan everything, describe every job one by one, write every item back: what a one-off script does.

    It keeps its own copy of the state (another table), so both pollers see the same changes."""
    dynamodb, personalize = session.client("dynamodb"), session.client("personalize")
    create_watch_table(dynamodb, "bench-naive")
    counter = DynamoCounter(dynamodb)
    emulator.calls.reset()
    tracemalloc.start()
    seen_changes = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName="bench-jobs"):
        for item in page["Items"]:
            if item["jobKind"]["S"] not in KINDS:
                continue  # the notifier's own items (its usage clock) are nothing a script would describe
            kind = KINDS[item["jobKind"]["S"]]  # every job, resting campaigns too
            described = getattr(personalize, kind.describe_operation)(
                **{kind.describe_arn_parameter: item["jobArn"]["S"]}
            )
            status = described[kind.describe_response_key]["status"]
            seen_changes += status != item["status"]["S"]
            item["status"] = {"S": status}
            dynamodb.put_item(TableName="bench-naive", Item=item)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    calls = emulator.calls.total()
    return Result(
        n=n,
        a=a,
        poller="naive",
        # Sequential calls at the emulated latency, and never faster than the throttle allows.
        wall_seconds=max(calls * args.latency_ms / 1000, calls / args.rate),
        wall_is_bound=True,
        personalize_calls=calls,
        throttled=0,
        dynamodb_reads=counter.reads,
        dynamodb_writes=counter.writes,
        sns_publishes=0,
        peak_memory_mb=peak / 2**20,
        transitions_made=len(changed),
        transitions_notified=seen_changes,
        throttle_bound_seconds=a / args.rate,
    )


def scenario(n: int, a: int, args: argparse.Namespace, naive_cache: dict[int, Result]) -> list[Result]:
    """Our poll at (N, A), and the naive poller's. The naive one scans and describes every job whatever A
    is, so it runs once per N (its slowest part on the emulator) and its figures stand for every A."""
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        create_watch_table(session.client("dynamodb"), "bench-jobs")
        topic = session.client("sns").create_topic(Name="bench")["TopicArn"]
        running = seed(session, n, a)
        changed = running[:: round(1 / CHANGED_FRACTION)] if running else []
        for index in changed:
            emulator.set_status(arn_of(index), "ACTIVE")
        settings = Settings(
            table_name="bench-jobs", topic_arn=topic, stuck_after_minutes=0, personalize_max_rps=args.client_rate
        )
        if n not in naive_cache:
            naive_cache[n] = measure_naive(session, n, a, changed, args)  # reads the same table, writes its own
        naive = replace(
            naive_cache[n],
            a=a,
            transitions_made=len(changed),
            transitions_notified=len(changed),  # it describes every job: it sees every change
            throttle_bound_seconds=a / args.rate,
        )
        ours = measure_ours(session, settings, n, a, changed, args=args)
        return [ours, naive]


def cold_start_seconds(runs: int = 5) -> float:
    """Median time to import the poll handler in a fresh interpreter (what a Lambda cold start pays)."""
    code = "import time; t = time.perf_counter(); import notifier.handlers.poll; print(time.perf_counter() - t)"
    env = {**os.environ, "TABLE_NAME": "t", "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t"}
    samples = [
        float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(samples)


def render_table(results: list[Result]) -> str:
    rows = [
        (
            "N",
            "A",
            "poller",
            "wall s",
            "Personalize calls",
            "throttled",
            "DDB reads",
            "DDB writes",
            "SNS",
            "peak MB",
            "notified/made",
            "bound A/rate s",
        ),
    ]
    for r in results:
        rows.append(
            (
                f"{r.n:,}",
                f"{r.a:,}",
                r.poller,
                f"{'≥' if r.wall_is_bound else ''}{r.wall_seconds:.2f}",
                f"{r.personalize_calls:,}",
                f"{r.throttled:,}",
                f"{r.dynamodb_reads:,}",
                f"{r.dynamodb_writes:,}",
                f"{r.sns_publishes:,}",
                f"{r.peak_memory_mb:.1f}",
                f"{r.transitions_notified}/{r.transitions_made}",
                f"{r.throttle_bound_seconds:.1f}",
            )
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


# A target's verdict: met, missed, or None when this run measured nothing it could judge it on.
Check = tuple[bool | None, str]


def targets(results: list[Result]) -> list[Check]:
    ours = {(r.n, r.a): r for r in results if r.poller == "notifier"}
    naive = {(r.n, r.a): r for r in results if r.poller == "naive"}
    checks: list[Check] = []
    idle_target = f"idle poll, {RESTING_CAMPAIGNS} campaigns at rest: 0 Personalize calls and 1 DynamoDB query"
    idle = [r for (n, a), r in ours.items() if a == 0]
    if idle:
        checks.append(
            (
                all(r.personalize_calls == 0 and r.dynamodb_reads == 1 and r.dynamodb_writes == 0 for r in idle),
                f"{idle_target} at each N: "
                + ", ".join(f"N={r.n:,}: {r.personalize_calls} calls/{r.dynamodb_reads} query" for r in idle),
            )
        )
    else:
        checks.append((None, f"{idle_target} (needs a scenario with A=0)"))
    if (10_000, 100) in ours:
        ratio = naive[(10_000, 100)].personalize_calls / max(1, ours[(10_000, 100)].personalize_calls)
        checks.append((ratio >= 10, f"N=10,000, A=100: {ratio:.0f}x fewer Personalize calls than the naive poller"))
    else:
        checks.append((None, "10x fewer Personalize calls than the naive poller (needs N=10,000, A=100)"))
    bounded = [(n, r) for (n, a), r in sorted(ours.items()) if a == 1000]
    for n, r in bounded:
        within = r.wall_seconds <= 1.2 * r.throttle_bound_seconds
        complete = r.transitions_notified == r.transitions_made
        checks.append(
            (
                within and complete,
                f"N={n:,}, A=1,000: {r.wall_seconds:.1f} s against a bound of {r.throttle_bound_seconds:.0f} s "
                f"(limit {1.2 * r.throttle_bound_seconds:.0f} s), {r.transitions_notified}/{r.transitions_made} "
                "transitions notified",
            )
        )
    if not bounded:
        checks.append((None, "A=1,000 within 1.2x the throttle bound, every transition notified (needs A=1,000)"))
    return checks


def print_targets(checks: list[Check]) -> None:
    print("\nTargets:")
    for verdict, text in checks:
        print(f"  {VERDICT_MARKS[verdict]} {text}")


VERDICT_MARKS = {True: "✓", False: "✗", None: "- not measured:"}


def verdict(checks: list[Check]) -> int:
    """Exit 0 when no target was missed (one not measured is not missed; it is printed as such)."""
    return 1 if any(passed is False for passed, _ in checks) else 0


def chart(results: list[Result], path: Path, measured: dict[str, str] | None = None) -> None:
    import matplotlib  # noqa: PLC0415 - only the benchmark needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    ours = [r for r in results if r.poller == "notifier"]
    naive = {(r.n, r.a): r for r in results if r.poller == "naive"}
    labels = [f"N={r.n:,}\nA={r.a:,}" for r in ours]
    positions = range(len(ours))
    figure, (calls_axis, time_axis) = plt.subplots(2, 1, figsize=(12, 8), sharex=True)
    stamp_chart(figure, measured)
    width = 0.38
    calls_axis.bar(
        [p - width / 2 for p in positions],
        [r.personalize_calls or float("nan") for r in ours],
        width,
        label="notifier",
        color="#2b7bba",
    )
    for position, r in zip(positions, ours, strict=True):
        if r.personalize_calls == 0:  # a log scale has no zero: say it in words
            calls_axis.text(position - width / 2, 1.1, "0", ha="center", color="#2b7bba", fontweight="bold")
    calls_axis.bar(
        [p + width / 2 for p in positions],
        [max(naive[(r.n, r.a)].personalize_calls, 0.8) for r in ours],
        width,
        label="naive",
        color="#d95f02",
    )
    calls_axis.set_yscale("log")
    calls_axis.set_ylabel("Personalize calls per poll")
    calls_axis.legend()
    time_axis.bar(
        [p - width / 2 for p in positions],
        [max(r.wall_seconds, 0.01) for r in ours],
        width,
        label="notifier (measured)",
        color="#2b7bba",
    )
    time_axis.bar(
        [p + width / 2 for p in positions],
        [max(naive[(r.n, r.a)].wall_seconds, 0.01) for r in ours],
        width,
        label="naive (bound from its calls)",
        color="#d95f02",
    )
    time_axis.scatter(
        list(positions),
        [max(r.throttle_bound_seconds, 0.01) for r in ours],
        marker="_",
        s=600,
        color="black",
        label="throttle bound A / rate",
        zorder=3,
    )
    time_axis.set_yscale("log")
    time_axis.set_ylabel("seconds per poll")
    time_axis.set_xticks(list(positions), labels)
    time_axis.legend()
    figure.suptitle("Cost of one poll (emulated Personalize: 50 ms per call, 10 requests/s)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=50.0, help="emulated latency per Personalize call")
    parser.add_argument("--rate", type=float, default=10.0, help="emulated throttle, requests per second")
    parser.add_argument("--quick", action="store_true", help="N in 100, 1,000 and A in 0, 10, 100 only")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="where results and the chart go")
    parser.add_argument("--replot", action="store_true", help="redraw the chart from the last results.json")
    parser.add_argument(
        "--client-rate", type=float, default=None, help="pace the notifier's calls (PERSONALIZE_MAX_RPS); default off"
    )
    parser.add_argument("--only", help="run just these scenarios, as N:A pairs: --only 10000:100,1000:1000")
    parser.add_argument(
        "--notice",
        action="store_true",
        help="time to notice and its cost: the notifier's default and fast modes beside the peers' schedules",
    )
    parser.add_argument(
        "--organization",
        action="store_true",
        help="one notifier reading 100 member accounts in 2 regions, beside the same jobs in one account",
    )
    parser.add_argument(
        "--usage",
        action="store_true",
        help="what reading usage costs: 1,000 ACTIVE campaigns, an hour of polls (CloudWatch calls, table reads)",
    )
    parser.add_argument(
        "--models",
        action="store_true",
        help="the lifecycle of models alone: calls to assess trained versions and to keep expected cadences",
    )
    args = parser.parse_args(argv)
    if args.models:
        return part_alone(args, "models", models)
    if args.usage:
        return part_alone(args, "usage", usage)
    if args.notice:
        return notice_main(args)
    if args.organization:
        return part_alone(args, "organization", organization)
    if args.replot:
        saved = json.loads((args.out / "results.json").read_text())
        chart([Result(**r) for r in saved["results"]], args.out / "poll-cost.png", saved.get("measured"))
        return 0
    sizes = (100, 1_000) if args.quick else (100, 1_000, 10_000)
    actives = (0, 10, 100) if args.quick else (0, 10, 100, 1_000)
    args.out.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    naive_cache: dict[int, Result] = {}
    only = {tuple(int(x) for x in pair.split(":")) for pair in args.only.split(",")} if args.only else None
    for n in sizes:
        for a in actives:
            if a > n or (only is not None and (n, a) not in only):
                continue
            print(f"  N={n:,} A={a:,} ...", file=sys.stderr, flush=True)
            results += scenario(n, a, args, naive_cache)
    # The full grid also measures an organization's poll (the row `--organization` runs alone).
    whole = not args.quick and only is None
    if whole:
        print("  an organization: 100 member accounts x 2 regions ...", file=sys.stderr, flush=True)
        org_results, org_checks = organization.run(args)
        print("  usage: 1,000 ACTIVE campaigns, an hour of polls ...", file=sys.stderr, flush=True)
        usage_result, usage_checks = usage.run(args)
    # The lifecycle of models (quality and cadence) costs the same at any size: measured in the quick run too.
    print("  the lifecycle of models: 50 versions trained, 100 expectations ...", file=sys.stderr, flush=True)
    models_result, models_checks = models.run(args)
    cold = cold_start_seconds()
    print(render_table(results))
    print(f"\nHandler cold-start import time: {cold * 1000:.0f} ms (median of 5 fresh interpreters)")
    checks = targets(results)
    if whole:
        print("\n" + organization.render(org_results))
        checks += org_checks
        print("\n" + usage.render(usage_result))
        checks += usage_checks
    print("\n" + models.render(models_result))
    checks += models_checks
    print_targets(checks)
    results_file = args.out / "results.json"
    kept = json.loads(results_file.read_text()) if results_file.exists() else {}  # --notice's figures stay
    kept.update({"models": models.as_json(models_result), "models_measured": measured_on()})
    kept.update({"cold_start_seconds": cold, "results": [asdict(r) for r in results], "measured": measured_on()})
    if whole:
        kept.update({"organization": organization.as_json(org_results), "organization_measured": measured_on()})
        kept.update({"usage": usage.as_json(usage_result), "usage_measured": measured_on()})
    results_file.write_text(json.dumps(kept, indent=2))
    chart(results, args.out / "poll-cost.png", measured_on())
    print(f"\nWrote {args.out / 'results.json'} and {args.out / 'poll-cost.png'}")
    return verdict(checks)


def notice_main(args: argparse.Namespace) -> int:
    """`--notice`: adds `notice_latency` to results.json (the other results there are kept) and a chart."""
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows, waits, checks = notice.run(args.latency_ms, args.out)
    print(notice.render(rows))
    print("\n" + notice.render_waits(waits))
    print(f"\nPrices: {notice.PRICES_AS_OF}. Simulated in {time.perf_counter() - started:.0f} s.")
    print_targets(checks)
    results_file = args.out / "results.json"
    saved = json.loads(results_file.read_text()) if results_file.exists() else {}
    saved["notice_latency"] = rows
    saved["wait_latency"] = waits
    saved["wait_measured"] = measured_on()
    saved["notice_measured"] = measured_on()
    results_file.write_text(json.dumps(saved, indent=2))
    print(f"\nWrote {results_file} (notice_latency) and {args.out / 'notice-latency.png'}")
    return verdict(checks)


def part_alone(args: argparse.Namespace, name: str, part: Any) -> int:
    """`--models`, `--usage`, `--organization`: one part of the benchmark, added to results.json under its name (the
    other results there are kept)."""
    args.out.mkdir(parents=True, exist_ok=True)
    result, checks = part.run(args)
    print(part.render(result))
    print_targets(checks)
    print(f"\nWrote {keep_results(args.out, **{name: part.as_json(result)})} ({name})")
    return verdict(checks)


def keep_results(out: Path, **measured: object) -> Path:
    """Write these results into results.json, each with when and where it was measured; the others stay."""
    results_file = out / "results.json"
    saved = json.loads(results_file.read_text()) if results_file.exists() else {}
    for name, value in measured.items():
        saved[name], saved[f"{name}_measured"] = value, measured_on()
    results_file.write_text(json.dumps(saved, indent=2))
    return results_file


if __name__ == "__main__":
    sys.exit(main())
