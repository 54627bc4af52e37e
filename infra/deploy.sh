#!/usr/bin/env bash
# Deploy the Prompt Security Service to Azure in three stages, each idempotent (a re-run
# with the same inputs changes nothing):
#   1. infrastructure: bicep/main.bicep at subscription scope, without API Management
#      (the first run also generates the HMAC key and the APIM gateway secret);
#   2. code: one package, one deploy to the Flex Consumption app;
#   3. API Management: main.bicep again with the function key read from the running app
#      (an empty Flex app often cannot list its keys, so APIM waits for the code).
#
#   APIM_PUBLISHER_EMAIL=ops@example.com infra/deploy.sh dev
#   infra/deploy.sh prod --location westeurope --publisher-email ops@example.com
#   infra/deploy.sh dev --dry-run          # print the commands, build the package, call nothing
#
# Needs: Azure CLI (az login done, subscription selected), python3. Uses Azure Functions
# Core Tools (func) to publish when it is installed, otherwise
# `az functionapp deployment source config-zip --build-remote true` (Flex Consumption).
set -euo pipefail

usage() {
    cat <<'EOF'
usage: infra/deploy.sh <environment> [options]

  <environment>              dev or prod (any name with bicep/parameters/<name>.parameters.json)
  --location <region>        override the parameters file's location
  --publisher-email <email>  API Management publisher e-mail (or APIM_PUBLISHER_EMAIL)
  --skip-app                 deploy the infrastructure only (stage 1)
  --package-out <file.zip>   also keep a copy of the app package there
  --dry-run                  print the az commands instead of running them
  -h, --help                 this text
EOF
}

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP_ROOT="${PSS_DEPLOY_APP_ROOT:-$REPO_ROOT}"
TEMPLATE="$REPO_ROOT/bicep/main.bicep"

ENVIRONMENT=""
LOCATION=""
PUBLISHER_EMAIL="${APIM_PUBLISHER_EMAIL:-}"
SKIP_APP=0
DRY_RUN=0
PACKAGE_OUT=""

while [[ $# -gt 0 ]]; do
    case "$1" in
        --location) LOCATION="${2:?--location needs a value}"; shift 2 ;;
        --publisher-email) PUBLISHER_EMAIL="${2:?--publisher-email needs a value}"; shift 2 ;;
        --skip-app) SKIP_APP=1; shift ;;
        --package-out) PACKAGE_OUT="${2:?--package-out needs a value}"; shift 2 ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "error: unknown option $1" >&2; usage >&2; exit 2 ;;
        *)
            if [[ -n "$ENVIRONMENT" ]]; then
                echo "error: environment given twice ($ENVIRONMENT, $1)" >&2
                exit 2
            fi
            ENVIRONMENT="$1"; shift ;;
    esac
done

if [[ -z "$ENVIRONMENT" ]]; then
    usage >&2
    exit 2
fi
if [[ ! "$ENVIRONMENT" =~ ^[a-z0-9]{2,10}$ ]]; then
    echo "error: environment must be 2-10 lowercase letters or digits, got '$ENVIRONMENT'" >&2
    exit 2
fi

PARAMETERS="$REPO_ROOT/bicep/parameters/$ENVIRONMENT.parameters.json"
if [[ ! -f "$PARAMETERS" ]]; then
    echo "error: no parameters file $PARAMETERS" >&2
    exit 2
fi
if [[ -z "$PUBLISHER_EMAIL" ]]; then
    echo "error: set APIM_PUBLISHER_EMAIL or pass --publisher-email (API Management requires it)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "error: python3 is required" >&2; exit 2; }

# Read one parameter value from the parameters file (empty if absent).
param_value() {
    python3 - "$PARAMETERS" "$1" <<'PY'
import json, sys
params = json.load(open(sys.argv[1], encoding="utf-8"))["parameters"]
value = params.get(sys.argv[2], {}).get("value", "")
print(value if not isinstance(value, bool) else str(value).lower())
PY
}

[[ -n "$LOCATION" ]] || LOCATION="$(param_value location)"
NAME_PREFIX="$(param_value namePrefix)"
NAME_PREFIX="${NAME_PREFIX:-pss}"
HMAC_SECRET_NAME="$(param_value hmacKeySecretName)"
HMAC_SECRET_NAME="${HMAC_SECRET_NAME:-prompt-hmac-key}"
GATEWAY_SECRET_NAME="$(param_value gatewaySecretName)"
GATEWAY_SECRET_NAME="${GATEWAY_SECRET_NAME:-apim-gateway-secret}"
RESOURCE_GROUP="rg-$NAME_PREFIX-$ENVIRONMENT"
DEPLOYMENT_NAME="pss-$ENVIRONMENT"

WORK_DIR="$(mktemp -d)"
trap 'rm -rf "$WORK_DIR"' EXIT

# Run (or, with --dry-run, print) an az command.
az_run() {
    if [[ "$DRY_RUN" -eq 1 ]]; then
        printf 'DRY-RUN:'
        printf ' %q' az "$@"
        printf '\n'
        return 0
    fi
    az "$@"
}

if [[ "$DRY_RUN" -eq 0 ]]; then
    command -v az >/dev/null || { echo "error: the Azure CLI (az) is required" >&2; exit 2; }
    az account show --query id -o tsv >/dev/null || { echo "error: run 'az login' first" >&2; exit 2; }
fi

# ---- Secrets generated once, kept across deployments -----------------------------------
# The HMAC key (stable hashes) and the gateway secret (APIM -> app, x-pss-gateway-secret).
# Existence is checked on the control plane, so no Key Vault data role is needed. A value
# goes to the deployment in a private temporary parameters file, never on argv.
EXTRA_PARAMETERS=()
VAULT_NAME=""
secret_exists() {
    [[ "$DRY_RUN" -eq 1 ]] && return 1
    if [[ -z "$VAULT_NAME" ]]; then
        VAULT_NAME="$(az keyvault list --resource-group "$RESOURCE_GROUP" --query '[0].name' -o tsv 2>/dev/null || true)"
    fi
    [[ -n "$VAULT_NAME" ]] || return 1
    az resource show --resource-group "$RESOURCE_GROUP" --namespace Microsoft.KeyVault \
        --parent "vaults/$VAULT_NAME" --resource-type secrets --name "$1" \
        --query id -o tsv >/dev/null 2>&1
}
# first_run_secret <secret name> <template parameter> <what it is>
first_run_secret() {
    local file="$WORK_DIR/$2.parameters.json"
    if secret_exists "$1"; then
        echo "Secret '$1' ($3) exists: keeping it."
        return 0
    fi
    echo "Generating secret '$1' ($3, first deployment)."
    (umask 077 && python3 - "$file" "$2" <<'PY'
import json, secrets, sys
doc = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
       "contentVersion": "1.0.0.0",
       "parameters": {sys.argv[2]: {"value": secrets.token_urlsafe(48)}}}
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump(doc, fh)
PY
    )
    EXTRA_PARAMETERS+=(--parameters "@$file")
}
first_run_secret "$HMAC_SECRET_NAME" hmacKey "HMAC key"
first_run_secret "$GATEWAY_SECRET_NAME" gatewaySecret "API Management gateway secret"

# ---- Helpers --------------------------------------------------------------------------
# Bash 3.2 (macOS) treats "${a[@]}" of an empty array as unbound under set -u; expand
# the extra parameters only when there are some.
deploy_main() {
    local stage_name="$1"
    shift
    az_run deployment sub create \
        --name "$DEPLOYMENT_NAME-$stage_name" \
        --location "$LOCATION" \
        --template-file "$TEMPLATE" \
        --parameters "@$PARAMETERS" \
        --parameters "location=$LOCATION" "apimPublisherEmail=$PUBLISHER_EMAIL" "$@" \
        ${EXTRA_PARAMETERS[@]+"${EXTRA_PARAMETERS[@]}"} \
        --output none
}

output() {
    if [[ "$DRY_RUN" -eq 1 ]]; then
        echo "<$1>"
        return 0
    fi
    az deployment sub show --name "$DEPLOYMENT_NAME-$2" --query "properties.outputs.$1.value" -o tsv
}

stage() {
    echo
    echo "== Stage $1: $2"
}

# ---- App package ------------------------------------------------------------------
# Only the app: function_app.py, host.json, requirements.txt, functions/, shared/ and the
# built console (web/dist, when present; no tests, infra, bicep, caches or local settings).
# Python packages are installed by the remote build from requirements.txt.
PACKAGE="$WORK_DIR/app.zip"
build_package() {
    python3 - "$APP_ROOT" "$PACKAGE" <<'PY'
import sys, zipfile
from pathlib import Path

root, target = Path(sys.argv[1]), Path(sys.argv[2])
required = ["function_app.py", "host.json", "requirements.txt"]
missing = [name for name in required if not (root / name).is_file()]
if missing:
    sys.exit(f"error: the app root {root} lacks {', '.join(missing)}")
skip_dirs = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".data"}
files = [root / name for name in required]
if not (root / "web" / "dist" / "console.html").is_file():
    print("note: web/dist is not built (make web): /api/console and /api/docs will answer 503", file=sys.stderr)
for folder in ("functions", "shared", "web/dist"):
    for path in sorted((root / folder).rglob("*")) if (root / folder).is_dir() else []:
        rel = path.relative_to(root)
        if path.is_file() and not skip_dirs.intersection(rel.parts) and path.suffix not in {".pyc", ".pyo"}:
            files.append(path)
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
    for path in files:
        archive.write(path, path.relative_to(root).as_posix())
print(f"package: {len(files)} files")
PY
}

publish_app() {
    local app="$1"
    if [[ "$DRY_RUN" -eq 0 ]] && command -v func >/dev/null; then
        (cd "$APP_ROOT" && func azure functionapp publish "$app" --python)
    else
        az_run functionapp deployment source config-zip \
            --resource-group "$RESOURCE_GROUP" --name "$app" \
            --src "$PACKAGE" --build-remote true
    fi
}

# The console (web/dist) is built by `make web` where the Makefile has that target.
build_web() {
    if [[ -f "$APP_ROOT/Makefile" ]] && grep -q '^web:' "$APP_ROOT/Makefile" && command -v make >/dev/null; then
        echo "Building the console (make web)..."
        if [[ "$DRY_RUN" -eq 1 ]]; then
            echo "DRY-RUN: make -C $APP_ROOT web"
        else
            make -C "$APP_ROOT" web
        fi
    fi
}

# The key APIM presents to the backend, read from the running app (the host creates it
# on first start, so wait for it a little after a fresh publish).
read_function_key() {
    local app="$1" key="" attempt
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        key="$(az functionapp keys list --resource-group "$RESOURCE_GROUP" --name "$app" \
            --query functionKeys.default -o tsv 2>/dev/null || true)"
        [[ -n "$key" ]] && break
        echo "  the host has no key yet (attempt $attempt of 10); waiting 30 s..." >&2
        sleep 30
    done
    [[ -n "$key" ]] || { echo "error: could not read the default function key of $app" >&2; return 1; }
    printf '%s' "$key"
}

# ---- Stage 1: infrastructure ----------------------------------------------------------
stage "1/3" "infrastructure ($ENVIRONMENT, $LOCATION, resource group $RESOURCE_GROUP)"
if ! deploy_main infra "deployApim=false"; then
    # A first deployment can fail while new role assignments propagate; retry once.
    echo "First attempt failed; retrying in 60 s (role assignments may still be propagating)..." >&2
    sleep 60
    deploy_main infra "deployApim=false"
fi
FUNCTION_APP_NAME="$(output FUNCTION_APP_NAME infra)"
WORKBOOK_ID="$(output WORKBOOK_ID infra)"

if [[ "$SKIP_APP" -eq 1 ]]; then
    echo
    if [[ "$DRY_RUN" -eq 1 ]]; then
        echo "Dry run complete: nothing was deployed (stage 1 only, --skip-app)."
    else
        echo "Infrastructure deployed (stage 1 only, --skip-app); API Management waits for the code."
    fi
    exit 0
fi

# ---- Stage 2: code package ------------------------------------------------------------
stage "2/3" "code package to $FUNCTION_APP_NAME"
build_web
build_package
[[ -z "$PACKAGE_OUT" ]] || cp "$PACKAGE" "$PACKAGE_OUT"
if [[ "$DRY_RUN" -eq 1 ]]; then
    python3 -c 'import sys, zipfile; print("\n".join("PACKAGE: " + n for n in zipfile.ZipFile(sys.argv[1]).namelist()))' "$PACKAGE"
fi
publish_app "$FUNCTION_APP_NAME"

# ---- Stage 3: API Management ----------------------------------------------------------
stage "3/3" "API Management, with the function key read from $FUNCTION_APP_NAME"
if [[ "$DRY_RUN" -eq 1 ]]; then
    az_run functionapp keys list --resource-group "$RESOURCE_GROUP" --name "$FUNCTION_APP_NAME" \
        --query functionKeys.default -o tsv
    FUNCTION_KEY="<function key>"
else
    FUNCTION_KEY="$(read_function_key "$FUNCTION_APP_NAME")"
fi
KEY_FILE="$WORK_DIR/function-key.parameters.json"
# The key goes to the deployment in a private temporary parameters file, never on argv.
(umask 077 && printf '%s' "$FUNCTION_KEY" | python3 -c '
import json, sys
doc = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
       "contentVersion": "1.0.0.0", "parameters": {"functionKey": {"value": sys.stdin.read()}}}
json.dump(doc, open(sys.argv[1], "w", encoding="utf-8"))' "$KEY_FILE")
unset FUNCTION_KEY
deploy_main apim "deployApim=true" --parameters "@$KEY_FILE"

API_BASE_URL="$(output API_BASE_URL apim)"
APIM_NAME="$(output APIM_NAME apim)"
SUBSCRIPTION_NAME="$(output APIM_SUBSCRIPTION_NAME apim)"

if [[ "$DRY_RUN" -eq 1 ]]; then
    echo
    echo "Dry run complete: nothing was deployed (the commands above are what a real run executes, in this order)."
    exit 0
fi

cat <<EOF

Deployed.
  API Management gateway : $(output APIM_GATEWAY_URL apim)
  API base URL           : $API_BASE_URL
  Function app           : $FUNCTION_APP_NAME (reach it through APIM; manage/* needs the master key, on the app itself)
  Dashboards (workbook)  : https://portal.azure.com/#resource$WORKBOOK_ID/workbook

Subscription key of the default client:
  az rest --method post --url "https://management.azure.com/subscriptions/\$(az account show --query id -o tsv)/resourceGroups/$RESOURCE_GROUP/providers/Microsoft.ApiManagement/service/$APIM_NAME/subscriptions/$SUBSCRIPTION_NAME/listSecrets?api-version=2024-05-01" --query primaryKey -o tsv

Try it:
  curl -sS -X POST "$API_BASE_URL/analyze" -H "Ocp-Apim-Subscription-Key: <key>" \\
       -H "Content-Type: application/json" -d '{"user_id": "u1", "prompt": "Hello"}'
EOF
