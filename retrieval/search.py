"""Search: a question in, ranked articles with their best clauses out, and an in-scope flag.

How a question is scored (every weight below was measured on tests/eval/questions.jsonl, see
the module constants; the plateau is broad, so they are round numbers, not a tuned optimum):

1. Prepare: normalize (t2s, NFKC), fold (no parentheses, lower-case). Phrases naming programmes
   the policy does not cover (``本政策未涉及`` in aliases.yaml: 专精特新, 上市…) and kinds of
   benefit it never gives (``本政策不提供的待遇``: 所得税, 房租, 人才公寓, 贴息, 社保…) are
   blanked out first, so their words cannot pull in an article by accident. A foreign benefit
   kind takes the benefit words attached to it along: "房租补贴", "税收优惠政策", "所得税能减免
   多少", "减免房租", "rent subsidy" are blanked whole (_ATTACHED_*: a chain of benefit words and
   how-much phrases with only connecting words such as 有/能/的/有没有 between them; before the
   kind only verbs and how-much phrases, so "认定奖励多少，税收…" keeps its 奖励).
2. Keyword side: alias expansion adds the policy's wording; numbers are taken out; jieba cuts the
   rest. Each token is weighted: policy terms ×1.5, generic benefit words (补贴, 支持, 资金…)
   ×0.5, the sub-words of a long token ×0.3 (高新技术企业 also counts as 高新/技术/企业), alias
   additions ×1. BM25 over the units (clauses, catalogue items, article titles).
3. Articles: the best clause (or catalogue item) of each article, plus half the title's score;
   divided by the best article's score, so the keyword side is in [0, 1].
4. Vector side: cosine between the question and every unit (USE multilingual), best per
   article, added with weight 1. It carries English and paraphrases the aliases miss. Skipped
   when the keyword lead exceeds KEYWORD_LEAD and the question has Chinese or keyword evidence
   of at least EVIDENCE_MIN (then the keywords alone put it in scope). Measured over all 626
   questions of tests/eval/*questions.jsonl and the dev set: leads of 0.3-0.5 give the same
   answers, 0.2 changes one; at 0.4 a quarter of the questions need the encode (a third at 0.5).
5. In scope: the evidence is the best article's keyword score over the non-generic words only
   (an alias counts once: the policy terms it adds share its weight). It must reach
   EVIDENCE_MIN; when a phrase naming another programme was blanked out, EVIDENCE_MIN_MASKED,
   so "上市公司研发投入补助" stays in but "公积金贷款额度" does not. A question without Chinese is in
   scope on its evidence or on the cosine (COSINE_MIN). ``confidence`` = e / (e + threshold):
   0.5 exactly at the threshold.
   A question made only of benefit and function words ("对企业有哪些奖补政策") asks about this
   policy in general: in scope, confidence 0.5.
   A question naming a foreign benefit kind is out of scope (confidence 0) unless what is left
   after blanking still asks for this policy's money: a benefit word other than 政策
   (ASKED_BENEFITS: 奖励, 补贴, 补助, 资助, 奖补, 扶持, 支持, 资金, 经费, 科研经费; award,
   subsidy, grant…; a policy word ending in one: 后补助, 运行补贴) or a how-much phrase (多少钱, 能拿多少, 补多少, how much). Then it is
   scored as a blanked question, EVIDENCE_MIN_MASKED. So "高企房租补贴", "研发费用加计扣除",
   "科技型中小企业有没有贷款贴息", "高新技术企业税收减免政策" are out (the articles are still
   ranked: the engine names the related one), "高企认定奖励和所得税优惠" and "研发费用加计扣除
   后还能拿研发补助吗" are in. It cannot be a threshold: the covered thing's words give these
   questions as much evidence as real ones (below).
   Calibration on tests/eval/questions.jsonl (270 questions): real Chinese questions' evidence
   ≥ 2.37; the 5 real questions with something blanked (all naming a foreign benefit kind and
   still asking for money, one English) 4.51–5.62; out-of-scope ones 0 with nothing blanked,
   ≤ 2.37 with a programme blanked; English in scope cosine ≥ 0.36, "Hello" 0.11. Foreign
   benefit kinds: 25 out-of-scope questions name one and none still asks for money; the 12
   naming no covered thing score ≤ 3.80 ("公积金贷款额度"), the 13 that also name a covered
   thing 4.26–9.60 ("孵化器里的企业能免房租吗"), above EVIDENCE_MIN_MASKED: only the rule
   keeps them out.
   tests/eval/probe_questions.jsonl (125, not used for this rule): 10 name a foreign kind, all
   out of scope, none asking for money; no in-scope result changed.

The query path reads numpy arrays and JSON written at build time (store.load); chromadb holds
the same vectors but is not imported to answer a question (see store.py for why).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from retrieval import scope
from retrieval.lexicon import Lexicon
from retrieval.scope import EVIDENCE_MIN, GENERIC
from retrieval.textproc import prepare, split_numbers

# Query token weights
W_TERM = 1.5  # a policy term (terms.txt, alias keys)
W_GENERIC = 0.5  # benefit/administrative words every article uses
W_SUBWORD = 0.3  # sub-words of a long token
W_ALIAS = 1.0  # policy wording added by an alias
W_ASKED = 1.0  # extra ranking weight of a long message's asking sentences (retrieval.scope.asking_part)
ALIAS_HITS_MAX = 2  # distinct variants of one alias counted as evidence (3 changes nothing more on the sets)
W_TITLE = 0.5  # article title's share in the article's keyword score
W_VECTOR = 1.0  # cosine weight against the normalized keyword score
# In-scope decision
CLAUSES_PER_ARTICLE = 3
VECTOR_CHARS = 128  # the embedding reads at most this much: cost grows with length; 96-256 gave the same answers on 765 questions
# A situation is our paraphrase, not the policy's words: where the text itself has the question's
# words (揭榜挂帅 in 18.1) its clause stays ahead. Measured over every eval set (2026-12-03): 1.0
# let one poem request into scope (probe5 OOS recall 0.982) and put probe 0.98; 0.8 keeps probe5
# at 1.0 and probe at 0.99 for one probe7 question (0.898 -> 0.886); 0.6 also loses probe8 (0.877 -> 0.864).
W_SITUATION = 0.8
SITUATION_MIN_WORDS = 2  # specific words a question shares with an everyday situation for it to count
KEYWORD_LEAD = 0.4  # a keyword lead the cosine (its spread across articles stays below it) cannot undo
QUERY_CACHE = 512  # question embeddings kept (the engine may search one message twice)



@dataclass(frozen=True)
class ClauseHit:
    clause_id: str
    score: float


@dataclass(frozen=True)
class ArticleHit:
    article: int
    score: float
    clauses: tuple[ClauseHit, ...]  # best first


@dataclass(frozen=True)
class SearchResult:
    query: str
    articles: tuple[ArticleHit, ...]
    in_scope: bool
    confidence: float
    # why a question that names covered things is still out of scope: "foreign_benefit" (it asks
    # for a kind of benefit the policy never gives) or "other_place" (another city's or a higher
    # government's own programme; `place` is the name as written in the prepared question)
    reason: str | None = None
    place: str | None = None
    # a long message: the article its asking sentences' own specific words point to (evidence at
    # least EVIDENCE_MIN, generic benefit words left out), None when they name no topic of their own
    asked_article: int | None = None


class Retriever:
    """Search over a loaded index. Thread-safe for concurrent ``search`` calls."""

    def __init__(self, index, *, use_vectors: bool = True) -> None:
        import numpy as np

        from retrieval.embedding import Encoder, cache_dir_for

        self.index = index
        self.lexicon: Lexicon = index.lexicon
        self.units = index.units
        self._np = np
        self._article = np.array([u.article for u in self.units])
        self._is_title = np.array([u.kind == "title" for u in self.units])
        self.n_articles = int(self._article.max())
        self._members = [
            np.flatnonzero((self._article == a) & ~self._is_title) for a in range(self.n_articles + 1)
        ]
        self._title_of = np.zeros(self.n_articles + 1, dtype=int)
        for i in np.flatnonzero(self._is_title):
            self._title_of[self._article[i]] = i
        # body units of articles 1..N laid end to end, for one reduceat per query
        self._body = np.concatenate([self._members[a] for a in range(1, self.n_articles + 1)])
        self._body_starts = np.cumsum([0] + [len(self._members[a]) for a in range(1, self.n_articles)])
        self._titles = self._title_of[1:]
        self._clause_of = [u.clause_id for u in self.units]
        self._cache: dict[str, object] = {}
        self._zeros = np.zeros(len(self.units), dtype=np.float32)
        self._matrix, self._vocab = index.matrix, index.vocab
        self._situations = np.flatnonzero([u.kind == "situation" for u in self.units])
        self._terms = self.lexicon.words()
        self._vectors = index.vectors if use_vectors else None
        self.encoder = Encoder(cache_dir_for(index.data_dir)) if use_vectors else None
        self._lock = threading.Lock()

    # -- the API ---------------------------------------------------------------------------
    def search(self, query: str, k: int = 5) -> SearchResult:
        np = self._np
        text = self.lexicon.correct(prepare(query or ""))
        masked, foreign = scope.blank_out_of_scope(self.lexicon, text, self.index.tokenizer.cuts(text))
        weights, evidence_weights, words = self._query_weights(masked)
        asked_text = scope.asking_part(masked)
        asked_article = None
        if asked_text is not masked:
            # a long message: the words of the sentences that ask weigh more in the ranking than the
            # background's ("…去年科研投入2800万…。想问新成立的站能给多少补助？")
            asked_weights, asked_evidence, _ = self._query_weights(asked_text)
            for i, w in asked_weights.items():
                weights[i] = weights.get(i, 0.0) + W_ASKED * w
            asked_scores = self._articles(self._bm25(asked_evidence), title_weight=0)
            if float(asked_scores.max()) >= EVIDENCE_MIN:
                asked_article = int(asked_scores.argmax())
        unit_kw = self._bm25(weights)
        unit_ev = self._bm25(evidence_weights)
        self._weigh_situations(words, unit_kw, unit_ev)
        art_kw = self._articles(unit_kw)
        evidence = float(self._articles(unit_ev, title_weight=0).max())
        top_kw = float(art_kw.max())
        kw_norm = art_kw / top_kw if top_kw > 0 else art_kw
        unit_kw_norm = unit_kw / top_kw if top_kw > 0 else unit_kw

        # The vector side only matters when it could change the leading article: with a clear
        # keyword lead on a Chinese question (scope is decided by keywords there) it is skipped,
        # which keeps the usual query well under the ~5 ms one USE forward pass costs.
        # Another city's programme is out of scope by rule: the keywords rank the related article.
        # (A benefit the policy never gives keeps the vectors: its blanked words can leave the
        # keywords between two articles, "高新技术企业所得税减免" -> 高新技术.)
        asking = scope.asking_part(text)
        if asking is not text:  # a long message: what it asks decides foreign benefits and places
            asked_masked, foreign = scope.blank_out_of_scope(self.lexicon, asking, self.index.tokenizer.cuts(asking))
        else:
            asked_masked = masked
        # out when nothing asks for this policy's money once the foreign benefit is blanked, or when
        # the question's own words all belong to the foreign benefit ("…奖励，个税有没有减免")
        foreign_out = foreign and (not scope.asks_for_benefit(self.index.tokenizer, asked_masked)
                                   or scope.asks_only_the_foreign(asking, asked_masked))
        place = scope.other_place(self.lexicon, asking)
        ranked = np.sort(kw_norm[1:])
        clear_lead = top_kw > 0 and ranked[-1] - ranked[-2] > KEYWORD_LEAD and (
            bool(scope.CJK.search(masked)) or evidence >= EVIDENCE_MIN
        )
        decided = place is not None
        cosine = self._zeros if clear_lead or decided else self._cosine(masked)
        art_cos = np.zeros(self.n_articles + 1, dtype=np.float32)
        art_cos[1:] = np.maximum(
            np.maximum.reduceat(cosine[self._body], self._body_starts), cosine[self._titles]
        )
        fused = kw_norm + W_VECTOR * art_cos
        fused[0] = -np.inf

        in_scope, confidence = scope.decide(text, masked != text, evidence, float(cosine.max(initial=0.0)))
        reason = None
        if foreign_out:
            # it asks about a benefit the policy never gives ("高企房租补贴"): out of scope, however
            # strong the covered thing's words; the articles stay ranked for the "related" note
            in_scope, confidence, reason = False, 0.0, "foreign_benefit"
        if not in_scope and masked == text and scope.about_the_policy(self.index.tokenizer, text):
            in_scope, confidence = True, 0.5
        if place is not None:
            in_scope, confidence, reason = False, 0.0, "other_place"
        unit_fused = unit_kw_norm + W_VECTOR * cosine
        order = np.argsort(-fused, kind="stable")[: max(0, k)]
        hits = tuple(
            ArticleHit(int(a), round(float(fused[a]), 4), self._best_clauses(int(a), unit_fused))
            for a in order
        )
        return SearchResult(
            query=query, articles=hits, in_scope=in_scope, confidence=confidence, reason=reason, place=place,
            asked_article=asked_article,
        )

    # -- pieces ----------------------------------------------------------------------------
    def analyse(self, query: str) -> dict:
        """What the search saw: prepared text, alias additions, tokens (for debugging, eval)."""
        text = self.lexicon.correct(prepare(query or ""))
        masked, foreign = scope.blank_out_of_scope(self.lexicon, text, self.index.tokenizer.cuts(text))
        expansion = self.lexicon.expand(masked)
        stripped, figures = split_numbers(masked)
        return {
            "text": text,
            "masked": masked,
            "foreign_benefit": foreign,
            "asks_for_benefit": scope.asks_for_benefit(self.index.tokenizer, masked),
            "alias_terms": list(expansion.terms),
            "figures": figures,
            "tokens": self.index.tokenizer.tokens(stripped),
        }

    def _query_weights(self, text: str) -> tuple[dict[int, float], dict[int, float], set[int]]:
        """(ranking weights, evidence weights) per vocabulary id, and the ids of the question's
        specific whole words (its own and the aliases', without sub-words).

        Evidence leaves out the generic words, and an alias counts once however many policy
        terms it adds (科技金融 科创贷 知识产权质押贷 for 贷款 weigh a third each).
        """
        tokenizer = self.index.tokenizer
        expansion = self.lexicon.expand(text)
        stripped, _ = split_numbers(text)
        base = tokenizer.tokens(stripped)
        weights: dict[int, float] = {}
        evidence: dict[int, float] = {}
        words: set[int] = set()

        def add(token: str, w: float, share: float = 1.0, whole: bool = True) -> None:
            i = self._vocab.get(token)
            if i is None:
                return
            if token in GENERIC:
                weights[i] = weights.get(i, 0.0) + w * W_GENERIC
                return
            if whole:
                words.add(i)
            if token in self._terms:
                w *= W_TERM
            weights[i] = weights.get(i, 0.0) + w
            evidence[i] = evidence.get(i, 0.0) + w * share

        seen = set(base)
        for token in base:
            add(token, 1.0)
            if token not in GENERIC:
                for sub in tokenizer.subwords(token):
                    add(sub, W_SUBWORD, whole=False)
        for terms, hits in zip(expansion.groups, expansion.hits, strict=True):
            # a situation told in several everyday words of one idea ("疫情…没做成…会不会被追责")
            # is that much more evidence for it, up to ALIAS_HITS_MAX; the ranking weight stays
            share = min(hits, ALIAS_HITS_MAX) / len(terms)
            for term in terms:
                for token in tokenizer.tokens(term):
                    if token in seen:
                        continue
                    seen.add(token)
                    add(token, W_ALIAS, share)
                    for sub in tokenizer.subwords(token):
                        add(sub, W_ALIAS * W_SUBWORD, share, whole=False)
        return weights, evidence, words

    def _weigh_situations(self, words: set[int], *unit_scores) -> None:
        """A situation is a short everyday sentence: one shared word ("要不要", "专利", "落户") is
        chance, not a description of the same case. It counts (for ranking and for evidence)
        only when SITUATION_MIN_WORDS of the question's specific words (whole words: the parts of
        新型研发机构 are one word) occur in it."""
        np = self._np
        if not len(self._situations):
            return
        ids = np.fromiter(words, dtype=np.int64, count=len(words))
        shared = (self._matrix[ids][:, self._situations] > 0).sum(axis=0) if len(ids) else 0
        weak = self._situations[shared < SITUATION_MIN_WORDS] if len(ids) else self._situations
        for scores in unit_scores:
            scores[self._situations] *= W_SITUATION
            scores[weak] = 0.0

    def _bm25(self, weights: dict[int, float]):
        np = self._np
        if not weights:
            return np.zeros(len(self.units), dtype=np.float32)
        ids = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
        w = np.fromiter(weights.values(), dtype=np.float32, count=len(weights))
        return w @ self._matrix[ids]

    def _articles(self, unit_scores, title_weight: float = W_TITLE):
        """Per article (index = article number, 0 unused): best body unit + weighted title;
        with title_weight 0, the best of body and title."""
        np = self._np
        out = np.zeros(self.n_articles + 1, dtype=np.float32)
        body = np.maximum.reduceat(unit_scores[self._body], self._body_starts)
        titles = unit_scores[self._titles]
        out[1:] = body + title_weight * titles if title_weight else np.maximum(body, titles)
        return out

    def clear_cache(self) -> None:
        """Forget cached query vectors (benchmarks measure the real encode)."""
        with self._lock:
            self._cache.clear()

    def _cosine(self, text: str):
        """Cosine of `text` with every unit (zeros without the vector side); small LRU cache."""
        np = self._np
        if self._vectors is None or not text.strip():
            return np.zeros(len(self.units), dtype=np.float32)
        cached = self._cache.get(text)
        if cached is None:
            vector = self.encoder.encode([text[:VECTOR_CHARS]])[0]
            cached = self._vectors @ vector
            with self._lock:
                while len(self._cache) >= QUERY_CACHE:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[text] = cached
        return cached

    def _best_clauses(self, article: int, unit_scores) -> tuple[ClauseHit, ...]:
        """The article's best clauses; a clause scores as its best unit (itself or an item)."""
        members = self._members[article]
        scores = unit_scores[members]
        hits: list[ClauseHit] = []
        seen: set[str] = set()
        for j in self._np.argsort(-scores, kind="stable"):
            cid = self._clause_of[members[j]]
            if cid not in seen:
                seen.add(cid)
                hits.append(ClauseHit(cid, round(float(scores[j]), 4)))
                if len(hits) == CLAUSES_PER_ARTICLE:
                    break
        return tuple(hits)

# -- opening and building ------------------------------------------------------------------
_OPEN: dict[Path, Retriever] = {}
_OPEN_LOCK = threading.Lock()


def build_index(
    data_dir: Path, *, rebuild: bool = False, progress: Callable[[int, int], None] | None = None
) -> dict:
    """Build (or, without `rebuild`, reuse) the index under `data_dir`; returns timings/stats."""
    from retrieval import store

    stats = store.build(Path(data_dir), rebuild=rebuild, progress=progress)
    if stats.get("built"):
        with _OPEN_LOCK:
            _OPEN.pop(Path(data_dir).resolve(), None)
    return stats


def open_retriever(
    data_dir: Path, *, build_if_missing: bool = True, progress: Callable[[int, int], None] | None = None
) -> Retriever:
    """The retriever for `data_dir`, cached per directory; builds the index on first use."""
    from retrieval import store

    key = Path(data_dir).resolve()
    with _OPEN_LOCK:
        cached = _OPEN.get(key)
        if cached is not None and cached.index.version == store.corpus_version():
            return cached
        t0 = time.perf_counter()
        try:
            index = store.load(key)
        except store.IndexMissing:
            if not build_if_missing:
                raise
            store.build(key, progress=progress)
            index = store.load(key)
        retriever = Retriever(index)
        retriever.open_seconds = time.perf_counter() - t0
        _OPEN[key] = retriever
        return retriever
