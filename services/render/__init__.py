"""The render service."""
