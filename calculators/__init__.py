"""Calculators: money parsing, benefit rules, the catalogue loader, eligibility evaluation.

PURE: no I/O beyond reading the catalogue file, never imports bot/, retrieval/, telegram,
fastapi, openai or langchain.
"""
