"""Postprocessor defenses."""
