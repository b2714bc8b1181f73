"""sidechannel attacks."""
