"""Index the function app with the real Azure Functions Python worker's code, as a gate.

    python infra/check_worker.py                    # function_app.py; exit 1 if any function is refused
    python infra/check_worker.py --json             # the same, {module: {function: "ok" | error}} as JSON
    python infra/check_worker.py --root DIR a b     # modules a.py, b.py in DIR (test fixtures)

The worker refuses a function whose signature does not fit its bindings, and one refusal
leaves the whole app with zero functions on Azure. The worker that ships inside the
Functions host is not on PyPI for Python 3.11, but its code is: ``azure-functions-runtime``
is the same worker packaged for Python 3.13+. Its loader and registry are plain Python
and run on 3.11, so this script installs that package (pinned, no dependencies but
``azurefunctions-extensions-base``) into ``.venv-worker`` (a ``pip --target`` folder, created
on first use, never mixed into ``.venv``) and runs, for each module:
``loader.index_function_app`` then ``Registry.add_indexed_function`` for every function
(the validation ``process_indexed_function`` performs), plus ``get_fx_raw_bindings``.

The only stand-in is the three protobuf enum numbers the registry compares binding
directions with (``BindingInfo``: in 0, out 1, inout 2; DataType undefined 0), because the
generated protobuf module lives in the host-side proxy worker, not in this package.

Exit status: 0 every function loads, 1 some function is refused, 2 the tool could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TARGET = REPO_ROOT / ".venv-worker"
WORKER_PACKAGES = ("azure-functions-runtime==1.3.0", "azurefunctions-extensions-base==1.2.0")

# Runs in a child process with the worker on sys.path; prints one JSON object.
_PROBE = """
import json, pathlib, sys, types
root, modules = sys.argv[1], sys.argv[2:]
sys.path.insert(0, root)
from azure_functions_runtime import loader
from azure_functions_runtime.bindings.meta import load_binding_registry
from azure_functions_runtime.functions import FunctionLoadError, Registry
load_binding_registry()
protos = types.SimpleNamespace(BindingInfo=types.SimpleNamespace(**{"in": 0, "out": 1, "inout": 2, "undefined": 0}))
out = {}
for module in modules:
    result = out.setdefault(module, {})
    try:
        functions = loader.index_function_app(str(pathlib.Path(root) / (module + ".py")))
    except Exception as exc:
        result["*"] = type(exc).__name__ + ": " + str(exc)
        continue
    registry = Registry()
    for function in functions:
        try:
            info = registry.add_indexed_function(function, protos)
            loader.get_fx_raw_bindings(function, info)
            result[function.get_function_name()] = "ok"
        except FunctionLoadError as exc:
            result[function.get_function_name()] = str(exc)
print(json.dumps(out))
"""


def ensure_worker(target: Path) -> Path:
    """Install the worker packages into ``target`` on first use; return ``target``."""
    stamp = target / ".installed"
    wanted = "\n".join(WORKER_PACKAGES)
    if stamp.exists() and stamp.read_text() == wanted:
        return target
    print(f"Installing {', '.join(WORKER_PACKAGES)} into {target} ...", file=sys.stderr)
    # The runtime declares Python >= 3.13; its loader and registry run on 3.11 unchanged.
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-requires-python"]
    subprocess.run([*cmd, "--upgrade", "--target", str(target), *WORKER_PACKAGES], check=True)
    stamp.write_text(wanted)
    return target


def index_with_worker(root: Path, modules: list[str], target: Path = DEFAULT_TARGET) -> dict[str, dict[str, str]]:
    """``{module: {function name: "ok" or the worker's FunctionLoadError text}}``."""
    ensure_worker(target)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(REPO_ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(root), *modules],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(root),
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the worker probe failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="folder holding the modules")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("modules", nargs="*", default=["function_app"])
    args = parser.parse_args(argv)
    try:
        result = index_with_worker(args.root, args.modules)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"check_worker: {exc}", file=sys.stderr)
        return 2
    refused = {f"{m}:{f}": text for m, fns in result.items() for f, text in fns.items() if text != "ok"}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for module, functions in result.items():
            loaded = sum(1 for text in functions.values() if text == "ok")
            print(f"{module}: {loaded} of {len(functions)} functions load on the Python worker")
        for where, text in refused.items():
            print(f"  REFUSED {where}: {text}")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
