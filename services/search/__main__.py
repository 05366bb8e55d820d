"""`python -m services.search`: this service alone on Kafka and MongoDB (`sinmun serve search`)."""

from services.cli import main

if __name__ == "__main__":
    main(["serve", "search"])
