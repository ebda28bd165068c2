"""Index build, reload without rebuilding, the chroma store, and what search returns."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from retrieval_cases import CASES

from retrieval import store
from retrieval.corpus import load_policy
from retrieval.search import ArticleHit, ClauseHit, SearchResult, build_index, open_retriever

POLICY = load_policy()


def test_build_reports_what_it_indexed(built):
    assert built["clauses"] == 87
    assert built["units"] >= 87 + 30
    assert built["build_s"] > 0


def test_second_build_reuses_the_index(built, data_dir):
    again = build_index(data_dir)
    assert again["built"] is False and again["version"] == built["version"]


def test_fresh_process_loads_the_persisted_index_without_rebuilding(built, data_dir):
    manifest = store.index_dir(data_dir, built["version"]) / "manifest.json"
    before = manifest.stat().st_mtime_ns
    code = textwrap.dedent(
        f"""
        import json, sys, time
        t0 = time.perf_counter()
        from pathlib import Path
        from retrieval.search import open_retriever
        r = open_retriever(Path({str(data_dir)!r}), build_if_missing=False)
        # English without a strong keyword lead: the vector side is needed
        result = r.search("Our company got certified as a high and new technology enterprise, what money do we get?")
        heavy = sorted(m for m in ("chromadb", "bm25s", "yaml", "pypinyin") if m in sys.modules)
        print(json.dumps({{"article": result.articles[0].article, "seconds": time.perf_counter() - t0,
                           "cached_model": r.encoder.loaded_from_cache, "heavy": heavy}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["article"] == 15
    assert report["cached_model"] is True
    assert report["heavy"] == []  # the query path reads numpy/JSON files only
    assert manifest.stat().st_mtime_ns == before


def test_missing_index_without_building_is_a_clear_error(tmp_path):
    with pytest.raises(store.IndexMissing, match="policybot index"):
        open_retriever(tmp_path / "empty", build_if_missing=False)


def test_chroma_holds_every_unit_with_our_embedding_function(built, data_dir, retriever):
    collection = store.open_chroma_collection(data_dir, built["version"])
    assert collection.count() == built["units"]
    got = collection.get(ids=["15.2"], include=["documents", "metadatas"])
    assert got["documents"][0] == POLICY.clause("15.2").text
    assert got["metadatas"][0]["article"] == 15
    hits = collection.query(query_texts=["国家高新技术企业奖补"], n_results=3)
    assert any(m["article"] == 15 for m in hits["metadatas"][0])


def test_search_returns_clause_ids_that_exist(retriever):
    result = retriever.search("众创空间和孵化器的奖补", k=5)
    assert isinstance(result, SearchResult) and len(result.articles) == 5
    for hit in result.articles:
        assert isinstance(hit, ArticleHit) and 1 <= hit.article <= 30
        assert hit.clauses and all(isinstance(c, ClauseHit) for c in hit.clauses)
        for clause in hit.clauses:
            assert POLICY.clause(clause.clause_id).article == hit.article
        scores = [c.score for c in hit.clauses]
        assert scores == sorted(scores, reverse=True)
    assert [h.score for h in result.articles] == sorted((h.score for h in result.articles), reverse=True)
    assert result.articles[0].clauses[0].clause_id == "5.1"


@pytest.mark.parametrize("case", CASES["search"], ids=lambda c: c["text"])
def test_colloquial_questions_land_on_the_article(retriever, case):
    result = retriever.search(case["text"])
    assert result.articles[0].article == case["article"]
    assert result.in_scope and 0.5 <= result.confidence <= 1


def test_traditional_input_finds_the_same_clauses(retriever):
    simplified = retriever.search("企业研发投入补助最高多少")
    traditional = retriever.search("企業研發投入補助最高多少")
    assert [h.article for h in traditional.articles] == [h.article for h in simplified.articles]
    assert traditional.articles[0].clauses == simplified.articles[0].clauses


@pytest.mark.parametrize("case", CASES["mixed"], ids=lambda c: c["text"])
def test_a_real_question_naming_another_programme_is_answered(retriever, case):
    result = retriever.search(case["text"])
    assert result.in_scope and result.articles[0].article == case["article"]


@pytest.mark.parametrize("case", CASES["foreign_benefit"], ids=lambda c: c["text"])
def test_a_covered_thing_asked_about_in_a_benefit_the_policy_never_gives_is_out_of_scope(retriever, case):
    result = retriever.search(case["text"])
    assert result.in_scope is False and result.confidence == 0.0
    assert result.articles[0].article == case["article"]  # still ranked: the engine names it as related


@pytest.mark.parametrize("case", CASES["foreign_benefit_and_ours"], ids=lambda c: c["text"])
def test_a_foreign_benefit_next_to_this_policy_s_money_is_answered(retriever, case):
    result = retriever.search(case["text"])
    assert result.in_scope and result.articles[0].article == case["article"]


@pytest.mark.parametrize("case", CASES["close_but_ours"], ids=lambda c: c["text"])
def test_words_near_a_foreign_benefit_that_the_policy_has_stay_in_scope(retriever, case):
    result = retriever.search(case["text"])
    assert result.in_scope and result.articles[0].article == case["article"]


@pytest.mark.parametrize("case", CASES["other_place"], ids=lambda c: c["text"])
def test_another_city_s_own_programme_is_out_of_scope(retriever, case):
    result = retriever.search(case["text"])
    assert result.in_scope is False and result.reason == "other_place" and result.place == case["place"]
    assert result.articles[0].article == case["article"]


@pytest.mark.parametrize("case", CASES["place_but_ours"], ids=lambda c: c["text"])
def test_another_city_as_place_partner_source_or_recogniser_stays_in_scope(retriever, case):
    result = retriever.search(case["text"])
    assert result.in_scope and result.reason is None and result.articles[0].article == case["article"]


def test_analyse_reports_the_foreign_benefit_and_what_is_left(retriever):
    seen = retriever.analyse("高企房租补贴能拿多少")
    assert seen["foreign_benefit"] and not seen["asks_for_benefit"]
    assert seen["masked"].strip() == "高企"  # 房租 with 补贴能拿多少 attached to it
    seen = retriever.analyse("高企认定奖励和房租补贴")
    assert seen["foreign_benefit"] and seen["asks_for_benefit"]
    assert not retriever.analyse("高企认定奖励")["foreign_benefit"]


@pytest.mark.parametrize("text", CASES["general"])
def test_a_general_question_about_the_policy_is_in_scope(retriever, text):
    result = retriever.search(text)
    assert result.in_scope and result.confidence == 0.5 and result.articles


@pytest.mark.parametrize("text", CASES["out_of_scope"])
def test_out_of_scope_is_flagged(retriever, text):
    result = retriever.search(text)
    assert result.in_scope is False and 0 <= result.confidence < 0.5
    assert result.query == text


def test_k_and_long_input(retriever):
    assert len(retriever.search("科技金融", k=1).articles) == 1
    assert retriever.search("科技金融", k=0).articles == ()
    long = retriever.search("高新技术企业" * 2000)
    assert long.articles[0].article == 15


def test_open_retriever_is_cached_per_directory(retriever, data_dir):
    assert open_retriever(data_dir) is retriever
