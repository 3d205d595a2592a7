"""Mutation testing of the modules where a silent mistake costs most (issue #20), with mutmut.

    python benchmarks/mutation.py                      # every module below
    python benchmarks/mutation.py core outbox          # some of them
    python benchmarks/mutation.py --show               # the last run's report again, no run
    python benchmarks/mutation.py --resume core        # go on after an interruption
    python benchmarks/mutation.py contract --at d868c5f   # a commit's code and tests
    python benchmarks/mutation.py core --retry build/mutation/core [--sample 150]
                                        # after adding tests: only what that run left alive
                                        # (and N of the mutants it never got to)

A benchmark-like script, not part of ``python -m pytest``: it needs ``pip install -e '.[dev]'``
(mutmut is in the dev extra) and takes minutes to hours (core: about an hour on one core).

Why mutmut (3.x) and not cosmic-ray: mutmut loads the project and pytest once, records which
tests call each function, and runs each mutant in a forked process against only those tests;
cosmic-ray starts a fresh test command per mutant (its interpreter, imports and collection every
time) and leaves the choice of tests to one fixed command per session. On this machine (two
cores shared by many) that is the difference between running the habit and not.

What it does: builds a scratch copy under ``build/mutation/`` (a snapshot: the working tree
is never mutated, and editing it during a run changes nothing), writes mutmut's settings there for the chosen modules and their tests, runs
``mutmut run`` with one worker under ``nice -n 10``, and prints a score per module: killed (a
test failed or timed out) over all mutants made. Surviving mutants are printed with their diff,
except those ``benchmarks/mutation-equivalent.txt`` judges equivalent (each with why); they are
counted apart. The curated report is ``benchmarks/mutation-report.md``.

Hypothesis runs with a fixed seed (``--hypothesis-seed=0``) so a kill is reproducible.
"""

from __future__ import annotations

import argparse
import contextlib
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
#: mutmut run by this interpreter as a module: a venv made with --system-site-packages sees
#: the package but has no ``mutmut`` script of its own.
MUTMUT = (sys.executable, "-m", "mutmut")

_READER_TESTS = ("tests/test_reader.py", "tests/test_reader_ranges.py", "tests/test_tables.py",
                 "tests/test_reader_properties.py", "tests/test_realbooks.py",
                 "tests/test_reader_gaps.py", "tests/test_reader_numbers.py",
                 "tests/test_reader_currencies.py", "tests/test_vocabulary.py",
                 "tests/test_reader_mutants.py", "tests/test_reader_mutants_tables.py",
                 "tests/test_trackers.py", "tests/test_vocabulary_index.py",
                 "tests/test_contract_sheets.py")


@dataclass(frozen=True)
class Module:
    """What is mutated (globs of mutmut's ``only_mutate``) and the tests that judge it."""

    files: tuple[str, ...]
    tests: tuple[str, ...]


MODULES: dict[str, Module] = {
    "core": Module(("derisk_xl/core/*",), ("tests/test_core_*.py", "tests/test_currencies.py")),
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


#: Loaded by pytest in the scratch copy only (it sits at mutmut's rootdir, above tests/): no
#: Hypothesis shrinking (a kill is a kill; shrinking it costs seconds), no example database
#: (so a kill comes from the suite, not from an example another mutant's failure saved), and
#: the fastest tests first, so a mutant a unit test kills is not first run through properties.
#: And the program's functools caches emptied as each run starts: mutmut runs the clean tests
#: in its own process and forks every mutant from it, so a cache filled there (the vocabulary
#: tables, each header already read) would answer for the mutated code, and no test would see
#: a mutant behind one.
SCRATCH_CONFTEST = """\
import json
import sys
from pathlib import Path

from hypothesis import Phase, settings

settings.register_profile("mutation", phases=(Phase.explicit, Phase.reuse, Phase.generate),
                          database=None, deadline=None)
settings.load_profile("mutation")
_STATS = Path(__file__).with_name("mutmut-stats.json")


def pytest_sessionstart(session):
    for name, module in list(sys.modules.items()):
        if name.startswith("derisk_xl"):
            for obj in list(vars(module).values()):
                if callable(getattr(obj, "cache_clear", None)):
                    obj.cache_clear()


def pytest_collection_modifyitems(items):
    try:
        durations = json.loads(_STATS.read_text(encoding="utf-8"))["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))
"""


#: Tests of core/currencies.py's source rather than its behaviour, which mutmut's copy of the
#: module fails: it carries every mutant (an import several times slower, compiled afresh, over
#: the time limit under load) and its text after the generated block is mutmut's.
_SOURCE_TESTS = ("tests/test_currencies.py::test_importing_it_is_cheap",
                 "tests/test_currencies.py::test_the_generated_block_is_up_to_date")
PYTEST_ARGS = ("-p", "no:cacheprovider", "--hypothesis-seed=0", "-q",
               *(arg for test in _SOURCE_TESTS for arg in ("--deselect", test)))

#: tools/ holds gen_currencies.py, which tests/test_currencies.py checks the table against.
SNAPSHOT = ("derisk_xl", "tests", "templates", "workbooks", "tools", "README.md", "pyproject.toml")


def prepare(names: list[str], work: Path, at: str | None = None) -> None:
    """A scratch tree for mutmut: a snapshot of the sources, tests and data (of the working
    tree, or of commit ``at``), a pyproject with the mutmut settings, ``shared`` beside
    ``mutants/`` (tests find ``../shared`` from there), and the scratch conftest above."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if at:
        present = subprocess.run(["git", "ls-tree", "--name-only", at], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.split()
        archive = subprocess.run(["git", "archive", at, *(n for n in SNAPSHOT if n in present)],
                                 cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)
    else:
        for name in SNAPSHOT:
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, work / name,
                                ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
            else:
                shutil.copy2(ROOT / name, work / name)
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (work / "shared").symlink_to(shared.resolve())
    files = sorted({f for n in names for f in MODULES[n].files})
    tests = sorted({t for n in names for t in MODULES[n].tests})
    selected = [str(p.relative_to(work)) for t in tests for p in sorted(work.glob(t))]
    pyproject = (work / "pyproject.toml").read_text(encoding="utf-8")
    pyproject += (
        "\n[tool.mutmut]\n"
        'source_paths = ["derisk_xl"]\n'
        f"only_mutate = {_toml_list(files)}\n"
        'also_copy = ["templates", "workbooks", "tools", "README.md"]\n'
        f"pytest_add_cli_args_test_selection = {_toml_list(selected)}\n"
        f"pytest_add_cli_args = {_toml_list(PYTEST_ARGS)}\n"
        "use_git_change_detection = false\n"
        "timeout_multiplier = 5.0\n"
    )
    (work / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (work / "mutants").mkdir()
    (work / "mutants" / "conftest.py").write_text(SCRATCH_CONFTEST, encoding="utf-8")


def run(work: Path, log: Path, mutants: list[str]) -> int:
    """``mutmut run`` with one worker under nice; only ``mutants`` when given."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    with log.open("w", encoding="utf-8") as out:
        return subprocess.call(["nice", "-n", "10", *MUTMUT, "run", "--max-children", "1",
                                *mutants], cwd=work, stdout=out, stderr=subprocess.STDOUT,
                               env=env)


def _metas(work: Path):
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        path = str(meta.relative_to(work / "mutants"))[:-len(".meta")]
        yield path, json.loads(meta.read_text(encoding="utf-8"))


def codes_of(work: Path) -> dict[str, dict[str, int | None]]:
    """mutmut's verdicts of a run: {source path: {mutant: exit code, None when not run}}."""
    return {path: meta["exit_code_by_key"] for path, meta in _metas(work)
            if meta.get("exit_code_by_key")}


def hashes_of(work: Path) -> dict[str, str]:
    """The hash mutmut took of each mutated function's code in a run (of its AST: comments do
    not count), by mutant prefix: {``derisk_xl.core.hedge.x_open_hedge``: hash}."""
    return {_qualified(path, func): h for path, meta in _metas(work)
            for func, h in meta.get("hash_by_function_name", {}).items()}


def _qualified(path: str, func: str) -> str:
    """``derisk_xl/core/plan.py``, ``xǁ_LotBookǁsell`` → ``derisk_xl.core.plan.xǁ_LotBookǁsell``
    (mutmut's own naming, as in its mutant names)."""
    return f"{path[:-len('.py')].replace(os.sep, '.')}.{func}".replace(".__init__.", ".")


def prefix_of(mutant: str) -> str:
    """``derisk_xl.core.hedge.x_open_hedge__mutmut_12`` → ``derisk_xl.core.hedge.x_open_hedge``."""
    return mutant.rpartition("__mutmut_")[0]


def changed_since(earlier: Path, names: list[str], work: Path) -> list[str]:
    """mutmut patterns for every mutant of the functions of the snapshot in ``work`` whose code
    differs from the run in ``earlier`` (or that it did not have): mutant numbers count within a
    function, so a changed function's earlier verdicts are another code's and must be run
    again, all of them."""
    from mutmut.mutation.file_mutation import compute_function_hashes

    before = hashes_of(earlier)
    out = []
    for path in sorted({p for n in names for f in MODULES[n].files for p in work.glob(f)}):
        if path.suffix != ".py":
            continue
        rel = str(path.relative_to(work))
        for func, h in compute_function_hashes(path.read_text(encoding="utf-8")).items():
            if before.get(_qualified(rel, func)) != h:
                out.append(f"{_qualified(rel, func)}__mutmut_*")
    return out


def baseline_of(work: Path) -> Path | None:
    saved = work / "modules.json"
    if saved.exists():
        earlier = json.loads(saved.read_text(encoding="utf-8")).get("baseline")
        return Path(earlier) if earlier else None
    return None


def verdicts(work: Path) -> dict[str, dict[str, int | None]]:
    """:func:`codes_of`, where a mutant this run did not try keeps its verdict from the run it
    retried (and so on back): a kill stands while tests are only ever added, and a survivor
    judged equivalent is not tried again. Only while its function's code is the same: the
    verdicts of a function changed since (:func:`changed_since`) belong to other mutants."""
    codes = codes_of(work)
    earlier = baseline_of(work)
    if earlier is None:
        return codes
    before = {m: c for cs in verdicts(earlier).values() for m, c in cs.items()}
    now, then = hashes_of(work), hashes_of(earlier)
    same = {f for f, h in now.items() if then.get(f) == h}
    return {path: {m: (before.get(m) if c is None and prefix_of(m) in same else c)
                   for m, c in cs.items()}
            for path, cs in codes.items()}


def not_killed(work: Path) -> list[str]:
    """The mutants a run judged and did not kill (survived, no tests, suspicious), less the
    survivors judged equivalent."""
    known = equivalents()
    out = []
    for codes in verdicts(work).values():
        for m, code in codes.items():
            if code is None or code in KILLED:
                continue
            if code in SURVIVED and equivalent(work, m, known):
                continue
            out.append(m)
    return sorted(out)


def equivalent(work: Path, mutant: str, known: list[tuple[str, str, str]]) -> str | None:
    """Why ``mutant`` is judged equivalent (mutation-equivalent.txt), or None."""
    func = function_of(mutant)
    if not any(f == func for f, _, _ in known):
        return None
    lines = added_lines(diff_of(work, mutant))
    why = next((w for f, line, w in known if f == func and line in lines), None)
    if why is None and any(f == func and line.startswith("mutant ") for f, line, _ in known):
        # "mutant N of HASH": mutant N of the function while its code hashes to HASH (a number
        # names another mutant once the function changes)
        number = mutant.rsplit("__mutmut_", 1)[-1]
        named = f"mutant {number} of {hashes_of(work).get(prefix_of(mutant))}"
        why = next((w for f, line, w in known if f == func and line == named), None)
    return why


def not_run(work: Path, count: int) -> list[str]:
    """``count`` of the mutants a run never got to, drawn at random (seed 20, reproducible)."""
    import random

    left = sorted(m for codes in verdicts(work).values() for m, code in codes.items()
                  if code is None)
    return sorted(random.Random(20).sample(left, min(count, len(left))))


def sample_of(names: list[str], work: Path, count: int) -> list[str]:
    """``count`` of every mutant mutmut makes of the modules in ``work``, drawn at random (seed
    20, reproducible): a score on a large module in minutes instead of hours, named as a sample
    in the report (the mutants left out count as not run)."""
    import random

    from mutmut.mutation.file_mutation import mutate_file_contents
    from mutmut.utils.format_utils import get_mutant_name

    every = []
    with contextlib.chdir(work):       # mutmut reads its settings from the scratch pyproject
        for path in sorted({p for n in names for f in MODULES[n].files for p in work.glob(f)}):
            if path.suffix == ".py":
                rel = path.relative_to(work)
                made = mutate_file_contents(str(rel), path.read_text(encoding="utf-8"))
                every += [get_mutant_name(rel, m) for m in made.mutant_names]
    return sorted(random.Random(20).sample(every, min(count, len(every))))


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
    done = subprocess.run([*MUTMUT, "show", mutant], cwd=work, capture_output=True,
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


def _row(name: str, count: Counter) -> str:
    judged = sum(count.values()) - count["not run"]
    score = f"{(count['killed'] + count['equivalent']) / judged:.1%}" if judged else "—"
    return (f"| {name} | {sum(count.values())} | {count['killed']} | {count['survived']} | "
            f"{count['equivalent']} | {count['no tests']} | {count['not run']} | {score} |")


def report(names: list[str], work: Path, baseline: Path | None = None) -> tuple[str, str]:
    """The score table, and every surviving mutant not judged equivalent with its diff.

    ``baseline``: the earlier run this one retried (``--retry``); a mutant it killed and this
    run did not try counts as killed (:func:`verdicts`).
    """
    known = equivalents()
    rows = ["| module | mutants | killed | survived | equivalent (judged) | no tests | "
            "not run | score |", "|---|---|---|---|---|---|---|---|"]
    details: list[str] = []
    total: Counter = Counter()
    for path, codes in verdicts(work).items():
        count = Counter()
        for mutant, code in sorted(codes.items()):
            if code is None:
                count["not run"] += 1
                continue
            if code in KILLED:
                count["killed"] += 1
                continue
            if code in NO_TESTS:
                count["no tests"] += 1
                continue
            why = equivalent(work, mutant, known) if code in SURVIVED else None
            if why is not None:
                count["equivalent"] += 1
                continue
            count["survived" if code in SURVIVED else "other"] += 1
            details.append(f"### {mutant} ({'survived' if code in SURVIVED else code})\n"
                           f"```diff\n{diff_of(work, mutant).strip()}\n```\n")
        rows.append(_row(path, count))
        total.update(count)
    if len(rows) > 3:
        rows.append(_row("all", total))
    head = (f"Modules: {', '.join(names)}. Score = (killed + judged equivalent) / mutants "
            "judged (not run: left out of the score).\n")
    if baseline:
        head += f"Mutants killed by the earlier run {baseline} count as killed.\n"
    table = head + "\n".join(rows) + "\n"
    return table, "\n".join(details) if details else "No surviving mutant left unjudged.\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help=f"some of: {', '.join(MODULES)} (default: all)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: build/mutation/"
                        "<modules>)")
    parser.add_argument("--show", action="store_true", help="report the last run, run nothing")
    parser.add_argument("--resume", action="store_true",
                        help="go on with an interrupted run (mutants already judged stay so)")
    parser.add_argument("--retry", type=Path, metavar="EARLIER",
                        help="run only the mutants the earlier run in EARLIER judged and did "
                             "not kill, on the tests as they are now (after adding tests)")
    parser.add_argument("--at", metavar="COMMIT",
                        help="mutate and test that commit's code and tests (e.g. a 'before')")
    parser.add_argument("--sample", type=int, default=0, metavar="N",
                        help="with --retry: also N mutants EARLIER never got to, at random; "
                             "without: only N of all the mutants, at random (a sampled score)")
    args = parser.parse_args(argv)
    names = args.modules or list(MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}: expected some of {', '.join(MODULES)}")
    if args.retry:                     # never the earlier run's own folder
        default = WORK / f"{args.retry.resolve().name}-retry"
    else:
        default = WORK / ("-".join(names) + (f"-{args.at}" if args.at else ""))
    work = (args.work or default).resolve()
    baseline = args.retry.resolve() if args.retry else None
    if not args.show:
        if not (args.resume and (work / "mutants").is_dir()):
            prepare(names, work, args.at)
        mutants = []
        if baseline:
            changed = changed_since(baseline, names, work)
            stale = {c[:-len("__mutmut_*")] for c in changed}
            judged = {m: c for cs in codes_of(baseline).values() for m, c in cs.items()}
            if None in judged.values():
                # a sample (or a stopped run): a changed function's mutants it judged, again,
                # not all of them, so the retry stays the sample it retries
                changed = sorted(m for m, c in judged.items()
                                 if c is not None and prefix_of(m) in stale)
            mutants = changed + [m for m in not_killed(baseline) + not_run(baseline, args.sample)
                                 if prefix_of(m) not in stale]
        elif args.sample:
            mutants = sample_of(names, work, args.sample)
        if baseline and not mutants:
            print(f"{baseline}: no mutant left to retry")
            return 0
        (work / "modules.json").write_text(json.dumps(
            {"modules": names, "baseline": str(baseline) if baseline else None}),
            encoding="utf-8")
        log = work / "mutmut.log"
        code = run(work, log, mutants)
        if code != 0:
            print(f"mutmut run exited {code}; see {log}", file=sys.stderr)
            return code
    elif (work / "modules.json").exists():
        saved = json.loads((work / "modules.json").read_text(encoding="utf-8"))
        names = saved["modules"]
        baseline = Path(saved["baseline"]) if saved.get("baseline") else None
    table, survivors = report(names, work, baseline)
    (work / "report.md").write_text(table, encoding="utf-8")
    (work / "survivors.md").write_text(survivors, encoding="utf-8")
    print(table)
    print(f"Surviving mutants, with their diffs: {work / 'survivors.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
