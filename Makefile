# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the browser tests need: chromium (driven by Playwright) and a CJK font, without
# which Chinese renders as boxes in screenshots.
SYSTEM_PACKAGES := chromium fonts-wqy-microhei

.PHONY: run test lint venv index bench clean system-packages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# The web chat and copilot on http://$(HOST):$(PORT) (serve prints the address); the Telegram bot
# beside it when TELEGRAM_BOT_TOKEN is set (stopped with the server): polling, or, when
# POLICYBOT_TELEGRAM_WEBHOOK_URL is set too, the webhook served by `policybot serve` itself.
run: $(STAMP)
	$(BIN)/policybot index
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ] && [ -z "$$POLICYBOT_TELEGRAM_WEBHOOK_URL" ]; then \
		$(BIN)/policybot telegram & tg=$$!; \
		trap 'kill $$tg 2>/dev/null' EXIT INT TERM; \
		$(BIN)/policybot serve --host $(HOST) --port $(PORT); \
	else \
		$(BIN)/policybot serve --host $(HOST) --port $(PORT); \
	fi

# Installs only what is missing (quiet, idempotent); needs root or sudo.
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; \
		else echo "missing Debian packages:$$missing (install them as root: apt-get install$$missing)" >&2; exit 1; fi; \
		echo "installing Debian packages:$$missing"; log=$$(mktemp); \
		{ $$sudo apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; } >$$log 2>&1 \
		|| { cat $$log >&2; rm -f $$log; exit 1; }; rm -f $$log; \
	fi

test: $(STAMP) system-packages
	@bash .ci/ensure-postgresql
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

index: $(STAMP)
	$(BIN)/policybot index --rebuild

bench: $(STAMP)
	$(BIN)/policybot bench

clean:
	rm -rf $(VENV) .policybot .pytest_cache .ruff_cache
