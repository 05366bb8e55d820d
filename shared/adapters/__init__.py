"""Adapters of the ports: Kafka and the embedded log for EventBus, MongoDB and SQLite for storage."""
