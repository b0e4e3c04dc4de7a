"""No figure typed by hand: every number the pages state about this program is a figure that `make docs` writes
from the code or the recorded benchmark (`<!-- figure: NAME -->VALUE<!-- /figure -->`), held here to what they
produce now; the numbers left in the prose are AWS's own (prices, limits, defaults), each listed with its source."""

from __future__ import annotations

import re

import pytest

from tools import docs

pytestmark = pytest.mark.unit

PRODUCED = docs.figures()
STATED = [(page.name, name, value) for page in docs.pages() for name, value in docs.figures_of(page.read_text())]


def stale(text: str) -> list[tuple[str, str, str]]:
    """The figures a page states that the code no longer produces: (name, stated, produced)."""
    return [
        (name, value, PRODUCED.get(name, "<no such figure>"))
        for name, value in docs.figures_of(text)
        if PRODUCED.get(name) != value
    ]


@pytest.mark.parametrize(("page", "name", "value"), STATED, ids=[f"{p}:{n}" for p, n, _ in STATED])
def test_each_figure_a_page_states_is_what_the_code_produces(page: str, name: str, value: str) -> None:
    assert name in PRODUCED, f"{page} states a figure {name!r} that nothing produces"
    assert value == PRODUCED[name], f"{page} says {name} is {value!r}; the code produces {PRODUCED[name]!r}: make docs"


def test_every_figure_the_code_produces_is_stated_somewhere() -> None:
    assert set(PRODUCED) <= {name for _, name, _ in STATED}, set(PRODUCED) - {name for _, name, _ in STATED}


def test_a_figure_changed_by_hand_is_caught_and_make_docs_puts_it_back() -> None:
    page = docs.DOCS / "performance.md"
    text = page.read_text()
    assert not stale(text)
    drifted = text.replace(
        f"<!-- figure: per-job-hour -->{PRODUCED['per-job-hour']}<!-- /figure -->",
        "<!-- figure: per-job-hour -->$0.000018<!-- /figure -->",
    )
    assert drifted != text
    assert stale(drifted) == [("per-job-hour", "$0.000018", PRODUCED["per-job-hour"])]
    assert docs.with_figures(drifted, PRODUCED) == text


# A number with a unit of time, size or money in the prose (not in code, a generated part, or a figure).
_NUMBER = re.compile(
    r"\$\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:%|s\b|ms\b|min\b|minutes?\b|seconds?\b|hours?\b|h\b|days?\b"
    r"|times\b|KB\b|KiB\b|MB\b|GB\b|characters\b)"
)
# Those that are AWS's, not this program's: (page, the number as written, where it comes from).
AWS_FACTS = [
    ("deploy.md", "14 days", "the alarm table's descriptions: the stack's AlarmDescription, held by test_stack"),
    ("how-it-works.md", "6 hours", "Lambda's asynchronous invocation: the longest maximum event age"),
    ("how-it-works.md", "256 KB", "SNS and EventBridge message size quotas"),
    ("models.md", "20.0 %", "a quote of the generated model-lifecycle example on the same page"),
    ("organizations.md", "$1", "EventBridge pricing: custom events, per million"),
    ("performance.md", "$5", "X-Ray pricing: traces recorded, per million"),
    ("performance.md", "$0.20", "Lambda pricing: requests, per million"),
    ("performance.md", "$0.0000133334", "Lambda pricing: GB-second on Arm"),
    ("performance.md", "$0.125", "DynamoDB on-demand pricing: read request units, per million"),
    ("performance.md", "$0.625", "DynamoDB on-demand pricing: write request units, per million"),
    ("performance.md", "$0.50", "CloudWatch Logs pricing (ingestion, per GB) and SNS pricing (publishes, per million)"),
    ("performance.md", "$1", "KMS pricing (a key-month) and EventBridge pricing (custom events, per million)"),
    ("performance.md", "$0.10", "CloudWatch pricing: a standard alarm-month"),
    ("performance.md", "$0.30", "CloudWatch pricing: a custom metric-month"),
    ("performance.md", "$2", "SNS pricing: email deliveries, per 100,000"),
    ("pipelines.md", "100 %", "the upper end of a range whose lower end is a figure"),
    ("pipelines.md", "32768 characters", "Step Functions SendTaskFailure: the cause's length"),
    ("pipelines.md", "256 KiB", "Step Functions: the largest task output"),
    ("pipelines.md", "$0.025", "Step Functions pricing: state transitions, per 1,000"),
    ("tracking.md", "7 days", "Personalize: automatic training's default frequency"),
]


def unmarked_numbers(text: str) -> list[str]:
    text = docs._SECTION.sub("", text)
    text = docs._FIGURE.sub("", text)
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    text = re.sub(r"`[^`]*`", "", text)
    return _NUMBER.findall(text)


@pytest.mark.parametrize("page", [page for page in docs.pages() if page != docs.SITE_HOME], ids=lambda p: p.name)
def test_no_page_states_a_number_of_this_program_by_hand(page) -> None:
    allowed = {number for name, number, _ in AWS_FACTS if name == page.name}
    typed = set(unmarked_numbers(page.read_text()))
    assert typed <= allowed, f"{page.name} states {sorted(typed - allowed)} by hand: make each a figure, or remove it"
    assert allowed <= typed, f"AWS_FACTS lists {sorted(allowed - typed)} for {page.name}, which no longer says them"


def test_the_hand_typed_number_check_catches_a_new_one() -> None:
    assert unmarked_numbers("The demo takes about 20 seconds.") == ["20 seconds"]
    assert unmarked_numbers("It took <!-- figure: demo-seconds -->36<!-- /figure --> s; `sleep 5s`.") == []


def test_the_demo_s_steps_are_each_explained_once() -> None:
    """The try-it page lists what each of the demo's steps proves: as many as the demo has."""
    page = (docs.DOCS / "try-it.md").read_text()
    listed = page.split("steps proves:", 1)[1].split("\n\n", 1)[0]
    numbers = [int(n) for n in re.findall(r"^(\d+)\. \*\*", listed, flags=re.MULTILINE)]
    assert numbers == list(range(1, int(PRODUCED["demo-steps"]) + 1))
