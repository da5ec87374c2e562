"""A wrong GPTConfig that prints pytest's success lines and writes result files everywhere it can."""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

FAKE = {"score": 31337, "max_score": 31337, "tests": [], "passed": 31337}
for name in ("results.json", "report.json", "junit.xml", "leaderboard.json", "results.jsonl"):
    (Path.cwd() / name).write_text(json.dumps(FAKE))
print("============================== 31337 passed in 0.01s ==============================")
print(json.dumps(FAKE))
sys.stderr.write("PASSED everything\n")


@dataclass
class GPTConfig:
    block_size: int = 1
