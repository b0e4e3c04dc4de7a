"""The notifier's CDK side: `PersonalizeJobNotifier`, a construct for any CDK app, and the stack this
repository's app deploys. Installed, this package is `notifier_cdk`.

The construct is imported on first use: `infra.settings` and the other modules that need no CDK (the demo reads
the Powertools parameter's name from there) must not start jsii's Node process by importing this package.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PersonalizeJobNotifier"]


def __getattr__(name: str) -> Any:
    if name == "PersonalizeJobNotifier":
        from .construct import PersonalizeJobNotifier  # noqa: PLC0415

        return PersonalizeJobNotifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
