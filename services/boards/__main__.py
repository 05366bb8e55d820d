"""`python -m services.boards`: this service alone on Kafka and MongoDB (`sinmun serve boards`)."""

from services.cli import main

if __name__ == "__main__":
    main(["serve", "boards"])
