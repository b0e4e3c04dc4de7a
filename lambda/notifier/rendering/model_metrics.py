"""A model's offline metrics in a notification: the verdict line, the aligned table for email and chat, the JSON
fields. Pure."""

from __future__ import annotations

from notifier.domain.quality import Assessment, Quality, readable
from notifier.rendering.text import columns, short_id


def document_fields(assessment: Assessment) -> dict[str, object]:
    """A model's metrics by Personalize's own names, and the verdict against the version before (present only
    in notifications that carry metrics: a version that finished training, a campaign that moved, a recommender)."""
    compared = assessment.quality is not None
    return {
        "metricsOf": assessment.version_arn,
        "metrics": dict(assessment.metrics),
        "metricsMissing": assessment.missing,
        "trainedOnNewData": assessment.new_data,
        "quality": assessment.quality.value if assessment.quality else None,
        "qualityRule": {"keyMetric": assessment.key_metric, "thresholdPercent": assessment.threshold_percent}
        if compared
        else None,
        "previousVersion": {"arn": assessment.previous_arn, "metrics": dict(assessment.previous_metrics)}
        if assessment.previous_arn
        else None,
    }


def _metrics_table(assessment: Assessment) -> list[str]:
    """Each metric in one aligned row: its readable name, this value, the previous version's, the change."""
    before = short_id(assessment.previous_arn) if assessment.previous_arn else None
    header = ["Metric", "This model", *([before, "Change"] if before else [])]
    rows = [header]
    previous = dict(assessment.previous_metrics)
    for name, value in assessment.metrics:
        row = [readable(name), f"{value:.4f}"]
        if before:
            change = assessment.change_percent(name)
            row += [
                f"{previous[name]:.4f}" if name in previous else "-",
                f"{change:+.1f} %" if change is not None else "-",
            ]
        rows.append(row)
    return columns(rows)


def _quality_text(assessment: Assessment) -> str:
    """regressed: NDCG@25 0.2750, 12.0 % below 9c2b (under 5 % is unchanged)."""
    if assessment.quality is None:
        return ""
    rule = (
        f" (a change under {assessment.threshold_percent:g} % of {readable(assessment.key_metric)} is unchanged)"
        if assessment.quality in (Quality.IMPROVED, Quality.REGRESSED, Quality.UNCHANGED)
        else ""
    )
    return f"{assessment.verdict}: {assessment.summary()}{rule}"


def chat_lines(assessment: Assessment) -> list[str]:
    if assessment.missing:
        return [f"*Metrics:* not available ({assessment.missing})"]
    lines = [f"*Quality:* {_quality_text(assessment)}"] if assessment.quality else []
    if assessment.metrics:
        table = "\n".join(_metrics_table(assessment))
        lines.append(f"*Metrics:*\n```{table}```")
    return lines


def email_lines(assessment: Assessment) -> list[str]:
    """The quality verdict and a small table of the metrics, or why there are none."""
    if assessment.missing:
        return ["", f"Metrics: not available ({assessment.missing}); this notification is not sent again with them"]
    heading = f"Metrics of version {short_id(assessment.version_arn)}" if assessment.quality else "Model metrics"
    lines = ["", f"Quality: {_quality_text(assessment)}"] if assessment.quality else []
    if assessment.metrics:
        lines += ["", f"{heading}:", *(f"  {row}" for row in _metrics_table(assessment))]
    return lines
