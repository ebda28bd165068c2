"""Dependencies point one way: calculators <- retrieval <- bot.dialogue <- front ends."""

import json
import subprocess
import sys

import pytest

FRONT_END_AND_LLM = ("bot", "telegram", "fastapi", "openai", "langchain", "langchain_openai", "uvicorn")

CASES = [
    ("calculators", FRONT_END_AND_LLM + ("retrieval", "chromadb", "jieba", "bm25s")),
    ("calculators.models", FRONT_END_AND_LLM + ("retrieval",)),
    ("retrieval", FRONT_END_AND_LLM),
    ("retrieval.corpus", FRONT_END_AND_LLM),
    ("bot.dialogue", ("telegram", "fastapi", "uvicorn", "bot.telegram_app", "bot.web", "bot.replay", "bot.cli",
                      "bot.llm", "openai", "langchain", "langchain_core", "langchain_openai")),
    # LLM mode imports langchain/openai on first use only: deterministic mode never pays for them
    ("bot.llm", ("telegram", "fastapi", "uvicorn", "bot.telegram_app", "bot.web", "bot.cli",
                 "openai", "langchain", "langchain_core", "langchain_openai", "tiktoken")),
    ("bot.web", ("telegram", "bot.telegram", "bot.telegram_app", "bot.replay", "bot.cli", "bot.serve", "playwright")),
    ("bot.telegram", ("fastapi", "starlette", "uvicorn", "bot.web", "bot.serve", "bot.replay", "bot.cli")),
]


def _imported_after(module: str) -> set[str]:
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"m = importlib.import_module({module!r})\n"
        "if hasattr(m, '__path__'):\n"
        "    for info in pkgutil.walk_packages(m.__path__, m.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize(("module", "forbidden"), CASES)
def test_package_imports_nothing_above_it(module, forbidden):
    loaded = _imported_after(module)
    bad = sorted(m for m in loaded for f in forbidden if m == f or m.startswith(f + "."))
    assert not bad, f"{module} pulls in {bad}"
