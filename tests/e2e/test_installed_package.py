"""The notifier as `pip install` gives it to a user: a wheel built from this repository, installed in a fresh
virtualenv, run with only what a user's terminal has (PATH, HOME). Nothing of this test process (the
repository on sys.path, the variables a conftest sets) can make it pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel and its `local` extra (the embedded AWS): its bin directory."""
    scratch = tmp_path_factory.mktemp("installed")
    pip_env = {**os.environ, "PYTHONWARNINGS": "ignore:Editable installation", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(scratch / "dist"), str(REPO)],
        env=pip_env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = (scratch / "dist").glob("personalize_job_notifier-*.whl")
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        # --no-compile: Python compiles what it imports when it imports it; byte-compiling every module of every
        # dependency up front is most of an install's time.
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile", f"{wheel}[local]"],
        env=pip_env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return venv / "bin"


def as_a_user(bin_dir: Path, home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [str(bin_dir / "notifier"), *argv],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"},
        cwd=home,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_demo_of_an_installed_package_passes(installed: Path, tmp_path: Path) -> None:
    ran = as_a_user(installed, tmp_path / "home", "demo")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "Demo passed in" in ran.stdout and "✗" not in ran.stdout
    assert "an installed package ships no CDK app" in ran.stdout
    assert "Traceback" not in ran.stderr


def test_the_installed_command_answers_version_and_help(installed: Path, tmp_path: Path) -> None:
    version = as_a_user(installed, tmp_path / "home", "--version")
    assert version.returncode == 0 and version.stdout.startswith("notifier ")
    helped = as_a_user(installed, tmp_path / "home", "--help")
    assert helped.returncode == 0 and "exit codes:" in helped.stdout
