"""cdk-nag (AwsSolutions) and cfn-lint on the synthesized app, plus what the Lambda asset ships."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.infra.conftest import FULL_CONTEXT, cfn_lint, nag_report

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module", params=["defaults", "every-option"])
def assembly(request, tmp_path_factory) -> Path:
    """A full synth, cdk-nag included: an unacknowledged finding fails right here."""
    from app import build_app

    outdir = tmp_path_factory.mktemp(request.param)
    context = {} if request.param == "defaults" else FULL_CONTEXT
    app, _ = build_app(context, nag=True, outdir=str(outdir))
    app.synth()
    return outdir


def test_cdk_nag_finds_nothing_unacknowledged_and_every_acknowledgment_says_why(assembly: Path) -> None:
    report = nag_report(assembly)
    assert report["pluginName"] == "AwsSolutions"
    assert report["conclusion"] == "success"
    assert report["violations"] == []
    for suppressed in report["suppressedViolations"]:
        assert len(suppressed["reason"].split()) >= 8, suppressed["ruleName"]


def test_no_acknowledgment_is_left_over_from_a_finding_that_is_gone(assembly: Path) -> None:
    report = nag_report(assembly)
    used = {suppressed["acknowledgedId"] for suppressed in report["suppressedViolations"]}
    metadata = json.loads(next(assembly.glob("*.metadata.json")).read_text())
    declared = {
        rule
        for entries in metadata.values()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule in entry["data"]
    }
    assert declared <= used


def test_cfn_lint_reports_nothing(assembly: Path) -> None:
    [template] = assembly.glob("*.template.json")
    assert cfn_lint(template) == ""


def test_lambda_asset_ships_the_package_without_tests_or_caches(assembly: Path) -> None:
    [asset] = [path for path in assembly.glob("asset.*") if path.is_dir()]
    shipped = sorted(str(path.relative_to(asset)) for path in asset.rglob("*") if path.is_file())
    assert "notifier/handlers/poll.py" in shipped
    assert not [path for path in shipped if "__pycache__" in path or path.endswith(".pyc") or "egg-info" in path]
    assert all(path.startswith("notifier/") for path in shipped)
