"""Detector defenses."""
