"""Static security checks of the Bicep templates with checkov, as a hard gate.

    python infra/check_bicep.py            # check bicep/, print a summary, exit 1 on any problem
    python infra/check_bicep.py --json     # the same, summary as JSON on stdout

Why a wrapper instead of calling checkov directly:

* checkov pins ``pycep-parser==0.5.1``, which conflicts with the 0.7.1 the test suite
  uses, so checkov lives in its own virtual environment (``.venv-checkov``, created on
  first use with a pinned version).
* checkov reports a file it cannot parse as a *parsing error* and still exits 0, so a
  template using a construct pycep 0.5.1 does not know (lambdas, multi-line ternaries,
  more than nine comment lines in a row, ...) would silently escape every check. This
  gate fails on any parsing error and, independently, parses every ``.bicep`` file with
  the same parser checkov uses and requires each to declare resources or modules.
* Every skipped check must carry a written reason (``//checkov:skip=CKV_X: reason``).

Exit status: 0 clean, 1 a check failed / a file was not scanned / a skip lacks a reason,
2 the tool could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import venv
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKOV_VERSION = "3.3.30"
DEFAULT_VENV = REPO_ROOT / ".venv-checkov"
MIN_REASON_CHARS = 20

# Runs inside the checkov venv: parse each file with checkov's own pycep and count what
# it declares. A file that fails here is a file checkov did not really check.
_PARSE_PROBE = """
import json, sys
from pathlib import Path
from pycep import BicepParser
parser = BicepParser()
out = {}
for name in sys.argv[1:]:
    try:
        doc = parser.parse(file_path=Path(name))
        out[name] = {"resources": len(doc.get("resources") or {}), "modules": len(doc.get("modules") or {})}
    except Exception as exc:
        out[name] = {"error": type(exc).__name__ + ": " + str(exc).splitlines()[0][:200]}
print(json.dumps(out))
"""


@dataclass
class Skip:
    check_id: str
    resource: str
    file: str
    reason: str


@dataclass
class Report:
    """What the gate saw; ``problems`` empty means the templates pass."""

    files: list[str] = field(default_factory=list)
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    parsing_errors: int = 0
    resource_count: int = 0
    failures: list[str] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def venv_python(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_checkov(venv_dir: Path) -> Path:
    """Create the checkov venv on first use (takes a minute); return its checkov binary."""
    checkov = venv_dir / ("Scripts/checkov.exe" if os.name == "nt" else "bin/checkov")
    python = venv_python(venv_dir)
    if checkov.exists():
        probe = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('checkov'))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == CHECKOV_VERSION:
            return checkov
    print(f"Installing checkov {CHECKOV_VERSION} into {venv_dir} ...", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"checkov=={CHECKOV_VERSION}"],
        check=True,
    )
    return checkov


def _checkov_json(checkov: Path, directory: Path) -> dict[str, Any]:
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    proc = subprocess.run(
        [str(checkov), "-d", str(directory), "--framework", "bicep", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"checkov exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"checkov printed no JSON: {proc.stdout[:200]!r}") from exc
    # One framework -> one object; several -> a list; nothing scanned -> a bare summary.
    if isinstance(data, list):
        data = next((d for d in data if d.get("check_type") == "bicep"), {})
    return data


def _parse_probe(python: Path, files: list[Path]) -> dict[str, dict[str, Any]]:
    proc = subprocess.run(
        [str(python), "-c", _PARSE_PROBE, *[str(f) for f in files]],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pycep probe failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)


def run_gate(directory: Path, venv_dir: Path = DEFAULT_VENV) -> Report:
    """Run checkov over ``directory`` and apply the gate's rules."""
    directory = directory.resolve()
    files = sorted(directory.rglob("*.bicep"))
    report = Report(files=[f.relative_to(directory).as_posix() for f in files])
    if not files:
        report.problems.append(f"no .bicep files under {directory}")
        return report

    checkov = ensure_checkov(venv_dir)
    data = _checkov_json(checkov, directory)
    summary = data.get("summary", {})
    results = data.get("results", {})
    report.passed = int(summary.get("passed", 0))
    report.failed = int(summary.get("failed", 0))
    report.skipped = int(summary.get("skipped", 0))
    report.parsing_errors = int(summary.get("parsing_errors", 0))
    report.resource_count = int(summary.get("resource_count", 0))

    for path in results.get("parsing_errors", []):
        report.problems.append(f"checkov could not parse {path}")
    if report.parsing_errors and not results.get("parsing_errors"):
        report.problems.append(f"checkov reported {report.parsing_errors} parsing error(s)")

    for check in results.get("failed_checks", []):
        line = f"{check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}"
        report.failures.append(line)
        report.problems.append(f"failed: {line}")

    for check in results.get("skipped_checks", []):
        reason = (check.get("check_result", {}) or {}).get("suppress_comment") or ""
        skip = Skip(check["check_id"], check["resource"], check["file_path"], reason.strip())
        report.skips.append(skip)
        if len(skip.reason) < MIN_REASON_CHARS or skip.reason.lower().startswith("no comment"):
            report.problems.append(f"skip of {skip.check_id} on {skip.resource} has no real reason")

    # Independent proof that checkov's parser understood every file.
    probe = _parse_probe(venv_python(venv_dir), files)
    for f in files:
        seen = probe.get(str(f), {})
        rel = f.relative_to(directory).as_posix()
        if "error" in seen:
            report.problems.append(f"pycep {rel}: {seen['error']}")
        elif seen.get("resources", 0) + seen.get("modules", 0) == 0:
            report.problems.append(f"{rel} declares no resources or modules as parsed by checkov")

    if report.passed + report.failed + report.skipped == 0:
        report.problems.append("checkov ran no checks at all")
    return report


def _print_human(report: Report) -> None:
    print(
        f"checkov {CHECKOV_VERSION} over {len(report.files)} files: passed {report.passed}, "
        f"failed {report.failed}, skipped {report.skipped}, parsing errors {report.parsing_errors}"
    )
    for skip in report.skips:
        print(f"  skipped {skip.check_id} on {skip.resource}: {skip.reason}")
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    print("OK" if report.ok else "FAILED")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=REPO_ROOT / "bicep", help="folder with .bicep files")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="checkov virtual environment")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        report = run_gate(args.dir, args.venv)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        payload = asdict(report)
        payload["ok"] = report.ok
        print(json.dumps(payload, indent=2))
    else:
        _print_human(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
