"""Dockerfile generation from ``image.buildSpec`` (HyScale's dockerfile generator, §4)."""
