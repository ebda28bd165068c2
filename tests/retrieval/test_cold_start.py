"""Cold start (issue 12, BAD_INPUTS 34): eight first-ever processes on one empty data dir all answer
correctly (one builds under the lock, the others wait), nothing half-written is left behind, a
missing model cache is written again, and nothing in the data dir is unpickled."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

from retrieval.embedding import Encoder, cache_dir_for

ROOT = Path(__file__).resolve().parents[2]
COLD = 8
QUESTION = "How much subsidy does a national high-tech enterprise get?"  # English: the vector side runs


def _env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYBOT_", "TELEGRAM_", "OPENAI_"))}
    env.update(POLICYBOT_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    return env


def _leftovers(data_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if ".tmp" in p.name or ".old-" in p.name)


def test_eight_first_ever_processes_at_once_all_answer(tmp_path):
    data_dir = tmp_path / "empty"
    procs = [
        subprocess.Popen([sys.executable, "-m", "bot.cli", "ask", QUESTION, "--json"], cwd=ROOT, env=_env(data_dir),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(COLD)
    ]
    results = [(p.returncode, *p.communicate(timeout=300)) for p in procs]
    results = [(p.returncode, out, err) for p, (_, out, err) in zip(procs, results, strict=True)]
    for code, out, err in results:
        assert code == 0, err[-2000:]
        reply = json.loads(out)
        assert reply["citations"] and reply["citations"][0]["article"] == 15, out
        assert "出了问题" not in reply["reply"] and "Traceback" not in err
    assert _leftovers(data_dir) == []
    cache = cache_dir_for(data_dir)
    encoder = Encoder(cache)
    encoder.load()
    assert encoder.loaded_from_cache  # the model cache was published whole, not left empty
    index = subprocess.run([sys.executable, "-m", "bot.cli", "index"], cwd=ROOT, env=_env(data_dir),
                           capture_output=True, text=True, timeout=120)
    stats = json.loads(index.stdout)
    assert stats["built"] is False and "model_cache" not in stats

    # an earlier failure that left models/ empty is repaired by the next build
    shutil.rmtree(cache)
    index = subprocess.run([sys.executable, "-m", "bot.cli", "index"], cwd=ROOT, env=_env(data_dir),
                           capture_output=True, text=True, timeout=300)
    assert json.loads(index.stdout)["model_cache"] == "rebuilt", index.stderr
    assert (cache / "meta.json").exists() and _leftovers(data_dir) == []


class _Planted:
    """Unpickling this creates the file `path`: proof that a pickle in the data dir ran."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_nothing_in_the_model_cache_is_unpickled(built, data_dir, tmp_path):
    source = cache_dir_for(data_dir)
    copy = tmp_path / source.name
    shutil.copytree(source, copy, copy_function=os.link)  # hard links: no 220 MB copy
    sentinel = tmp_path / "code-ran"
    for name in ("tokenizer.pkl", "tokenizer.pickle"):
        (copy / name).unlink(missing_ok=True)
        (copy / name).write_bytes(pickle.dumps(_Planted(str(sentinel))))
    encoder = Encoder(copy)
    encoder.load()
    assert not sentinel.exists()
    assert not any(p.suffix in (".pkl", ".pickle") for p in source.iterdir())
    for npy in source.glob("*.npy"):
        with open(npy, "rb") as f:
            assert b"'descr': '|O'" not in f.read(128), npy  # no object arrays (they would need pickle)
