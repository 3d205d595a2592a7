"""Write derisk_xl/workbook/vocab/index.json from the vocabulary tables.

The tables (vocab/languages/*.toml, vocab/brokers.toml) are the data people read and edit; the
index is what a run loads: every word already keyed with its meaning, so the first header read
costs a JSON load instead of parsing and keying every table. Run after editing a table:

    python tools/gen_vocab_index.py

tests/test_vocabulary.py fails while the index and the tables disagree, and while two tables
give one word different meanings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from derisk_xl.workbook.vocabulary import build_index

INDEX = Path(__file__).resolve().parent.parent / "derisk_xl" / "workbook" / "vocab" / "index.json"


def main() -> int:
    index, conflicts = build_index()
    for word, meanings in conflicts:
        print(f"{word!r} means {' and '.join(meanings)} in different tables", file=sys.stderr)
    INDEX.write_text(json.dumps(index, ensure_ascii=False, indent=0, sort_keys=True) + "\n",
                     encoding="utf-8")
    print(f"{INDEX}: {len(index['fields'])} field words, {len(index['other'])} other words")
    return 1 if conflicts else 0


if __name__ == "__main__":
    raise SystemExit(main())
