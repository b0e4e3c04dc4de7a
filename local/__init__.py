"""The embedded AWS: moto, extended with the Personalize job calls moto lacks. Used by tests and the demo."""

from notifier_local import moto_fixes, personalize  # noqa: F401 - importing installs them into moto
