"""`python -m services.render`: this service alone on Kafka and MongoDB (`sinmun serve render`)."""

from services.cli import main

if __name__ == "__main__":
    main(["serve", "render"])
