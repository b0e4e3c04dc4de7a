"""Discovery over listings: which kinds a parent ARN is listed for, and one failed listing not stopping the rest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifier.domain.arns import kinds_listing_under
from notifier.domain.kinds import KINDS, Kind
from notifier.domain.watched import Summary
from notifier.ports import DescribeFailed
from notifier.usecases.discovery import discover
from tests.fakes import FakeStore

pytestmark = pytest.mark.unit

PREFIX = "arn:aws:personalize:us-east-1:123456789012"


@pytest.mark.parametrize(
    ("parent", "kinds"),
    [
        (f"{PREFIX}:dataset/retail/ITEMS", {"dataset-export-job", "dataset-import-job"}),
        (f"{PREFIX}:dataset-group/retail", {"data-deletion-job", "recommender", "solution"}),
        (f"{PREFIX}:solution/movies", {"solution-version", "campaign"}),
        (f"{PREFIX}:solution/movies/1a2b3c4d", {"batch-inference-job", "batch-segment-job"}),
        (f"{PREFIX}:schema/users", set()),
        (None, set(KINDS)),
    ],
)
def test_each_parent_is_listed_for_the_kinds_whose_list_takes_it(parent, kinds) -> None:
    assert {kind.name for kind in kinds_listing_under(parent, KINDS.values())} == kinds


class OneListingFails:
    """Lists one running import job; the export listing fails (throttled past its retries)."""

    def list_summaries(self, kind: Kind, region: str, parent_arn: str | None):
        if kind.name == "dataset-export-job":
            raise DescribeFailed(f"{kind.list_operation} in {region}", "ThrottlingException", "Rate exceeded")
        if kind.name == "dataset-import-job":
            return [Summary(arn=f"{PREFIX}:dataset-import-job/load", status="CREATE IN_PROGRESS")]
        return []


def test_a_failed_listing_is_reported_and_the_others_still_run() -> None:
    store = FakeStore()
    report = discover(
        OneListingFails(),
        store,
        regions=["us-east-1"],
        parent_arns=[f"{PREFIX}:dataset/retail/ITEMS"],
        clock=lambda: datetime(2026, 11, 24, tzinfo=UTC),
    )
    assert report.tracked == [f"{PREFIX}:dataset-import-job/load"]
    assert len(report.errors) == 1 and "ThrottlingException" in report.errors[0]
    assert store.items[f"{PREFIX}:dataset-import-job/load"].status == "CREATE IN_PROGRESS"
