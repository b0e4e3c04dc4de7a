"""The generated parts (`make docs`) of the README and the documentation's pages are what the code produces now: a
change that is not carried into the docs fails here, naming the part. The demo's transcript:
tests/e2e/test_demo.py; the construct's properties: tests/infra/test_readme_construct.py (they need the CDK)."""

from __future__ import annotations

import json
import re

import botocore.session
import pytest

from notifier.app.settings import ENVIRONMENT, Settings
from tools import docs

pytestmark = pytest.mark.unit

SECTIONS = docs.all_sections()


# Those two need the CDK: tests/infra/test_readme_construct.py and tests/infra/test_construct.py hold them.
@pytest.mark.parametrize("name", sorted(set(docs.DETERMINISTIC) - {"construct-properties", "state-machine-asl"}))
def test_each_generated_part_is_what_the_code_produces(name: str) -> None:
    assert SECTIONS[name].rstrip("\n") == docs.DETERMINISTIC[name]().rstrip("\n"), (
        f"{docs.page_with(name).name}'s {name} is stale: run `make docs`"
    )


def test_the_benchmark_tables_are_those_of_the_recorded_results_with_their_date_and_machine() -> None:
    results = json.loads(docs.BENCH_RESULTS.read_text())
    for name, text in docs.from_bench_results(results).items():
        assert SECTIONS[name].rstrip("\n") == text.rstrip("\n"), f"{name} is stale: run `make docs`"
        assert "measured 20" in text and " cores, " in text, text  # the date and the machine


def test_every_part_make_docs_writes_has_its_markers_and_rewriting_is_a_no_op() -> None:
    written = {*docs.DETERMINISTIC, "demo", "performance", "time-to-notice"}
    assert set(SECTIONS) == written
    for page in docs.pages():
        text = page.read_text()
        assert docs.with_sections(text, docs.sections(text)) == text, page.name


def test_the_site_s_home_page_is_the_readme() -> None:
    assert docs.SITE_HOME.read_text() == docs.site_home(), "docs/index.md is stale: run `make docs`"


def test_the_readme_is_a_door() -> None:
    """A paragraph and the one email, the two commands, a deploy in three steps, where to subscribe people, and
    a table of the pages, each of which exists."""
    readme = docs.README.read_text()
    assert len(readme.splitlines()) <= 200
    assert "email-example" in docs.sections(readme)
    linked = re.findall(r"\]\((docs/[\w-]+\.md)\)", readme)
    assert {f"docs/{page.name}" for page in docs.DOCS.glob("*.md")} - {"docs/index.md"} <= set(linked)
    assert all((docs.REPO / page).is_file() for page in linked)


def test_the_environment_table_names_every_variable_the_functions_read() -> None:
    read: list[str] = []

    class Recording(dict):
        def get(self, key, default=None):
            read.append(key)
            return super().get(key, default)

        def __getitem__(self, key):
            read.append(key)
            return super().__getitem__(key)

    Settings.from_env(
        Recording(
            TABLE_NAME="t",
            TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:t",
            DISCOVER="all",
            DISCOVER_REGIONS="us-east-1",
        )
    )
    assert set(read) <= set(ENVIRONMENT), sorted(set(read) - set(ENVIRONMENT))
    assert set(ENVIRONMENT) - set(read) == {name for name in ENVIRONMENT if name.startswith("POWERTOOLS_")}


def test_the_run_specific_parts_of_a_demo_transcript_are_all_that_is_ignored() -> None:
    one = "[1/7] Starting  (+0.0 s)\n    listening on http://localhost:41261\n    ✓ got 8 (in 19 s)"
    other = "[1/7] Starting  (+0.1 s)\n    listening on http://localhost:5000\n    ✓ got 8 (in 23 s)"
    assert docs.run_specific_removed(one) == docs.run_specific_removed(other)
    assert docs.run_specific_removed(one) != docs.run_specific_removed(one.replace("got 8", "got 7"))


def test_make_docs_right_after_make_docs_keeps_the_transcript_it_has() -> None:
    README = docs.page_with("demo").read_text()  # the page that shows the demo
    shown = docs.demo_in_readme(README)
    # Another run: another port and other times, and nothing else.
    rerun = shown.replace("localhost:", "localhost:1").replace("(+0.0 s)", "(+0.1 s)")
    assert rerun != shown
    assert docs.with_sections(README, {"demo": docs.demo_part(README, rerun)}) == README
    changed = rerun.replace("got 8", "got 7")
    assert docs.with_sections(README, {"demo": docs.demo_part(README, changed)}) != README


def test_the_readme_state_machine_in_asl_is_one_a_state_machine_can_run() -> None:
    """Every state reachable and ending, each Task a real integration, each callback handing over its token and
    its heartbeat, with a timeout and a heartbeat timeout of its own."""
    definition = json.loads(SECTIONS["state-machine-asl"].split("```json\n", 1)[1].split("\n```", 1)[0])
    states = definition["States"]
    seen, state = [], definition["StartAt"]
    while state:
        seen.append(state)
        step = states[state]
        assert step["Type"] == "Task"
        resource = step["Resource"]
        if resource.endswith("lambda:invoke.waitForTaskToken"):
            payload = step["Parameters"]["Payload"]
            assert payload["taskToken.$"] == "$$.Task.Token" and set(payload) == {
                "arn.$",
                "taskToken.$",
                "heartbeatSeconds",
            }
            assert payload["heartbeatSeconds"] == step["HeartbeatSeconds"] < step["TimeoutSeconds"]
        else:
            assert resource.startswith("arn:aws:states:::aws-sdk:personalize:")
            action = resource.rsplit(":", 1)[1]
            operation = (
                botocore.session.get_session()
                .get_service_model("personalize")
                .operation_model(action[0].upper() + action[1:])
            )  # a Personalize API, with the parameters it takes (PascalCase in SDK integrations)
            members = {name[0].upper() + name[1:] for name in operation.input_shape.members}
            assert {key.removesuffix(".$") for key in step["Parameters"]} <= members, step["Parameters"]
        state = None if step.get("End") else step["Next"]
    assert sorted(seen) == sorted(states) and states[seen[-1]]["End"] is True
