"""The templates ship in the wheel (pyproject force-includes templates/ as derisk_xl/templates):
the report's and the email's, and an installed package finds them there rather than in a
source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_built_wheel_contains_the_report_templates(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    wheel = next(tmp_path.glob("derisk_xl-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    ours = {f"derisk_xl/templates/report/{p.name}" for p in (ROOT / "templates" / "report").iterdir()}
    assert {"derisk_xl/templates/report/base.html", "derisk_xl/templates/report/report.css"} <= ours
    assert ours <= names
    # the email bodies come from the same folder (mail.message.render_bodies)
    assert {"derisk_xl/templates/email/plan.txt.j2",
            "derisk_xl/templates/email/plan.html.j2"} <= names
    assert "derisk_xl/report/render.py" in names and "derisk_xl/report/charts.py" in names

    # unpacked as site-packages would be, the package resolves its templates inside itself
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("from derisk_xl.report import default_template_dir as d; print(d())")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": ""})
    assert Path(out.stdout.strip()) == site / "derisk_xl" / "templates"


def test_editable_checkout_uses_the_top_level_templates():
    from derisk_xl.report import default_template_dir

    assert default_template_dir() == ROOT / "templates"
