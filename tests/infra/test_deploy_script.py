"""infra/deploy.sh: syntax, argument checks and a dry run that calls nothing in Azure.

The dry run prints the ``az`` commands and builds the real package, so the test can
check the subscription-scope deployment, the parameters file, the Flex publish command
and that only the app goes into the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "deploy.sh"
BASH = shutil.which("bash") or "/bin/bash"


def run(
    *args: str, app_root: Path | None = None, email: str | None = "ops@example.com"
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "APIM_PUBLISHER_EMAIL"}
    # No az on PATH: a dry run must not need (or call) the Azure CLI.
    env["PATH"] = os.pathsep.join(p for p in ("/usr/bin", "/bin") if Path(p).is_dir())
    if email is not None:
        env["APIM_PUBLISHER_EMAIL"] = email
    if app_root is not None:
        env["PSS_DEPLOY_APP_ROOT"] = str(app_root)
    return subprocess.run(
        [str(BASH), str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


@pytest.fixture
def app_root(tmp_path: Path) -> Path:
    """A tiny app tree with the files that must and must not be packaged."""
    for name in ("function_app.py", "host.json", "requirements.txt"):
        (tmp_path / name).write_text("x\n")
    for rel in (
        "functions/analyze.py",
        "shared/__init__.py",
        "shared/detection/rules.py",
        "shared/detection/model/weights.json",
        "shared/__pycache__/rules.cpython-311.pyc",
        "tests/test_something.py",
        "infra/dev_host.py",
        "bicep/main.bicep",
        ".data/pss.sqlite3",
        "local.settings.json",
        "web/dist/index.html",
        "web/src/main.ts",
    ):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    return tmp_path


def test_bash_syntax() -> None:
    proc = subprocess.run([str(BASH), "-n", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_script_is_executable() -> None:
    assert os.access(SCRIPT, os.X_OK)


def test_dry_run_deploys_at_subscription_scope_and_publishes_to_flex(app_root: Path) -> None:
    proc = run("dev", "--dry-run", app_root=app_root)
    assert proc.returncode == 0, proc.stderr
    commands = [line for line in proc.stdout.splitlines() if line.startswith("DRY-RUN: az ")]
    deploy = next(c for c in commands if " deployment sub create " in c)
    assert f"--template-file {ROOT / 'bicep' / 'main.bicep'}" in deploy
    assert f"--parameters @{ROOT / 'bicep' / 'parameters' / 'dev.parameters.json'}" in deploy
    assert "apimPublisherEmail=ops@example.com" in deploy
    assert "--location swedencentral" in deploy
    publish = next(c for c in commands if " functionapp deployment source config-zip " in c)
    assert "--build-remote true" in publish
    assert "--resource-group rg-pss-dev" in publish
    # The HMAC key and the gateway secret travel in private parameters files, never on argv.
    assert "hmacKey=" not in deploy and "gatewaySecret=" not in deploy
    assert "/hmacKey.parameters.json" in deploy
    assert "/gatewaySecret.parameters.json" in deploy


def test_first_run_generates_the_hmac_key_and_the_gateway_secret_for_both_stages(app_root: Path) -> None:
    """A dry run behaves like a first deployment: both secrets are generated once, before stage 1."""
    proc = run("dev", "--dry-run", app_root=app_root)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    stage1 = lines.index(next(line for line in lines if line.startswith("== Stage 1/3")))
    generated = [i for i, line in enumerate(lines) if line.startswith("Generating secret ")]
    assert [lines[i].split("'")[1] for i in generated] == ["prompt-hmac-key", "apim-gateway-secret"]
    assert all(i < stage1 for i in generated)
    deploys = [line for line in lines if line.startswith("DRY-RUN: az deployment sub create ")]
    assert len(deploys) == 2
    # The same files in both stages: the APIM stage rewrites the same values, it never rotates them.
    generated_files = []
    for deploy in deploys:
        files = {part for part in deploy.split() if part.startswith("@") and part.endswith(".parameters.json")}
        secrets = {
            f for f in files if f.rsplit("/", 1)[1] in {"hmacKey.parameters.json", "gatewaySecret.parameters.json"}
        }
        assert len(secrets) == 2, deploy
        generated_files.append(secrets)
    assert generated_files[0] == generated_files[1]


def test_package_holds_only_the_app(app_root: Path) -> None:
    proc = run("dev", "--dry-run", app_root=app_root)
    assert proc.returncode == 0, proc.stderr
    packaged = sorted(
        line.removeprefix("PACKAGE: ") for line in proc.stdout.splitlines() if line.startswith("PACKAGE: ")
    )
    assert packaged == [
        "function_app.py",
        "functions/analyze.py",
        "host.json",
        "requirements.txt",
        "shared/__init__.py",
        "shared/detection/model/weights.json",
        "shared/detection/rules.py",
        "web/dist/index.html",
    ]


def test_package_carries_the_built_console_but_not_its_sources(app_root: Path) -> None:
    for rel in ("web/dist/console.html", "web/dist/console.js", "web/src/console.js", "web/node_modules/x/y.js"):
        path = app_root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    proc = run("dev", "--dry-run", app_root=app_root)
    assert proc.returncode == 0, proc.stderr
    packaged = {line.removeprefix("PACKAGE: ") for line in proc.stdout.splitlines() if line.startswith("PACKAGE: ")}
    web = {p for p in packaged if p.startswith("web/")}
    assert {"web/dist/console.html", "web/dist/console.js"} <= web
    assert all(p.startswith("web/dist/") for p in web)  # no sources, no node_modules
    assert "web/dist is not built" not in proc.stderr


def test_location_override(app_root: Path) -> None:
    proc = run("prod", "--dry-run", "--location", "westeurope", app_root=app_root)
    assert proc.returncode == 0, proc.stderr
    deploy = next(line for line in proc.stdout.splitlines() if "deployment sub create" in line)
    assert "--location westeurope" in deploy and "location=westeurope" in deploy
    assert "prod.parameters.json" in deploy


def test_missing_app_files_fail_clearly(tmp_path: Path) -> None:
    proc = run("dev", "--dry-run", app_root=tmp_path)
    assert proc.returncode != 0
    assert "function_app.py" in proc.stderr


@pytest.mark.parametrize(
    ("args", "email", "message"),
    [
        ((), "ops@example.com", "usage"),
        (("staging", "--dry-run"), "ops@example.com", "no parameters file"),
        (("Dev!", "--dry-run"), "ops@example.com", "lowercase"),
        (("dev", "--dry-run"), None, "APIM_PUBLISHER_EMAIL"),
        (("dev", "--bogus"), "ops@example.com", "unknown option"),
    ],
)
def test_bad_arguments_are_refused(args: tuple[str, ...], email: str | None, message: str) -> None:
    proc = run(*args, email=email)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_package_is_a_zip_with_host_json_at_the_root(app_root: Path, tmp_path: Path) -> None:
    target = tmp_path / "app.zip"
    proc = run("dev", "--dry-run", "--package-out", str(target), app_root=app_root)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    assert "host.json" in names and "function_app.py" in names
    assert not any(name.startswith(("tests/", "infra/", "bicep/")) or "__pycache__" in name for name in names)


def test_dry_run_prints_the_three_stages_in_order_and_deploys_nothing(app_root: Path) -> None:
    proc = run("dev", "--dry-run", app_root=app_root)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    stages = [line for line in lines if line.startswith("== Stage ")]
    assert [s.split(":")[0] for s in stages] == ["== Stage 1/3", "== Stage 2/3", "== Stage 3/3"]
    commands = [line for line in lines if line.startswith(("DRY-RUN: az ", "== Stage "))]
    order = [
        next(i for i, c in enumerate(commands) if c.startswith("== Stage 1/3")),
        next(i for i, c in enumerate(commands) if "deployment sub create" in c and "deployApim=false" in c),
        next(i for i, c in enumerate(commands) if c.startswith("== Stage 2/3")),
        next(i for i, c in enumerate(commands) if "deployment source config-zip" in c),
        next(i for i, c in enumerate(commands) if c.startswith("== Stage 3/3")),
        next(i for i, c in enumerate(commands) if "functionapp keys list" in c),
        next(i for i, c in enumerate(commands) if "deployment sub create" in c and "deployApim=true" in c),
    ]
    assert order == sorted(order)
    # One code deploy, two template deployments with stable names (a re-run updates them in place).
    assert sum("config-zip" in c for c in commands) == 1
    deploys = [c for c in commands if "deployment sub create" in c]
    assert [c.split("--name ")[1].split()[0] for c in deploys] == ["pss-dev-infra", "pss-dev-apim"]
    # The function key reaches APIM in a private parameters file, never on the command line.
    assert "function-key.parameters.json" in deploys[1] and "functionKey=" not in deploys[1]
    assert "Deployed." not in proc.stdout
    assert "Dry run complete: nothing was deployed" in proc.stdout


def test_skip_app_stops_after_the_infrastructure(app_root: Path) -> None:
    proc = run("dev", "--dry-run", "--skip-app", app_root=app_root)
    assert proc.returncode == 0, proc.stderr
    assert "== Stage 2/3" not in proc.stdout and "config-zip" not in proc.stdout
    assert "Deployed." not in proc.stdout


def test_make_web_runs_only_where_the_makefile_has_it(app_root: Path) -> None:
    assert "make -C" not in run("dev", "--dry-run", app_root=app_root).stdout
    (app_root / "Makefile").write_text("web:\n\tnpm run build\n")
    proc = run("dev", "--dry-run", app_root=app_root)
    assert proc.returncode == 0, proc.stderr
    assert f"DRY-RUN: make -C {app_root} web" in proc.stdout


def test_arrays_are_safe_on_bash_3_2_under_set_u() -> None:
    """macOS bash 3.2 calls an empty "${a[@]}" unbound under set -u; every expansion is guarded."""
    text = SCRIPT.read_text()
    for line in text.splitlines():
        if '"${EXTRA_PARAMETERS[@]}"' in line:
            assert '${EXTRA_PARAMETERS[@]+"${EXTRA_PARAMETERS[@]}"}' in line, line


def test_funcignore_keeps_the_built_console() -> None:
    patterns = [p.strip() for p in (ROOT / ".funcignore").read_text().splitlines() if p.strip()]
    assert not any(p in ("web", "web/", "web/dist", "web/dist/", "dist", "dist/") for p in patterns)
