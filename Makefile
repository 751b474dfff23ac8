# The two front-door commands: `make run` and `make test`. Each sets up what it needs.
# PYTHON=/path/to/python3.13 overrides which interpreter builds the environment.
PYTHON ?=
VENV   ?= .venv
PY     := $(VENV)/bin/python
LOCK   := requirements.lock
# Named after the Python version: a .venv built on another interpreter has no such stamp and is rebuilt.
STAMP  := $(VENV)/.installed-py3.13

.PHONY: run test lint test-mongo bench backup lock rabbitmq chromium clean

$(STAMP): pyproject.toml $(LOCK) scripts/find-python.sh
	@interpreter=$$(PYTHON="$(PYTHON)" bash scripts/find-python.sh) || exit 1; \
	if [ -e $(VENV) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then \
		echo "$(VENV) was built on another Python: rebuilding it on $$interpreter"; rm -rf $(VENV); \
	fi; \
	$$interpreter -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed*
	touch $(STAMP)

# Runs the four services: separate processes when RabbitMQ answers at AMQP_URI, otherwise all in
# one process over an in-memory broker. With MONGODB_URI empty the data is kept in DATA_DIR (var/)
# by a local MongoDB-compatible server. Without ADMIN_PASSWORD the first start creates the admin
# with a generated password and prints it once; missing secrets are generated into DATA_DIR.
run: $(STAMP)
	$(PY) -m services

# Unit, service and end-to-end tests, over the MongoDB wire protocol to a local server on a fresh
# data folder; the e2e tests need RabbitMQ on 127.0.0.1:5672 (started if installed), the console's
# browser tests Debian's chromium and chromium-driver (installed as root when missing).
test: $(STAMP) rabbitmq chromium
	$(PY) -m pytest -q

# The lint gates (config in pyproject.toml): ruff over the code, mypy over the packages it names.
lint: $(STAMP)
	$(VENV)/bin/ruff check services shared
	$(VENV)/bin/mypy

# The same tests against a real MongoDB 7 at MONGODB_URI (e.g. the docker-compose one).
test-mongo: $(STAMP) rabbitmq
	@test -n "$$MONGODB_URI" || { echo "set MONGODB_URI, e.g. MONGODB_URI=mongodb://localhost:27017/?replicaSet=rs0 make test-mongo" >&2; exit 2; }
	$(PY) -m pytest -q tests/service tests/e2e

bench: $(STAMP) rabbitmq
	$(PY) -m bench

# A consistent copy of the local database (safe while `make run` runs) into BACKUP_TO (default backups/).
backup: $(STAMP)
	$(PY) -m shared.localdb --backup "$${BACKUP_TO:-backups}"

# Re-pin every package (with hashes) after changing the dependencies in pyproject.toml.
lock: $(STAMP)
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile --quiet --extra test --all-build-deps --generate-hashes --allow-unsafe \
		--strip-extras --no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml

rabbitmq:
	@bash scripts/ensure-rabbitmq.sh

chromium:
	@bash scripts/ensure-chromium.sh

clean:
	rm -rf $(VENV) build *.egg-info
