"""Remove outputs and execution counts from notebooks, in place: ``python tools/strip_outputs.py FILE...``

Notebooks are committed without outputs, so diffs stay readable and no stale result is ever shown
(tests/test_notebooks.py enforces it). The pre-commit hook runs this on staged notebooks.
Exits 1 if it changed a file, so the commit stops and the stripped file can be staged.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def strip(path: Path) -> bool:
    """Strip one notebook; return whether it changed. Written atomically (temp file, then rename)."""
    notebook = json.loads(path.read_text())
    changed = False
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            cell["outputs"], cell["execution_count"] = [], None
            changed = True
    if changed:
        staging = path.with_name(f".{path.name}.tmp")
        staging.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        os.replace(staging, path)
    return changed


def main(paths: list[str]) -> int:
    changed = [path for path in paths if strip(Path(path))]
    for path in changed:
        print(f"stripped outputs from {path}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
