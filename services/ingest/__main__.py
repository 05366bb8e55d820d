"""`python -m services.ingest`: this service alone on the distributed backends (`sinmun serve ingest`)."""

from services.cli import main

if __name__ == "__main__":
    main(["serve", "ingest"])
