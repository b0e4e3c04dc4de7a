"""`make docs`: the parts of the README and of the documentation's pages (docs/) that the code produces, written
between markers so they cannot go stale.

Each generated part sits between `<!-- generated: NAME (make docs) -->` and `<!-- end: NAME -->`, on any page
(the same part may stand on more than one: the README and the site's home page both show the email). The
deterministic ones (the CLI's help, the context options, the construct's properties, the Lambda environment)
are rendered from the code; the demo's transcript from a run of it; the benchmark tables from
docs/bench-results.json, with the date and the machine they were measured on. Tests hold each part equal to
what the code (or that file) produces now; `make docs` re-runs the demo and the benchmarks and rewrites them.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = REPO / "docs"
ARCHITECTURE = DOCS / "architecture.md"
BENCH_RESULTS = REPO / "docs" / "bench-results.json"
# argparse wraps help to the terminal: the README's is rendered at this width, whatever the terminal.
HELP_COLUMNS = "100"
_SECTION = re.compile(
    r"(?P<start><!-- generated: (?P<name>[a-z-]+) \(make docs\) -->\n)(?P<body>.*?)(?P<end><!-- end: (?P=name) -->)",
    re.DOTALL,
)


class ReadmeError(RuntimeError):
    pass


def sections(readme: str) -> dict[str, str]:
    """The generated parts of a README, by name."""
    return {match["name"]: match["body"] for match in _SECTION.finditer(readme)}


def pages() -> list[Path]:
    """Every page a part may stand on: the README and the site's pages."""
    return [README, *sorted(DOCS.glob("*.md"))]


def all_sections() -> dict[str, str]:
    """Every generated part of every page, by name; a part that stands on two pages must read the same on both."""
    found: dict[str, tuple[Path, str]] = {}
    for page in pages():
        for name, body in sections(page.read_text()).items():
            if name in found and found[name][1] != body:
                raise ReadmeError(f"{name} differs between {found[name][0].name} and {page.name}: run `make docs`")
            found.setdefault(name, (page, body))
    return {name: body for name, (_, body) in found.items()}


def page_with(name: str) -> Path:
    """The first page that holds this part."""
    for page in pages():
        if name in sections(page.read_text()):
            return page
    raise ReadmeError(f"no page has markers for {name}")


def write_all(generated: dict[str, str]) -> list[Path]:
    """Each part written on every page that holds it; a part no page holds is an error. The pages rewritten."""
    missing = set(generated) - set(all_sections())
    if missing:
        raise ReadmeError(f"no page has markers for {', '.join(sorted(missing))}")
    changed = []
    for page in pages():
        before = page.read_text()
        after = with_sections(before, {k: v for k, v in generated.items() if k in sections(before)})
        if after != before:
            page.write_text(after)
            changed.append(page)
    return changed


def with_sections(readme: str, generated: dict[str, str]) -> str:
    """The README with these parts replaced; a part it lacks a marker for is an error, not dropped."""
    missing = set(generated) - set(sections(readme))
    if missing:
        raise ReadmeError(f"README.md has no markers for {', '.join(sorted(missing))}")

    def replace(match: re.Match[str]) -> str:
        body = generated.get(match["name"], match["body"])
        return match["start"] + body.rstrip("\n") + "\n" + match["end"]

    return _SECTION.sub(replace, readme)


# --- the deterministic parts ---


def cli_help() -> str:
    from notifier.cli.options import build_parser  # noqa: PLC0415

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_COLUMNS
    try:
        text = build_parser().format_help()
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    return f"```\n$ notifier --help\n{text.rstrip()}\n```\n"


def context_options() -> str:
    from infra.context_options import CONTEXT_OPTIONS  # noqa: PLC0415

    rows = [f"| `{name}` | {what} | {default} |" for name, (what, default) in CONTEXT_OPTIONS.items()]
    return "\n".join(["| context option | what it does | default |", "| --- | --- | --- |", *rows]) + "\n"


def lambda_environment() -> str:
    from notifier.app.settings import ENVIRONMENT  # noqa: PLC0415

    rows = [f"| `{name}` | {meaning} | {default} |" for name, (meaning, default) in ENVIRONMENT.items()]
    return "\n".join(["| variable | meaning | default |", "| --- | --- | --- |", *rows]) + "\n"


def construct_properties() -> str:
    """The construct's keyword properties as its signature has them (imports the CDK: jsii starts Node)."""
    from notifier_local.node import NODE_VARIABLE, node_executable  # noqa: PLC0415

    os.environ.setdefault(NODE_VARIABLE, node_executable())
    from infra.construct import PersonalizeJobNotifier  # noqa: PLC0415
    from infra.context_options import CONTEXT_OPTIONS  # noqa: PLC0415

    own = {
        "topic": "an SNS topic of yours to publish to, instead of one the construct creates",
        "topic_key": "the KMS key that encrypts `topic`, so the poll may publish to it",
    }
    rows = []
    for parameter in inspect.signature(PersonalizeJobNotifier.__init__).parameters.values():
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), parameter.name)
        what = own.get(parameter.name) or f"as `-c {camel}`: {CONTEXT_OPTIONS[camel][0]}"
        default = "none" if parameter.default in (None, ()) else f"`{parameter.default!r}`"
        rows.append(f"| `{parameter.name}` | {what} | {default} |")
    return "\n".join(["| property | what it does | default |", "| --- | --- | --- |", *rows]) + "\n"


# --- the demo ---

# What differs from one run of the demo to the next: the port, times, ids, CloudFormation's names.
_RUN_SPECIFIC = [
    (re.compile(r"localhost:\d+"), "localhost:PORT"),
    (re.compile(r"\(\+\d+\.\d s\)"), "(+T)"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"), "DATE"),
    (re.compile(r"\d{1,2}:\d\d:\d\d [AP]M"), "TIME"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "UUID"),
    (re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{8}(?![0-9A-Za-z])"), "HEX"),  # solution version IDs, asset hashes
    (re.compile(r"-[A-Z0-9]{8,13}\b"), "-CFNID"),
    (re.compile(r"\d+(?:\.\d+)? s\b"), "N s"),
    (re.compile(r"\d+ h \d+ min"), "H h M min"),
    (re.compile(r'"durationSeconds": [\d.]+'), '"durationSeconds": N'),
]


def run_specific_removed(transcript: str) -> str:
    """A transcript with what differs between runs replaced by placeholders, for comparing two runs."""
    for pattern, placeholder in _RUN_SPECIFIC:
        transcript = pattern.sub(placeholder, transcript)
    return "\n".join(line.rstrip() for line in transcript.splitlines())


def demo_outline(transcript: str) -> list[str]:
    """The steps and checks of a demo run, without their times: what every run prints alike."""
    lines = transcript.splitlines()
    steps = [re.sub(r"\s+\(\+[\d.]+ s\)$", "", line) for line in lines if re.match(r"\[\d+/\d+\] ", line)]
    checks = [line for line in lines if line.strip().startswith(("✓", "✗"))]
    return [*steps, "Checks:", *checks]


def demo_section(transcript: str) -> str:
    outline = "\n".join(demo_outline(transcript))
    return (
        f"```\n{outline}\n```\n\n<details markdown><summary>The whole transcript of one run</summary>\n\n"
        f"```\n{transcript.rstrip()}\n```\n\n</details>\n"
    )


def demo_transcript() -> str:
    """`notifier demo` as `make demo` runs it, in its own process."""
    done = subprocess.run(
        [sys.executable, "-m", "notifier", "demo"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ReadmeError(f"the demo failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def demo_part(readme: str, transcript: str) -> str:
    """The README's demo part for this run; the one it has when the run differs only in what every run does
    (its port, times, ids), so `make docs` right after `make docs` changes nothing."""
    if "demo" in sections(readme) and run_specific_removed(demo_in_readme(readme)) == run_specific_removed(transcript):
        transcript = demo_in_readme(readme)
    return demo_section(transcript)


def demo_in_readme(readme: str) -> str:
    """The whole transcript the README shows."""
    body = sections(readme)["demo"]
    return body.split("<summary>The whole transcript of one run</summary>\n\n```\n", 1)[1].split("\n```", 1)[0]


# --- the benchmarks ---


def _measured(stamp: dict[str, str] | None) -> str:
    if not stamp:
        return "measured on an unrecorded date and machine"
    return (
        f"measured {stamp['date']} on {stamp['machine']} (Python {stamp['python']}, moto {stamp['moto']}; "
        "`docs/bench-results.json`)"
    )


def performance(results: dict[str, Any]) -> str:
    ours = {(r["n"], r["a"]): r for r in results["results"] if r["poller"] == "notifier"}
    naive = {(r["n"], r["a"]): r for r in results["results"] if r["poller"] == "naive"}
    rows = [
        "| N | A | poll wall s | Personalize calls (throttled) | DDB reads / writes | naive calls | naive s (bound) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (n, a), r in sorted(ours.items(), key=lambda item: (item[0][1], item[0][0])):
        other = naive.get((n, a))
        naive_cells = (
            f"{other['personalize_calls']:,} | {'≥ ' if other['wall_is_bound'] else ''}{other['wall_seconds']:,.0f}"
            if other
            else "- | -"
        )
        wall = f"{r['wall_seconds']:.2f}" if r["wall_seconds"] < 1 else f"{r['wall_seconds']:.1f}"
        rows.append(
            f"| {n:,} | {a:,} | {wall} | {r['personalize_calls']:,} ({r['throttled']}) | "
            f"{r['dynamodb_reads']} / {r['dynamodb_writes']} | {naive_cells} |"
        )
    from bench.__main__ import VERDICT_MARKS, Result, targets  # noqa: PLC0415 - the bench's own dependencies

    checks = targets([Result(**r) for r in results["results"]])
    verdicts = [f"- {VERDICT_MARKS[passed]} {text}" for passed, text in checks]
    peak = max((r["peak_memory_mb"] for r in ours.values()), default=0.0)
    cold = results.get("cold_start_seconds")
    after = f"Peak Python memory during a poll: {peak:.1f} MB." + (
        f" The poll handler's cold-start import: {cold * 1000:.0f} ms (median of 5 fresh interpreters)." if cold else ""
    )
    return (
        f"Figures {_measured(results.get('measured'))}:\n\n"
        + "\n".join(rows)
        + "\n\nTargets, as the benchmark reports them:\n"
        + "\n".join(verdicts)
        + f"\n\n{after}\n"
        + organization_performance(results)
        + models_performance(results)
    )


def models_performance(results: dict[str, Any]) -> str:
    """The lifecycle of models: calls to assess each trained version and to keep expected cadences."""
    from bench import models  # noqa: PLC0415 - the bench's own dependencies
    from bench.__main__ import VERDICT_MARKS  # noqa: PLC0415

    measured = results.get("models")
    if not measured:
        return "\nThe lifecycle of models: not measured yet (`python -m bench --models`).\n"
    checks = models.targets(models.ModelsResult(**measured))
    return (
        f"\nThe lifecycle of models ({models.SOLUTIONS} solutions training {models.VERSIONS} versions each, then "
        f"{models.EXPECTATIONS} expected cadences), {_measured(results.get('models_measured'))}:\n\n"
        + "\n".join(f"- {VERDICT_MARKS[passed]} {text}" for passed, text in checks)
        + "\n\nA solution's first assessed version costs one listing more (to find the version before it); later "
        "ones compare with the metrics kept in the table. `python -m bench --models` runs these alone.\n"
    )


def organization_performance(results: dict[str, Any]) -> str:
    """The organization row: 100 member accounts x 2 regions, beside the same jobs in one account."""
    from bench import organization  # noqa: PLC0415 - the bench's own dependencies

    measured = results.get("organization")
    if not measured:
        return "\nAn organization's poll: not measured yet (`make bench` measures it).\n"
    rows = [
        "| layout | accounts with running jobs | poll wall s | Personalize calls | AssumeRole calls "
        "| AssumeRole, next poll |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in measured:
        rows.append(
            f"| {r['layout']} | {r['accounts_with_active_jobs']} | {r['wall_seconds']:.1f} "
            f"| {r['personalize_calls']:,} | {r['assume_role_calls']} | {r['warm_assume_role_calls']} |"
        )
    checks = organization.targets([organization.OrganizationResult(**r) for r in measured])
    from bench.__main__ import VERDICT_MARKS  # noqa: PLC0415

    return (
        f"\nOne notifier for an organization: {organization.MEMBERS} member accounts x {len(organization.REGIONS)} "
        f"regions, N = {organization.WATCHED:,} watched, A = {organization.ACTIVE} running over "
        f"{organization.ACCOUNTS_ACTIVE} accounts, beside the same jobs in one account (the emulated latency on "
        f"AssumeRole too; one throttle for all accounts, where AWS gives each account its own), "
        f"{_measured(results.get('organization_measured'))}:\n\n"
        + "\n".join(rows)
        + "\n\n"
        + "\n".join(f"- {VERDICT_MARKS[passed]} {text}" for passed, text in checks)
        + "\n\nThe organization's poll is the faster one here: each account and region has a Personalize client of"
        " its own, whose adaptive retries back off on that client's throttling alone, where one account's calls"
        " share two clients that back off together. The running jobs are two per dataset, so each is described"
        " (listing pays from three). `python -m bench --organization` runs these two alone.\n"
    )


WAIT_LABELS = {
    "wait-describing": "`notifier wait`, describing each job itself",
    "wait-on-table": "`notifier wait` on the table of a fast-mode poll (its own looks read the table)",
    "step-functions-backoff": "Step Functions loop with back-off",
}
NOTICE_LABELS = {
    "notifier-default": "notifier, default (a poll a minute)",
    "notifier-fast": "notifier, fast mode (`recheckSeconds=10`)",
    "monitor-5min": "monitor, every 5 minutes",
    "step-functions-backoff": "Step Functions loop with back-off",
}


def time_to_notice(results: dict[str, Any]) -> str:
    rows = [
        "| strategy | p50 | p95 | idle, per month | per running job-hour |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in results["notice_latency"]:
        rows.append(
            f"| {NOTICE_LABELS.get(row['strategy'], row['strategy'])} | {row['p50_seconds']:.0f} s | "
            f"{row['p95_seconds']:.0f} s | ${row['idle_usd_per_month']:.3f} | ${row['usd_per_active_job_hour']:.6f} |"
        )
    waits = results.get("wait_latency")
    waited = ""
    if waits:
        lines = ["| a pipeline waits by | p50 | p95 | describes per waited hour |", "| --- | ---: | ---: | ---: |"]
        lines += [
            f"| {WAIT_LABELS.get(w['strategy'], w['strategy'])} | {w['p50_seconds']:.0f} s | {w['p95_seconds']:.0f} s "
            f"| {w['describes_per_waited_hour']:.1f} |"
            for w in waits
        ]
        waited = (
            "\nA pipeline waiting on each of the same jobs from its creation (`notifier wait`), beside the loop, "
            f"{_measured(results.get('wait_measured') or results.get('notice_measured'))}:\n\n"
            + "\n".join(lines)
            + "\n"
        )
    else:
        waited = "\nA pipeline's wait: not measured yet (`make bench ARGS=--notice`).\n"
    return f"One run, {_measured(results.get('notice_measured'))}:\n\n" + "\n".join(rows) + "\n" + waited


# --- all of it ---


def email_example() -> str:
    """The top of the email a finished export sends, as the golden file the renderer is held to has it."""
    lines = (REPO / "tests" / "golden" / "active.email.txt").read_text().splitlines()
    return "```\n" + "\n".join(lines[: lines.index("Details")]).rstrip() + "\n...\n```\n"


def model_lifecycle_example() -> str:
    """The messages of the lifecycle of models, as the renderer writes them: a regressed version's email (the
    golden file), the subjects of every verdict, a campaign moved to a regressed version, an overdue cadence's
    email and its recovery."""
    from dataclasses import replace  # noqa: PLC0415
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    from notifier.domain.cadence import after_look, expect, met  # noqa: PLC0415
    from notifier.domain.quality import assess  # noqa: PLC0415
    from notifier.rendering.expectations import render_expectation  # noqa: PLC0415
    from notifier.rendering.jobs import render  # noqa: PLC0415
    from tests.unit.test_renderings import VERSIONS, campaign_updated, trained, with_assessment  # noqa: PLC0415

    key = "normalized_discounted_cumulative_gain_at_25"
    before = (VERSIONS[0], {key: 0.25})
    verdicts = {
        "first": assess(VERSIONS[1], {key: 0.25}, None),
        "improved": assess(VERSIONS[1], {key: 0.3125}, before),
        "unchanged": assess(VERSIONS[1], {key: 0.255}, before),
        "regressed": assess(VERSIONS[1], {key: 0.2}, before),
        "unknown": assess(VERSIONS[1], None, None, missing="ResourceInUseException: Resource is in use"),
    }
    subjects = []
    for name, assessment in verdicts.items():
        job = with_assessment(trained(), assessment)
        subjects.append(f"{name + ':':<11} {render(job, job.pending[-1]).subject}")
    moved = with_assessment(campaign_updated(), verdicts["regressed"])
    subjects.append(f"{'campaign:':<11} {render(moved, moved.pending[-1]).subject}")
    regressed = (REPO / "tests" / "golden" / "version_regressed.email.txt").read_text().splitlines()
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    group = "arn:aws:personalize:us-east-1:123456789012:dataset-group/retail"
    nightly = "arn:aws:personalize:us-east-1:123456789012:dataset-import-job/nightly-2026-11-23"
    expectation = met(expect(group, timedelta(hours=26), start), "2026-11-23T02:40:00.000Z", nightly, start)
    assert expectation is not None
    overdue = after_look(expectation, start + timedelta(hours=30))
    late = render_expectation(overdue, overdue.owed[0])
    recovered = met(replace(overdue, owed=()), "2026-11-24T09:10:00.000Z", nightly.replace("23", "24"), start)
    assert recovered is not None
    back = render_expectation(recovered, recovered.owed[-1])
    return (
        "A version that finished training, worse than the one before (email):\n\n```\n"
        + "\n".join(regressed[: regressed.index("Details")]).rstrip()
        + "\n...\n```\n\nThe subject of each verdict, and of a syncing campaign moved to the regressed "
        "version:\n\n```\n"
        + "\n".join(subjects)
        + "\n```\n\nAn expected cadence not met (email), and the notice when it is met again:\n\n```\n"
        + late.bodies["email"].rstrip()
        + f"\n```\n\n```\n{back.subject}\n```\n"
    )


def show_example() -> str:
    """`notifier show` of an export that ran an hour, as the CLI renders it."""
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    from notifier.cli.output import render_show  # noqa: PLC0415
    from notifier.domain import watched  # noqa: PLC0415
    from notifier.domain.arns import parse_arn  # noqa: PLC0415

    arn = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly-users"
    start, lease = datetime(2026, 11, 24, 9, 0, tzinfo=UTC), timedelta(minutes=2)
    job = watched.start_watching(
        parse_arn(arn),
        start,
        watched.Snapshot(
            status="CREATE PENDING",
            parent_arn="arn:aws:personalize:us-east-1:123456789012:dataset/retail/INTERACTIONS",
            facts=(("Ingestion mode", "BULK"),),
            output_path="s3://acme-exports/nightly/",
        ),
    )
    for minutes, status in ((5, "CREATE IN_PROGRESS"), (72, "ACTIVE")):
        job = watched.observe(job, watched.Snapshot(status=status), start + timedelta(minutes=minutes), lease) or job
    told = dataclasses.replace(job, pending=())  # both notifications published
    return f"```\n$ notifier show {arn}\n{render_show(told).rstrip()}\n```\n"


def layers() -> str:
    """The import contract of pyproject.toml as a table: each layer, top to bottom, and what it may import."""
    import tomllib  # noqa: PLC0415

    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    [layered] = [contract for contract in contracts if contract["type"] == "layers"]
    [container] = layered["containers"]
    floors = [[name.strip() for name in layer.split("|")] for layer in layered["layers"]]
    rows = ["| layer | folders | may import | siblings |", "| --- | --- | --- | --- |"]
    for number, names in enumerate(floors, start=1):
        below = [name for layer in floors[number:] for name in layer]
        folders = ", ".join(f"`{container}.{name}`" for name in names)
        may = ", ".join(f"`{name}`" for name in below) or "nothing of the notifier's"
        apart = "independent of each other" if len(names) > 1 else ""
        rows.append(f"| {number} | {folders} | {may} | {apart} |")
    others = [f"- {contract['name']}" for contract in contracts if contract["type"] != "layers"]
    return "\n".join([*rows, "", "And:", *others]) + "\n"


# --- figures: a number a page states in its prose, written by `make docs` from the code or the benchmark ---

_FIGURE = re.compile(r"<!-- figure: (?P<name>[a-z0-9-]+) -->(?P<value>.*?)<!-- /figure -->")


def figures_of(text: str) -> list[tuple[str, str]]:
    """Each figure a page states: (name, the value it shows)."""
    return [(match["name"], match["value"]) for match in _FIGURE.finditer(text)]


def with_figures(text: str, values: dict[str, str]) -> str:
    """The page with each figure's value as `values` has it (a figure it lacks is left as it is)."""
    return _FIGURE.sub(
        lambda m: f"<!-- figure: {m['name']} -->{values.get(m['name'], m['value'])}<!-- /figure -->", text
    )


def _strategy(name: str) -> dict[str, Any]:
    [found] = [entry for entry in _notice_latency() if entry["strategy"] == name]
    return found


@functools.cache
def _notice_latency() -> list[dict[str, Any]]:
    return json.loads(BENCH_RESULTS.read_text())["notice_latency"]


def _shown_demo() -> str:
    return demo_in_readme(page_with("demo").read_text())


def _demo_seconds() -> str:
    [seconds] = re.findall(r"^Demo passed in (\d+) s", _shown_demo(), flags=re.MULTILINE)
    return seconds


def _demo_steps() -> str:
    return str(sum(1 for line in demo_outline(_shown_demo()) if re.match(r"\[\d+/\d+\] ", line)))


def _dollars(value: float) -> str:
    return f"${value:.6f}".rstrip("0").rstrip(".") if value < 0.01 else f"${value:.3f}"


def _waiting(name: str) -> str:
    from notifier.usecases import waiting  # noqa: PLC0415

    return f"{getattr(waiting, name):g}"


def _figure_table() -> dict[str, Callable[[], str]]:
    from infra.settings import (  # noqa: PLC0415
        ALARM_PERIOD_MINUTES,
        HEARTBEATS_PER_BEAT_TIMEOUT,
        KEPT_EVENTS_DAYS,
        LAMBDA_MEMORY_MB,
        LOG_RETENTION_DAYS,
        POLL_EVENT_MAX_AGE_SECONDS,
        SHORTEST_DEFAULT_HEARTBEAT_MINUTES,
        WAIT_TIMEOUT_DAYS,
        DeploySettings,
        poll_timeout_seconds,
    )
    from notifier.adapters.usage import MAX_QUERIES_PER_CALL  # noqa: PLC0415
    from notifier.app.settings import Settings  # noqa: PLC0415
    from notifier.cli.options import PLAYGROUND_POLL_SECONDS  # noqa: PLC0415
    from notifier.domain.usage import (  # noqa: PLC0415
        DEFAULT_IDLE_HOURS,
        DEFAULT_READ_EVERY,
        DEFAULT_REPEAT_HOURS,
        DEFAULT_UNDERUSED_PERCENT,
        LONGEST_WINDOW_HOURS,
    )
    from notifier.domain.watched import WAKE_WINDOW  # noqa: PLC0415
    from notifier.rendering.envelope import REASON_CAP_CHARS  # noqa: PLC0415
    from notifier.usecases.tracking import TASKS_PER_RECORD  # noqa: PLC0415

    default, loop = (lambda: _strategy("notifier-default")), (lambda: _strategy("step-functions-backoff"))
    return {
        "demo-seconds": _demo_seconds,
        "demo-steps": _demo_steps,
        "per-job-hour": lambda: _dollars(default()["usd_per_active_job_hour"]),
        "idle-per-month": lambda: _dollars(default()["idle_usd_per_month"]),
        "loop-times-default": lambda: f"{loop()['usd_per_active_job_hour'] / default()['usd_per_active_job_hour']:.0f}",
        "poll-timeout-seconds": lambda: str(poll_timeout_seconds(DeploySettings().poll_minutes)),
        "kept-days": lambda: str(KEPT_EVENTS_DAYS),
        "stuck-minutes": lambda: str(DeploySettings().stuck_after_minutes),
        "wake-minutes": lambda: f"{WAKE_WINDOW.total_seconds() / 60:g}",
        "wait-first-seconds": lambda: _waiting("FIRST_INTERVAL_SECONDS"),
        "wait-growth": lambda: _waiting("GROWTH"),
        "wait-longest-seconds": lambda: _waiting("LONGEST_INTERVAL_SECONDS"),
        "wait-table-seconds": lambda: _waiting("LONGEST_TABLE_INTERVAL_SECONDS"),
        "wait-throttled-seconds": lambda: _waiting("THROTTLED_INTERVAL_SECONDS"),
        "wait-throttled-longest-seconds": lambda: _waiting("LONGEST_THROTTLED_SECONDS"),
        "wait-jitter-floor-percent": lambda: f"{(1 - float(_waiting('JITTER'))) * 100:g}",
        "wait-failures-in-a-row": lambda: _waiting("FAILURES_IN_A_ROW"),
        "tasks-per-record": lambda: str(TASKS_PER_RECORD),
        "playground-poll-seconds": lambda: str(PLAYGROUND_POLL_SECONDS),
        "describes-in-parallel": lambda: str(Settings.__dataclass_fields__["max_concurrency"].default),
        "poll-timeout-longest-seconds": lambda: str(poll_timeout_seconds(24 * 60)),
        "poll-event-max-age-seconds": lambda: str(POLL_EVENT_MAX_AGE_SECONDS),
        "lambda-memory-mb": lambda: str(LAMBDA_MEMORY_MB),
        "log-retention-days": lambda: str(LOG_RETENTION_DAYS),
        "alarm-period-minutes": lambda: str(ALARM_PERIOD_MINUTES),
        "reason-cap-characters": lambda: f"{REASON_CAP_CHARS:,}",
        "fast-mode-example-seconds": lambda: str(notice_recheck()),
        "usage-idle-hours": lambda: str(DEFAULT_IDLE_HOURS),
        "usage-queries-per-call": lambda: str(MAX_QUERIES_PER_CALL),
        "wait-task-timeout-days": lambda: str(WAIT_TIMEOUT_DAYS),
        "wait-task-heartbeat-polls": lambda: str(HEARTBEATS_PER_BEAT_TIMEOUT),
        "wait-task-heartbeat-minutes": lambda: str(SHORTEST_DEFAULT_HEARTBEAT_MINUTES),
        "usage-underused-percent": lambda: f"{DEFAULT_UNDERUSED_PERCENT:g}",
        "usage-repeat-hours": lambda: str(DEFAULT_REPEAT_HOURS),
        "usage-read-every-minutes": lambda: f"{DEFAULT_READ_EVERY.total_seconds() / 60:g}",
        "usage-window-longest-days": lambda: f"{LONGEST_WINDOW_HOURS / 24:g}",
        **_usage_bench_figures(),
        **_bench_figures(),
        **_webhook_figures(),
    }


def _webhook_figures() -> dict[str, Callable[[], str]]:
    """What the webhooks send and how often (notifier.rendering.webhooks, infra.webhooks, infra.context_values)."""
    from infra.context_values import PAGERDUTY_ROUTING_KEY_CHARS  # noqa: PLC0415
    from infra.webhooks import INVOCATIONS_PER_SECOND, RETRY_HOURS  # noqa: PLC0415
    from notifier.rendering import webhooks  # noqa: PLC0415

    return {
        "webhook-retry-hours": lambda: str(RETRY_HOURS),
        "webhook-invocations-per-second": lambda: str(INVOCATIONS_PER_SECOND),
        "pagerduty-routing-key-chars": lambda: str(PAGERDUTY_ROUTING_KEY_CHARS),
        "pagerduty-summary-chars": lambda: str(webhooks.PAGERDUTY_SUMMARY_MAX_CHARS),
        "discord-content-chars": lambda: str(webhooks.DISCORD_CONTENT_MAX_CHARS),
        "slack-text-chars": lambda: str(webhooks.SLACK_TEXT_MAX_CHARS),
        "teams-text-chars": lambda: str(webhooks.TEAMS_TEXT_MAX_CHARS),
    }


def _usage_bench_figures() -> dict[str, Callable[[], str]]:
    """What the benchmark measured of the hourly usage reading (bench/usage.py)."""

    def measured(name: str) -> Callable[[], str]:
        return lambda: f"{json.loads(BENCH_RESULTS.read_text())['usage'][name]:,}"

    return {
        "usage-bench-campaigns": measured("campaigns"),
        "usage-calls-per-hour": measured("cloudwatch_calls_per_hour"),
        "usage-metrics-per-hour": measured("metrics_requested_per_hour"),
        "usage-per-poll-calls-per-hour": measured("per_poll_design_calls_per_hour"),
        "usage-reading-writes": measured("reading_poll_dynamodb_writes"),
        "usage-reading-describes": measured("reading_poll_describe_calls"),
        "usage-idle-told": measured("idle_told"),
    }


def notice_recheck() -> int:
    """The fast mode the simulation runs (`recheckSeconds`), the pages' example of it."""
    from bench import notice  # noqa: PLC0415

    return notice.RECHECK_SECONDS


def _bench_figures() -> dict[str, Callable[[], str]]:
    """The time-to-notice simulation's scenario and prices, as bench/notice.py states them."""
    from bench import notice  # noqa: PLC0415 - the bench's own dependencies

    return {
        "bench-jobs-per-day": lambda: str(notice.JOBS_PER_DAY),
        "bench-shortest-minutes": lambda: f"{notice.SHORTEST / 60:g}",
        "bench-longest-hours": lambda: f"{notice.LONGEST / 3600:g}",
        "bench-dynamodb-ms": lambda: f"{notice.DYNAMODB_LATENCY * 1000:g}",
        "bench-monitor-minutes": lambda: f"{notice.MONITOR_PERIOD / 60:g}",
        "bench-loop-first-seconds": lambda: f"{notice.SFN_FIRST_WAIT:g}",
        "bench-loop-backoff": lambda: f"{notice.SFN_BACKOFF:g}",
        "bench-loop-checks": lambda: str(notice.SFN_MAX_CHECKS),
        "bench-prices-as-of": lambda: notice.PRICES_AS_OF,
        "price-lambda-million-requests": lambda: f"${notice.LAMBDA_PER_REQUEST * 1e6:.2f}",
        "price-lambda-gb-second": lambda: f"${notice.LAMBDA_PER_GB_SECOND:.10f}".rstrip("0"),
        "price-dynamodb-million-reads": lambda: f"${notice.DYNAMODB_PER_READ * 1e6:.3f}",
        "price-dynamodb-million-writes": lambda: f"${notice.DYNAMODB_PER_WRITE * 1e6:.3f}",
        "price-logs-gb": lambda: f"${notice.LOGS_PER_GB:.2f}",
        "price-step-functions-thousand": lambda: f"${notice.SFN_PER_TRANSITION * 1000:.3f}",
    }


def figures() -> dict[str, str]:
    """Every figure's value as the code and the recorded benchmark produce it now."""
    return {name: produce() for name, produce in _figure_table().items()}


SITE_HOME = DOCS / "index.md"


def usage_notices() -> str:
    """The usage notices, as the renderer writes them: an idle campaign's email (the golden file), an underused
    recommender's chat message (its golden file), and the subject of each verdict."""
    from notifier.rendering.jobs import render  # noqa: PLC0415
    from tests.unit.test_renderings import CAMPAIGN, serving, usage_told  # noqa: PLC0415

    idle = (REPO / "tests" / "golden" / "campaign_idle.email.txt").read_text().splitlines()
    chat = json.loads((REPO / "tests" / "golden" / "recommender_underused.chat.json").read_text())
    home = serving(
        CAMPAIGN, (("Minimum TPS", "10"),), "arn:aws:personalize:us-east-1:123456789012:solution/movies/3f1a"
    )
    cases = {
        "idle": [],
        "underused": [1800.0] * 23 + [7200.0],
        "in_use": [36_000.0] * 24,
    }
    subjects, before = [], home
    for name, hourly in cases.items():
        told = usage_told(before.evolve(pending=()), hourly)  # in use: after the idle spell before it
        subjects.append(f"{name + ':':<11} {render(told, told.pending[-1]).subject}")
        before = told if name == "idle" else before
    return (
        "A campaign nobody called (email):\n\n```\n"
        + "\n".join(idle[: idle.index("Details")]).rstrip()
        + "\n...\n```\n\nAn underused recommender, as Slack or Teams shows it (the chat notification's title and "
        "text):\n\n```\n"
        + chat["content"]["title"]
        + "\n"
        + chat["content"]["description"]
        + "\n```\n\nThe subjects (SNS keeps a subject under 100 characters):\n\n```\n"
        + "\n".join(subjects)
        + "\n```\n"
    )


def usage_example(transcript: str | None = None) -> str:
    """`notifier usage` as the demo ran it (the transcript the try-it page shows)."""
    lines = (transcript if transcript is not None else _shown_demo()).splitlines()
    start = lines.index("    $ notifier usage")
    table = [line.removeprefix("    │ ") for line in lines[start + 1 :]]
    shown = table[: next(i for i, line in enumerate(table) if line.startswith("    ") or not line.strip())]
    return "```\n$ notifier usage\n" + "\n".join(shown) + "\n```\n"


def state_machine_cdk() -> str:
    """The CDK state machine docs/pipelines.md gives, as written there."""
    page = (DOCS / "pipelines.md").read_text()
    return page.split("<!-- state-machine-cdk -->\n```python\n", 1)[1].split("\n```", 1)[0]


def synthesized_state_machine(outdir: Path) -> dict[str, Any]:
    """That code run as written (its app synthesized into `outdir`): the template of its stack."""
    from notifier_local.node import NODE_VARIABLE, node_executable  # noqa: PLC0415

    os.environ.setdefault(NODE_VARIABLE, node_executable())  # the CDK's own Node, whatever PATH has
    code = state_machine_cdk().replace("app = cdk.App()", f"app = cdk.App(outdir={str(outdir)!r})")
    exec(compile(code, "docs/pipelines.md (state-machine-cdk)", "exec"), {"__name__": "pipelines_state_machine"})
    return json.loads((outdir / "Retraining.template.json").read_text())


def state_machine_asl() -> str:
    """The Amazon States Language the CDK example synthesizes, its references written as a reader fills them in."""
    with tempfile.TemporaryDirectory(prefix="notifier-asl-") as scratch:
        template = synthesized_state_machine(Path(scratch))
    resources = template["Resources"]
    [machine] = [r for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    [track] = [
        k
        for k, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == "notifier.handlers.track.handler"
    ]
    pseudo = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012", "AWS::Region": "us-east-1"}

    def part(value: Any) -> str:
        if isinstance(value, str):
            return value
        if value.get("Fn::GetAtt") == [track, "Arn"]:
            return "TRACK_FUNCTION"
        return pseudo[value["Ref"]]

    definition = machine["Properties"]["DefinitionString"]
    text = "".join(part(p) for p in definition["Fn::Join"][1]) if isinstance(definition, dict) else definition
    return "```json\n" + json.dumps(json.loads(text), indent=2) + "\n```\n"


_HOME_NOTE = "<!-- docs/index.md is README.md, written by `make docs`: edit the README. -->\n"


def site_home() -> str:
    """The site's home page: the README, its links to docs/ made the site's own."""
    return _HOME_NOTE + README.read_text().replace("](docs/", "](")


def webhook_bodies() -> str:
    """A failed export as each webhook receives it: the golden file of its bodies (PagerDuty's with the routing key
    the rule places)."""
    bodies = json.loads((REPO / "tests" / "golden" / "failed.webhooks.json").read_text())
    card = bodies["teams"]
    page = {"routing_key": "(your routing key, placed by the rule)", **bodies["pagerDuty"]}
    parts = [
        ("Slack (`text`, Slack's markdown)", "text", bodies["slack"]["text"]),
        (
            "Discord (`content`; `allowed_mentions` empty, so no text in it pings anyone)",
            "text",
            bodies["discord"]["content"],
        ),
        ("Google Chat (`text`)", "text", bodies["googleChat"]["text"]),
        (
            "Microsoft Teams (an Adaptive Card, the message a Workflows webhook posts)",
            "json",
            json.dumps(card, indent=2, ensure_ascii=False),
        ),
        ("PagerDuty (Events API v2)", "json", json.dumps(page, indent=2, ensure_ascii=False)),
    ]
    # ~~~ fences: the texts hold ``` code blocks of their own.
    return "".join(f"{title}:\n\n~~~{kind}\n{text}\n~~~\n\n" for title, kind, text in parts).rstrip("\n") + "\n"


DETERMINISTIC: dict[str, Callable[[], str]] = {
    "email-example": email_example,
    "show-example": show_example,
    "model-lifecycle": model_lifecycle_example,
    "usage-notices": usage_notices,
    "usage-example": usage_example,
    "webhook-bodies": webhook_bodies,
    "cli-help": cli_help,
    "context-options": context_options,
    "lambda-environment": lambda_environment,
    "construct-properties": construct_properties,
    "state-machine-asl": state_machine_asl,
    "layers": layers,
}


def rerun_benchmarks() -> None:
    """The poll benchmark and the time-to-notice simulation, their results and charts then put in docs/."""
    with tempfile.TemporaryDirectory(prefix="notifier-bench-") as scratch:
        for extra in ([], ["--notice"]):
            print(f"make docs: running the benchmark {' '.join(extra)}".rstrip(), file=sys.stderr, flush=True)
            subprocess.run([sys.executable, "-m", "bench", "--out", scratch, *extra], cwd=REPO, check=True)
        shutil.copy(Path(scratch) / "results.json", BENCH_RESULTS)
        for chart in Path(scratch).glob("*.png"):
            shutil.copy(chart, BENCH_RESULTS.parent / chart.name)


def from_bench_results(results: dict[str, Any]) -> dict[str, str]:
    return {"performance": performance(results), "time-to-notice": time_to_notice(results)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make docs", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bench",
        action="store_true",
        help="re-run the benchmarks into docs/ first (about 20 minutes); else their tables come from "
        "docs/bench-results.json as it is",
    )
    args = parser.parse_args(argv)
    if args.bench:
        rerun_benchmarks()
    print("make docs: running the demo", file=sys.stderr, flush=True)
    generated = {name: render() for name, render in DETERMINISTIC.items()}
    generated["demo"] = demo_part(page_with("demo").read_text(), demo_transcript())
    shown = f"<!-- generated: demo (make docs) -->\n{generated['demo']}<!-- end: demo -->"
    generated["usage-example"] = usage_example(demo_in_readme(shown))
    generated.update(from_bench_results(json.loads(BENCH_RESULTS.read_text())))
    changed = write_all(generated)
    values = figures()
    for page in pages():
        text = page.read_text()
        if with_figures(text, values) != text:
            page.write_text(with_figures(text, values))
            changed.append(page)
    home = site_home()
    if not SITE_HOME.exists() or SITE_HOME.read_text() != home:
        SITE_HOME.write_text(home)
        changed.append(SITE_HOME)
    print(f"make docs: {', '.join(p.name for p in changed) or 'nothing'} rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
