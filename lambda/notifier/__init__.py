"""Tells people the moment their Amazon Personalize jobs finish, and where the output landed or why they failed."""

__version__ = "0.1.0"
