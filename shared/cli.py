"""Command line: the same pipeline the HTTP function uses, for people and scripts.

    python -m shared analyze "some prompt" [--user-id U] [--prompt2 TEXT] [--record]
    python -m shared scan FILE.jsonl        # or "-" for stdin; JSONL in, JSONL out
    python -m shared rules                  # list the active rules

``scan`` reads one JSON object per line with the prompt in ``"text"`` (``"prompt"``
and ``"prompt1"`` are accepted too) and optional ``"id"`` and ``"user_id"``, and writes
``{"id", "attack", "score", "decision", "risk_level", "rules"}`` per line, flushing
after each one: the protocol of ``../shared/eval/score.py --cmd``. A line that is not
valid JSON or has no text gets ``{"id", "error": {code, message}}`` and the stream goes
on. Progress and a summary go to stderr, never to stdout.

Exit codes (like ruff and pytest): 0 done, 1 some ``scan`` lines were refused, 2 bad
usage or an input that cannot be read, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from .errors import ServiceError

EXIT_OK, EXIT_LINES_REFUSED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
TEXT_FIELDS = ("text", "prompt", "prompt1")
LEVELS = ["low", "medium", "high", "paranoid"]
STRATEGIES = ["block", "sanitize", "warn", "allow_and_log"]
#: Plain progress lines (stderr not a terminal) every this many prompts.
PROGRESS_EVERY = 500


class CliError(Exception):
    """A usage or input problem: printed as one line, exit code 2."""


class LineError(ValueError):
    """One ``scan`` line that cannot be analysed; reported in-band with ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _build(args: argparse.Namespace, *, with_store: bool):
    from .config import load_settings
    from .pipeline import Pipeline

    overrides: dict[str, object] = {}
    if args.level:
        overrides["severity_level"] = args.level
    if args.strategy:
        overrides["response_strategy"] = args.strategy
    if getattr(args, "rules_only", False):
        overrides["classifier"] = {"enabled": False}
    settings = load_settings(**overrides)
    store = None
    if with_store:
        from .stores import get_store

        store = get_store()
    return Pipeline.build(settings, store=store)


def cmd_analyze(args: argparse.Namespace, out: TextIO) -> int:
    from .pipeline import AnalysisRequest

    pipeline = _build(args, with_store=args.record)
    req = AnalysisRequest(user_id=args.user_id, prompt=args.text, prompt2=args.prompt2, similarity_metric=args.metric)
    result = pipeline.analyze(req, record=args.record)
    json.dump(result.to_api(args.detail), out, indent=2, ensure_ascii=False)
    out.write("\n")
    return EXIT_OK


def _text_of(item: dict[str, Any]) -> str:
    for name in TEXT_FIELDS:
        if name in item:
            value = item[name]
            if not isinstance(value, str):
                raise LineError("validation_failed", f'field "{name}" must be a string, got {type(value).__name__}')
            return value
    found = ", ".join(sorted(str(k) for k in item)[:10]) or "none"
    raise LineError(
        "validation_failed", f'no prompt text: expected a string field "text" (or "prompt"); fields found: {found}'
    )


class _Progress:
    """A bar when stderr is a terminal, a plain line every PROGRESS_EVERY prompts otherwise."""

    def __init__(self, err: TextIO, total: int | None, quiet: bool) -> None:
        self.err, self.total, self.quiet = err, total, quiet
        self.tty = hasattr(err, "isatty") and err.isatty()
        self.started = time.monotonic()
        self._last_draw = 0.0

    def update(self, done: int) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            if now - self._last_draw < 0.1:
                return
            self._last_draw = now
            rate = done / max(1e-6, now - self.started)
            if self.total:
                filled = int(30 * done / self.total)
                bar = "#" * filled + "-" * (30 - filled)
                self.err.write(f"\r[{bar}] {done}/{self.total} {rate:.0f}/s")
            else:
                self.err.write(f"\r{done} prompts {rate:.0f}/s")
            self.err.flush()
        elif done % PROGRESS_EVERY == 0:
            of = f"/{self.total}" if self.total else ""
            self.err.write(f"scan: {done}{of} prompts, {now - self.started:.1f} s\n")
            self.err.flush()

    def close(self) -> None:
        if self.tty and not self.quiet:
            self.err.write("\r" + " " * 60 + "\r")
            self.err.flush()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cmd_scan(args: argparse.Namespace, out: TextIO, inp: TextIO, err: TextIO) -> int:
    from .pipeline import AnalysisRequest

    total: int | None = None
    if args.file == "-":
        source = inp
    else:
        try:
            source = open(args.file, encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from None
        if not args.quiet:
            with open(args.file, "rb") as fh:
                total = sum(1 for raw in fh if raw.strip())
    pipeline = _build(args, with_store=False)
    decisions: Counter[str] = Counter()
    latencies: list[float] = []
    refused = 0
    progress = _Progress(err, total, args.quiet)
    started = time.monotonic()
    done = 0
    try:
        for n, line in enumerate(source):
            if not line.strip():
                continue
            item_id: object = f"line-{n + 1}"
            t = time.perf_counter()
            try:
                try:
                    item = json.loads(line)
                except (json.JSONDecodeError, RecursionError):
                    raise LineError("bad_json", "not valid JSON") from None
                if not isinstance(item, dict):
                    raise LineError("bad_json", f"each line must be a JSON object, got {type(item).__name__}")
                item_id = item.get("id", item_id)
                result = pipeline.analyze(
                    AnalysisRequest(user_id=str(item.get("user_id", args.user_id)), prompt=_text_of(item)),
                    record=False,
                )
                row = {
                    "id": item_id,
                    "attack": result.attack,
                    "score": round(result.risk, 6),
                    "decision": result.decision.value,
                    "risk_level": result.risk_level.value,
                    "rules": sorted({f.rule_id for f in result.threats}),
                }
                decisions[result.decision.value] += 1
                latencies.append((time.perf_counter() - t) * 1e3)
            except ServiceError as exc:
                row = {"id": item_id, "error": {"code": exc.code.value, "message": exc.message}}
                refused += 1
            except LineError as exc:
                row = {"id": item_id, "error": {"code": exc.code, "message": f"line {n + 1}: {str(exc)[:200]}"}}
                refused += 1
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            done += 1
            progress.update(done)
    finally:
        progress.close()
        if source is not inp:
            source.close()
    if not args.quiet:
        counts = ", ".join(f"{k} {decisions[k]}" for k in ("allow", "sanitize", "block"))
        err.write(
            f"scan: {done} lines in {time.monotonic() - started:.1f} s: {counts}, refused {refused}; "
            f"per prompt p50 {_percentile(latencies, 0.5):.1f} ms, p95 {_percentile(latencies, 0.95):.1f} ms\n"
        )
    return EXIT_LINES_REFUSED if refused and args.strict else EXIT_OK


def cmd_rules(args: argparse.Namespace, out: TextIO) -> int:
    pipeline = _build(args, with_store=False)
    for rule in pipeline.rules.snapshot.rules:
        if args.json:
            out.write(
                json.dumps(
                    {
                        "id": rule.id,
                        "threat_type": rule.threat_type.value,
                        "severity": rule.severity.value,
                        "description": rule.description,
                    }
                )
                + "\n"
            )
        else:
            out.write(f"{rule.id:40s} {rule.threat_type.value:20s} {rule.severity.value:8s} {rule.description}\n")
    return EXIT_OK


def _common(default: object) -> argparse.ArgumentParser:
    """--level and --strategy, accepted before or after the command. After the command
    their default is SUPPRESS, so an unset one there does not erase one given before."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--level",
        choices=LEVELS,
        default=default,
        help="severity level: how much evidence blocks a prompt (default: PSS_SEVERITY_LEVEL, else medium)",
    )
    common.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default=default,
        help="what happens to an attack: refuse it, return it cleaned, or let it through with the findings "
        "(default: PSS_RESPONSE_STRATEGY, else block)",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="python -m shared",
        description="Prompt Security Service: analyse prompts with the same pipeline as the HTTP API.",
        epilog="Exit codes: 0 done, 1 scan --strict and some lines were refused, 2 bad usage or unreadable input.",
        parents=[_common(None)],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do")
    p_an = sub.add_parser(
        "analyze", parents=[common], help="analyse one prompt and print the reply as JSON (as POST /api/analyze)"
    )
    p_an.add_argument("text", help="the prompt to analyse")
    p_an.add_argument("--user-id", default="cli", help="sender id, for reputation and the graph (default: cli)")
    p_an.add_argument("--prompt2", help="a second prompt to compare with (adds similarity_scores)")
    p_an.add_argument(
        "--metric", choices=["cosine", "jaccard", "levenshtein", "embedding"], help="similarity metric for --prompt2"
    )
    p_an.add_argument(
        "--detail",
        choices=["operator", "client"],
        default="operator",
        help="operator: scores and ids too (default); client: what an ordinary caller sees",
    )
    p_an.add_argument("--record", action="store_true", help="record the analysis in the configured store")
    p_an.add_argument("--rules-only", action="store_true", help="rules engine only (classifier off)")
    p_scan = sub.add_parser(
        "scan",
        parents=[common],
        help="JSONL in, one JSON verdict per line out (the ../shared/eval/score.py --cmd protocol)",
        description='Each input line is a JSON object with the prompt in "text" (or "prompt"), optional "id" '
        'and "user_id". Each output line: {"id", "attack", "score", "decision", "risk_level", "rules"}, '
        'or {"id", "error": {"code", "message"}} for a line that cannot be analysed. '
        "Progress and a summary go to stderr.",
    )
    p_scan.add_argument("file", help="JSONL file, or - for stdin")
    p_scan.add_argument("--user-id", default="scan", help='sender id for lines without "user_id" (default: scan)')
    p_scan.add_argument("--rules-only", action="store_true", help="rules engine only (classifier off)")
    p_scan.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary on stderr")
    p_scan.add_argument("--strict", action="store_true", help="exit with 1 when any line was refused")
    p_rules = sub.add_parser("rules", parents=[common], help="list the active built-in and preset rules")
    p_rules.add_argument("--json", action="store_true", help="one JSON object per rule instead of columns")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    inp: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    inp = inp or sys.stdin
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    try:
        if args.command == "analyze":
            return cmd_analyze(args, out)
        if args.command == "scan":
            return cmd_scan(args, out, inp, err)
        return cmd_rules(args, out)
    except CliError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    except ServiceError as exc:
        err.write(f"error [{exc.code.value}]: {exc.message}\n")
        return EXIT_USAGE
    except ModuleNotFoundError as exc:
        err.write(
            f"error: the package {exc.name!r} is not installed for {sys.executable}; run the project's "
            "virtualenv instead (.venv/bin/python -m shared ..., created by make setup)\n"
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
