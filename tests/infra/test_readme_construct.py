"""The construct page's table of its properties is its signature's, and the context options' table names
every option the app reads (the construct's own descriptions come from there)."""

from __future__ import annotations

import pytest

from infra.context_options import CONTEXT_OPTIONS
from tests.infra.options import options_the_app_reads
from tools import docs

pytestmark = pytest.mark.infra


def test_the_construct_properties_in_the_readme_are_its_signature() -> None:
    generated = docs.construct_properties()
    assert docs.all_sections()["construct-properties"].rstrip("\n") == generated.rstrip("\n")
    assert "`solution_check_minutes`" in generated  # one the hand-written list had left out


def test_every_option_the_app_reads_has_its_line_in_the_table() -> None:
    assert set(CONTEXT_OPTIONS) == options_the_app_reads()
