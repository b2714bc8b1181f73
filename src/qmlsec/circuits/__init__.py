"""circuits layer."""
