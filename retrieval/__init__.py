"""Retrieval: corpus parsing into articles/clauses, tokenization, chroma + BM25, fusion.

Pure of front ends: never imports bot/, telegram, fastapi, openai or langchain.
"""
