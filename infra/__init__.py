"""The notifier's CDK side: `PersonalizeJobNotifier`, a construct for any CDK app, and the stack this
repository's app deploys. Installed, this package is `notifier_cdk`."""

from .construct import PersonalizeJobNotifier

__all__ = ["PersonalizeJobNotifier"]
