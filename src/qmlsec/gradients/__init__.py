"""gradients layer."""
