# PerfHub: `make run` (demo on SQLite, jobs in-process) and `make test` (whole suite on
# PostgreSQL + Redis). Every other command is listed in README.md.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/perfhub
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# TEST_DATABASE_URL is the owner (creates and migrates the test database); the tests' workers
# and web server log in as TEST_APP_ROLE, neither superuser nor BYPASSRLS, and the test code as
# TEST_APP_ROLE_tests (its privileges plus perfhub_system), both created when missing
# (tests/dbroles.py).
TEST_APP_ROLE ?= perfhub_app
# check --deploy runs with production values (never used to serve anything).
DEPLOY_ENV := DEBUG=0 SECRET_KEY=deploy-check-$(shell date +%s)-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH ALLOWED_HOSTS=perfhub.example.com PERFHUB_REQUIRE_SECRET=1 PERFHUB_ENCRYPTION_KEYS=ZGVwbG95LWNoZWNrLW9ubHktbmV2ZXItc2VydmluZyE=

.PHONY: run test install lint format migrate demo worker beat messages serve security typecheck

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py demo
	@echo ""
	@echo "PerfHub is starting at http://127.0.0.1:$(PORT)/"
	@echo "Demo logins (password perfhub-demo): admin, hr, manager (manages Sales), executive"
	@echo ""
	DEBUG=1 $(PY) manage.py runserver 0.0.0.0:$(PORT)

test: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DATABASE_APP_ROLE=$(TEST_APP_ROLE) $(PY) scripts/check_services.py
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) scripts/security_checks.py
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py check --deploy --fail-level WARNING
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DATABASE_APP_ROLE=$(TEST_APP_ROLE) $(VENV)/bin/pytest $(PYTEST_ARGS)

# bandit (no high-severity finding) and pip-audit (no known vulnerability; skipped with a
# message only when the vulnerability service cannot be reached). Also part of `make test`.
security: install
	$(PY) scripts/security_checks.py

# mypy as configured in pyproject.toml ([tool.mypy]): strict on the pure core and the roll-up.
# Needs no database (settings fall back to SQLite). Also part of `make test`.
typecheck: install
	$(VENV)/bin/mypy

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

# Migrations run as the owner of the tables: DATABASE_OWNER_URL when set (DATABASE_URL is then
# the application role, which may not change the schema), else DATABASE_URL.
migrate: install
	DATABASE_URL="$${DATABASE_OWNER_URL:-$$DATABASE_URL}" $(PY) manage.py migrate --noinput

demo: install
	$(PY) manage.py demo

# Needs REDIS_URL (and DATABASE_URL for PostgreSQL); run as many workers as you like.
worker: install
	$(VENV)/bin/celery -A perfhub worker --loglevel=INFO --concurrency=2

# Exactly one beat per deployment.
beat: install
	$(VENV)/bin/celery -A perfhub beat --loglevel=INFO

serve: install
	$(PY) manage.py collectstatic --noinput
	$(VENV)/bin/gunicorn perfhub.wsgi --worker-class gthread --workers 2 --threads 4 --bind 0.0.0.0:$(PORT)

messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore '.venv/*' --ignore 'static/*' --ignore 'staticfiles/*' --ignore 'node_modules/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'
