"""The embedded AWS on every moto the `local` extra admits: moto's internals are taken in one module, each checked
when it is imported, so a moto that lacks one is named with its version, never called "not installed"."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from notifier_local.moto_internals import MOTO_VERSION, TESTED_MOTO, TOUCHES, MotoMismatch, replace, take

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def test_the_tested_moto_is_the_pinned_one_and_the_lowest_the_extra_admits() -> None:
    [pin] = [line for line in (REPO / "requirements-dev.txt").read_text().splitlines() if line.startswith("moto")]
    assert pin == f"moto[server]=={TESTED_MOTO}" and MOTO_VERSION == TESTED_MOTO
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["local"] == [f"moto[server]>={TESTED_MOTO},<6"]


def test_no_other_module_of_the_embedded_aws_imports_moto() -> None:
    """Every name of moto's passes through moto_internals, where it is checked."""
    importers = {}
    for module in (REPO / "local").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(name == "moto" or name.startswith("moto.") for name in names):
                importers.setdefault(module.name, []).extend(names)
    assert importers == {"moto_internals.py": ["moto"]}


@pytest.mark.parametrize(("module", "name", "members"), TOUCHES, ids=[f"{m}.{n}" for m, n, _ in TOUCHES])
def test_each_part_missing_is_named_with_the_moto_version(monkeypatch, module: str, name: str, members) -> None:
    owner = importlib.import_module(module)
    found = getattr(owner, name)
    assert take(module, name, *members) is found
    for member in members:
        with monkeypatch.context() as patched:
            # the member gone from the class and every class it inherits it from
            for klass in type.mro(found) if isinstance(found, type) else [found]:
                if member in vars(klass):
                    patched.delattr(klass, member)
            with pytest.raises(MotoMismatch) as missing:
                take(module, name, *members)
        assert str(missing.value) == (
            f"the embedded AWS extends {module}.{name}.{member}, which moto {MOTO_VERSION} does not have "
            f"(it was tested with moto {TESTED_MOTO}: pip install 'moto[server]=={TESTED_MOTO}')"
        )
    monkeypatch.delattr(owner, name)
    with pytest.raises(MotoMismatch, match=rf"extends {re.escape(module)}\.{name}, which moto {MOTO_VERSION} "):
        take(module, name, *members)


def test_replacing_checks_the_method_exists_and_keeps_moto_s_own() -> None:
    class Moto:
        def publish(self) -> str:
            return "moto"

    own = Moto.publish
    assert replace(Moto, "publish", lambda self: "ours") is own
    assert replace(Moto, "publish", lambda self: "ours again") is own  # a second install still calls moto's
    assert Moto().publish() == "ours again"
    with pytest.raises(MotoMismatch, match=r"Moto\.deliver, which moto"):
        replace(Moto, "deliver", lambda self: None)


def test_the_demo_on_a_moto_that_lacks_a_part_says_which_in_one_line() -> None:
    """As `notifier demo` runs on a moto release that moved something: one line naming the version and the part."""
    module, name, _ = TOUCHES[-1]
    program = (
        f"import importlib, sys; delattr(importlib.import_module({module!r}), {name!r}); "
        "sys.argv = ['notifier', 'demo']; from notifier_console import run; sys.exit(run())"
    )
    ran = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 1 and ran.stdout == ""
    assert ran.stderr == (
        f"notifier: the demo cannot start: the embedded AWS extends {module}.{name}, which moto {MOTO_VERSION} does "
        f"not have (it was tested with moto {TESTED_MOTO}: pip install 'moto[server]=={TESTED_MOTO}')\n"
    )
    assert "not installed" not in ran.stderr
