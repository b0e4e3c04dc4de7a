"""The package's layers, as pyproject.toml's import-linter contracts write them, hold on the code and fail on each
kind of import they forbid: a copy of the package with one import added is refused, naming the contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
CONTRACTS = {
    c["name"] for c in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}


def lint(package_root: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    shutil.copy(REPO / "pyproject.toml", workdir / "pyproject.toml")
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=workdir,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(package_root), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_package_keeps_every_contract(tmp_path: Path) -> None:
    ran = lint(REPO / "lambda", tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in ran.stdout


# (module, the import added to it, the contract that refuses it)
BREACHES = [
    ("domain/kinds.py", "import boto3", "The domain is pure: no AWS SDK, no Powertools"),
    ("domain/watched.py", "from notifier.adapters import store", "The layers"),
    ("domain/clock.py", "def _late():\n    from notifier.usecases.poll import poller", "The layers"),
    ("usecases/tracking.py", "from notifier.adapters import personalize", "The layers"),
    ("usecases/discovery.py", "import botocore", "Below the composition root, only the adapters talk to AWS"),
    ("rendering/email.py", "from notifier.rendering import chat", "A job's notice: one protocol's rendering"),
    ("rendering/accounts.py", "from notifier.rendering import jobs", "Kinds of notice render alone"),
    ("adapters/publisher.py", "from notifier.adapters import store", "Adapters of different services"),
    ("usecases/poll/listing.py", "from notifier.usecases.poll import poller", "No cycle among the parts of a layer"),
]


@pytest.mark.parametrize(("module", "added", "contract"), BREACHES, ids=[f"{m}:{a}" for m, a, _ in BREACHES])
def test_each_forbidden_import_breaks_its_contract(tmp_path: Path, module: str, added: str, contract: str) -> None:
    [name] = [name for name in CONTRACTS if name.startswith(contract)]
    copy = tmp_path / "lambda"
    shutil.copytree(REPO / "lambda" / "notifier", copy / "notifier", ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "notifier" / module
    target.write_text(target.read_text() + f"\n{added}\n")
    ran = lint(copy, tmp_path)
    assert ran.returncode == 1, ran.stdout
    said = " ".join(ran.stdout.split())  # its report wraps long names
    assert f"{name} BROKEN" in said and "Contracts: " in said, ran.stdout
