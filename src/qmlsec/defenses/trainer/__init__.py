"""Trainer defenses."""
