"""Run mypy and compare its errors with the committed baseline (mypy-baseline.txt).

New errors fail; errors that disappeared are reported so the baseline can be shrunk with
``python scripts/mypy_ratchet.py --update``. Line numbers are dropped from the comparison so that
unrelated edits do not churn the baseline.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

BASELINE = Path(__file__).resolve().parent.parent / "mypy-baseline.txt"
LINE = re.compile(r"^(?P<file>[^:]+):\d+(?::\d+)?: error: (?P<message>.*)$")


def current_errors() -> Counter[str]:
    result = subprocess.run([sys.executable, "-m", "mypy", "src"], capture_output=True, text=True)
    errors: Counter[str] = Counter()
    for line in result.stdout.splitlines():
        match = LINE.match(line)
        if match:
            errors[f"{match['file']}: {match['message']}"] += 1
    if result.returncode not in (0, 1):
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"mypy crashed (exit {result.returncode})")
    return errors


def main() -> int:
    errors = current_errors()
    if "--update" in sys.argv:
        BASELINE.write_text("".join(f"{e}\n" for e in sorted(errors.elements())), encoding="utf-8")
        print(f"baseline updated: {sum(errors.values())} errors")
        return 0
    baseline = Counter(line for line in BASELINE.read_text(encoding="utf-8").splitlines() if line.strip())
    new = errors - baseline
    fixed = baseline - errors
    for error in sorted(new.elements()):
        print(f"NEW  {error}")
    if fixed:
        gone = sum(fixed.values())
        print(f"{gone} baseline errors are gone: run `python scripts/mypy_ratchet.py --update`")
    print(f"mypy: {sum(errors.values())} errors, baseline {sum(baseline.values())}, new {sum(new.values())}")
    return 1 if new else 0


if __name__ == "__main__":
    raise SystemExit(main())
