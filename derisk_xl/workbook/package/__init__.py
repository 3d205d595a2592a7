"""Add the plan sheets to a workbook at the package level, so nothing the user had is lost.

openpyxl's load-and-save drops what it does not model (shapes, sparklines, threaded comments,
Excel 2010+ formats, Strict files…), so the user's workbook is never round-tripped through a
library. Instead:

1. XlsxWriter writes the plan sheets into a scratch workbook (tables, formats, the chart);
   the data rows of big tables are left out and written later as text, because XlsxWriter's
   cell-by-cell path cost ~40 s for a 100,000-position plan;
2. their worksheet, table, drawing and chart parts are renamed (``derisk_plan_*``) and copied
   into a copy of the user's zip, every existing part byte for byte (still compressed: the
   entries are copied raw, not inflated and deflated again);
3. only the parts that list sheets are edited, by insertion (``[Content_Types].xml``, the
   workbook part and its relationships), plus ``styles.xml`` by appending the few cell formats
   the new sheets need; strings are inline so ``sharedStrings.xml`` is untouched, and user
   text can never become a formula.

A re-run first removes the previous plan sheets (sheets named ``Plan …`` of SPEC 5.1) and the
parts only they use, then adds the new ones at the same place in the tab order, so two runs give
identical bytes. Strict Open XML workbooks get the new parts in Strict namespaces.

``docProps/app.xml`` is left as it was, although its TitlesOfParts lists the sheets: it is a
summary cached by the last application that saved the file, Excel and LibreOffice take the
sheets from the workbook part and rewrite app.xml on their next save
(tests/test_writer_libreoffice.py opens such a file), and not editing it is one part fewer
that could be damaged.

The rooms, in the order a write goes through them:

- :mod:`.splice` — the recipe (:func:`add_plan_sheets`) and the copying of scratch parts in;
- :mod:`.archive` — the user's zip opened, and the new zip written (raw copies, deflate);
- :mod:`.previous` — a re-run's previous plan sheets, and the parts only they use;
- :mod:`.scratch` — the plan sheets rendered by XlsxWriter into a scratch workbook;
- :mod:`.rows` — the big tables' rows written as text;
- :mod:`.styles` — the cell formats the plan needs, appended to the user's styles part;
- :mod:`.listing` — the parts that list sheets, edited by insertion (with the print names);
- :mod:`.xml_edit` — XML edited as text, with a parse of the same text as the guide.

Which part is which is read through :mod:`derisk_xl.workbook.parts`, as the reader reads it.
"""

from __future__ import annotations

from .splice import add_plan_sheets

__all__ = ["add_plan_sheets"]
