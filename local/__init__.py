"""The embedded AWS: moto, extended with the Personalize job calls moto lacks. Used by tests and the demo."""
