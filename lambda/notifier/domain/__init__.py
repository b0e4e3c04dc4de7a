"""The domain: what Personalize's jobs and resources are, and every decision about them. Pure: no AWS, no I/O;
decisions take the time as an argument (domain.clock is the one place that reads the system clock, for the layers
above to pass in). Imports nothing of the notifier's above it."""
