"""Adapters of the ports: Kafka and an embedded log (EventBus); MongoDB and SQLite (storage)."""
