"""Micro-benchmark for Sanitizer().sanitize (not a test: pytest does not collect bench_*.py).

Run:  python tests/sanitize/bench_sanitize.py [--repeat N] [--corpus]

Prints p50/p95 latency for 1,000- and 10,000-character inputs of several shapes:
benign prose (built from the dev corpus when it is present, else generated), text
dense with things to redact, and hostile inputs built to stress the patterns (long
runs of the characters the patterns care about). A last section checks that cost
grows linearly: 100,000 characters should take roughly ten times 10,000. With
``--corpus`` it also prints, per dev-corpus category, how many records the sanitizer
changes (a rough view of reach on attacks and of collateral on benign text).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared.sanitize import Sanitizer  # noqa: E402

DEV = ROOT.parent / "shared" / "datasets" / "dev.jsonl"
RNG = random.Random(1234)


def _benign_source() -> str:
    if DEV.exists():
        texts = []
        with DEV.open(encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                if record.get("label") == "benign":
                    texts.append(record["text"])
        RNG.shuffle(texts)
        return "\n\n".join(texts)
    words = ["the", "report", "shows", "a", "steady", "increase", "in", "quarterly", "revenue", "across"]
    return " ".join(RNG.choice(words) for _ in range(50_000))


BENIGN = _benign_source()


def benign(n: int) -> str:
    start = RNG.randrange(0, max(1, len(BENIGN) - n))
    return BENIGN[start : start + n].ljust(n, " ")


def dense(n: int) -> str:
    key = "sk-" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(40))
    pieces = [
        "Contact jane.doe@example.com or +44 20 7946 0958. ",
        "Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00. ",
        f"key {key} password=hunter2 ",
        "<img src=x onerror=alert(1)><script>steal()</script> ",
        "admin' OR '1'='1 -- and 1; DROP TABLE users-- ",
        "see http://203.0.113.9/a and bit.ly/x3 and javascript:alert(1) ",
        "server 10.0.0.5, what the fuck. ",
    ]
    out = []
    size = 0
    while size < n:
        piece = RNG.choice(pieces)
        out.append(piece)
        size += len(piece)
    return "".join(out)[:n]


HOSTILE: dict[str, Callable[[int], str]] = {
    "angle-brackets": lambda n: ("<a " * n)[:n],
    "unclosed-quotes-in-tags": lambda n: ('<img src="' + "x" * n)[:n],
    "digits-and-spaces": lambda n: ("1234 " * n)[:n],
    "dotted-digits": lambda n: ("1.2.3." * n)[:n],
    "quotes-and-dashes": lambda n: ("'--'" * n)[:n],
    "at-signs": lambda n: ("a@b." * n)[:n],
    "base64ish": lambda n: "".join(RNG.choice(string.ascii_letters + string.digits + "+/") for _ in range(n)),
    "colons": lambda n: ("ab:" * n)[:n],
    "semicolons-sql": lambda n: ("; DROP TABLE x " * n)[:n],
    "script-nesting": lambda n: ("<scr<script>" * n)[:n],
    "tags-with-attributes": lambda n: "".join(f"<b x={RNG.randrange(10**6)}>" for _ in range(n // 8))[:n],
    "event-handlers": lambda n: ("<img src=x onerror=a()>" * n)[:n],
    "emails": lambda n: ("a@b.co " * n)[:n],
    "profanity": lambda n: ("fuck " * n)[:n],
}


def measure(sanitizer: Sanitizer, make: Callable[[int], str], n: int, repeat: int) -> tuple[float, float]:
    timings = []
    for _ in range(repeat):
        text = make(n)
        t0 = time.perf_counter()
        sanitizer.sanitize(text)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return p50, p95


def corpus_report(sanitizer: Sanitizer) -> None:
    """Share of dev-corpus records each category that the sanitizer changes, by issue type."""
    if not DEV.exists():
        print(f"(no dev corpus at {DEV})")
        return
    changed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    types: dict[str, Counter[str]] = {}
    with DEV.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            category = f"{record['label']}/{record['category']}"
            total[category] += 1
            issues = sanitizer.sanitize(record["text"]).issues
            if issues:
                changed[category] += 1
                types.setdefault(category, Counter()).update(i.threat_type.value for i in issues)
    print(f"\n{'dev corpus category':36s} {'changed':>13s}  issue types")
    for category in sorted(total):
        share = f"{changed[category]}/{total[category]}"
        print(f"{category:36s} {share:>13s}  {dict(types.get(category, Counter()).most_common())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--corpus", action="store_true", help="also report change rates on the dev corpus")
    args = parser.parse_args()

    sanitizer = Sanitizer()
    sanitizer.sanitize(dense(2_000))  # compile patterns, build nh3 cleaners

    print(f"{'input':28s} {'chars':>7s} {'p50 ms':>8s} {'p95 ms':>8s}")
    shapes: dict[str, Callable[[int], str]] = {"benign": benign, "dense": dense, **HOSTILE}
    for name, make in shapes.items():
        for n in (1_000, 10_000):
            p50, p95 = measure(sanitizer, make, n, args.repeat if n == 1_000 else max(5, args.repeat // 2))
            print(f"{name:28s} {n:7d} {p50:8.2f} {p95:8.2f}")

    print("\nlinearity (p50 ms at 10k vs 100k chars; ratio ~10 means linear)")
    for name, make in [("benign", benign), ("dense", dense), *HOSTILE.items()]:
        small, _ = measure(sanitizer, make, 10_000, 5)
        large, _ = measure(sanitizer, make, 100_000, 3)
        print(f"{name:28s} {small:8.2f} {large:9.2f}   x{large / small if small else float('nan'):5.1f}")

    if args.corpus:
        corpus_report(sanitizer)


if __name__ == "__main__":
    main()
