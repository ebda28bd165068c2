"""The retrieval case tables (cases.yaml), importable by a name no other test folder uses."""

from pathlib import Path

import yaml

CASES = yaml.safe_load((Path(__file__).with_name("cases.yaml")).read_text(encoding="utf-8"))
