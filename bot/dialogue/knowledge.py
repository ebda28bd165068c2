"""What the core knows, loaded once per process: the policy, the catalogue and (lazily) the
retriever. Handlers and understand() read it; nothing here changes during a turn."""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path


class Knowledge:
    def __init__(self, data_dir: Path, retriever=None):
        from calculators.catalogue import load_catalogue
        from retrieval.corpus import load_policy

        self.data_dir = Path(data_dir)
        self.policy = load_policy()
        self.catalogue = load_catalogue()
        self._retriever = retriever
        self._homophones = None
        self._lock = threading.Lock()

    @cached_property
    def titles(self) -> dict[int, str]:
        """Article number -> title ("建立创新容错机制"): what "容错机制那条" is matched against."""
        return {a.number: a.title for a in self.policy.articles}

    @property
    def retriever(self):
        if self._retriever is None:
            with self._lock:
                if self._retriever is None:
                    from retrieval.search import open_retriever

                    self._retriever = open_retriever(self.data_dir)
        return self._retriever

    def correct(self, text: str) -> str:
        """`text` with homophone typos of the policy's words put right (高心企业 -> 高新企业), same
        length: what the NLU and the retriever both read.

        Needs only the index's homophones.json, so a turn that never searches (a form answer,
        重新开始) does not open the retriever. Without an index yet (a fresh data dir) the text is
        read as typed: building one is the retriever's job, on the first question that needs it.
        """
        if self._retriever is not None:
            return self._retriever.lexicon.correct(text)
        if self._homophones is None:
            from retrieval import store

            try:
                self._homophones = store.load_homophones(self.data_dir)
            except store.IndexMissing:
                return text
        return self._homophones.correct(text)
