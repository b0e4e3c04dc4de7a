"""What the CLI prints: readable lines for people, one JSON document for scripts (--json), nothing but errors
with --quiet. Data goes to stdout; errors, warnings and progress to stderr."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TextIO

from notifier.cli.options import JSON_SCHEMA_VERSION
from notifier.domain.arns import account_of
from notifier.domain.cadence import Expectation, format_period
from notifier.domain.usage import Reading, Usage
from notifier.domain.watched import Watched, parse_iso
from notifier.rendering import usage as usage_words
from notifier.rendering.text import columns, format_duration, readable_time


class Printer:
    def __init__(self, out: TextIO, err: TextIO, *, json_output: bool = False, quiet: bool = False) -> None:
        self._out, self._err = out, err
        self.json_output, self.quiet = json_output, quiet

    @property
    def err(self) -> TextIO:
        return self._err

    def line(self, text: str) -> None:
        """A line for a person reading stdout (not with --json or --quiet)."""
        if not (self.json_output or self.quiet):
            print(text, file=self._out, flush=True)

    def progress(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self._err, flush=True)

    def warn(self, text: str) -> None:
        if not self.quiet:
            print(f"notifier: warning: {text}", file=self._err, flush=True)

    def error(self, text: str) -> None:
        print(f"notifier: {text}", file=self._err, flush=True)

    def document(self, command: str, **fields: Any) -> None:
        """The one JSON document of a --json command, versioned for the scripts that read it."""
        if self.json_output:
            payload = {"schemaVersion": JSON_SCHEMA_VERSION, "command": command, **fields}
            print(json.dumps(payload, indent=2), file=self._out, flush=True)


def last_usage(job: Watched) -> str:
    """The last hourly reading, in one line: `idle: 0 requests in 24 h (read Dec 5 10:00 UTC)`."""
    state = job.usage
    if state is None:
        return "not read yet"
    reading, verdict = state.reading, state.verdict
    when = f"read {readable_time(reading.read_at)}"
    if reading.unreadable:
        return f"could not be read ({reading.unreadable}; {when})"
    said = verdict.value if verdict else "too new to judge"
    utilization = reading.utilization_percent
    share = f", {usage_words.figure(utilization)} % of the minimum on average" if utilization is not None else ""
    return (
        f"{said}: {reading.requests:,.0f} requests in {reading.window_hours} h, busiest hour "
        f"{usage_words.figure(reading.peak_tps)}/s{share} ({when})"
    )


def status_text(job: Watched) -> str:
    if job.ended_by is not None:
        return f"{job.status or 'never seen'} ({job.ended_by.value})"
    return job.status or "not described yet"


def job_document(job: Watched) -> dict[str, Any]:
    return {
        "jobArn": job.arn,
        "jobName": job.name,
        "jobKind": job.kind.name,
        "account": account_of(job.arn),
        "region": job.region,
        "status": job.status,
        "outcome": job.ended_by.value if job.ended_by else job.outcome.value,
        "watching": job.in_active_index,
        "trackedAt": job.tracked_at,
        "history": [{"status": change.status, "at": change.at} for change in job.history],
        "outputPath": job.output_path,
        "failureReason": job.failure_reason,
        "pendingNotifications": len(job.pending),
        "usage": None
        if job.usage is None
        else {"verdict": job.usage.verdict.value if job.usage.verdict else None, "text": last_usage(job)},
    }


def job_table(jobs: list[Watched], wide: bool) -> str:
    """One row per job; ARNs (long) only with --wide, so the table fits a terminal."""
    usage = any(job.usage is not None for job in jobs)  # a column only where a campaign's use was read
    header = ("JOB", "KIND", "STATUS", "ACCOUNT", "REGION", "UPDATED", *(("USAGE",) if usage else ()))
    rows = [(*header, *(("ARN",) if wide else ()))]
    for job in jobs:
        updated = readable_time(job.history[-1].at if job.history else job.tracked_at)
        where = (account_of(job.arn), job.region)
        used = (short_usage(job),) if usage else ()
        rows.append((job.name, job.kind.name, status_text(job), *where, updated, *used, *((job.arn,) if wide else ())))
    return "\n".join(columns(rows))


def short_usage(job: Watched) -> str:
    """The last reading's verdict and utilization, for a column: `idle`, `in_use (56 %)`, `-`."""
    state = job.usage
    if state is None:
        return "-"
    if state.reading.unreadable:
        return "unreadable"
    said = state.verdict.value if state.verdict else "too new"
    utilization = state.reading.utilization_percent
    return f"{said} ({usage_words.figure(utilization)} %)" if utilization and state.verdict is not Usage.IDLE else said


def usage_document(job: Watched, reading: Reading, verdict: Usage | None) -> dict[str, Any]:
    """One campaign's or recommender's reading, by the names the usage notices use."""
    return {
        "arn": job.arn,
        "name": job.name,
        "kind": job.kind.name,
        "account": account_of(job.arn),
        "region": job.region,
        "verdict": verdict.value if verdict else None,
        "windowHours": reading.window_hours,
        "activeHours": reading.active_hours,
        "minimum": reading.minimum,
        "requests": None if reading.unreadable else reading.requests,
        "peakTps": None if reading.unreadable else round(reading.peak_tps, 6),
        "averageTps": None if reading.unreadable else round(reading.average_tps, 6),
        "utilizationPercent": None
        if reading.unreadable or reading.utilization_percent is None
        else round(reading.utilization_percent, 3),
        "billedTpsHours": reading.billed_tps_hours,
        "unreadable": reading.unreadable,
    }


def usage_table(rows: list[tuple[Watched, Reading, Usage | None]]) -> str:
    """One row per resource: its minimum, requests and busiest hour in the window, utilization, what it billed."""
    header = ("NAME", "KIND", "MINIMUM", "REQUESTS", "PEAK/S", "UTILIZATION", "BILLED", "VERDICT")
    table = [header]
    for job, reading, verdict in rows:
        unit = usage_words.unit(job)
        minimum = "?" if reading.minimum is None else f"{usage_words.figure(reading.minimum)} {unit}"
        if reading.unreadable:
            figures = ("-", "-", "-")
        else:
            utilization = reading.utilization_percent
            figures = (
                f"{reading.requests:,.0f}",
                usage_words.figure(reading.peak_tps),
                "-" if utilization is None else f"{usage_words.figure(utilization)} %",
            )
        billed = "?" if reading.billed_tps_hours is None else f"{usage_words.amount(reading.billed_tps_hours)} {unit}-h"
        said = "unreadable" if reading.unreadable else verdict.value if verdict else "too new to judge"
        table.append((job.name, job.kind.name, minimum, *figures, billed, said))
    return "\n".join(columns(table))


def render_show(job: Watched) -> str:
    rows: list[tuple[str, str]] = [("ARN", job.arn), ("Account", account_of(job.arn))]
    if job.parent_arn:
        rows.append((job.kind.parent_label, job.parent_arn))
    if job.input_location:
        rows.append(("Input", job.input_location))
    rows += list(job.facts)
    rows.append(("Status", status_text(job)))
    if job.output_path:
        rows.append(("Output" if job.outcome.value == "succeeded" else "Destination", job.output_path))
    if job.failure_reason:
        rows.append(("Failure", job.failure_reason))
    rows.append(("Tracked", readable_time(job.tracked_at)))
    if job.pending:
        rows.append(("Owed", f"{len(job.pending)} notification(s) not yet confirmed published"))
    if job.usage is not None:
        rows.append(("Usage", last_usage(job)))
    width = max(len(label) for label, _ in rows) + 2
    lines = [f"{job.name}  ({job.kind.label}, {job.region})"]
    lines += [f"{label:<{width}}{value}" for label, value in rows]
    lines.append("History")
    previous: datetime | None = None
    for change in job.history:
        moment = parse_iso(change.at)
        since = f"  (+{format_duration((moment - previous).total_seconds())})" if previous and moment else ""
        lines.append(f"  {readable_time(change.at)}  {change.status}{since}")
        previous = moment or previous
    if not job.history:
        lines.append("  (not described yet)")
    return "\n".join(lines)


def expectation_state(expectation: Expectation) -> str:
    if expectation.overdue:
        return f"overdue since {readable_time(expectation.overdue_since)}"
    return "on cadence"


def expectation_document(expectation: Expectation) -> dict[str, Any]:
    return {
        "arn": expectation.arn,
        "target": expectation.target.value,
        "expected": expectation.target.expected_every(format_period(expectation.every_seconds)),
        "everySeconds": expectation.every_seconds,
        "since": expectation.since,
        "lastMet": expectation.last_met,
        "lastMetBy": expectation.last_met_by,
        "dueAt": expectation.due_at.isoformat().replace("+00:00", "Z"),
        "overdueSince": expectation.overdue_since,
        "declared": expectation.declared,
    }


def expectation_rows(expectation: Expectation) -> list[tuple[str, str]]:
    """What `show` says of an expected cadence: what, how often, last met (by what), when it falls due."""
    last = readable_time(expectation.last_met) if expectation.last_met else "not seen since it was expected"
    if expectation.last_met_by:
        last += f" ({expectation.last_met_by})"
    every = format_period(expectation.every_seconds)
    return [
        (
            "Expected",
            expectation.target.expected_every(every) + (" (declared at deploy)" if expectation.declared else ""),
        ),
        ("Last met", last),
        ("Falls due", readable_time(expectation.due_at.isoformat())),
        ("Cadence", expectation_state(expectation)),
    ]


def expectation_table(expectations: list[Expectation]) -> str:
    header = ("EXPECTED OF", "EVERY", "LAST MET", "FALLS DUE", "STATE")
    rows = [header]
    for e in expectations:
        name = e.arn.split(":", 5)[5]
        last = readable_time(e.last_met) if e.last_met else "never"
        rows.append(
            (name, format_period(e.every_seconds), last, readable_time(e.due_at.isoformat()), expectation_state(e))
        )
    return "\n".join(columns(rows))


def camel_case(name: str) -> str:
    """jobs_polled -> jobsPolled: the --json documents' convention."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
