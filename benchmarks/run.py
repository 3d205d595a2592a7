"""Run every benchmark section (or the ones named) and print timings as same-run ratios.

    python benchmarks/run.py            # all sections
    python benchmarks/run.py core pdf   # some of them

Each section is a module ``benchmarks/bench_<name>.py`` with ``run() -> list[str]``.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# Measured processes may cache bytecode, as an installed package's do: where the environment
# turns caching off, every fresh process (a button press, a ``derisk run`` of the batch
# baseline) would compile our modules from source and look slower than on a user's machine.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        print(f"== {name}")
        for text in module.run():
            print(text, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
