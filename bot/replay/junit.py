"""JUnit XML for CI: one <testcase> per dialogue, a <failure> with the plain-text details.

    <testsuites tests="3" failures="1" errors="0" time="1.234">
      <testsuite name="policybot replay" tests="3" failures="1" errors="0" time="1.234">
        <testcase classname="replay.tests.dialogues.high_tech" name="高企认定后问奖补"
                  file="tests/dialogues/high_tech.yaml" time="0.412">
          <failure message="turn 2: first_citation" type="ExpectationFailed">…details…</failure>
        </testcase>
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from bot.replay.loader import display_path
from bot.replay.report import failure_text
from bot.replay.runner import DialogueResult

SUITE = "policybot replay"
# Characters XML 1.0 cannot carry (user text may contain them); replaced by U+FFFD.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _classname(result: DialogueResult) -> str:
    stem = Path(display_path(result.dialogue.path)).with_suffix("")
    return "replay." + ".".join(p for p in stem.parts if p not in ("/", ".."))


def failure_message(result: DialogueResult) -> str:
    parts = []
    for t in result.failed_turns:
        what = "turn could not run" if t.error else ", ".join(c.key for c in t.failures)
        parts.append(f"turn {t.number}: {what}")
    return "; ".join(parts) or "failed"


def build_junit(results: list[DialogueResult]) -> ET.ElementTree:
    failures = sum(1 for r in results if not r.ok)
    seconds = f"{sum(r.ms for r in results) / 1000:.3f}"
    root = ET.Element("testsuites", tests=str(len(results)), failures=str(failures), errors="0", time=seconds)
    suite = ET.SubElement(
        root, "testsuite", name=SUITE, tests=str(len(results)), failures=str(failures), errors="0",
        skipped="0", time=seconds,
    )
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname=_classname(r), name=xml_safe(r.dialogue.name),
            file=display_path(r.dialogue.path), time=f"{r.ms / 1000:.3f}",
        )
        if not r.ok:
            failure = ET.SubElement(case, "failure", message=xml_safe(failure_message(r)), type="ExpectationFailed")
            failure.text = xml_safe(failure_text(r))
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(results: list[DialogueResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    build_junit(results).write(path, encoding="utf-8", xml_declaration=True)
