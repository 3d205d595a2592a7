"""What a test needs that this repository does not carry, declared one way (issues #19, #20).

A test, a fixture or a whole module says ``needs("libreoffice")`` (or carries
``pytest.mark.needs("libreoffice")``). Where the thing is missing the test is skipped with a
reason that says what is missing and how to get it: on a developer's machine, or on a fresh one
running README's test command, that is all, and nothing fails for want of an optional piece.

Under CI's strict step (``DERISK_CI_STRICT=1``, set by ``.ci/run`` once it has installed the
optional pieces) tests/conftest.py turns two kinds of skip into failures, each with its reason
(:func:`verdict`): a skip for something ``.ci/run`` provides, and a skip that did not come
through here at all, which would otherwise be silent.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
REALBOOKS = ROOT.parent / "shared" / "realbooks"
PYODIDE_CACHE = ROOT / ".cache" / "pyodide"

#: Set by .ci/run for the run after the optional pieces are installed.
STRICT = os.environ.get("DERISK_CI_STRICT") == "1"
#: Set by .ci/run for the run before: a file that gets the node id of every skipped test, the
#: tests the run after runs again.
SKIPPED_LOG = os.environ.get("DERISK_CI_SKIPPED")


@dataclass(frozen=True)
class Need:
    """Something from outside the repository. ``ci``: ``.ci/run`` provides it, so under CI its
    absence fails the tests that need it."""

    what: str
    how: str
    present: Callable[[], bool]
    ci: bool


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def pyodide_xlwings_wheel() -> Path | None:
    """xlwings' pure wheel for the version installed here, as .ci/pyodide downloads it."""
    import xlwings

    found = PYODIDE_CACHE / "wheels" / f"xlwings-{xlwings.__version__}-py3-none-any.whl"
    return found if found.exists() else None


def _pyodide() -> bool:
    return ((PYODIDE_CACHE / "node_modules" / "pyodide" / "pyodide.mjs").exists()
            and any((PYODIDE_CACHE / "wheels").glob("micropip-*.whl")))


def _harfbuzz_subset() -> bool:
    """WeasyPrint's own test before it subsets a font with HarfBuzz (weasyprint/pdf/fonts.py);
    without it, it falls back to fontTools and says so at WARNING."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def _dejavu() -> bool:
    """fontconfig (which Pango, so WeasyPrint, asks) resolves "DejaVu Sans" to itself, not to a
    stand-in with other glyphs and widths."""
    from weasyprint.text.ffi import ffi, fontconfig as fc

    config = fc.FcInitLoadConfigAndFonts()
    pattern = fc.FcPatternCreate()
    try:
        fc.FcPatternAddString(pattern, b"family", b"DejaVu Sans")
        fc.FcConfigSubstitute(config, pattern, 0)  # FcMatchPattern
        fc.FcDefaultSubstitute(pattern)
        match = fc.FcFontMatch(config, pattern, ffi.new("FcResult *"))
        if match == ffi.NULL:
            return False
        family = ffi.new("FcChar8 **")
        found = fc.FcPatternGetString(match, b"family", 0, family) == 0 and \
            ffi.string(family[0]) == b"DejaVu Sans"
        fc.FcPatternDestroy(match)
        return found
    finally:
        fc.FcPatternDestroy(pattern)
        fc.FcConfigDestroy(config)


def _xlwings_remote() -> bool:
    import xlwings  # conftest set XLWINGS_LICENSE_KEY before any test imported it

    return bool(getattr(xlwings, "__pro__", False))


def _private_mounts() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            "mount -t tmpfs none /mnt"], capture_output=True)
    return probe.returncode == 0


NEEDS: dict[str, Need] = {
    "corpus": Need(f"the Excel-made corpus beside this clone ({CORPUS})",
                   "put the shared corpus at ../shared/corpus", CORPUS.is_dir, ci=True),
    "realbooks": Need(f"the real trackers beside this clone ({REALBOOKS})",
                      "put them at ../shared/realbooks", REALBOOKS.is_dir, ci=True),
    "libreoffice": Need("LibreOffice (soffice)", "apt-get install libreoffice-calc-nogui",
                        lambda: soffice() is not None, ci=True),
    "harfbuzz-subset": Need("HarfBuzz's font subsetter (without it WeasyPrint warns)",
                            "apt-get install libharfbuzz-subset0", _harfbuzz_subset, ci=True),
    "dejavu": Need("the report's font, DejaVu Sans (our PDFs are read back in its glyphs and "
                   "measured in its widths)", "apt-get install fonts-dejavu-core", _dejavu,
                   ci=True),
    "node": Need("Node.js (Pyodide runs under it)", "apt-get install nodejs npm",
                 lambda: shutil.which("node") is not None, ci=True),
    "pyodide": Need(f"Pyodide and micropip's wheel in {PYODIDE_CACHE}", "bash .ci/pyodide",
                    _pyodide, ci=True),
    "pyodide-xlwings": Need(f"xlwings' pure wheel in {PYODIDE_CACHE / 'wheels'}",
                            "bash .ci/pyodide", lambda: pyodide_xlwings_wheel() is not None,
                            ci=True),
    "xlwings-remote": Need("xlwings' remote engine (its pro package, the Python half of xlwings "
                           "Lite)", "python -m pip install -e '.[dev]'", _xlwings_remote,
                           ci=True),
    # not .ci/run's to give: where they are missing the test skips under CI too
    "private-mounts": Need("root and a private mount namespace (unshare -m)",
                           "run the tests as root where unshare -m is allowed", _private_mounts,
                           ci=False),
    "procfs": Need("/proc (Linux)", "run the tests on Linux",
                   lambda: Path("/proc/self/stat").exists(), ci=False),
}

#: reason → the need it was given for, for the skips raised here (conftest judges by reason)
_GIVEN: dict[str, Need] = {}


@functools.cache
def have(name: str) -> bool:
    return NEEDS[name].present()


def needs(*names: str) -> None:
    """Skip the calling test (or module) unless every named thing is here."""
    for name in names:
        if not have(name):
            need = NEEDS[name]
            reason = f"needs {need.what}: missing here ({need.how})"
            _GIVEN[reason] = need
            pytest.skip(reason, allow_module_level=True)


def judge(report) -> None:
    """A test's or a module's report: note a skip for CI's second run, and under the strict
    step turn it into a failure when :func:`verdict` says so."""
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    if SKIPPED_LOG:
        with open(SKIPPED_LOG, "a", encoding="utf-8") as log:
            log.write(report.nodeid + "\n")
    if not STRICT:
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    failure = verdict(reason.removeprefix("Skipped: "))
    if failure is not None:
        report.outcome = "failed"
        report.longrepr = failure


def verdict(reason: str) -> str | None:
    """Why a skip with this reason fails the run under CI's strict step, or None if it may
    stand: a need CI does not provide (a machine without unshare, or not Linux)."""
    need = _GIVEN.get(reason)
    if need is None:
        return (f"CI allows no skip that does not say what it needs (tests/needs.py); this one "
                f"said: {reason}")
    if need.ci:
        return f".ci/run is meant to provide this: {reason}"
    return None
