# The two front-door commands: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench rabbitmq clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Runs the four services: separate processes when RabbitMQ answers at AMQP_URI, otherwise all in
# one process over an in-memory broker. Without ADMIN_PASSWORD a local-only default is used.
run: $(STAMP)
	ADMIN_PASSWORD="$${ADMIN_PASSWORD:-admin-dev-password}" $(PY) -m services

# Unit, service and end-to-end tests; the e2e tests need RabbitMQ on 127.0.0.1:5672 (started if installed).
test: $(STAMP) rabbitmq
	$(PY) -m pytest -q

bench: $(STAMP) rabbitmq
	$(PY) -m bench

rabbitmq:
	@bash scripts/ensure-rabbitmq.sh

clean:
	rm -rf $(VENV) build *.egg-info
