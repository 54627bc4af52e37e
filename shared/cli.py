"""Command line: the same pipeline the HTTP function uses, for people and scripts.

    python -m shared analyze "some prompt" [--user-id U] [--prompt2 TEXT] [--record]
    python -m shared scan FILE.jsonl        # or "-" for stdin; JSONL in, JSONL out
    python -m shared rules                  # list the active rules

``scan`` reads ``{"id", "text"}`` lines and writes ``{"id", "attack", "score"}`` lines
(plus decision, risk level and rule ids), flushing after each one, which is the
protocol of ``../shared/eval/score.py --cmd``. A line that is not valid JSON or has
no text gets ``{"id", "error": {code, message}}`` and the stream goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from .errors import ServiceError


def _build(args: argparse.Namespace, *, with_store: bool):
    from .config import load_settings
    from .pipeline import Pipeline

    overrides: dict[str, object] = {}
    if args.level:
        overrides["severity_level"] = args.level
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
    json.dump(result.to_api(), out, indent=2, ensure_ascii=False)
    out.write("\n")
    return 0


def cmd_scan(args: argparse.Namespace, out: TextIO, inp: TextIO) -> int:
    from .pipeline import AnalysisRequest

    pipeline = _build(args, with_store=False)
    source = inp if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    try:
        for n, line in enumerate(source):
            if not line.strip():
                continue
            item_id: object = f"line-{n + 1}"
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("each line must be a JSON object")
                item_id = item.get("id", item_id)
                result = pipeline.analyze(
                    AnalysisRequest(user_id=str(item.get("user_id", args.user_id)), prompt=item.get("text")),
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
            except ServiceError as exc:
                row = {"id": item_id, "error": {"code": exc.code.value, "message": exc.message}}
            except ValueError as exc:
                row = {"id": item_id, "error": {"code": "bad_json", "message": str(exc)[:200]}}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if source is not inp:
            source.close()
    return 0


def cmd_rules(args: argparse.Namespace, out: TextIO) -> int:
    pipeline = _build(args, with_store=False)
    for rule in pipeline.rules.snapshot.rules:
        out.write(f"{rule.id:40s} {rule.threat_type.value:20s} {rule.severity.value:8s} {rule.description}\n")
    return 0


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, inp: TextIO | None = None) -> int:
    out = out or sys.stdout
    inp = inp or sys.stdin
    parser = argparse.ArgumentParser(prog="python -m shared", description="Prompt Security Service")
    parser.add_argument("--level", choices=["low", "medium", "high", "paranoid"], help="severity level")
    sub = parser.add_subparsers(dest="command", required=True)
    p_an = sub.add_parser("analyze", help="analyse one prompt and print the result as JSON")
    p_an.add_argument("text")
    p_an.add_argument("--user-id", default="cli")
    p_an.add_argument("--prompt2")
    p_an.add_argument("--metric", choices=["cosine", "jaccard", "levenshtein", "embedding"])
    p_an.add_argument("--record", action="store_true", help="record in the configured store")
    p_an.add_argument("--rules-only", action="store_true", help="rules engine only (no classifier)")
    p_scan = sub.add_parser("scan", help="JSONL in, JSONL verdicts out (eval/score.py --cmd protocol)")
    p_scan.add_argument("file", help="JSONL file, or - for stdin")
    p_scan.add_argument("--user-id", default="scan")
    p_scan.add_argument("--rules-only", action="store_true", help="rules engine only (no classifier)")
    sub.add_parser("rules", help="list the active rules")
    args = parser.parse_args(argv)
    try:
        if args.command == "analyze":
            return cmd_analyze(args, out)
        if args.command == "scan":
            return cmd_scan(args, out, inp)
        return cmd_rules(args, out)
    except ServiceError as exc:
        sys.stderr.write(f"error [{exc.code.value}]: {exc.message}\n")
        return 2
