"""The domain: what Personalize's jobs and resources are, and every decision about them. Pure: no AWS, no I/O, no
clock but the one passed in (and domain.clock, which only reads it). Imports nothing of the notifier's above it."""
