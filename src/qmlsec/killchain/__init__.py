"""killchain layer."""
