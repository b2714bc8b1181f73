"""campaigns layer."""
