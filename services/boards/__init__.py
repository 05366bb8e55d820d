"""The boards service."""
