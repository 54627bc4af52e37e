"""The fine-tuned transformer classifier: meaning, not surface n-grams (issue 9).

A small pretrained encoder (the first layers of all-MiniLM-L6-v2, fine-tuned by
``infra/training/train_encoder.py``) reads the normalised text and gives the
probability that it is an attack. It catches what the n-gram model cannot: a polite
request for the configured guidance, a rhyme that asks to "spill the first prompt",
an attack in words the training sources never used.

The artefact is three files in ``shared/detection/model/``: ``encoder.onnx`` (int8
weights), ``encoder_tokenizer.json`` and ``encoder.json`` (window size, special token
ids, provenance and the SHA-256 of both files, checked on load). Inference needs only
``onnxruntime`` and ``tokenizers``; both are imported on first load, never at import
time, so the cold start of a function that does not analyse stays cheap.

Long texts are read in windows (:mod:`.windows`): head, tail, the windows the cheap
stages flagged, then an even spread, within a window count and a time budget. The
score is the maximum over the windows read, and the winning window's character span
goes into the explanation.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .classifier import ModelArtifactError, _sigmoid, read_artifact_json
from .windows import WINDOW_STRIDE, pick_windows, token_windows, window_of_token

MODEL_DIR = Path(__file__).resolve().parent / "model"
META_NAME = "encoder.json"
ARTIFACT_FORMAT = 1
#: The shipped model may not grow past this (issue 9: at most 30 MB).
MAX_MODEL_BYTES = 30 * 1024 * 1024
#: Windows scored per onnxruntime call: one at a time keeps the time budget checkable
#: (the first window is always read; each further one only while budget is left).
CHUNK = 1
#: Texts longer than this are windowed by characters before tokenising (see ``_score_long``).
LONG_CHARS = 4_000
LONG_WINDOW_CHARS = 560


@dataclass(frozen=True, slots=True)
class EncoderScore:
    """What the encoder saw in one text."""

    probability: float
    #: Character span, in the scored text, of the window that scored highest.
    window: tuple[int, int] | None
    windows_read: int
    windows_total: int


def _leads(flagged_chars: Sequence[int], max_windows: int, keep_order: bool) -> list[int]:
    """The first few offsets to look up (earliest first, or as given).

    Only a few: a long text full of matches must not cost (matches x windows) here, and
    no more windows than ``max_windows`` are read anyway.
    """
    chars = list(dict.fromkeys(flagged_chars)) if keep_order else sorted(set(flagged_chars))
    return chars[: max(1, max_windows) * 4]


def _no_room(started: float, read: int, budget_ms: float | None) -> bool:
    """Whether the next window would end past the budget, at the pace of those read so far."""
    if budget_ms is None or read == 0:
        return False
    spent = (time.perf_counter() - started) * 1e3
    return spent + spent / read > budget_ms


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class EncoderClassifier:
    """A loaded encoder. Thread-safe: onnxruntime sessions may run concurrently."""

    def __init__(self, session: Any, tokenizer: Any, meta: dict[str, Any]) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self.metadata = meta
        special = meta["special_ids"]
        self._cls, self._sep, self._pad = int(special["cls"]), int(special["sep"]), int(special["pad"])
        self.window_tokens = int(meta["window_tokens"])  # text tokens per window, without [CLS]/[SEP]
        self.window_stride = int(meta.get("window_stride", WINDOW_STRIDE))

    # -- loading ---------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None, *, threads: int = 1) -> EncoderClassifier:
        """Load and validate the artefact in ``path`` (a folder, or its ``encoder.json``)."""
        base = Path(path) if path is not None else MODEL_DIR
        meta_path = base if base.suffix == ".json" else base / META_NAME
        meta = read_artifact_json(
            meta_path, "Encoder model files are missing or unreadable.", "Encoder model metadata is not valid JSON."
        )
        if not isinstance(meta, dict) or meta.get("format") != ARTIFACT_FORMAT:
            raise ModelArtifactError(f"Encoder model metadata must be format {ARTIFACT_FORMAT}.")
        for key in ("model", "sha256", "tokenizer", "tokenizer_sha256", "window_tokens", "special_ids"):
            if key not in meta:
                raise ModelArtifactError(f"Encoder model metadata lacks {key!r}.")
        files: dict[str, bytes] = {}
        for name_key, sum_key in (("model", "sha256"), ("tokenizer", "tokenizer_sha256")):
            name = str(meta[name_key])
            if "/" in name or "\\" in name or name.startswith("."):
                raise ModelArtifactError(f"Encoder model metadata names an unsafe file for {name_key!r}.")
            file = meta_path.with_name(name)
            try:
                if file.stat().st_size > MAX_MODEL_BYTES:
                    raise ModelArtifactError("Encoder model file is larger than 30 MB.")
                data = file.read_bytes()
            except OSError:
                raise ModelArtifactError("Encoder model files are missing or unreadable.") from None
            if _sha256(data) != meta[sum_key]:
                raise ModelArtifactError(f"Encoder {name_key} file does not match its checksum.")
            files[name_key] = data
        window, stride = meta["window_tokens"], meta.get("window_stride", WINDOW_STRIDE)
        if not isinstance(window, int) or not 8 <= window <= 510:
            raise ModelArtifactError("Encoder window_tokens must be an integer from 8 to 510.")
        if not isinstance(stride, int) or not 1 <= stride <= window:
            raise ModelArtifactError("Encoder window_stride must be an integer from 1 to window_tokens.")

        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(files["model"], sess_options=options, providers=["CPUExecutionProvider"])
            tokenizer = Tokenizer.from_str(files["tokenizer"].decode("utf-8"))
        except Exception:  # onnxruntime and tokenizers raise their own types for bad files
            raise ModelArtifactError("Encoder model or tokenizer cannot be loaded.") from None
        names = {i.name for i in session.get_inputs()}
        if names != {"input_ids", "attention_mask"}:
            raise ModelArtifactError("Encoder model must take exactly input_ids and attention_mask.")
        tokenizer.no_truncation()
        tokenizer.no_padding()
        model = cls(session, tokenizer, meta)
        probe = model.score("hello").probability
        if not 0.0 <= probe <= 1.0:
            raise ModelArtifactError("Encoder model gives no valid probability.")
        return model

    # -- scoring ---------------------------------------------------------------

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self._pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        (logits,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(logits, dtype=np.float64).reshape(-1)

    def score(
        self,
        text: str,
        flagged_chars: Sequence[int] = (),
        *,
        max_windows: int = 8,
        budget_ms: float | None = None,
        only_flagged: bool = False,
    ) -> EncoderScore:
        """Attack probability of *normalised* ``text``: the maximum over the windows read.

        ``flagged_chars``: character offsets the cheap stages pointed at (rule and
        heuristic matches); the first one's window is read right after the head, the
        others' after the tail (:func:`~.windows.pick_windows`). ``only_flagged`` reads
        the flagged windows alone, in the order the offsets are given. ``budget_ms``: no
        window is started that would, at the pace of those already read, end past it
        (the first window is always read).
        """
        if not text.strip():
            return EncoderScore(0.0, None, 0, 0)
        if len(text) > LONG_CHARS:
            return self._score_long(text, flagged_chars, max_windows, budget_ms, only_flagged)
        enc = self._tokenizer.encode(text, add_special_tokens=False)
        ids: list[int] = enc.ids
        offsets: list[tuple[int, int]] = enc.offsets
        if not ids:
            return EncoderScore(0.0, None, 0, 0)
        windows = token_windows(len(ids), self.window_tokens, self.window_stride)
        flagged: list[int] = []
        if len(windows) > 1 and flagged_chars:
            starts = [a for a, _ in offsets]
            leads = _leads(flagged_chars, max_windows, only_flagged)
            flagged = [window_of_token(windows, _bisect(starts, ch)) for ch in leads]
        order = pick_windows(windows, flagged, max(1, max_windows), only_flagged=only_flagged)
        started = time.perf_counter()
        best, best_window, read = -math.inf, 0, 0
        for c in range(0, len(order), CHUNK):
            part = order[c : c + CHUNK]
            rows = [[self._cls, *ids[windows[w][0] : windows[w][1]], self._sep] for w in part]
            logits = self._run(rows)
            read += len(part)
            for w, v in zip(part, logits, strict=True):
                if v > best:
                    best, best_window = float(v), w
            if _no_room(started, read, budget_ms):
                break
        start, end = windows[best_window]
        span = (offsets[start][0], offsets[end - 1][1])
        return EncoderScore(_sigmoid(best), span, read, len(windows))

    def _score_long(
        self, text: str, flagged_chars: Sequence[int], max_windows: int, budget_ms: float | None, only_flagged: bool
    ) -> EncoderScore:
        """A long text: pick windows by characters, then tokenise only those.

        Tokenising all of a 100,000-character text costs more than reading eight windows
        of it, and grows with the text; here the cost is bounded by the windows read.
        A character window of ``LONG_WINDOW_CHARS`` is about one token window of English
        (each is cut to ``window_tokens`` tokens), consecutive ones overlapping by a quarter.
        """
        n = len(text)
        stride = LONG_WINDOW_CHARS * 3 // 4
        starts = sorted({*range(0, n - LONG_WINDOW_CHARS, stride), n - LONG_WINDOW_CHARS})
        windows = [(a, a + LONG_WINDOW_CHARS) for a in starts]
        leads = [window_of_token(windows, ch) for ch in _leads(flagged_chars, max_windows, only_flagged)]
        order = pick_windows(windows, leads, max(1, max_windows), only_flagged=only_flagged)
        started = time.perf_counter()
        best, best_span, read = -math.inf, None, 0
        for c in range(0, len(order), CHUNK):
            part = order[c : c + CHUNK]
            encs = self._tokenizer.encode_batch([text[slice(*windows[w])] for w in part], add_special_tokens=False)
            rows = [[self._cls, *e.ids[: self.window_tokens], self._sep] for e in encs]
            logits = self._run(rows)
            read += len(part)
            for w, e, v in zip(part, encs, logits, strict=True):
                if v > best and e.ids:
                    last = min(len(e.ids), self.window_tokens) - 1
                    best, best_span = float(v), (windows[w][0] + e.offsets[0][0], windows[w][0] + e.offsets[last][1])
            if _no_room(started, read, budget_ms):
                break
        return EncoderScore(_sigmoid(best) if best > -math.inf else 0.0, best_span, read, len(windows))


def _bisect(starts: list[int], ch: int) -> int:
    """Index of the last token starting at or before character ``ch``."""
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= ch:
            lo = mid + 1
        else:
            hi = mid
    return max(0, lo - 1)


# ---------------------------------------------------------------------------
# process-wide instance

_instance: EncoderClassifier | None = None
_lock = threading.Lock()


def get_encoder() -> EncoderClassifier:
    """The shared encoder, loaded on first use from settings (or the shipped model)."""
    global _instance
    if _instance is None:
        with _lock:
            if _instance is None:
                from ..config import get_settings

                cfg = get_settings().classifier
                _instance = EncoderClassifier.load(cfg.encoder_path, threads=cfg.encoder_threads)
    return _instance


def set_encoder(encoder: EncoderClassifier | None) -> None:
    """Replace the shared encoder (tests); ``None`` reloads lazily."""
    global _instance
    with _lock:
        _instance = encoder
