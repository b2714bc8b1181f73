"""Provider defenses."""
