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


# The AWS CLI's own commands that are not one API operation (`aws cloudformation deploy` packages a change set).
CLI_CUSTOMIZATIONS = {("cloudformation", "deploy")}


def test_every_aws_cli_command_the_pages_and_notices_give_is_an_operation_of_that_service() -> None:
    """`aws SERVICE COMMAND` in a page or in a notice's next steps: SERVICE a service botocore models and COMMAND
    one of its operations (the CLI's names are the operations' in kebab case), with the options the page gives
    among the operation's parameters: a reader who pastes it reaches the API, not an error."""
    import re

    import botocore.session
    from botocore import xform_name

    from tools import docs

    session = botocore.session.get_session()
    texts = [page.read_text() for page in docs.pages()]
    texts += [path.read_text() for path in (REPO / "lambda" / "notifier" / "rendering").glob("*.py")]
    found = {
        (service, command, tuple(re.findall(r"--([a-z][a-z-]+)", options)))
        for text in texts
        for service, command, options in re.findall(r"\baws ([a-z0-9-]+) ([a-z][a-z0-9-]+)((?: --?[^\n`'\"]*)?)", text)
    }
    assert ("cloudformation", "activate-organizations-access", ()) in {(s, c, ()) for s, c, _ in found}
    for service, command, options in sorted(found):
        if (service, command) in CLI_CUSTOMIZATIONS:
            continue
        model = session.get_service_model(service)
        names = {xform_name(name, "-"): name for name in model.operation_names}  # the CLI's own naming
        assert command in names, f"aws {service} {command}: no such operation"
        members = {xform_name(member, "-") for member in model.operation_model(names[command]).input_shape.members}
        general = {"region", "profile", "output", "query", "endpoint-url", "cli-input-json", "no-cli-pager"}
        unknown = set(options) - members - general
        assert not unknown, f"aws {service} {command}: {sorted(unknown)} are not its parameters"
