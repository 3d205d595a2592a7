"""The same batch on a real Dask cluster (worker processes on 127.0.0.1) gives the same summary
as the local process pool."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import pytest
from needs import needs

from derisk_xl.batch import run_batch
from derisk_xl.pipeline import RunOptions

from test_batch_e2e import PLAN_SHEETS, make_folder, plan_sheets_of, summary_rows

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def cluster():
    import distributed

    with distributed.LocalCluster(host="127.0.0.1", processes=True, n_workers=2,
                                  threads_per_worker=1, dashboard_address=None) as c:
        yield c


def test_dask_cluster_gives_the_same_summary_as_the_local_pool(tmp_path, cluster):
    make_folder(tmp_path / "clients", good=5)
    shutil.copytree(tmp_path / "clients", tmp_path / "clients-dask")

    local = run_batch([tmp_path / "clients"], RunOptions(out_dir=tmp_path / "out-local",
                      as_of=AS_OF, pdf=False, force=False), jobs=2, progress=False)
    dask = run_batch([str(tmp_path / "clients-dask")], RunOptions(
        out_dir=tmp_path / "out-dask", as_of=AS_OF, pdf=False, force=False),
        scheduler=cluster.scheduler_address, progress=False)

    def essentials(report):
        return [(Path(r.file).name, r.status, r.total, r.risk_spot_after, r.realized_gain,
                 r.hedge_notional, r.error.replace("clients-dask", "clients"))
                for r in report.rows]

    assert essentials(dask) == essentials(local)
    assert [r.status for r in dask.rows].count("planned") == 5 and len(dask.failed) == 2
    # the files on disk and the summary workbooks agree too
    for name, row in summary_rows(tmp_path / "out-dask" / "batch-summary.xlsx").items():
        local_row = summary_rows(tmp_path / "out-local" / "batch-summary.xlsx")[name]
        assert (row["Status"], row["T"]) == (local_row["Status"], local_row["T"])
        if row["Status"] == "planned":
            assert plan_sheets_of(tmp_path / "out-dask" / name) == PLAN_SHEETS

    again = run_batch([str(tmp_path / "clients-dask")], RunOptions(
        out_dir=tmp_path / "out-dask", as_of=AS_OF, pdf=False, force=False),
        scheduler=cluster.scheduler_address, progress=False)
    assert [r.status for r in again.rows].count("skipped-unchanged") == 5


# ---------------------------------------------------------------------------------------------
# A cluster that shares no disk with the client (issue 12)
# ---------------------------------------------------------------------------------------------


def _kill_once(marker: str) -> None:
    """Run on every worker: the first workbook any worker starts after this kills its own
    process (SIGKILL, mid-task); the nanny starts a fresh worker without this patch."""
    import os
    import signal

    import derisk_xl.pipeline as pipeline

    real = pipeline.prepare

    def prepare(*args, **kwargs):
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    pipeline.prepare = prepare


@pytest.fixture
def blind_workers(tmp_path):
    """A scheduler here and two worker processes in a mount namespace where ``tmp_path`` (the
    inputs, the outputs, everything of this test) is an empty tmpfs: they cannot see a file
    the client has, whatever opens it (Python, calamine, WeasyPrint)."""
    import os
    import subprocess
    import sys

    import distributed

    needs("private-mounts")  # to hide the client's folders from the workers
    with distributed.LocalCluster(host="127.0.0.1", processes=True, n_workers=0,
                                  dashboard_address=":0") as cluster:
        workers = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             'mount -t tmpfs none "$1" && exec "$2" -m distributed.cli.dask_worker "$3" '
             '--nworkers 2 --nthreads 1 --no-dashboard', "sh", str(tmp_path), sys.executable,
             cluster.scheduler_address],
            cwd="/", env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        try:
            with distributed.Client(cluster.scheduler_address) as client:
                client.wait_for_workers(2, timeout=120)
                # they really are blind: the client's inputs do not exist for them
                seen = client.run(os.path.exists, str(tmp_path / "clients"))
                assert seen and not any(seen.values())
                yield cluster, client
        finally:
            os.killpg(workers.pid, 9)
            workers.wait(timeout=60)


def test_workers_that_cannot_see_the_inputs_still_plan_every_workbook(tmp_path, blind_workers):
    cluster, _ = blind_workers
    from conftest import ROOT
    from test_report import pdf_text

    make_folder(tmp_path / "clients", good=3)
    brand = tmp_path / "brand" / "report"     # a desk's own title block, also out of sight
    brand.mkdir(parents=True)
    title = (ROOT / "templates" / "report" / "title.html").read_text(encoding="utf-8")
    (brand / "title.html").write_text(title.replace("<h1>", "<h1>Blind Desk Mark "),
                                      encoding="utf-8")
    options = RunOptions(out_dir=tmp_path / "out", as_of=AS_OF, pdf=True, force=False,
                         template_dir=tmp_path / "brand")
    report = run_batch([str(tmp_path / "clients")], options,
                       scheduler=cluster.scheduler_address, progress=False)

    assert [r.status for r in report.rows].count("planned") == 3, [r.error for r in report.rows]
    assert len(report.failed) == 2       # the two bad workbooks, with their cells
    bad = {Path(r.file).name: r.error for r in report.failed}
    assert "Holdings!C4" in bad["bad-price.xlsx"]
    for row in report.planned:
        name = Path(row.file).name
        assert plan_sheets_of(tmp_path / "out" / name) == PLAN_SHEETS
        pdf = tmp_path / "out" / f"{Path(name).stem}-derisk-plan.pdf"
        assert pdf.read_bytes()[:5] == b"%PDF-" and row.pdf == str(pdf)
        assert "Blind Desk Mark" in pdf_text(pdf.read_bytes())[0]  # the templates went there
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]

    # skip-unchanged and resume work the same without a shared disk
    again = run_batch([str(tmp_path / "clients")], options,
                      scheduler=cluster.scheduler_address, progress=False)
    assert [r.status for r in again.rows].count("skipped-unchanged") == 3


def test_a_worker_killed_mid_run_leaves_no_half_written_output(tmp_path, blind_workers):
    import cloudpickle

    cluster, client = blind_workers
    make_folder(tmp_path / "clients", good=4)
    marker = tmp_path.parent / f"{tmp_path.name}-killed"   # outside the hidden folder
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        client.run(_kill_once, str(marker))
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    report = run_batch([str(tmp_path / "clients")], RunOptions(
        out_dir=tmp_path / "out", as_of=AS_OF, pdf=False, force=False),
        scheduler=cluster.scheduler_address, progress=False)

    assert marker.exists(), "no worker was killed"
    # Dask ran the killed worker's workbook again elsewhere: every good one is planned
    assert [r.status for r in report.rows].count("planned") == 4, [r.error for r in report.rows]
    out = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert out == ["batch-summary.xlsx"] + [f"client{i:02d}.xlsx" for i in range(4)]
    for name in out[1:]:
        assert plan_sheets_of(tmp_path / "out" / name) == PLAN_SHEETS
