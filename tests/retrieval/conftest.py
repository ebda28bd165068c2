"""Retrieval fixtures: the session index (tests/conftest.py's data_dir) and the case tables."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def built(data_dir):
    """Build the index once per session into the shared temp data dir; returns the stats."""
    from retrieval.search import build_index

    return build_index(data_dir)


@pytest.fixture(scope="session")
def retriever(built, data_dir):
    from retrieval.search import open_retriever

    return open_retriever(data_dir, build_if_missing=False)


@pytest.fixture(scope="session")
def tokenizer(retriever):
    return retriever.index.tokenizer
