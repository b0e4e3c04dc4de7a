"""What the command and `wait_for` load first. The command's entry point answers Ctrl-C before any import runs:
what it imports before installing its handler is only what the interpreter has loaded before any script runs, so
Python's import machinery (whose callbacks swallow a KeyboardInterrupt, losing the press) never runs while Ctrl-C
is still Python's own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ENTRY = Path(__file__).resolve().parents[2] / "notifier_console.py"


def _installs_the_handler(statement: ast.stmt) -> bool:
    call = statement.value if isinstance(statement, ast.Expr) else None
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "signal"
        and ast.unparse(call.args[0]).endswith("SIGINT")
    )


def test_the_entry_module_imports_only_what_python_has_loaded_before_it_takes_ctrl_c() -> None:
    body = ast.parse(ENTRY.read_text()).body
    [where] = [index for index, statement in enumerate(body) if _installs_the_handler(statement)]
    before = body[:where]
    assert not [s for s in before if isinstance(s, ast.ImportFrom)], "a from-import (even __future__) runs imports"
    imported = {alias.name for statement in before if isinstance(statement, ast.Import) for alias in statement.names}
    assert imported == {"_signal", "os", "sys"}
    # Everything else before the handler defines and assigns, and calls nothing.
    assert all(isinstance(s, (ast.Import, ast.Expr, ast.Assign, ast.FunctionDef)) for s in before)
    assert not [s for s in before if isinstance(s, ast.Expr) and not isinstance(s.value, ast.Constant)]
    loaded = subprocess.run(
        [sys.executable, "-I", "-c", "import sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert imported <= set(loaded), imported - set(loaded)


def test_wait_for_loads_only_what_waiting_needs() -> None:
    """`from notifier import wait_for` in a pipeline's process: no Powertools (its tracer reads AWS_PROFILE),
    so a profile the caller does not use cannot break it."""
    program = (
        "import sys, boto3; from notifier import wait_for; "
        "assert 'aws_lambda_powertools' not in sys.modules, sorted(m for m in sys.modules if 'powertools' in m); "
        "print(wait_for.__module__)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", program],
        env={"PATH": "/usr/bin:/bin", "AWS_PROFILE": "no-such-profile", "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0 and ran.stdout == "notifier.app.waiting\n", ran.stderr
