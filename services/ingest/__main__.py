"""`python -m services.ingest`: this service alone on Kafka and MongoDB (`sinmun serve ingest`)."""

from services.cli import main

if __name__ == "__main__":
    main(["serve", "ingest"])
