"""Security and wiring invariants of the Bicep templates, checked offline.

The Bicep CLI cannot be installed here, so every ``.bicep`` file is parsed with
pycep-parser (0.7.1) and the parsed documents are inspected: local auth off, shared
keys off, purge protection, TLS minimums, HTTPS only, role assignments, a GUID
workbook name, the Cosmos containers of ``shared/stores/base.py``, module parameters
that match the module files (what ``bicep build`` would catch), and every app setting
the code needs in Azure.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pycep import BicepParser

from shared.config import SemanticSettings, TenancySettings, known_env_names
from shared.stores.base import PARTITION_KEYS

ROOT = Path(__file__).resolve().parents[2]
BICEP = ROOT / "bicep"
MODULES = BICEP / "modules"
PARAMETERS = BICEP / "parameters"

# Settings the code reads that have no safe default in Azure: each must be set by the
# function app's app settings (bicep/modules/functionapp.bicep), unconditionally.
SETTINGS_REQUIRED_IN_AZURE: tuple[str, ...] = (
    "AzureWebJobsStorage__credential",  # host storage via managed identity (no connection string)
    "AzureWebJobsStorage__clientId",  # which identity: the user-assigned one
    "AzureWebJobsStorage__blobServiceUri",  # host leases, keys, timer locks
    "AzureWebJobsStorage__queueServiceUri",  # the graph-update queue trigger and output
    "AzureWebJobsStorage__tableServiceUri",  # the Flex host keeps state in tables too (official sample)
    "APPLICATIONINSIGHTS_CONNECTION_STRING",  # where telemetry goes (a plain value, not a secret)
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",  # Entra auth: the component has local auth off
    "AZURE_CLIENT_ID",  # DefaultAzureCredential picks the user-assigned identity
    "PSS_ENVIRONMENT",  # default "local" would mislabel telemetry and relax local-only paths
    "PSS_PRESET",  # explicit: regulated deployments must not depend on a default
    "PSS_STORE__BACKEND",  # default sqlite would keep state on an ephemeral instance disk
    "PSS_STORE__COSMOS_ENDPOINT",  # required with backend=cosmos
    "PSS_STORE__COSMOS_DATABASE",  # must name the database Bicep creates
    "PSS_SECRETS__KEY_VAULT_URL",  # without it secrets fall back to environment variables
    "PSS_PRIVACY__HMAC_KEY_SECRET_NAME",  # must name the secret Bicep/deploy.sh creates
    "PSS_TENANCY__GATEWAY_SECRET_NAME",  # must name the secret APIM's pss-gateway-secret reads
    "PSS_REPUTATION_DECAY_SCHEDULE",  # the timer schedule is "%PSS_REPUTATION_DECAY_SCHEDULE%"
    "PSS_GRAPH_QUEUE_NAME",  # must name the queue storage.bicep creates
    "PSS_SEMANTIC__EMBEDDING_DIMENSIONS",  # must equal the Cosmos vector policy of `attacks`
)

# Policy settings: set only when the deployment gives a value, because an explicit value
# would override PSS_PRESET; both parameter files give one.
POLICY_SETTINGS: dict[str, str] = {
    "PSS_SEVERITY_LEVEL": "severityLevel",
    "PSS_RESPONSE_STRATEGY": "responseStrategy",
    "PSS_PRIVACY__RETENTION_DAYS": "retentionDays",
}

# Set only when an Azure OpenAI account is configured.
SEMANTIC_SETTINGS: frozenset[str] = frozenset(
    {
        "PSS_SEMANTIC__AZURE_OPENAI_ENDPOINT",
        "PSS_SEMANTIC__API_VERSION",
        "PSS_SEMANTIC__CHAT_DEPLOYMENT",
        "PSS_SEMANTIC__EMBEDDING_DEPLOYMENT",
        "PSS_SEMANTIC__USE_EMBEDDINGS",
        "PSS_SEMANTIC__JUDGE_ENABLED",
        "PSS_SEMANTIC__FORWARD_ENABLED",
    }
)

# Platform settings (not ours, documented by Azure Functions / Azure Monitor / Azure
# Identity). Anything else without the PSS_ prefix is unexpected.
HOST_SETTINGS: frozenset[str] = frozenset(
    {
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "AZURE_CLIENT_ID",
        "PYTHON_ENABLE_OPENTELEMETRY",
    }
)

# Not allowed on Flex Consumption (moved into functionAppConfig or unsupported).
FLEX_FORBIDDEN_SETTINGS = frozenset(
    {
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "SCM_DO_BUILD_DURING_DEPLOYMENT",
        "ENABLE_ORYX_BUILD",
        "WEBSITE_CONTENTSHARE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "WEBSITE_NODE_DEFAULT_VERSION",
        "AzureWebJobsStorage",  # a connection string: shared keys are off
    }
)

# Built-in role definition ids.
ROLE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
ROLE_QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
ROLE_TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
ROLE_KV_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
ROLE_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
ROLE_OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
COSMOS_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"

RATE_LIMIT_BY_KEY_TIERS = {"Developer", "Basic", "BasicV2", "Standard", "StandardV2", "Premium"}


# ---------------------------------------------------------------------------- helpers


@cache
def parsed(path: Path) -> dict[str, Any]:
    return BicepParser().parse(file_path=path)


def module(name: str) -> dict[str, Any]:
    return parsed(MODULES / f"{name}.bicep")


def main_doc() -> dict[str, Any]:
    return parsed(BICEP / "main.bicep")


def body(entry: dict[str, Any]) -> dict[str, Any]:
    """The resource/module body, unwrapping ``if (...)`` and ``for`` wrappers."""
    config = entry["config"]
    while isinstance(config, dict) and ("condition" in config or "loop_type" in config) and "config" in config:
        config = config["config"]
    return config


def resources(doc: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return {
        name: res
        for name, res in (doc.get("resources") or {}).items()
        if res["type"].lower() == rtype.lower() and not res.get("existing")
    }


def single(doc: dict[str, Any], rtype: str) -> dict[str, Any]:
    found = resources(doc, rtype)
    assert len(found) == 1, f"expected one {rtype}, found {sorted(found)}"
    return body(next(iter(found.values())))


def variable(doc: dict[str, Any], name: str) -> Any:
    return doc["variables"][name]["value"]


def param_default(doc: dict[str, Any], name: str) -> Any:
    return doc["parameters"][name].get("default")


def decorator(doc: dict[str, Any], param: str, kind: str) -> Any:
    for deco in doc["parameters"][param]["decorators"]:
        if deco["type"] == kind:
            return deco.get("argument", True)
    return None


def function(node: Any, name: str) -> dict[str, Any] | None:
    if isinstance(node, dict) and isinstance(node.get("function"), dict) and node["function"]["type"] == name:
        return node["function"]["parameters"]
    return None


def number(node: Any) -> Any:
    """Literal ints, including unary minus (``-1`` parses as an operator)."""
    if isinstance(node, dict) and node.get("operator", {}).get("type") == "minus":
        operands = node["operator"]["operands"]
        if set(operands) == {"integer_value"}:
            return -operands["integer_value"]
    return node


def keys(obj: dict[str, Any]) -> dict[str, Any]:
    """Object keys without the quotes the parser keeps for quoted keys."""
    return {key.strip("'"): value for key, value in obj.items()}


def accessor(node: Any) -> list[str]:
    """``storage.outputs.graphQueueName`` as ``["storage", "outputs", "graphQueueName"]``."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict) and node.get("operator", {}).get("type") == "property_accessor":
        operands = node["operator"]["operands"]
        return accessor(operands["operand_1"]) + accessor(operands["operand_2"])
    raise AssertionError(f"not a property access: {node!r}")


def all_strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in all_strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in all_strings(value)]
    return []


def all_functions(node: Any, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        args = function(node, name)
        if args is not None:
            found.append(args)
        for value in node.values():
            found.extend(all_functions(value, name))
    elif isinstance(node, list):
        for value in node:
            found.extend(all_functions(value, name))
    return found


def bicep_files() -> list[Path]:
    return sorted(BICEP.rglob("*.bicep"))


def parameter_files() -> list[Path]:
    return sorted(PARAMETERS.glob("*.parameters.json"))


def loaded_text(doc_path: Path, file_arg: str) -> str:
    target = (doc_path.parent / file_arg).resolve()
    assert target.is_file(), f"{doc_path.name} loads missing file {file_arg}"
    return target.read_text(encoding="utf-8")


# ---------------------------------------------------------------------- parsing / layout


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: p.relative_to(BICEP).as_posix())
def test_every_bicep_file_parses_and_declares_something(path: Path) -> None:
    doc = parsed(path)
    assert (doc.get("resources") or {}) or (doc.get("modules") or {}), f"{path} declares nothing"


def test_layout_main_at_subscription_scope_with_local_modules_only() -> None:
    doc = main_doc()
    assert doc["globals"]["scope"]["value"] == "subscription"
    used = set()
    for name, mod in doc["modules"].items():
        assert mod["type"] == "local", f"module {name} is not local: checkov cannot see into registry modules"
        target = (BICEP / mod["detail"]["path"]).resolve()
        assert target.is_file(), f"module {name} points at missing {target}"
        used.add(target)
    defined = {p.resolve() for p in MODULES.glob("*.bicep")}
    assert defined == used, f"modules not wired into main.bicep: {sorted(p.name for p in defined - used)}"
    for path in bicep_files():
        text = path.read_text(encoding="utf-8")
        assert "br:" not in text and "br/public" not in text, f"{path.name} references a registry module"
    assert {
        "identity",
        "storage",
        "cosmos",
        "keyVault",
        "monitoring",
        "functionApp",
        "apim",
        "openAi",
        "rbac",
    } <= set(doc["modules"])


def test_module_calls_match_module_parameters() -> None:
    """What ``bicep build`` would reject: unknown or missing module parameters."""
    doc = main_doc()
    for name, mod in doc["modules"].items():
        target = parsed((BICEP / mod["detail"]["path"]).resolve())
        declared = target.get("parameters") or {}
        given = set(body(mod).get("params") or {})
        unknown = given - set(declared)
        assert not unknown, f"module {name} gets unknown parameters {sorted(unknown)}"
        required = {p for p, spec in declared.items() if "default" not in spec}
        assert required <= given, f"module {name} misses required parameters {sorted(required - given)}"


@pytest.mark.parametrize("path", parameter_files(), ids=lambda p: p.name)
def test_parameter_files_match_main(path: Path) -> None:
    doc = main_doc()
    declared = doc["parameters"]
    values = json.loads(path.read_text(encoding="utf-8"))["parameters"]
    unknown = set(values) - set(declared)
    assert not unknown, f"{path.name} sets unknown parameters {sorted(unknown)}"
    # deploy.sh passes the publisher e-mail and (first deployment only) the HMAC key.
    passed_by_script = {"apimPublisherEmail", "hmacKey", "gatewaySecret"}
    required = {p for p, spec in declared.items() if "default" not in spec} - passed_by_script
    assert required <= set(values), f"{path.name} misses {sorted(required - set(values))}"
    for name, entry in values.items():
        allowed = decorator(doc, name, "allowed")
        if allowed is not None:
            assert entry["value"] in allowed, f"{path.name}: {name}={entry['value']!r} not in {allowed}"
        low, high = decorator(doc, name, "min_value"), decorator(doc, name, "max_value")
        if low is not None:
            assert entry["value"] >= low, f"{path.name}: {name} below {low}"
        if high is not None:
            assert entry["value"] <= high, f"{path.name}: {name} above {high}"
    assert "hmacKey" not in values, "the HMAC key must never be committed to a parameters file"
    assert "gatewaySecret" not in values, "the gateway secret must never be committed to a parameters file"
    for setting, param in POLICY_SETTINGS.items():
        assert values.get(param, {}).get("value") not in (None, "", 0), f"{path.name} leaves {setting} unset"


def test_environments_exist_and_prod_is_hardened() -> None:
    names = {p.name for p in parameter_files()}
    assert {"dev.parameters.json", "prod.parameters.json"} <= names
    prod = json.loads((PARAMETERS / "prod.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert prod["apimSku"]["value"] in RATE_LIMIT_BY_KEY_TIERS
    assert prod["storageSku"]["value"] != "Standard_LRS"
    assert prod["apimProductApprovalRequired"]["value"] is True


def test_secrets_are_secure_parameters() -> None:
    for path in bicep_files():
        doc = parsed(path)
        for name in doc.get("parameters") or {}:
            if re.search(r"(key|secret|password)$", name, re.IGNORECASE) and not re.search(
                r"(SecretName|SecretUri)$", name
            ):
                assert decorator(doc, name, "secure"), f"{path.name}: parameter {name} must be @secure()"
        for out in (doc.get("outputs") or {}).values():
            assert not all_functions(out, "list_func"), f"{path.name} outputs a key"


# ------------------------------------------------------------------------------ storage


def test_storage_shared_keys_off_tls_https_no_public_blobs() -> None:
    doc = module("storage")
    props = single(doc, "Microsoft.Storage/storageAccounts")["properties"]
    assert props["allowSharedKeyAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True
    assert props["allowBlobPublicAccess"] is False
    assert props["defaultToOAuthAuthentication"] is True
    container = single(doc, "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert container["properties"]["publicAccess"] == "None"


def test_graph_queue_and_poison_queue_exist_and_feed_the_app_setting() -> None:
    doc = module("storage")
    queues = resources(doc, "Microsoft.Storage/storageAccounts/queueServices/queues")
    names = {body(q)["name"] for q in queues.values()}
    assert names == {"graphQueueName", "${graphQueueName}-poison"}
    main = main_doc()
    assert body(main["modules"]["storage"])["params"]["graphQueueName"] == "graphQueueName"
    app_queue = body(main["modules"]["functionApp"])["params"]["graphQueueName"]
    assert accessor(app_queue) == ["storage", "outputs", "graphQueueName"]
    outputs = module("storage")["outputs"]["graphQueueName"]
    assert accessor(outputs["value"]) == ["graphQueue", "name"]
    assert param_default(main, "graphQueueName") == "graph-updates"


# ------------------------------------------------------------------------------- cosmos


def _container_specs() -> dict[str, dict[str, Any]]:
    doc = module("cosmos")
    specs: dict[str, dict[str, Any]] = {}
    for res in resources(doc, "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers").values():
        cfg = res["config"]
        if "loop_type" in cfg:
            items = variable(doc, cfg["loop_type"]["detail"]["array_name"])
            resource_body = cfg["config"]["properties"]["resource"]
            assert accessor(resource_body["indexingPolicy"]) == ["c", "indexingPolicy"]
            for item in items:
                policy = item["indexingPolicy"]
                specs[item["name"]] = {
                    "partitionKey": item["partitionKey"],
                    "defaultTtl": number(resource_body.get("defaultTtl")),
                    "indexingPolicy": variable(doc, policy) if isinstance(policy, str) else policy,
                }
        else:
            resource_body = cfg["properties"]["resource"]
            specs[resource_body["id"]] = {
                "partitionKey": resource_body["partitionKey"]["paths"][0],
                "defaultTtl": number(resource_body.get("defaultTtl")),
                "indexingPolicy": resource_body["indexingPolicy"],
                "resource": resource_body,
            }
    return specs


def test_cosmos_account_local_auth_off_and_tls12() -> None:
    doc = module("cosmos")
    props = single(doc, "Microsoft.DocumentDB/databaseAccounts")["properties"]
    assert props["disableLocalAuth"] is True
    assert props["disableKeyBasedMetadataWriteAccess"] is True
    assert props["minimalTlsVersion"] == "Tls12"
    vector = variable(doc, "vectorCapabilities")
    assert {"name": "EnableNoSQLVectorSearch"} in vector
    assert {"name": "EnableServerless"} in variable(doc, "serverlessCapabilities")
    capabilities = props["capabilities"]["operator"]["operands"]
    assert capabilities["condition"]["operator"]["operands"] == {
        "operand_1": "capacityMode",
        "operand_2": "serverless",
    }
    assert function(capabilities["true_value"], "concat") == {
        "arg_1": "serverlessCapabilities",
        "arg_2": "vectorCapabilities",
    }
    assert capabilities["false_value"] == "vectorCapabilities", "vector search must be on in every mode"


def test_cosmos_capacity_mode_switches_serverless_and_autoscale() -> None:
    doc = module("cosmos")
    assert decorator(doc, "capacityMode", "allowed") == ["serverless", "autoscale"]
    db = single(doc, "Microsoft.DocumentDB/databaseAccounts/sqlDatabases")
    assert db["properties"]["options"] == "databaseOptions"
    options = variable(doc, "databaseOptions")["operator"]["operands"]
    assert options["condition"]["operator"]["operands"] == {
        "operand_1": "capacityMode",
        "operand_2": "autoscale",
    }
    assert options["true_value"] == "autoscaleOptions" and options["false_value"] == {}
    assert variable(doc, "autoscaleOptions") == {"autoscaleSettings": {"maxThroughput": "autoscaleMaxThroughput"}}


def test_cosmos_containers_match_store_partition_keys() -> None:
    specs = _container_specs()
    assert set(specs) == set(PARTITION_KEYS), "Bicep containers differ from shared/stores/base.py"
    for name, field in PARTITION_KEYS.items():
        assert specs[name]["partitionKey"] == f"/{field}", f"{name}: partition key"


def test_cosmos_ttl_on_without_default_expiry_everywhere() -> None:
    """The store contract: a document with ``ttl`` expires, one without never does, in
    every container (shared/stores/base.py). defaultTtl -1 is exactly that."""
    specs = _container_specs()
    for name, spec in specs.items():
        assert spec["defaultTtl"] == -1, f"{name}: TTL must be on (defaultTtl -1)"
        assert spec["indexingPolicy"]["indexingMode"] == "consistent", name


def test_cosmos_indexing_policies_are_the_stores_and_cover_every_query_field() -> None:
    """Containers written on every prompt index only what queries use (RU per write,
    issue 14): the template declares exactly shared/stores/indexing.py's policies, and
    every field the code filters or sorts on in those containers is indexed."""
    from shared.stores.base import AUDIT, GRAPH, PATTERNS, PROCESSED, PROMPTS, USERS
    from shared.stores.indexing import indexed_fields, indexing_policy

    specs = _container_specs()
    for name, spec in specs.items():
        policy = spec["indexingPolicy"]
        if name == "attacks":  # vector settings on top of the default: checked below
            assert {"path": "/*"} in policy["includedPaths"]
            continue
        expected = indexing_policy(name)
        assert policy["indexingMode"] == expected["indexingMode"] and policy["automatic"] is expected["automatic"]
        assert policy["includedPaths"] == expected["includedPaths"], name
        assert policy["excludedPaths"] == expected["excludedPaths"], name
    assert specs["graph"]["indexingPolicy"]["includedPaths"] == []
    assert {"path": "/*"} in specs["graph"]["indexingPolicy"]["excludedPaths"]
    assert indexed_fields(GRAPH) == () and indexed_fields(PROCESSED) == ()
    # Every Filter/OrderBy field the service uses on a narrowed container (and the partition key).
    used = _query_fields()
    for container in (GRAPH, PROCESSED, PROMPTS, AUDIT, PATTERNS, USERS):
        fields = indexed_fields(container)
        assert fields is not None
        missing = used.get(container, set()) - set(fields) - {"id"}
        assert not missing, f"{container}: queried on {sorted(missing)} but not indexed"
    assert used.get(AUDIT, set()) >= {"at", "tenant", "decision"}  # the scan found the known queries
    assert used.get(PATTERNS, set()) >= {"kind", "tenant", "last_at"}
    assert used.get(USERS, set()) >= {"away", "last_seen"}


def _query_fields() -> dict[str, set[str]]:
    """Container -> fields named in ``Filter``/``OrderBy`` of ``store.query``/``query_all``
    calls in shared/ (a call names its container constant as the first argument)."""
    import ast

    from shared.stores import base

    names = {k: getattr(base, k) for k in ("PROMPTS", "USERS", "GRAPH", "PATTERNS", "AUDIT", "PROCESSED", "ATTACKS")}
    found: dict[str, set[str]] = {}
    for path in (ROOT / "shared").rglob("*.py"):
        if "stores" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("query", "query_all") or not node.args:
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Name) and first.id in names):
                continue
            fields = found.setdefault(names[first.id], set())
            # Filters are often built just before the call: take those of the enclosing function.
            for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
                if node in ast.walk(func):
                    for sub in ast.walk(func):
                        if (
                            isinstance(sub, ast.Call)
                            and isinstance(sub.func, ast.Name)
                            and sub.func.id in ("Filter", "OrderBy")
                            and sub.args
                            and isinstance(sub.args[0], ast.Constant)
                        ):
                            fields.add(str(sub.args[0].value))
    return found


def test_cosmos_attacks_container_has_vector_policy_and_index() -> None:
    doc = module("cosmos")
    attacks = _container_specs()["attacks"]["resource"]
    (embedding,) = attacks["vectorEmbeddingPolicy"]["vectorEmbeddings"]
    assert embedding == {
        "path": "/embedding",
        "dataType": "float32",
        "distanceFunction": "cosine",
        "dimensions": "embeddingDimensions",
    }
    policy = attacks["indexingPolicy"]
    assert {"path": "/embedding/*"} in policy["excludedPaths"]
    assert all(not p["path"].startswith("/embedding") for p in policy["includedPaths"])
    (index,) = policy["vectorIndexes"]
    assert index["path"] == "/embedding" and index["type"] == "vectorIndexType"
    assert set(decorator(doc, "vectorIndexType", "allowed")) == {"flat", "quantizedFlat", "diskANN"}
    # One number for the vector policy and the app: same main parameter, same default.
    main = main_doc()
    assert body(main["modules"]["cosmos"])["params"]["embeddingDimensions"] == "embeddingDimensions"
    assert body(main["modules"]["functionApp"])["params"]["embeddingDimensions"] == "embeddingDimensions"
    assert param_default(main, "embeddingDimensions") == SemanticSettings().embedding_dimensions
    assert param_default(doc, "embeddingDimensions") == SemanticSettings().embedding_dimensions


# ---------------------------------------------------------------------------- key vault


def test_key_vault_rbac_soft_delete_purge_protection() -> None:
    doc = module("keyvault")
    props = single(doc, "Microsoft.KeyVault/vaults")["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["enablePurgeProtection"] is True
    assert props["softDeleteRetentionInDays"] == "softDeleteRetentionDays"
    assert param_default(doc, "softDeleteRetentionDays") == 90
    assert "accessPolicies" not in props
    for secret in resources(doc, "Microsoft.KeyVault/vaults/secrets").values():
        assert body(secret)["properties"]["contentType"], "every secret says what it holds"


def test_hmac_secret_is_created_only_when_a_value_is_given() -> None:
    doc = module("keyvault")
    (secret,) = (
        s
        for s in resources(doc, "Microsoft.KeyVault/vaults/secrets").values()
        if body(s)["name"] == "hmacKeySecretName"
    )
    condition = secret["config"]["condition"]
    assert condition["operator"]["type"] == "not"
    assert function(condition["operator"]["operands"]["bool_value"], "empty") == {"item_to_test": "hmacKey"}
    assert decorator(doc, "hmacKey", "secure")


# --------------------------------------------------------------------------- monitoring


def test_monitoring_local_auth_off_and_workbook_guid() -> None:
    doc = module("monitoring")
    workspace = single(doc, "Microsoft.OperationalInsights/workspaces")["properties"]
    assert workspace["features"]["disableLocalAuth"] is True
    insights = single(doc, "Microsoft.Insights/components")["properties"]
    assert insights["DisableLocalAuth"] is True
    assert insights["WorkspaceResourceId"]["operator"]["operands"]["operand_1"] == "workspace"
    workbook = single(doc, "Microsoft.Insights/workbooks")
    assert function(workbook["name"], "guid") is not None, "a workbook name must be a GUID"
    assert workbook["kind"] == "shared"
    assert workbook["properties"]["sourceId"]["operator"]["operands"]["operand_1"] == "appInsights"
    load = function(workbook["properties"]["serializedData"], "load_text_content")
    assert load is not None
    text = loaded_text(MODULES / "monitoring.bicep", load["file_path"])
    assert json.loads(text)["version"] == "Notebook/1.0"
    assert (MODULES / load["file_path"]).resolve() == ROOT / "infra" / "workbook.json"


# ------------------------------------------------------------------------- function app


def test_function_app_flex_python_identity_https() -> None:
    doc = module("functionapp")
    plan = single(doc, "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True
    site = single(doc, "Microsoft.Web/sites")
    assert site["kind"] == "functionapp,linux"
    assert site["identity"]["type"] == "UserAssigned"
    props = site["properties"]
    assert props["httpsOnly"] is True
    assert props["keyVaultReferenceIdentity"] == "identityId"
    assert props["siteConfig"]["minTlsVersion"] == "1.2"
    assert props["siteConfig"]["scmMinTlsVersion"] == "1.2"
    # ARM refuses FtpsState on Flex Consumption sites; FTP is off through the credentials policy.
    assert "ftpsState" not in props["siteConfig"]
    assert props["siteConfig"]["remoteDebuggingEnabled"] is False
    config = props["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityId",
    }
    policies = resources(doc, "Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    assert {body(p)["name"]: body(p)["properties"]["allow"] for p in policies.values()} == {
        "ftp": False,
        "scm": False,
    }


def _collect_settings(doc: dict[str, Any], node: Any, conditional: bool, out: dict[str, tuple[Any, bool]]) -> None:
    """Names set by an app-settings expression (vars, union(), ternaries, literals)."""
    variables = doc.get("variables") or {}
    if isinstance(node, str):
        if node in variables:
            _collect_settings(doc, variables[node]["value"], conditional, out)
        return
    if not isinstance(node, dict):
        return
    if "function" in node:
        for arg in (node["function"]["parameters"] or {}).values():
            _collect_settings(doc, arg, conditional, out)
    elif "operator" in node:
        is_ternary = node["operator"]["type"] == "conditional"
        for key, operand in node["operator"]["operands"].items():
            if key != "condition":
                _collect_settings(doc, operand, conditional or is_ternary, out)
    else:
        for name, value in node.items():
            out[name] = (value, conditional)


def app_settings() -> dict[str, tuple[Any, bool]]:
    doc = module("functionapp")
    settings = single(doc, "Microsoft.Web/sites/config")
    assert settings["name"] == "appsettings"
    out: dict[str, tuple[Any, bool]] = {}
    _collect_settings(doc, settings["properties"], False, out)
    return out


def test_required_settings_are_known_names() -> None:
    """A renamed setting in shared/config.py must break this test, not the deployment."""
    known = known_env_names()
    for name in SETTINGS_REQUIRED_IN_AZURE:
        assert name in known or name in HOST_SETTINGS, f"{name} is neither a PSS setting nor a host setting"
    for name in POLICY_SETTINGS:
        assert name in known
    assert known >= SEMANTIC_SETTINGS


def test_app_settings_cover_everything_the_code_needs_in_azure() -> None:
    settings = app_settings()
    always = {name for name, (_, conditional) in settings.items() if not conditional}
    missing = set(SETTINGS_REQUIRED_IN_AZURE) - always
    assert not missing, f"app settings miss {sorted(missing)}"
    for name in POLICY_SETTINGS:
        assert name in settings, f"{name} is not wired"
    assert set(settings) >= SEMANTIC_SETTINGS, "Azure OpenAI settings are not wired"
    for name in SEMANTIC_SETTINGS:
        assert settings[name][1], f"{name} must only be set when an OpenAI account is configured"


def test_app_settings_are_all_known() -> None:
    """load_settings() refuses unknown PSS_* variables, so a typo here would stop the app."""
    known = known_env_names()
    for name in app_settings():
        if name.startswith("PSS_"):
            assert name in known, f"{name} is not a setting of shared/config.py"
        else:
            assert name in HOST_SETTINGS, f"{name} is not a documented host setting"
        assert name not in FLEX_FORBIDDEN_SETTINGS, f"{name} is not allowed on Flex Consumption"


def test_app_setting_values() -> None:
    settings = app_settings()
    assert settings["PSS_STORE__BACKEND"][0] == "cosmos"
    assert settings["AzureWebJobsStorage__credential"][0] == "managedidentity"
    assert settings["AzureWebJobsStorage__clientId"][0] == "identityClientId"
    assert settings["AZURE_CLIENT_ID"][0] == "identityClientId"
    # Not a secret, so no Key Vault reference (and no start-up race with role propagation).
    assert accessor(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"][0]) == [
        "appInsights",
        "properties",
        "ConnectionString",
    ]
    assert settings["AzureWebJobsStorage__tableServiceUri"][0] == "storageTableEndpoint"
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"][0] == "ClientId=${identityClientId};Authorization=AAD"
    assert settings["PSS_REPUTATION_DECAY_SCHEDULE"][0] == "decaySchedule"
    doc = module("functionapp")
    assert len(param_default(doc, "decaySchedule").split()) == 6, "NCRONTAB has six fields"
    semantic = variable(doc, "optionalSemanticSettings")["operator"]["operands"]
    assert function(semantic["condition"], "empty") == {"item_to_test": "openAiEndpoint"}


def test_app_settings_follow_preset_unless_given() -> None:
    doc = module("functionapp")
    for name, param in POLICY_SETTINGS.items():
        owner = next(
            v
            for v, spec in doc["variables"].items()
            if isinstance(spec["value"], dict)
            and spec["value"].get("operator", {}).get("type") == "conditional"
            and name in json.dumps(spec["value"])
        )
        ternary = variable(doc, owner)["operator"]["operands"]
        assert ternary["true_value"] == {}, f"{name} must be omitted when {param} is empty"
        assert param in json.dumps(ternary["condition"])


# ---------------------------------------------------------------------------------- rbac


def _role_assignments() -> list[dict[str, Any]]:
    docs = [module("rbac"), module("openai")]
    return [
        body(r)["properties"] for d in docs for r in resources(d, "Microsoft.Authorization/roleAssignments").values()
    ]


def _role(props: dict[str, Any]) -> str:
    args = function(props["roleDefinitionId"], "subscription_resource_id")
    assert args is not None
    return next(v for k, v in args.items() if k != "resource_type" and isinstance(v, str))


def test_role_assignments_present() -> None:
    rbac = module("rbac")
    role_vars = {name: spec["value"] for name, spec in rbac["variables"].items()}
    granted = {(role_vars.get(_role(p), _role(p)), p["principalId"]) for p in _role_assignments()}
    openai = module("openai")
    openai_role = variable(openai, "cognitiveServicesOpenAiUser")
    granted = {(role_vars.get(r, variable(openai, r) if r in openai["variables"] else r), p) for r, p in granted}
    assert (ROLE_BLOB_DATA_OWNER, "functionPrincipalId") in granted
    assert (ROLE_QUEUE_DATA_CONTRIBUTOR, "functionPrincipalId") in granted, "the queue trigger needs the queue role"
    assert (ROLE_TABLE_DATA_CONTRIBUTOR, "functionPrincipalId") in granted, "the Flex host uses tables"
    assert (ROLE_KV_SECRETS_USER, "functionPrincipalId") in granted
    assert (ROLE_KV_SECRETS_USER, "apimPrincipalId") in granted
    assert (ROLE_METRICS_PUBLISHER, "functionPrincipalId") in granted
    assert openai_role == ROLE_OPENAI_USER and (ROLE_OPENAI_USER, "functionPrincipalId") in granted
    for props in _role_assignments():
        assert props["principalType"] == "ServicePrincipal"


def test_cosmos_data_plane_role_assignment() -> None:
    rbac = module("rbac")
    (assignment,) = resources(rbac, "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments").values()
    props = body(assignment)["properties"]
    assert props["principalId"] == "functionPrincipalId"
    assert variable(rbac, "cosmosDataContributor") == COSMOS_DATA_CONTRIBUTOR
    assert "sqlRoleDefinitions/${cosmosDataContributor}" in props["roleDefinitionId"]


def test_app_waits_for_its_roles() -> None:
    main = main_doc()
    for name in ("functionApp", "apim"):
        assert "rbac" in body(main["modules"][name]).get("dependsOn", []), f"{name} must deploy after rbac"


# ---------------------------------------------------------------------------------- APIM


def test_apim_tier_supports_rate_limit_by_key_by_default() -> None:
    for doc, param in ((module("apim"), "sku"), (main_doc(), "apimSku")):
        assert param_default(doc, param) in RATE_LIMIT_BY_KEY_TIERS
        assert "Consumption" in decorator(doc, param, "allowed"), "the documented fallback stays selectable"


def test_apim_imports_openapi_and_publishes_a_product() -> None:
    doc = module("apim")
    api = single(doc, "Microsoft.ApiManagement/service/apis")["properties"]
    assert api["format"] == "openapi+json"
    assert api["subscriptionRequired"] is True
    assert api["protocols"] == ["https"]
    spec = json.loads(loaded_text(MODULES / "apim.bicep", function(api["value"], "load_text_content")["file_path"]))
    assert spec["openapi"].startswith("3.")
    assert "/analyze" in spec["paths"] and "post" in spec["paths"]["/analyze"]
    product = single(doc, "Microsoft.ApiManagement/service/products")["properties"]
    assert product["subscriptionRequired"] is True and product["state"] == "published"
    assert resources(doc, "Microsoft.ApiManagement/service/products/apis")
    assert resources(doc, "Microsoft.ApiManagement/service/products/policies")
    assert resources(doc, "Microsoft.ApiManagement/service/apis/policies")


def test_apim_backend_uses_function_key_from_key_vault_named_value() -> None:
    doc = module("apim")
    secret = single(doc, "Microsoft.KeyVault/vaults/secrets")["properties"]["value"]
    # No listKeys at deployment time (an empty Flex app often cannot answer it): deploy.sh
    # reads the key from the running app after publishing and passes it as a secure parameter.
    assert secret == "functionKey" and not all_functions(doc, "list_func")
    assert decorator(doc, "functionKey", "secure") is not None or "secure" in json.dumps(
        doc["parameters"]["functionKey"]
    )
    main = main_doc()
    assert body(main["modules"]["apim"])["params"]["functionKey"] == "functionKey"
    assert main["modules"]["apim"]["config"]["condition"] == "deployApim"
    named = [
        body(r)
        for r in resources(doc, "Microsoft.ApiManagement/service/namedValues").values()
        if isinstance(body(r)["properties"], dict) and "keyVault" in body(r)["properties"]
    ]
    named = [n for n in named if n["name"] == "functionKeyNamedValue"]
    assert len(named) == 1
    nv = named[0]["properties"]
    assert nv["secret"] is True
    assert nv["keyVault"]["identityClientId"] == "identityClientId"
    assert "secrets/${functionKeySecret.name}" in nv["keyVault"]["secretIdentifier"]
    backend = single(doc, "Microsoft.ApiManagement/service/backends")
    header = keys(backend["properties"]["credentials"]["header"])
    assert named[0]["name"] == "functionKeyNamedValue"
    assert variable(doc, "functionKeyNamedValue") == "pss-function-key"
    assert header == {"x-functions-key": ["{{${functionKeyNamedValue}}}"]}
    assert backend["properties"]["tls"] == {"validateCertificateChain": True, "validateCertificateName": True}
    assert backend["properties"]["url"].startswith("https://")


def test_apim_tls_minimum_on_classic_tiers() -> None:
    doc = module("apim")
    legacy = keys(variable(doc, "legacyProtocolsOff"))
    for proto in ("Tls10", "Tls11", "Ssl30"):
        assert legacy[f"Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.{proto}"] == "false"
        assert legacy[f"Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.{proto}"] == "false"
    service = single(doc, "Microsoft.ApiManagement/service")
    custom = service["properties"]["customProperties"]["operator"]["operands"]
    assert custom["condition"] == "isClassicDedicated" and custom["true_value"] == "legacyProtocolsOff"


def _policy_sources() -> dict[str, str]:
    doc = module("apim")
    path = MODULES / "apim.bicep"

    def load(var: str) -> str:
        return loaded_text(path, function(variable(doc, var), "load_text_content")["file_path"])

    entra = variable(doc, "entraFragment")["operator"]["operands"]
    user = variable(doc, "userLimitFragment")["operator"]["operands"]
    return {
        "api": load("apiPolicyTemplate"),
        "product": load("productPolicyDedicated"),
        "product_consumption": load("productPolicyConsumption"),
        "entra": loaded_text(path, function(entra["true_value"], "load_text_content")["file_path"]),
        "user_limit": loaded_text(path, function(user["false_value"], "load_text_content")["file_path"]),
        "gateway_identity": load("gatewayIdentityFragment"),
    }


def _placeholders() -> tuple[str, str]:
    doc = module("apim")
    entra = function(variable(doc, "apiPolicyWithEntra"), "replace")
    user = function(variable(doc, "apiPolicyWithLimit"), "replace")
    assert entra is not None and user is not None
    entra_args = [v for v in entra.values() if isinstance(v, str) and v.startswith("<!--")]
    user_args = [v for v in user.values() if isinstance(v, str) and v.startswith("<!--")]
    return entra_args[0], user_args[0]


@pytest.mark.parametrize("entra", [False, True], ids=["no-entra", "entra"])
@pytest.mark.parametrize("consumption", [False, True], ids=["dedicated", "consumption"])
def test_apim_policy_variants_are_well_formed(entra: bool, consumption: bool) -> None:
    sources = _policy_sources()
    entra_mark, user_mark = _placeholders()
    assert sources["api"].count(entra_mark) == 1 and sources["api"].count(user_mark) == 1
    api = sources["api"].replace(entra_mark, sources["entra"] if entra else "")
    api = api.replace(user_mark, "" if consumption else sources["user_limit"])
    root = ET.fromstring(api)
    inbound = root.find("inbound")
    assert inbound is not None
    tags = [child.tag for child in inbound]
    assert tags[0] == "base"
    assert ("validate-azure-ad-token" in tags) is entra
    assert ("rate-limit-by-key" in tags) is not consumption
    if not consumption:
        # The per-user key is computed before it is used.
        assert tags.index("set-variable") < tags.index("rate-limit-by-key")
        limit = inbound.find("rate-limit-by-key")
        assert limit is not None
        assert limit.get("remaining-calls-header-name") == "X-RateLimit-Remaining"
        assert limit.get("total-calls-header-name") == "X-RateLimit-Limit"
        assert "pssUser" in (limit.get("counter-key") or "")
    if entra:
        token = inbound.find("validate-azure-ad-token")
        assert token is not None and token.get("output-token-variable-name") == "pssJwt"
    backend = inbound.find("set-backend-service")
    assert backend is not None and backend.get("backend-id") == variable(module("apim"), "backendId")
    for header in root.iter("set-header"):
        assert (header.get("name") or "").lower() != "x-functions-key", "the backend adds the key, never a policy"
    product = ET.fromstring(sources["product_consumption" if consumption else "product"])
    product_tags = [child.tag for child in product.find("inbound")]
    assert ("rate-limit-by-key" in product_tags) is not consumption
    assert ("rate-limit" in product_tags) is consumption
    assert "quota" in product_tags


def test_apim_named_values_used_by_policies_are_defined() -> None:
    doc = module("apim")
    defined = {item["name"] for item in variable(doc, "limitValues")}
    defined.add(variable(doc, "functionKeyNamedValue"))
    defined.add(variable(doc, "gatewaySecretNamedValue"))
    for res in resources(doc, "Microsoft.ApiManagement/service/namedValues").values():
        name = body(res)["name"]
        if isinstance(name, str) and name.startswith("pss-"):  # literal names (others come from vars)
            defined.add(name)
    used: set[str] = set()
    for text in _policy_sources().values():
        used |= set(re.findall(r"\{\{([A-Za-z0-9._-]+)\}\}", text))
    assert used, "policies use named values for their limits"
    assert used <= defined, f"undefined named values {sorted(used - defined)}"


def test_apim_entra_validation_is_optional() -> None:
    doc = module("apim")
    assert param_default(doc, "enableEntraValidation") is False
    assert param_default(main_doc(), "apimEnableEntraValidation") is False
    named = {
        body(r)["name"]: r
        for r in resources(doc, "Microsoft.ApiManagement/service/namedValues").values()
        if isinstance(body(r)["name"], str)
    }
    for name in ("pss-entra-tenant-id", "pss-entra-audience", "pss-entra-client-app-id"):
        assert named[name]["config"]["condition"] == "enableEntraValidation"


def test_entra_policy_carries_client_application_ids() -> None:
    """validate-azure-ad-token requires <client-application-ids>; without it the deploy fails."""
    fragment = ET.fromstring((ROOT / "infra" / "apim" / "fragments" / "validate-entra-token.xml").read_text())
    ids = fragment.find("client-application-ids")
    assert ids is not None and [e.text for e in ids.findall("application-id")] == ["{{pss-entra-client-app-id}}"]
    assert body(main_doc()["modules"]["apim"])["params"]["entraClientApplicationId"] == "apimEntraClientApplicationId"


def test_admin_routes_are_not_in_the_product_api() -> None:
    """manage/* needs the master key; the gateway only sends the default function key."""
    doc = module("apim")
    api = single(doc, "Microsoft.ApiManagement/service/apis")["properties"]
    file_arg = function(api["value"], "load_text_content")["file_path"]
    assert file_arg.endswith("infra/openapi.gateway.json")
    spec = json.loads(loaded_text(MODULES / "apim.bicep", file_arg))
    assert spec["paths"] and not [p for p in spec["paths"] if p.startswith("/manage")]
    full = json.loads((ROOT / "infra" / "openapi.json").read_text())
    assert set(full["paths"]) - set(spec["paths"]) == {p for p in full["paths"] if p.startswith("/manage")}


def test_gateway_document_is_current() -> None:
    from infra.openapi_gateway import main as gateway

    assert gateway(["--check"]) == 0, "run python -m infra.openapi_gateway"


def test_flex_site_sets_no_ftps_state_anywhere() -> None:
    for path in bicep_files():
        for res in parsed(path).get("resources", {}).values():
            config = body(res)
            if config.get("type", "").startswith("Microsoft.Web/sites@") and isinstance(config.get("properties"), dict):
                assert "ftpsState" not in (config["properties"].get("siteConfig") or {}), path.name


def test_every_publishing_credentials_policy_has_a_location() -> None:
    policies = resources(module("functionapp"), "Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    assert len(policies) == 2
    for res in policies.values():
        assert body(res)["location"] == "location"
        assert body(res)["properties"] == {"allow": False}


def test_vector_container_has_dedicated_throughput_in_autoscale_mode() -> None:
    """Vector indexing is not supported on shared database throughput."""
    doc = module("cosmos")
    attacks = body(resources(doc, "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers")["attacksContainer"])
    assert "vectorIndexes" in attacks["properties"]["resource"]["indexingPolicy"]
    assert attacks["properties"]["options"] == "attacksOptions"
    options = variable(doc, "attacksOptions")["operator"]["operands"]
    assert options["false_value"] == {}
    assert keys(options["true_value"])["autoscaleSettings"] == {"maxThroughput": "attacksAutoscaleMaxThroughput"}
    prod = json.loads((PARAMETERS / "prod.parameters.json").read_text())["parameters"]
    assert prod["cosmosCapacityMode"]["value"] == "autoscale", "prod is where this matters"


# ------------------------------------------------------------------------------- OpenAI


def test_openai_is_an_optional_reference() -> None:
    main = main_doc()
    mod = main["modules"]["openAi"]
    assert function(mod["config"]["condition"]["operator"]["operands"]["bool_value"], "empty") == {
        "item_to_test": "openAiAccountName"
    }
    assert param_default(main, "openAiAccountName") == ""
    doc = module("openai")
    accounts = (doc.get("resources") or {}).values()
    assert all(r.get("existing") for r in accounts if r["type"].startswith("Microsoft.CognitiveServices/")), (
        "the template references the account and deployments; it does not create them"
    )


# -------------------------------------------------------------- gateway identity (APIM -> app)


def bicep_eval(doc: dict[str, Any], doc_path: Path, node: Any, env: dict[str, bool]) -> Any:
    """Evaluate the small part of Bicep the policy variables use, as ``bicep build`` would.

    Strings that name a variable are that variable (pycep drops the quotes of literals);
    ``env`` gives the parameters the ternaries test; replace() and loadTextContent() run.
    """
    if isinstance(node, str):
        if node in env:
            return env[node]
        if node in (doc.get("variables") or {}):
            return bicep_eval(doc, doc_path, variable(doc, node), env)
        return node
    if isinstance(node, dict) and "operator" in node and node["operator"]["type"] == "conditional":
        ops = node["operator"]["operands"]
        condition = bicep_eval(doc, doc_path, ops["condition"], env)
        assert isinstance(condition, bool), f"unknown condition {ops['condition']!r}"
        return bicep_eval(doc, doc_path, ops["true_value" if condition else "false_value"], env)
    if (args := function(node, "load_text_content")) is not None:
        return loaded_text(doc_path, args["file_path"])
    if (args := function(node, "replace")) is not None:
        original = bicep_eval(doc, doc_path, args["original_string"], env)
        old = bicep_eval(doc, doc_path, args["old_string"], env)
        new = bicep_eval(doc, doc_path, args["new_string"], env)
        assert original.count(old) == 1, f"placeholder {old!r} must occur exactly once"
        return original.replace(old, new)
    raise AssertionError(f"cannot evaluate {node!r}")


def deployed_api_policy(entra: bool, consumption: bool) -> str:
    doc = module("apim")
    policy = single(doc, "Microsoft.ApiManagement/service/apis/policies")["properties"]["value"]
    env = {"enableEntraValidation": entra, "isConsumption": consumption}
    return bicep_eval(doc, MODULES / "apim.bicep", policy, env)


@pytest.mark.parametrize("entra", [False, True], ids=["no-entra", "entra"])
@pytest.mark.parametrize("consumption", [False, True], ids=["dedicated", "consumption"])
def test_deployed_api_policy_fills_every_placeholder_and_sends_the_gateway_identity(
    entra: bool, consumption: bool
) -> None:
    text = deployed_api_policy(entra, consumption)
    assert "<!--PSS:" not in text, "a placeholder of api-policy.xml is left unfilled"
    inbound = ET.fromstring(text).find("inbound")
    assert inbound is not None
    tags = [child.tag for child in inbound]
    headers = {
        (child.get("name") or "").lower(): (i, child) for i, child in enumerate(inbound) if child.tag == "set-header"
    }
    assert {"x-pss-gateway-secret", "x-pss-tenant"} <= set(headers)
    backend_at = tags.index("set-backend-service")
    for name in ("x-pss-gateway-secret", "x-pss-tenant"):
        at, header = headers[name]
        assert at < backend_at, f"{name} must be set before the request is forwarded"
        # "override" replaces whatever a client sent under the same name.
        assert header.get("exists-action") == "override"
        if entra:  # the tenant prefers the validated token's app id, so the token comes first
            assert at > tags.index("validate-azure-ad-token")
    secret_value = headers["x-pss-gateway-secret"][1].find("value")
    assert secret_value is not None and secret_value.text == "{{pss-gateway-secret}}"
    tenant_value = headers["x-pss-tenant"][1].find("value")
    assert tenant_value is not None and "context.Subscription" in (tenant_value.text or "")
    assert "pssJwt" in (tenant_value.text or "")


def test_gateway_fragment_holds_bare_policy_elements() -> None:
    """A <fragment> root is for the policy-fragment resource; inlined, APIM would refuse it."""
    text = _policy_sources()["gateway_identity"]
    assert "<fragment" not in text.replace("<fragment> wrapper", "")
    root = ET.fromstring(f"<inbound>{text}</inbound>")
    assert [child.tag for child in root] == ["set-header", "set-header"]


def test_gateway_secret_named_value_is_key_vault_backed() -> None:
    doc = module("apim")
    assert variable(doc, "gatewaySecretNamedValue") == "pss-gateway-secret"
    (named,) = (
        body(r)
        for r in resources(doc, "Microsoft.ApiManagement/service/namedValues").values()
        if body(r)["name"] == "gatewaySecretNamedValue"
    )
    props = named["properties"]
    assert props["secret"] is True
    assert "value" not in props, "the secret comes from Key Vault, never from the template"
    assert props["keyVault"]["identityClientId"] == "identityClientId"
    # Versionless URI of the secret the app reads: a rotation reaches both sides.
    assert props["keyVault"]["secretIdentifier"] == "${vault.properties.vaultUri}secrets/${gatewaySecretName}"
    (policy_res,) = resources(doc, "Microsoft.ApiManagement/service/apis/policies").values()
    assert "gatewaySecret" in body(policy_res)["dependsOn"], "the policy uses the named value"
    # APIM reads it with its own identity, which holds Key Vault Secrets User on the vault.
    rbac = module("rbac")
    apim_roles = [
        body(r)
        for r in resources(rbac, "Microsoft.Authorization/roleAssignments").values()
        if body(r)["properties"]["principalId"] == "apimPrincipalId"
    ]
    assert any(
        r["scope"] == "vault" and variable(rbac, _role(r["properties"])) == ROLE_KV_SECRETS_USER for r in apim_roles
    )


def test_app_and_apim_name_the_same_gateway_secret() -> None:
    """APIM's named value, the app setting and the secret deploy.sh creates are one secret."""
    main = main_doc()
    from_vault = ["keyVault", "outputs", "gatewaySecretName"]
    assert accessor(body(main["modules"]["apim"])["params"]["gatewaySecretName"]) == from_vault
    assert accessor(body(main["modules"]["functionApp"])["params"]["gatewaySecretName"]) == from_vault
    keyvault = module("keyvault")
    assert keyvault["outputs"]["gatewaySecretName"]["value"] == "gatewaySecretName"
    assert body(main["modules"]["keyVault"])["params"]["gatewaySecretName"] == "gatewaySecretName"
    assert app_settings()["PSS_TENANCY__GATEWAY_SECRET_NAME"] == ("gatewaySecretName", False)
    default = TenancySettings().gateway_secret_name
    for doc in (main, keyvault, module("apim")):
        assert param_default(doc, "gatewaySecretName") == default
    assert f'GATEWAY_SECRET_NAME:-{default}}}"' in (ROOT / "infra" / "deploy.sh").read_text(encoding="utf-8")


def test_gateway_secret_is_created_only_when_a_value_is_given_and_never_literal() -> None:
    doc = module("keyvault")
    (secret,) = (
        s
        for s in resources(doc, "Microsoft.KeyVault/vaults/secrets").values()
        if body(s)["name"] == "gatewaySecretName"
    )
    condition = secret["config"]["condition"]
    assert function(condition["operator"]["operands"]["bool_value"], "empty") == {"item_to_test": "gatewaySecret"}
    assert body(secret)["properties"]["value"] == "gatewaySecret"
    for d in (doc, main_doc()):
        assert decorator(d, "gatewaySecret", "secure")
        assert param_default(d, "gatewaySecret") == ""
    assert body(main_doc()["modules"]["keyVault"])["params"]["gatewaySecret"] == "gatewaySecret"
    # No literal anywhere: the only mentions of the header value are named-value references.
    for path in [*bicep_files(), *(ROOT / "infra" / "apim").rglob("*.xml")]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r'x-pss-gateway-secret"[^>]*>\s*<value>([^<]*)</value>', text):
            assert match.group(1) == "{{pss-gateway-secret}}", f"{path.name} sets the gateway secret literally"
