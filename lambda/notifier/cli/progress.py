"""The one line `notifier wait` keeps up to date on a terminal: what each job is doing, for how long. Only on
a terminal, outside CI, and not with --quiet or --json: a pipe or a CI log gets nothing but the results."""

from __future__ import annotations

import os
from typing import TextIO

from notifier.cli.output import Printer
from notifier.domain.watched import Watched
from notifier.rendering.text import format_duration

WIDTH = 100


class ProgressLine:
    def __init__(self, printer: Printer, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else printer.err
        shown = not (printer.quiet or printer.json_output or os.environ.get("CI"))
        self._on = shown and self._stream.isatty()
        self._drawn = False

    def show(self, pending: list[Watched], elapsed: float) -> None:
        if not self._on:
            return
        doing = ", ".join(f"{job.name} {job.status or 'not described yet'}" for job in pending)
        text = f"waiting {format_duration(elapsed)}: {doing}"
        if len(text) > WIDTH - 1:
            text = text[: WIDTH - 2] + "…"
        self._stream.write("\r" + text.ljust(WIDTH - 1))
        self._stream.flush()
        self._drawn = True

    def note(self, text: str) -> None:
        """A line for the person at the terminal (where the wait looks); a pipe or a CI log does not get it."""
        if self._on:
            self.clear()
            self._stream.write(f"notifier: {text}\n")
            self._stream.flush()

    def clear(self) -> None:
        if self._drawn:
            self._stream.write("\r" + " " * (WIDTH - 1) + "\r")
            self._stream.flush()
            self._drawn = False
