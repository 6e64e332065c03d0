"""Shared openCypher: statements both stores run, row layouts, the array builder."""
