"""Is the new model better? A trained version's offline metrics beside the previous ACTIVE version's. Pure.

Personalize computes offline metrics when a solution version's training ends (GetSolutionMetrics: a map of
metric name to number; recipes differ in which they return, so the map is open). One key metric and a threshold
decide the verdict a filter policy can route on: `first` (nothing before it to compare with), `improved`,
`regressed`, `unchanged` (within the threshold), `unknown` (the key metric missing on either side).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

# The developer guide's headline metric for ranking ("Evaluating a solution version with metrics"), and a change
# a person would call real rather than noise between two trainings on similar data.
DEFAULT_KEY_METRIC = "normalized_discounted_cumulative_gain_at_25"
DEFAULT_THRESHOLD_PERCENT = 5.0
METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,127}")  # the names GetSolutionMetrics returns

# The metrics the developer guide defines, in the short forms people write (NDCG@25); any other keeps its own name.
_SHORT = {
    "normalized_discounted_cumulative_gain": "NDCG",
    "precision": "Precision",
    "mean_reciprocal_rank": "MRR",
    "recall": "Recall",
    "hit": "Hit",
    "average_rewards": "Average rewards",
}
_AT_K = re.compile(r"(?P<name>[a-z_]+?)_at_(?P<k>\d+)")


class Quality(StrEnum):
    """The `quality` message attribute."""

    FIRST = "first"
    IMPROVED = "improved"
    REGRESSED = "regressed"
    UNCHANGED = "unchanged"
    UNKNOWN = "unknown"


def readable(metric: str) -> str:
    """normalized_discounted_cumulative_gain_at_25 -> NDCG@25; coverage -> Coverage; others in words."""
    matched = _AT_K.fullmatch(metric)
    if matched and matched["name"] in _SHORT:
        return f"{_SHORT[matched['name']]}@{matched['k']}"
    if matched:
        return f"{matched['name'].replace('_', ' ').capitalize()}@{matched['k']}"
    return _SHORT.get(metric, metric.replace("_", " ").capitalize())


Metrics = tuple[tuple[str, float], ...]  # sorted by name: one order in every message


def metrics_of(values: dict[str, float]) -> Metrics:
    return tuple(sorted((str(name), float(value)) for name, value in values.items()))


@dataclass(frozen=True)
class Assessment:
    """What a version's (or a recommender's) metrics say, beside the version before it where there is one.

    `missing` says why there are no metrics (not yet computed, refused); the notification is told without them.
    `quality` is None where nothing is compared (a recommender's model metrics).
    """

    version_arn: str
    metrics: Metrics = ()
    quality: Quality | None = None
    key_metric: str = DEFAULT_KEY_METRIC
    threshold_percent: float = DEFAULT_THRESHOLD_PERCENT
    previous_arn: str | None = None
    previous_metrics: Metrics = ()
    missing: str | None = None
    # Whether data was imported into the dataset group between the previous version and this one (None: not
    # looked at, or could not be found out). Personalize's guide: "Avoid comparing metrics of different solution
    # versions trained with different data" ("Evaluating a solution version with metrics"); a regression on new
    # data may be the data's doing, and is told so.
    new_data: bool | None = None

    @property
    def verdict(self) -> str:
        """`regressed`, or `regressed on new data`; the others as they are."""
        if self.quality is None:
            return ""
        return f"{self.quality.value} on new data" if self.new_data else self.quality.value

    def change_percent(self, metric: str) -> float | None:
        """How much this metric moved from the previous version's, in percent of the previous value."""
        now, before = dict(self.metrics).get(metric), dict(self.previous_metrics).get(metric)
        if now is None or before is None or before == 0:
            return None
        return (now - before) / abs(before) * 100

    @property
    def key_value(self) -> float | None:
        return dict(self.metrics).get(self.key_metric)

    def brief(self) -> str:
        """What a subject has room for: NDCG@25 0.2750 (-12.0 %)."""
        key = readable(self.key_metric)
        if self.key_value is None:
            return f"no {key} among its metrics"
        value = f"{key} {self.key_value:.4f}"
        change = self.change_percent(self.key_metric)
        if self.quality is Quality.FIRST:
            return f"{value}, its first model"
        return f"{value} ({change:+.1f} %)" if change is not None else value

    def summary(self) -> str:
        """One line: NDCG@25 0.2750, 12.0 % below 9c2b."""
        if self.missing:
            return "its metrics are not available"
        key = readable(self.key_metric)
        if self.key_value is None:
            return f"no {key} among its metrics"
        value = f"{key} {self.key_value:.4f}"
        before = _short(self.previous_arn)
        change = self.change_percent(self.key_metric)
        if self.quality is Quality.FIRST:
            return f"{value}, the solution's first model"
        if change is None:
            return f"{value}, not comparable with {before}"
        if self.quality is Quality.UNCHANGED:
            return f"{value}, within {self.threshold_percent:g} % of {before}"
        return f"{value}, {abs(change):.1f} % {'above' if change > 0 else 'below'} {before}"


def assess(
    version_arn: str,
    metrics: dict[str, float] | None,
    previous: tuple[str, dict[str, float]] | None,
    *,
    key_metric: str = DEFAULT_KEY_METRIC,
    threshold_percent: float = DEFAULT_THRESHOLD_PERCENT,
    missing: str | None = None,
    compared: bool = True,
) -> Assessment:
    """The verdict of one version's metrics against the previous ACTIVE version's (`previous`: its ARN and
    metrics; None when there is none). `compared` False: the previous version could not be found out."""
    base = Assessment(version_arn=version_arn, key_metric=key_metric, threshold_percent=threshold_percent)
    if metrics is None:
        return replace(base, missing=missing or "not available", quality=Quality.UNKNOWN)
    found = replace(
        base,
        metrics=metrics_of(metrics),
        previous_arn=previous[0] if previous else None,
        previous_metrics=metrics_of(previous[1]) if previous else (),
    )
    return replace(found, quality=_verdict(found, compared))


def _verdict(found: Assessment, compared: bool) -> Quality:
    if not compared:
        return Quality.UNKNOWN
    if found.previous_arn is None:
        return Quality.FIRST
    now, before = found.key_value, dict(found.previous_metrics).get(found.key_metric)
    if now is None or before is None:
        return Quality.UNKNOWN
    if before == 0:  # no change in percent of nothing: only the direction
        return Quality.UNCHANGED if now == 0 else Quality.IMPROVED if now > 0 else Quality.REGRESSED
    change = (now - before) / abs(before) * 100
    if change == 0 or abs(change) < found.threshold_percent:
        return Quality.UNCHANGED
    return Quality.IMPROVED if change > 0 else Quality.REGRESSED


def _short(arn: str | None) -> str:
    """A version's ARN to its ID (solution/movies/3f1a2b -> 3f1a2b): what people tell versions apart by."""
    return (arn or "none").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ModelBaseline:
    """A solution's latest ACTIVE version whose metrics are known: what its next version is compared with,
    kept in the table so that comparing costs no Personalize call."""

    solution_arn: str
    version_arn: str
    created_at: str | None
    metrics: Metrics


def baseline_of(assessed: Assessment, solution_arn: str, created_at: str | None) -> ModelBaseline | None:
    """What the solution's next version is compared with once this one was assessed (None: it has no metrics).
    The store keeps it only if no newer version is kept already (an older version that finished late)."""
    if not assessed.metrics:
        return None
    return ModelBaseline(solution_arn, assessed.version_arn, created_at, assessed.metrics)
