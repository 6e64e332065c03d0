"""ownergraph."""
