"""Thin Lambda entry points: parse, call one function, return a summary."""
