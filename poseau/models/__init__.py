"""Backbones (one file per family), heads and the assembled models."""
