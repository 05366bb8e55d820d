"""`python -m services.search`: this service alone on the distributed backends (`sinmun serve search`)."""

from services.cli import main

if __name__ == "__main__":
    main(["serve", "search"])
