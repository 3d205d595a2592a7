"""What the reader's surviving mutants showed no test held (issue #20, after the reader's
rewrite): one test per behaviour, each read through the public path — a workbook's grid
through ``parse_inputs`` (the picture the file loader and the Excel button both build), or a
real .xlsx through ``read_workbook`` — and each expectation worked by hand from SPEC 3.9 or
from the rule the reader's modules document (blocks.py: where a table ends; tables.py: which
table is taken; contract.py: SPEC 3.2–3.7; vocabulary.py: SPEC 3.9 items 4 and 9).
"""

from __future__ import annotations

from decimal import Decimal

from derisk_xl.workbook.contract import parse_inputs
from derisk_xl.workbook.grid import SheetGrid, TableRef, WorkbookGrid
from tests.reading import TODAY, errs, held, warns

D = Decimal


def grid_of(sheets: dict[str, list[list]], tables: tuple[TableRef, ...] = (),
            button: bool = False) -> WorkbookGrid:
    """The grid the file loader builds: each sheet's rows as long as its widest, numbers as
    floats (as calamine gives them). ``button``: as the Excel button's adapter builds it, whole
    numbers as ints and each row as long as it is (a grid's rows may differ in length)."""
    out = []
    for name, rows in sheets.items():
        width = max((len(r) for r in rows), default=0)
        out.append(SheetGrid(name, tuple(
            tuple(r) if button else
            tuple(float(v) if type(v) is int else v for v in r) + (None,) * (width - len(r))
            for r in rows)))
    return WorkbookGrid(tuple(out), tuple(sheets), tables)


def read(sheets: dict[str, list[list]], tables: tuple[TableRef, ...] = (), button=False,
         **options):
    return parse_inputs(grid_of(sheets, tables, button), as_of=None, today=TODAY, **options)


def assets(result) -> list[str]:
    return [a for a, _, _ in held(result)]


def not_planned(result) -> list[str]:
    return [w for w in warns(result) if "not planned" in w]


# -------------------------------------------------------------------------------------------
# blocks.py: where a found table ends (SPEC 3.9 item 2)
# -------------------------------------------------------------------------------------------


def test_a_gap_inside_the_table_is_named_by_its_rows():
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], [], [],
                                 ["ETH", 2, 3000]]})
    assert assets(result) == ["BTC", "ETH"]
    assert warns(result) == [
        "Positions!A3:A4: empty row(s) 3–4 inside the holdings table; the rows after them "
        "have the same columns and are read as positions."]


def test_a_note_beside_the_table_leaves_an_empty_row_empty():
    """Rows are judged within the table's own columns: a note right of the last column does not
    turn an empty row into a heading (SPEC 3.9 item 2: the rows after the gap stay, with the
    gap named)."""
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 [None, None, None, "checked 1 Nov"], ["ETH", 2, 3000]]})
    assert assets(result) == ["BTC", "ETH"]
    assert warns(result) == [
        "Positions!A3:A3: empty row(s) 3–3 inside the holdings table; the rows after them "
        "have the same columns and are read as positions."]


def test_a_template_row_right_under_the_header_is_skipped():
    """SPEC 3.9 item 2: a row with no asset and a zero quantity is a template row, skipped
    silently — not a totals row of no rows that would end the table before it starts."""
    result = read({"Positions": [["Asset", "Quantity", "Price"], [None, 0, None],
                                 ["BTC", 1, 60000], ["ETH", 2, 3000]]})
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000))]
    assert warns(result) == []


def test_a_subtotal_under_one_row_leaving_the_quantity_out_ends_the_table():
    """Under a single position, a row with no asset whose value repeats the position's, its
    quantity left out, is that block's total: the table ends there (SPEC 3.9 item 2), and the
    row after it is left out with a word."""
    result = read({"Portfolio": [["Coin", "Amount", "Price", "Value"],
                                 ["BTC", 0.5, 40000, 20000],
                                 [None, None, None, 20000],
                                 ["ETH", 2, 3000, 6000]]})
    assert held(result) == [("BTC", D("0.5"), D(40000))]
    assert not_planned(result) == [
        "Portfolio: not planned: row 4 below it on Portfolio, which are not rows of the "
        "holdings table Portfolio!A1:D3."]


def test_a_position_after_a_gap_is_no_total_though_its_quantity_sums_the_rows_above():
    """A totals row found by its numbers has no asset (or, in an unknown language, no price):
    SOL, priced, with 2 = 1 + 1 units, is a position."""
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 100],
                                 ["ETH", 1, 100], [], ["SOL", 2, 50]]})
    assert held(result) == [("BTC", D(1), D(100)), ("ETH", D(1), D(100)),
                            ("SOL", D(2), D(50))]


def test_a_ticker_alone_is_a_position_missing_its_numbers():
    """A row holding only a ticker between positions is not a section heading: it is read as a
    row, and its empty Quantity is an error at its cell."""
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], ["SOL"],
                                 ["ETH", 2, 3000]]})
    assert result.inputs is None
    assert "Positions!B3" in errs(result)


def test_a_lone_text_three_empty_rows_above_the_next_position_is_a_row():
    """A section heading is one text with a position within the next three rows; with three
    empty rows after it, the text is a row of the table, and its missing Quantity an error."""
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 ["Technology"], [], [], [], ["ETH", 2, 3000]]})
    assert result.inputs is None
    assert sorted(errs(result)) == ["Positions!B3", "Positions!C3"]  # no quantity, no price


LEDGER = ["LEDGER", "SYM", "BALANCE", "PRICE"]
COINS = ["Coin", "Amount", "Price"]  # the same header for every block: no block outscores


def test_two_title_rows_between_stacked_blocks_keep_them_one_table():
    """Blocks of one table are joined past a totals row, empty rows and up to two title rows
    (``DeFi``, ``Wallet B``) before the repeated header."""
    result = read({"Portfolio": [LEDGER, ["Ledger A", "BTC", 1, 60000], ["Subtotal"],
                                 ["DeFi"], ["Wallet B"],
                                 ["EXCHANGES", "SYM", "BALANCE", "PRICE"],
                                 ["Kraken", "SOL", 100, 150]]})
    assert held(result) == [("BTC", D(1), D(60000)), ("SOL", D(100), D(150))]
    assert [p.venue for p in result.inputs.positions] == ["Ledger A", "Kraken"]
    assert warns(result) == []


def test_three_title_rows_end_the_table():
    """Past two title rows, what follows is another table: the first block is planned and the
    rest is named as left out."""
    result = read({"Portfolio": [COINS, ["BTC", 1, 60000], ["Subtotal"], ["DeFi"],
                                 ["Wallet B"], ["Hot"], COINS, ["SOL", 100, 150]]})
    assert held(result) == [("BTC", D(1), D(60000))]
    assert any("not planned: rows 4–8 below it" in w for w in warns(result)), warns(result)


def test_a_row_of_two_texts_between_blocks_ends_the_table():
    """A title is one text alone on its row; a row of two (``Fees | 5 sat/vB``) after a
    subtotal is something else, and the table ends at the subtotal."""
    result = read({"Portfolio": [COINS, ["BTC", 1, 60000], ["Subtotal"],
                                 ["Fees", "5 sat/vB"], COINS, ["SOL", 100, 150]]})
    assert held(result) == [("BTC", D(1), D(60000))]
    assert any("not planned: rows 4–6 below it" in w for w in warns(result)), warns(result)


def test_a_repeated_header_on_the_last_row_is_a_block_of_the_table():
    """The header repeated as the sheet's last row starts an empty block: nothing is left out,
    and its first column, whose text changed (LEDGER → EXCHANGES), labels the blocks."""
    result = read({"Portfolio": [LEDGER, ["Ledger A", "BTC", 1, 60000],
                                 ["Ledger A", "ETH", 2, 3000], ["Subtotal"],
                                 ["EXCHANGES", "SYM", "BALANCE", "PRICE"]]})
    assert [p.venue for p in result.inputs.positions] == ["Ledger A", "Ledger A"]
    assert warns(result) == []


NOTE_HEAD = ["Note", "Coin", "Amount", "Price"]


def test_a_first_column_the_same_in_every_block_labels_nothing():
    """Only a first column whose header text changes between blocks labels them; a Note column
    headed alike in each block is ignored (and said so), not read as the venue."""
    result = read({"Portfolio": [NOTE_HEAD, ["cold", "BTC", 1, 60000], ["Total"], [],
                                 NOTE_HEAD, ["hot", "ETH", 2, 3000]]})
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000))]
    assert [p.venue for p in result.inputs.positions] == ["", ""]
    assert result.inputs.source.ignored == ("Note",)


def test_another_header_right_under_the_positions_ends_the_table():
    """A header naming two fields (a watchlist's Ticker and Price) straight under the rows is
    another table (SPEC 3.9 item 2), left out with a word."""
    result = read({"Portfolio": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 ["ETH", 2, 3000], ["Ticker", "Price", "Change"],
                                 ["NVDA", 900, 0.02]]})
    assert assets(result) == ["BTC", "ETH"]
    assert not_planned(result) == [
        "Portfolio: not planned: rows 4–5 below it on Portfolio, which are not rows of the "
        "holdings table Portfolio!A1:C3."]


def test_a_header_with_a_year_among_its_words_still_ends_the_table():
    """Two fields named (Ticker, Price) make a header even beside a number (a year)."""
    result = read({"Portfolio": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 ["ETH", 2, 3000], ["Ticker", "Price", 2026],
                                 ["NVDA", 900, 950]]})
    assert assets(result) == ["BTC", "ETH"]


def test_a_row_of_texts_naming_one_field_over_a_list_ends_the_table():
    """``aset | Target Harga`` (asset, target price: one field named, every cell a word) heads
    a list of targets below the positions: the table ends there."""
    result = read({"Portfolio": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 ["ETH", 2, 3000], ["aset", "Target Harga"],
                                 ["BTC", 100000]]})
    assert assets(result) == ["BTC", "ETH"]
    assert len(not_planned(result)) == 1


def test_a_header_sharing_only_the_asset_word_is_another_table():
    """A row repeating the asset header (``Asset``) but not the other columns is no repeat of
    the header: it heads another table, which ends this one."""
    result = read({"Portfolio": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 ["ETH", 2, 3000], ["Asset", "Target"], ["BTC", 100000]]})
    assert assets(result) == ["BTC", "ETH"]
    assert len(not_planned(result)) == 1


def test_a_row_of_words_right_under_the_positions_is_a_row_with_errors():
    """Without an empty row before it, text where the numbers were is a row of the table (SPEC
    3.9 item 2 ends a table at such text only after an empty row): its cells are errors."""
    result = read({"Portfolio": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 ["ETH", 2, 3000], ["Notes", "see below"]]})
    assert result.inputs is None
    assert "Portfolio!B4" in errs(result)


def test_a_ticker_that_is_a_header_word_with_numbers_as_text_after_a_gap_is_a_row():
    """After an empty row, ``COIN`` (a ticker, and a word for the asset column) with its
    numbers pasted as text is a row of the same shape, not a header."""
    result = read({"Portfolio": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], [],
                                 ["COIN", "10", "250"]]})
    assert held(result) == [("BTC", D(1), D(60000)), ("COIN", D(10), D(250))]


def test_words_beyond_the_tables_last_column_make_no_header_of_its_row():
    """A row is judged a header within the table's own columns: ``Notes | see below`` under the
    positions, beside another table's ``Ticker | Price`` further right, is still a row of this
    table, with its errors."""
    result = read({"Portfolio": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 ["ETH", 2, 3000],
                                 ["Notes", "see below", None, None, "Ticker", "Price"]]})
    assert result.inputs is None
    assert "Portfolio!B4" in errs(result)


def test_an_excel_table_with_empty_rows_at_its_end_is_read(tmp_path):
    """An Excel Table whose range runs past its last filled row (rows added for later): the
    sheet's rows end before the Table does, and the Table's positions are read, nothing said."""
    from tests.reading import read as read_file
    from tests.test_reader import xlsx

    rows = [["Coin", "Amount", "Price"], ["BTC", 1, 60000], ["ETH", 2, 3000]] + [[]] * 5
    path = xlsx(tmp_path / "t.xlsx", {"Portfolio": rows},
                tables=[("Portfolio", 0, 0, 7, 2, "Coins")])
    result = read_file(path)
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000))]
    assert warns(result) == []


def test_an_excel_table_ends_at_its_range_before_an_empty_repeated_header():
    """SPEC 3.9 item 2: a found Excel Table ends at its own range. The header repeated just
    below it with no rows under it adds nothing, and is named as left out."""
    rows = [COINS, ["BTC", 1, 60000], ["Subtotal"], COINS]
    result = read({"Portfolio": rows}, (TableRef("Coins", "Portfolio", 0, 0, 2, 2),))
    assert held(result) == [("BTC", D(1), D(60000))]
    assert any("not planned: row 4 below it" in w for w in warns(result)), warns(result)


def test_text_left_of_a_table_off_column_a_labels_no_block():
    """A table starting at column B is read in its own columns: text in column A beside the
    repeated header and the rows is not a label of the blocks (the headers are alike)."""
    head = [None, "Coin", "Amount", "Price"]
    result = read({"Portfolio": [head, ["cold", "BTC", 1, 60000],
                                 ["Wallet B", "Coin", "Amount", "Price"],
                                 ["hot", "ETH", 2, 3000]]})
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000))]
    assert [p.venue for p in result.inputs.positions] == ["", ""]


def test_the_column_just_left_of_an_asset_in_the_last_column_labels_the_blocks():
    """The label column is any column left of the asset whose header text changes between
    blocks, even the one next to an asset column that closes the header."""
    result = read({"Portfolio": [["Amount", "Price", "LEDGER", "Coin"],
                                 [1, 60000, "Ledger A", "BTC"],
                                 ["Amount", "Price", "DEFI", "Coin"],
                                 [2, 3000, "Aave", "ETH"]]})
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000))]
    assert [p.venue for p in result.inputs.positions] == ["Ledger A", "Aave"]



def test_rows_shorter_than_the_header_read_their_missing_cells_as_empty():
    """A grid's rows may differ in length (the Excel button's do): a row that stops before the
    Value column, and an empty row of no cells, are read as if the cells were empty."""
    result = read({"Portfolio": [["Coin", "Amount", "Price", "Value"], ["BTC", 1, 100],
                                 ["ETH", 2, 100, 200], [], ["SOL", 1, 50, 50]]}, button=True)
    assert held(result) == [("BTC", D(1), D(100)), ("ETH", D(2), D(100)), ("SOL", D(1), D(50))]
    assert warns(result) == [
        "Portfolio!A4:A4: empty row(s) 4–4 inside the holdings table; the rows after them "
        "have the same columns and are read as positions."]


def test_a_row_of_whole_number_sums_closes_the_table():
    """Whole numbers come as ints from the Excel button: a row of their sums (no asset, 3 =
    1 + 2) is still the totals row, not a position missing its asset."""
    result = read({"Portfolio": [["Coin", "Amount", "Price"], ["BTC", 1, 100], ["ETH", 2, 200],
                                 [None, 3, None]]}, button=True)
    assert held(result) == [("BTC", D(1), D(100)), ("ETH", D(2), D(200))]


def test_a_row_summing_the_quantities_closes_a_table_with_no_value_column():
    result = read({"Portfolio": [["Coin", "Amount", "Price"], ["BTC", 1, 100], ["ETH", 2, 200],
                                 [None, 3, None]]})
    assert held(result) == [("BTC", D(1), D(100)), ("ETH", D(2), D(200))]


def test_a_row_summing_only_the_cost_basis_is_a_totals_row():
    """A totals row may sum only what is summed in money (Invested), its quantity left out:
    the table ends there, and the row after it is left out with a word."""
    result = read({"Portfolio": [["Coin", "Amount", "Price", "Invested"],
                                 ["BTC", 1, 60000, 20000], ["ETH", 2, 3000, 2400],
                                 [None, None, None, 22400], ["SOL", 10, 150, 1000]]})
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000))]
    assert any("not planned: row 5 below it" in w for w in warns(result)), warns(result)


def test_after_a_gap_a_row_whose_asset_is_not_a_name_ends_the_table():
    """SPEC 3.9 item 2: an empty row followed by something that is not a row of the table (a
    TRUE where the asset's name should be) ends it; that row is named as left out."""
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], [],
                                 [True, 5, 10]]})
    assert held(result) == [("BTC", D(1), D(60000))]
    assert not_planned(result) == [
        "Positions: not planned: row 4 below it on Positions, which are not rows of the "
        "holdings table Positions!A1:C2."]


def test_on_the_sheet_named_holdings_a_lone_word_is_a_row_not_a_heading():
    """The sheet named Holdings is the contract's own form, read to its end (SPEC 3.9 item 2):
    every row is a position, so a lone ``Technology`` between positions is a row whose missing
    Quantity and Price are errors."""
    result = read({"Holdings": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                ["Technology"], ["ETH", 2, 3000]]})
    assert result.inputs is None
    assert sorted(errs(result)) == ["Holdings!B3", "Holdings!C3"]


def test_on_the_sheet_named_holdings_a_repeated_header_is_skipped():
    result = read({"Holdings": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                ["Asset", "Quantity", "Price"], ["ETH", 2, 3000]]})
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000))]
    assert warns(result) == []
