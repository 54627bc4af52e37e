"""The shipped artefact: loads without pickle, is small, validated, and refused when damaged."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from shared.detection.classifier import (
    LEVELS,
    META_NAME,
    MODEL_DIR,
    NPZ_NAME,
    Classifier,
    ModelArtifactError,
    get_classifier,
    set_classifier,
)
from shared.errors import ErrorCode


@pytest.fixture()
def model_copy(tmp_path: Path) -> Path:
    out = tmp_path / "model"
    shutil.copytree(MODEL_DIR, out)
    return out


def _rewrite_meta(model_dir: Path, **changes: object) -> None:
    meta_path = model_dir / META_NAME
    meta = json.loads(meta_path.read_text())
    meta.update(changes)
    meta_path.write_text(json.dumps(meta))


def test_npz_has_only_plain_arrays() -> None:
    with np.load(MODEL_DIR / NPZ_NAME, allow_pickle=False) as data:
        assert set(data.files) >= {"weights", "bias"}
        for name in data.files:
            assert data[name].dtype.kind == "f", f"{name} must be a numeric array"
    with zipfile.ZipFile(MODEL_DIR / NPZ_NAME) as zf:
        assert all(n.endswith(".npy") for n in zf.namelist())


def test_artifact_is_small_and_documented() -> None:
    size = (MODEL_DIR / NPZ_NAME).stat().st_size + (MODEL_DIR / META_NAME).stat().st_size
    assert size <= 20 * 1024 * 1024
    meta = json.loads((MODEL_DIR / META_NAME).read_text())
    prov = meta["provenance"]
    assert len(prov["dev_sha256"]) == 64
    assert prov["dev_records"] == sum(c["attack"] + c["benign"] for c in prov["dev_records_by_source"].values())
    assert prov["synthetic_records"] > 0 and prov["synthetic_generator_version"]
    assert prov["sklearn_version"]
    assert meta["training"]["seed"] is not None
    assert set(meta["thresholds"]) == set(LEVELS)
    assert set(prov["data_files"]) == {"dev.jsonl", "extra.jsonl"}
    assert all(len(digest) == 64 for digest in prov["data_files"].values())
    assert prov["everyday_generator_version"], "the everyday generator is part of training"
    per_source = meta["loso"]["per_family"]["per_source"]
    assert set(per_source) == set(prov["dev_records_by_source"]), "leave-out must cover every source"
    assert set(meta["evidence"]) == {"min_units", "full_units", "short_ceiling"}


def test_loads_and_thresholds_are_ordered() -> None:
    clf = Classifier.load()
    t = [clf.threshold(level) for level in LEVELS]
    assert all(0.0 < x < 1.0 for x in t)
    assert t == sorted(t, reverse=True), "low must be the least sensitive level, paranoid the most"
    assert clf.threshold("MEDIUM") == clf.threshold("medium")
    with pytest.raises(ValueError):
        clf.threshold("extreme")


def test_checksum_mismatch_is_refused(model_copy: Path) -> None:
    raw = bytearray((model_copy / NPZ_NAME).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (model_copy / NPZ_NAME).write_bytes(bytes(raw))
    with pytest.raises(ModelArtifactError) as exc:
        Classifier.load(model_copy)
    assert exc.value.code == ErrorCode.CONFIG_INVALID
    assert "checksum" in exc.value.message


def test_damaged_npz_with_matching_checksum_is_refused(model_copy: Path) -> None:
    junk = b"this is not a zip file"
    (model_copy / NPZ_NAME).write_bytes(junk)
    _rewrite_meta(model_copy, npz_sha256=hashlib.sha256(junk).hexdigest())
    with pytest.raises(ModelArtifactError, match="damaged"):
        Classifier.load(model_copy)


def test_wrong_shape_is_refused(model_copy: Path) -> None:
    import io

    from infra.training.train_classifier import npz_bytes

    blob = npz_bytes({"weights": np.zeros(10, dtype=np.float32), "bias": np.zeros(1)})
    (model_copy / NPZ_NAME).write_bytes(blob)
    _rewrite_meta(model_copy, npz_sha256=hashlib.sha256(blob).hexdigest(), segments=None)
    with pytest.raises(ModelArtifactError, match="shape"):
        Classifier.load(model_copy)
    assert np.load(io.BytesIO(blob), allow_pickle=False)["weights"].shape == (10,)


def test_non_finite_weights_are_refused(model_copy: Path) -> None:
    from infra.training.train_classifier import npz_bytes

    with np.load(model_copy / NPZ_NAME, allow_pickle=False) as data:
        arrays = {k: data[k].copy() for k in data.files}
    arrays["weights"][3] = np.nan
    blob = npz_bytes(arrays)
    (model_copy / NPZ_NAME).write_bytes(blob)
    _rewrite_meta(model_copy, npz_sha256=hashlib.sha256(blob).hexdigest())
    with pytest.raises(ModelArtifactError, match="non-finite"):
        Classifier.load(model_copy)


@pytest.mark.parametrize(
    "changes, pattern",
    [
        ({"format": 99}, "format"),
        ({"features": {"bits": 20}}, "incomplete"),
        ({"thresholds": {"low": {"score": 0.9}}}, "incomplete"),
    ],
)
def test_bad_metadata_is_refused(model_copy: Path, changes: dict, pattern: str) -> None:
    _rewrite_meta(model_copy, **changes)
    with pytest.raises(ModelArtifactError, match=pattern):
        Classifier.load(model_copy)


def test_missing_files_and_bad_json(tmp_path: Path, model_copy: Path) -> None:
    with pytest.raises(ModelArtifactError, match="missing"):
        Classifier.load(tmp_path / "nowhere")
    (model_copy / META_NAME).write_text("{not json")
    with pytest.raises(ModelArtifactError, match="JSON"):
        Classifier.load(model_copy)


def test_error_message_does_not_leak_paths(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactError) as exc:
        Classifier.load(tmp_path / "secret-dir")
    assert "secret-dir" not in exc.value.message
    assert str(tmp_path) not in json.dumps(exc.value.to_dict())


def test_singleton_and_setter(model_copy: Path) -> None:
    try:
        set_classifier(None)
        first = get_classifier()
        assert get_classifier() is first
        other = Classifier.load(model_copy)
        set_classifier(other)
        assert get_classifier() is other
    finally:
        set_classifier(None)


def test_weights_are_read_only() -> None:
    clf = Classifier.load()
    with pytest.raises(ValueError):
        clf.weights[0] = 1.0
