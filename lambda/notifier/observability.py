"""One Logger, Tracer and Metrics for the whole package (Powertools reads its settings from the environment).

The deployed functions set POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE; anywhere else (the CLI,
the demo, a pip install) the same defaults apply, so nothing depends on a variable only Lambda has.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "personalize-job-notifier"
DEFAULT_METRICS_NAMESPACE = "PersonalizeJobNotifier"

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE

logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
