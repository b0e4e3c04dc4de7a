"""docs/architecture.md stays true: its table of layers is the import contract's, and every module and folder it
names exists where it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools import docs

pytestmark = pytest.mark.unit

PAGE = docs.ARCHITECTURE.read_text()
PACKAGE = docs.REPO / "lambda" / "notifier"


def test_the_layers_are_the_contract_s() -> None:
    assert docs.sections(PAGE)["layers"].rstrip("\n") == docs.layers().rstrip("\n"), "run `make docs`"


def named_paths() -> list[str]:
    return sorted(set(re.findall(r"`([\w/]+(?:\.py|/))`", PAGE)))


@pytest.mark.parametrize("named", named_paths())
def test_every_module_the_page_names_exists(named: str) -> None:
    beside = [docs.REPO / named, PACKAGE / named, *(path / named for path in PACKAGE.glob("*/") if path.is_dir())]
    beside += [docs.REPO / folder / named for folder in ("infra", "local", "tests/unit")]
    beside += [PACKAGE / "usecases" / "poll" / named]
    assert any(path.exists() for path in beside), f"docs/architecture.md names {named}, which is nowhere"


def test_every_folder_of_the_package_is_on_the_page() -> None:
    folders = {path.relative_to(PACKAGE).as_posix() + "/" for path in PACKAGE.rglob("*") if path.is_dir()}
    folders -= {folder for folder in folders if "__pycache__" in folder}
    assert folders <= set(named_paths()), folders - set(named_paths())
    modules = {path.name for path in PACKAGE.rglob("*.py") if path.name not in ("__init__.py", "__main__.py")}
    assert modules <= {Path(named).name for named in named_paths()}, modules - {Path(n).name for n in named_paths()}
