"""The same batch on a real Dask cluster (worker processes on 127.0.0.1) gives the same summary
as the local process pool."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from derisk_xl.batch import run_batch
from derisk_xl.pipeline import RunOptions

from test_batch_e2e import PLAN_SHEETS, make_folder, plan_sheets_of, summary_rows

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
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
