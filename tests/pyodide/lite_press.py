"""The xlwings Lite press in Pyodide: xlwings' remote engine on the payload an Office.js client
sends (``PAYLOAD``, put in front of this file), percent formats asked of the client
(``js.xlwings.getRangeData``, answered by tests/pyodide/run.mjs), then the queued actions,
printed after ``LITE`` on the last line for the test to compare with CPython's."""

import datetime as dt
import json
import os
import sys

os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"  # the remote engine, for this test only

import xlwings as xw  # noqa: E402

import derisk_xl.excel.lite  # noqa: E402

book = xw.Book(json=json.loads(PAYLOAD))  # noqa: F821 (put in front of this file)
result = await derisk_xl.excel.lite.build_plan(book, today=dt.date(2030, 1, 1))  # noqa: F704
print("LITE " + json.dumps({"platform": sys.platform, "status": result.status,
                            "actions": book.json()["actions"]}))
