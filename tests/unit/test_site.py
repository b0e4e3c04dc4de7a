"""The documentation site: `make site` (in `make test`) builds it with --strict, so a link to a page or an anchor
that does not exist fails the build, naming the page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def make_site_recipe() -> str:
    """The command `make site` runs, as the Makefile has it (the virtualenv's path made absolute)."""
    planned = subprocess.run(
        ["make", "-s", "-n", "site", f"VENV={REPO / '.venv'}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    [recipe] = [line for line in planned.splitlines() if "mkdocs build" in line]
    return recipe


def build(copy: Path) -> subprocess.CompletedProcess[str]:
    """`make site`'s own command, run on a copy of the pages."""
    return subprocess.run(
        ["bash", "-c", make_site_recipe()],
        cwd=copy,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    return tmp_path


def test_the_site_builds_strict(copy: Path) -> None:
    built = build(copy)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "--strict" in make_site_recipe()
    assert (copy / "site" / "index.html").is_file() and (copy / "site" / "architecture" / "index.html").is_file()


@pytest.mark.parametrize(
    "broken", ["[the alarms](deploy.md#no-such-heading)", "[a page](no-such-page.md)"], ids=["anchor", "page"]
)
def test_a_broken_link_or_anchor_fails_the_build(copy: Path, broken: str) -> None:
    page = copy / "docs" / "subscribe.md"
    page.write_text(page.read_text() + f"\nSee {broken}.\n")
    built = build(copy)
    assert built.returncode != 0
    assert "subscribe.md" in built.stdout + built.stderr
