"""killchain/export layer."""
