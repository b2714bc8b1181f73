"""recon attacks."""
