"""The training script is reproducible: same inputs, byte-identical artefact.

Full training takes minutes, so this trains on a stratified subset of the dev corpus
and a scaled-down synthetic set (same code path, leave-one-out included).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.detection.classifier import META_NAME, NPZ_NAME, Classifier

REPO = Path(__file__).resolve().parents[2]
DEV = REPO.parent / "shared" / "datasets" / "dev.jsonl"


def _train(out: Path) -> None:
    cmd = [sys.executable, "-m", "infra.training.train_classifier", "--data", str(DEV), "--out", str(out),
           "--limit", "120", "--synthetic-scale", "0.03", "--quiet", "--oof-out", str(out / "oof.json")]  # fmt: skip
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_training_twice_gives_identical_bytes(tmp_path: Path) -> None:
    if not DEV.exists():
        pytest.fail(f"dev corpus missing at {DEV}: the training script needs ../shared next to the repository")
    a, b = tmp_path / "a", tmp_path / "b"
    _train(a)
    _train(b)
    for name in (NPZ_NAME, META_NAME):
        assert _digest(a / name) == _digest(b / name), f"{name} differs between two identical runs"
    meta = json.loads((a / META_NAME).read_text())
    assert meta["provenance"]["dev_subset_limit"] == 120
    assert meta["provenance"]["dev_sha256"] == _digest(DEV)
    clf = Classifier.load(a)  # what was written loads and validates
    assert 0.0 <= clf.score("hello there") <= 1.0
    assert set(meta["loso"]["per_family"]["per_source"]) == set(meta["provenance"]["dev_records_by_source"])
    oof = json.loads((a / "oof.json").read_text())
    assert oof["npz_sha256"] == _digest(a / NPZ_NAME) and oof["scores"], "out-of-fold scores are cached"
