"""`python -m services.render`: this service alone on the distributed backends (`sinmun serve render`)."""

from services.cli import main

if __name__ == "__main__":
    main(["serve", "render"])
