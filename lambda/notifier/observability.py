"""One Logger, Tracer and Metrics for the whole package (Powertools reads its settings from the environment)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "personalize-job-notifier"

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE))
tracer = Tracer(service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE))
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "PersonalizeJobNotifier"),
    service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE),
)
