"""The CDK app's constructs: one stack composed of storage, notifications, poller and monitoring."""
