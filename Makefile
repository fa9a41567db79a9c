# 双创申报助手 — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 5005
export PYTHONDONTWRITEBYTECODE := 1
export TF_CPP_MIN_LOG_LEVEL := 3
# python-telegram-bot 22: durations as timedelta (no deprecation warning on 429 retry_after)
export PTB_TIMEDELTA := true

.PHONY: run cluster test test-fast chat train check lint bench eval console clean help

help:
	@echo "make run    - set up, check knowledge, train if stale, serve on http://localhost:$(PORT)"
	@echo "make test   - set up and run the whole test suite"
	@echo "make test-fast - the unit tier (no training, no servers; under 2 minutes)"
	@echo "make cluster INSTANCES=2 - N Rasa instances + action server behind nginx on port $(PORT)"
	@echo "make chat   - talk to the assistant in this terminal (needs 'make run' in another)"
	@echo "make check  - validate knowledge/ (python -m bot kb check)"
	@echo "make bench  - stock rasa init bot vs the assistant (WeChat safe mode): latency, req/s, memory"
	@echo "make eval   - right/honest/wrong counts per case file against a running assistant"
	@echo "make console - the staff web console on http://127.0.0.1:$(CONSOLE_PORT) (accounts: python -m bot console adduser NAME)"

$(STAMP): requirements.in requirements-dev.in constraints.txt
	@PY310=$$(scripts/find-python310) || exit 1; \
	  [ -x $(PY) ] || "$$PY310" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<25" 
	$(PY) -m pip install --quiet -r requirements-dev.in -c constraints.txt
	@touch $(STAMP)

check: $(STAMP)
	$(PY) -m bot kb check

train: check
	$(PY) -m bot train

run: train
	$(PY) -m bot run --port $(PORT)

INSTANCES ?= 2
# N Rasa instances behind nginx, on PostgreSQL (tracker store, question log) and Redis
# (lock store, shared channel memories): see bot/ops/cluster.py and docs/deploy.md
cluster: train
	$(PY) -m bot cluster --instances $(INSTANCES) --port $(PORT)

chat: $(STAMP)
	$(PY) -m bot chat --port $(PORT)

lint: $(STAMP)
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

# two workers: the tests of the running assistant (tests/e2e, tests/cluster: one xdist group, see
# tests/conftest.py) one after the other on one, everything else spread over both
test: check
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m bot train
	$(PY) -m pytest -n 2 --dist loadgroup

# the unit tier for the edit-test loop: no training, no model, no servers (tests/conftest.py
# leaves out tests/e2e, tests/cluster, the `model` and `servers` markers); two workers
# (bytecode written here: pytest's rewritten test modules are not compiled again on every run)
test-fast: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest --fast -n 2 --dist worksteal -q -p no:cacheprovider

# trains a stock `rasa init` bot once into .build/stock; the two bots are loaded one after the other
# (BENCH_INSTANCES=N: the assistant as N instances behind nginx on PostgreSQL and Redis)
bench: train
	$(PY) scripts/bench.py --compare $(if $(BENCH_INSTANCES),--instances $(BENCH_INSTANCES))

EVAL_CASES ?= ../shared/eval/dev_cases.yml $(wildcard tests/data/eval_*.yml)
eval: $(STAMP)
	$(PY) -m bot eval $(EVAL_CASES) --rest http://localhost:$(PORT)/webhooks/rest/webhook

CONSOLE_PORT ?= 5010
# the staff web console: report, review queue, publish (bot/console; README "工作台")
console: $(STAMP)
	$(PY) -m bot console --port $(CONSOLE_PORT)

clean:
	rm -rf .build models nlu/generated results
