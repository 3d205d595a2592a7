"""Mutation testing of the modules where a silent mistake costs most (issue #20), with mutmut.

    python benchmarks/mutation.py                      # every module below
    python benchmarks/mutation.py core outbox          # some of them
    python benchmarks/mutation.py --show               # the last run's report again, no run

A benchmark-like script, not part of ``python -m pytest``: it needs ``pip install -e '.[dev]'``
(mutmut is in the dev extra) and takes minutes to hours (core: about an hour on one core).

Why mutmut (3.x) and not cosmic-ray: mutmut loads the project and pytest once, records which
tests call each function, and runs each mutant in a forked process against only those tests;
cosmic-ray starts a fresh test command per mutant (its interpreter, imports and collection every
time) and leaves the choice of tests to one fixed command per session. On this machine (two
cores shared by many) that is the difference between running the habit and not.

What it does: builds a scratch copy under ``build/mutation/`` (the working tree is never
mutated), writes mutmut's settings there for the chosen modules and their tests, runs
``mutmut run`` with one worker under ``nice -n 10``, and prints a score per module: killed (a
test failed or timed out) over all mutants made. Surviving mutants are printed with their diff,
except those ``benchmarks/mutation-equivalent.txt`` judges equivalent (each with why); they are
counted apart. The curated report is ``benchmarks/mutation-report.md``.

Hypothesis runs with a fixed seed (``--hypothesis-seed=0``) so a kill is reproducible.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"
EQUIVALENT = ROOT / "benchmarks" / "mutation-equivalent.txt"

_READER_TESTS = ("tests/test_reader.py", "tests/test_reader_ranges.py", "tests/test_tables.py",
                 "tests/test_reader_properties.py", "tests/test_realbooks.py",
                 "tests/test_reader_gaps.py")


@dataclass(frozen=True)
class Module:
    """What is mutated (globs of mutmut's ``only_mutate``) and the tests that judge it."""

    files: tuple[str, ...]
    tests: tuple[str, ...]


MODULES: dict[str, Module] = {
    "core": Module(("derisk_xl/core/*",), ("tests/test_core_*.py",)),
    "contract": Module(("derisk_xl/workbook/contract.py",), _READER_TESTS),
    "vocabulary": Module(("derisk_xl/workbook/vocabulary.py",), _READER_TESTS),
    "blocks": Module(("derisk_xl/workbook/blocks.py",), _READER_TESTS),
    "tables": Module(("derisk_xl/workbook/tables.py",), _READER_TESTS),
    "outbox": Module(("derisk_xl/mail/outbox.py",),
                     ("tests/test_mail_message.py", "tests/test_mail_smtp.py",
                      "tests/test_mail_support.py", "tests/test_mail_outbox.py")),
}

#: mutmut's exit codes, grouped as this report counts them (mutmut.stats.status_by_exit_code).
KILLED = {1, 3, 36, 24, -24, 152, 255, 37}
SURVIVED = {0}
NO_TESTS = {5, 33}


def _toml_list(items) -> str:
    return "[" + ", ".join(json.dumps(str(i)) for i in items) + "]"


def prepare(names: list[str], work: Path) -> None:
    """A scratch tree for mutmut: links to the sources, tests and data, a pyproject with the
    mutmut settings, and ``shared`` beside ``mutants/`` (tests find ``../shared`` from there)."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in ("derisk_xl", "tests", "templates", "workbooks", "README.md"):
        (work / name).symlink_to(ROOT / name)
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (work / "shared").symlink_to(shared.resolve())
    files = sorted({f for n in names for f in MODULES[n].files})
    tests = sorted({t for n in names for t in MODULES[n].tests})
    selected = [str(p.relative_to(work)) for t in tests for p in sorted(work.glob(t))]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pyproject += (
        "\n[tool.mutmut]\n"
        'source_paths = ["derisk_xl"]\n'
        f"only_mutate = {_toml_list(files)}\n"
        'also_copy = ["templates", "workbooks", "README.md"]\n'
        f"pytest_add_cli_args_test_selection = {_toml_list(selected)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "--hypothesis-seed=0", "-q"]\n'
        "use_git_change_detection = false\n"
    )
    (work / "pyproject.toml").write_text(pyproject, encoding="utf-8")


def run(work: Path, log: Path) -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    with log.open("w", encoding="utf-8") as out:
        return subprocess.call(["nice", "-n", "10", str(mutmut), "run", "--max-children", "1"],
                               cwd=work, stdout=out, stderr=subprocess.STDOUT, env=env)


def equivalents() -> list[tuple[str, str, str]]:
    """(function, mutated line, why) from ``mutation-equivalent.txt``: ``function | line | why``."""
    out = []
    if EQUIVALENT.exists():
        for raw in EQUIVALENT.read_text(encoding="utf-8").splitlines():
            if raw.strip() and not raw.startswith("#"):
                func, line, why = (part.strip() for part in raw.split(" | ", 2))
                out.append((func, line, why))
    return out


def diff_of(work: Path, mutant: str) -> str:
    mutmut = Path(sys.executable).with_name("mutmut")
    done = subprocess.run([str(mutmut), "show", mutant], cwd=work, capture_output=True,
                          text=True)
    return done.stdout


def added_lines(diff: str) -> list[str]:
    return [line[1:].strip() for line in diff.splitlines()
            if line.startswith("+") and not line.startswith("+++")]


def function_of(mutant: str) -> str:
    """``derisk_xl.core.hedge.x_hedge_target__mutmut_12`` → ``hedge.hedge_target``."""
    module, _, tail = mutant.rpartition(".")
    name = re.sub(r"__mutmut_\d+$", "", tail)
    name = re.sub(r"^x_", "", name).replace("xǁ", "").replace("ǁ", ".")
    return f"{module.rsplit('.', 1)[-1]}.{name}"


def report(names: list[str], work: Path) -> tuple[str, str]:
    """The score table, and every surviving mutant not judged equivalent with its diff."""
    known = equivalents()
    rows = ["| module | mutants | killed | survived | equivalent (judged) | no tests | score |",
            "|---|---|---|---|---|---|---|"]
    details: list[str] = []
    metas = sorted((work / "mutants").rglob("*.py.meta"))
    for meta in metas:
        path = str(meta.relative_to(work / "mutants"))[:-len(".meta")]
        codes = json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
        if not codes:
            continue
        count = Counter()
        for mutant, code in sorted(codes.items()):
            if code in KILLED:
                count["killed"] += 1
                continue
            if code in NO_TESTS:
                count["no tests"] += 1
                continue
            diff = diff_of(work, mutant)
            func = function_of(mutant)
            lines = added_lines(diff)
            why = next((w for f, line, w in known if f == func and line in lines), None)
            if code in SURVIVED and why is not None:
                count["equivalent"] += 1
                continue
            count["survived" if code in SURVIVED else "other"] += 1
            details.append(f"### {mutant} ({'survived' if code in SURVIVED else code})\n"
                           f"```diff\n{diff.strip()}\n```\n")
        total = sum(count.values())
        score = (count["killed"] + count["equivalent"]) / total if total else 1.0
        rows.append(f"| {path} | {total} | {count['killed']} | {count['survived']} | "
                    f"{count['equivalent']} | {count['no tests']} | {score:.1%} |")
    head = f"Modules: {', '.join(names)}. Score = (killed + judged equivalent) / mutants.\n"
    table = head + "\n".join(rows) + "\n"
    return table, "\n".join(details) if details else "No surviving mutant left unjudged.\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help=f"some of: {', '.join(MODULES)} (default: all)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: build/mutation/"
                        "<modules>)")
    parser.add_argument("--show", action="store_true", help="report the last run, run nothing")
    args = parser.parse_args(argv)
    names = args.modules or list(MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}: expected some of {', '.join(MODULES)}")
    work = (args.work or WORK / "-".join(names)).resolve()
    if not args.show:
        prepare(names, work)
        log = work / "mutmut.log"
        code = run(work, log)
        if code != 0:
            print(f"mutmut run exited {code}; see {log}", file=sys.stderr)
            return code
        (work / "modules.json").write_text(json.dumps(names), encoding="utf-8")
    elif (work / "modules.json").exists():
        names = json.loads((work / "modules.json").read_text(encoding="utf-8"))
    table, survivors = report(names, work)
    (work / "report.md").write_text(table, encoding="utf-8")
    (work / "survivors.md").write_text(survivors, encoding="utf-8")
    print(table)
    print(f"Surviving mutants, with their diffs: {work / 'survivors.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
