# The two commands of the README.
.PHONY: up test lint schemas

up:  ## install (first time) and run the whole platform embedded at http://127.0.0.1:8080
	@bash deploy/local/python-env.sh
	.venv/bin/sinmun up

test:  ## install everything, start Kafka/FerretDB/OpenSearch, lint, type-check, run every test
	bash deploy/local/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy shared services tests bench

schemas:  ## regenerate docs/schemas and docs/asyncapi.yaml from the models
	.venv/bin/sinmun schemas export
