# Houtai: `make run` to try it, `make test` to check it. Nothing else to install first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export PORT

.PHONY: run test test-deps install translations worker lint bench extract-messages clean

# Debian packages the suite drives: Chromium (browser tests), PgBouncer (tests through a pooler) and
# Noto Sans CJK (the Chinese glyphs of product posters; a server drawing posters wants it too).
TEST_DEBS := chromium pgbouncer fonts-noto-cjk
# store counts the fleet benchmark compares (make bench FLEET_SIZES="100 300" on a small machine)
FLEET_SIZES ?= 100 1000

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Houtai needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: setup.cfg setup.py | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	@$(BIN)/pip install -q -e '.[embedded]' || echo "\n!! No embedded PostgreSQL/Redis wheel fits this Python ($$($(BIN)/python -V)).\n!! Set DATABASE_URL and REDIS_URL to your own servers (see README).\n"
	touch $@

install: $(VENV)/.installed

translations: install
	@$(BIN)/pybabel -q compile -d app/translations -D messages

run: install translations
	$(BIN)/python -m app.devserver

worker: install translations
	$(BIN)/python -m app.worker

# As root (CI, a fresh container) the missing packages are installed with apt-get;
# otherwise make says what to install and stops.
test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing="$$missing pgbouncer"; \
	[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (apt-get)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "The tests need these Debian packages:$$missing"; \
	    echo "Install them first, e.g.  sudo apt-get install$$missing"; \
	    exit 1; \
	  fi; \
	fi

test: install translations test-deps
	$(BIN)/python -m pytest

bench: install translations
	@$(BIN)/pip install -q -e '.[bench]' || echo "py-spy could not be installed: bench.orders will not profile"
	$(BIN)/python -m bench.store_create
	$(BIN)/python -m bench.tenants_migrate
	$(BIN)/python -m bench.events
	$(BIN)/python -m bench.freight_quote
	$(BIN)/python -m bench.tracking
	$(BIN)/python -m bench.dispatch
	$(BIN)/python -m bench.service_inbox
	$(BIN)/python -m bench.catalog
	$(BIN)/python -m bench.reservations
	$(BIN)/python -m bench.orders
	$(BIN)/python -m bench.payments
	$(BIN)/python -m bench.wechatpay
	$(BIN)/python -m bench.shop_pages
	$(BIN)/python -m bench.aftersales
	$(BIN)/python -m bench.promotions
	$(BIN)/python -m bench.finance 600 300000
	$(BIN)/python -m bench.purchasing 50000 20
	$(BIN)/python -m bench.fleet $(FLEET_SIZES)

extract-messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel -q update -i app/translations/messages.pot -d app/translations -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache
