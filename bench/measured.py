"""When and on what the benchmark's figures were taken: they hold for that machine on that day."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from datetime import UTC, datetime
from typing import Any


def measured_on() -> dict[str, str]:
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, {platform.system()}",
        "python": platform.python_version(),
        "moto": importlib.metadata.version("moto"),
    }


def stamp_chart(figure: Any, measured: dict[str, str] | None) -> None:
    """The date and the machine in a corner of a matplotlib figure."""
    text = f"measured {measured['date']} on {measured['machine']}" if measured else "measured: date not recorded"
    figure.text(0.995, 0.005, text, ha="right", va="bottom", fontsize=7, color="grey")
