"""What the surviving mutants of tables.py and blocks.py showed no test held (issue #20, the
sampled reader run and the blocks retry): the refusals and warnings a user reads when the
holdings are chosen, named or found, compared as whole sentences, and where a found table ends.
Each read goes through the public path (``parse_inputs`` on the grid the loader builds), each
expectation worked by hand from SPEC 3.9 and the wording tables.py documents. The mutants no
input tells apart are in benchmarks/mutation-equivalent.txt, with why.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from derisk_xl.workbook.contract import parse_inputs
from derisk_xl.workbook.grid import SheetGrid, TableRef, WorkbookGrid
from derisk_xl.workbook.tables import FIX
from tests.reading import TODAY, errs, held, warns
from tests.test_reader_mutants import COINS, assets, not_planned, read

D = Decimal

NEED = ("an Asset (or Symbol, Coin, Ticker, Token …), a Quantity (or Qty, Amount, Balance, "
        "Shares …) and a Price (or Last, Current Price …) or Value column")


def errors(result) -> list[str]:
    return [str(i) for i in result.issues if i.severity == "error"]


# -------------------------------------------------------------------------------------------
# tables.py: the table chosen (SPEC 3.9 item 1)
# -------------------------------------------------------------------------------------------


def test_a_choice_naming_nothing_lists_every_sheet_and_table():
    """--holdings naming no sheet, Table or range: the refusal lists what there is to name."""
    result = read({"Portfolio": [COINS, ["BTC", 1, 60000]], "Notes": [["checked 1 Nov"]]},
                  (TableRef("Coins", "Portfolio", 0, 0, 1, 2),), holdings="Wallets")
    assert errors(result) == [
        "--holdings: --holdings is 'Wallets': no sheet, Excel Table or range of that name. "
        "Sheets: Portfolio, Notes; Excel Tables: Coins; or give a range such as "
        "Portfolio!B10:H40."]


def test_a_chosen_excel_table_is_read_to_its_own_range():
    """SPEC 3.9 item 2: a Table ends at its own range, chosen or found; the row under it on
    the same sheet is not one of its positions."""
    result = read({"Portfolio": [COINS, ["BTC", 1, 60000], ["ETH", 2, 3000]]},
                  (TableRef("Cold", "Portfolio", 0, 0, 1, 2),), holdings="Cold")
    assert held(result) == [("BTC", D(1), D(60000))]
    assert warns(result) == []


# -------------------------------------------------------------------------------------------
# tables.py: the close rival's warning names a key that picks it (SPEC 3.9 item 1)
# -------------------------------------------------------------------------------------------


def rival_warning(hot_name: str, hot_rows: list[list]) -> list[str]:
    """Two tables scoring alike (3 columns × 3 + ⌊2·log2(1 + 2 rows)⌋ = 12, no holdings-like
    sheet name): the first in tab order, Cold, is taken and the other named as a rival."""
    result = read({"Cold": [COINS, ["BTC", 1, 60000], ["ETH", 2, 3000]],
                   hot_name: hot_rows})
    assert assets(result) == ["BTC", "ETH"]
    return warns(result)


def test_a_rival_below_the_rows_a_sheet_name_searches_is_named_by_its_range():
    """The key is the sheet's name only when naming the sheet finds that header, i.e. within
    the first 30 non-empty rows (HEADER_SEARCH_ROWS); under 30 title lines it is the range."""
    titles = [[f"note {i}"] for i in range(30)]
    hot = titles + [COINS, ["SOL", 100, 150], ["ADA", 1000, 1]]
    assert rival_warning("Hot", hot) == [
        "Cold!A1:C3: Hot!A31:C33 also looks like holdings (2 rows; Asset ← Coin, Quantity ← "
        "Amount, Price ← Price; score 12 against 12; scores within 2 are equals and go to tab "
        "order). To plan it instead, set Settings Holdings Sheet to Hot!A31:C33 or run with "
        "--holdings Hot!A31:C33."]
    # the key given works, and the sheet's name would not have
    assert assets(read({"Cold": [COINS, ["BTC", 1, 60000]], "Hot": hot},
                       holdings="Hot!A31:C33")) == ["SOL", "ADA"]
    assert read({"Cold": [COINS, ["BTC", 1, 60000]], "Hot": hot},
                holdings="Hot").inputs is None


def test_a_rival_on_a_sheet_named_with_quotes_is_quoted_for_the_command_line():
    """--holdings takes the sheet's name as one shell word: in double quotes, with the quotes
    it holds escaped."""
    assert rival_warning('Hot "B"', [COINS, ["SOL", 100, 150], ["ADA", 1000, 1]]) == [
        'Cold!A1:C3: \'Hot "B"\'!A1:C3 also looks like holdings (2 rows; Asset ← Coin, '
        "Quantity ← Amount, Price ← Price; score 12 against 12; scores within 2 are equals "
        'and go to tab order). To plan it instead, set Settings Holdings Sheet to Hot "B" or '
        'run with --holdings "Hot \\"B\\"".']


# -------------------------------------------------------------------------------------------
# tables.py: refusals (SPEC 3.9 items 1, 3 and 10)
# -------------------------------------------------------------------------------------------


#: The refusal of a Holdings sheet whose header (A1:B1) names only the asset.
NO_QUANTITY_NO_PRICE = (
    "Holdings!A1:B1: the Holdings header (Asset ← Asset) has no Quantity and no Price (or "
    f"Value) column; it is required ({NEED}). Rename that column's header, or point "
    "Settings Holdings Sheet at another table.")

def test_the_sheet_named_holdings_missing_two_columns_names_both_and_what_is_needed():
    result = read({"Holdings": [["Asset", "Comment"], ["BTC", "cold wallet"]]})
    assert errors(result) == [NO_QUANTITY_NO_PRICE]


def test_merged_header_cells_on_the_holdings_sheet_are_named():
    """A header merged over two columns leaves the second without its own header: the refusal
    names the merged cells as well as the missing column."""
    sheet = SheetGrid("Holdings", (("Asset", None, "Price"), ("BTC", "cold", 60000.0)),
                      merged=((0, 0, 0, 1),))
    result = parse_inputs(WorkbookGrid((sheet,), ("Holdings",)), as_of=None, today=TODAY)
    assert errors(result) == [
        "Holdings!A1:C1: the Holdings header (Asset ← Asset, Price ← Price) has no Quantity "
        f"column; it is required ({NEED}). Rename that column's header, or point Settings "
        "Holdings Sheet at another table.",
        "Holdings!A1:B1: merged header cells on Holdings; unmerge them so that each column has "
        "its own header."]


def test_a_header_whose_asset_column_holds_numbers_is_refused_saying_so():
    """An Asset column of numbers (an ID) is no asset: the refusal says what the header gives
    and which column holds what it should not."""
    result = read({"Register": [["Asset", "Quantity", "Price"], [1001, 2, 300],
                                [1002, 5, 40]]})
    assert errors(result) == [
        "The workbook has no holdings table: Register has no asset column (Quantity ← "
        "Quantity, Price ← Price; 'Asset' (A1) holds numbers, not names). " + FIX]


def test_more_than_three_logs_for_one_reason_are_counted_after_the_first_three():
    """A purchase log kept a sheet per coin: four sheets of the same dated columns, each a log
    (SPEC 3.9 item 3); the refusal names three and counts the rest."""
    day = dt.datetime(2026, 1, 5)
    coins = ("BTC", "ETH", "SOL", "ADA")
    result = read({c: [["Date", "Coin", "Amount", "Price"], [day, c, 1, 100]] for c in coins})
    assert errors(result) == [
        "The workbook has no holdings table: BTC!A1:D2, ETH!A1:D2, SOL!A1:D2 and 1 more are "
        "not holdings: the same dated columns are on 4 sheets (BTC, ETH, SOL, ADA), a log "
        "kept one sheet per asset. " + FIX]


def test_a_workbook_with_no_sheets_to_read_says_so():
    """A loader may skip every sheet (plan sheets only): nothing to look at, said as such."""
    result = parse_inputs(WorkbookGrid((), ("Plan Summary",)), as_of=None, today=TODAY)
    assert errors(result) == [
        "The workbook has no holdings table: it has no sheets. " + FIX]


# -------------------------------------------------------------------------------------------
# blocks.py: totals rows found by their numbers (SPEC 3.9 item 2)
# -------------------------------------------------------------------------------------------


def test_a_totals_row_rounded_to_the_cent_ends_the_table():
    """30.01 shown for 10.004 + 20.004 = 30.008: the sum within the half cent a cell shows is
    the totals row, and the row after it is another thing, left out with a word."""
    result = read({"Portfolio": [["Coin", "Amount", "Price", "Value"],
                                 ["BTC", 1, 10.004, 10.004], ["ETH", 1, 20.004, 20.004],
                                 [None, None, None, 30.01], ["SOL", 1, 50, 50]]})
    assert assets(result) == ["BTC", "ETH"]
    assert not_planned(result) == [
        "Portfolio: not planned: row 5 below it on Portfolio, which are not rows of the "
        "holdings table Portfolio!A1:D4."]


def test_a_quantity_half_a_unit_off_the_sum_is_no_totals_row():
    """3.5 under 1 and 2 is not their sum: a row with a quantity and no asset, an error at its
    Asset cell (never a totals row dropped in silence)."""
    result = read({"Portfolio": [COINS, ["BTC", 1, 60000], ["ETH", 2, 3000],
                                 [None, 3.5, None]]})
    assert result.inputs is None
    assert "Portfolio!A4" in errs(result)


def test_a_totals_row_showing_0_for_an_empty_value_column_ends_the_table():
    """=SUM() over a Value column left empty shows 0: with the quantities summed, that is the
    totals row, and the row after it is left out with a word."""
    result = read({"Portfolio": [["Coin", "Amount", "Price", "Value"],
                                 ["BTC", 1, 100, None], ["ETH", 2, 100, None],
                                 [None, 3, None, 0], ["SOL", 1, 50, None]]})
    assert assets(result) == ["BTC", "ETH"]
    assert not_planned(result) == [
        "Portfolio: not planned: row 5 below it on Portfolio, which are not rows of the "
        "holdings table Portfolio!A1:D4."]


# -------------------------------------------------------------------------------------------
# blocks.py: a row naming an asset with a number as its quantity is a position
# -------------------------------------------------------------------------------------------


def test_a_position_whose_quantity_sums_the_rows_above_is_no_totals_row():
    """SOL, 3 units (= 1 + 2), its price left empty, straight under the positions: a position
    missing its price, an error at that cell — not a totals row that drops SOL from the plan
    in silence (SPEC 3.9 item 13: a plan may be refused, never silently wrong). As the file
    loader gives it (3.0) and as the Excel button does (3)."""
    for button in (False, True):
        result = read({"Portfolio": [COINS, ["BTC", 1, 60000], ["ETH", 2, 3000], ["SOL", 3]]},
                      button=button)
        assert result.inputs is None
        assert sorted(errs(result)) == ["Portfolio!C4"], button


def test_a_ticker_alone_on_a_short_row_from_the_excel_button_is_a_row():
    """The Excel button's rows stop at their last filled cell: a row holding only ``SOL`` has
    no Quantity cell at all, and is a position missing its numbers."""
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], ["SOL"],
                                 ["ETH", 2, 3000]]}, button=True)
    assert result.inputs is None
    assert sorted(errs(result)) == ["Positions!B3", "Positions!C3"]


def test_a_row_holding_only_its_asset_in_a_column_mapped_by_letter_is_a_row():
    """An unheaded ticker column right of the header, mapped by its letter (SPEC 3.9 item 12):
    a row naming only its asset there is a position missing its numbers, an error at each —
    not an empty row, though every cell under the header's words is empty."""
    result = read({"Portfolio": [["Amount", "Price"], [1, 100, "BTC"], [2, 10, "ETH"],
                                 [None, None, "SOL"]]}, columns=(("asset", "C"),))
    assert result.inputs is None
    assert sorted(errs(result)) == ["Portfolio!A4", "Portfolio!B4"]


def test_a_totals_word_after_the_asset_leaves_the_row_a_position():
    """A totals row has its totals word before the asset (blocks.py: the first text, after any
    numbers, up to the asset). With the unheaded ticker column A left of the header, mapped by
    its letter, a Note reading ``Total`` after the asset is a note: ETH is a position."""
    result = read({"Portfolio": [[None, "Note", "Amount", "Price"],
                                 ["BTC", "cold", 1, 60000], ["ETH", "Total", 2, 3000]]},
                  columns=(("asset", "A"),))
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000))]


# -------------------------------------------------------------------------------------------
# tables.py: the header searched for, what is left out, the candidates (SPEC 3.9 items 1–2)
# -------------------------------------------------------------------------------------------


def test_the_header_of_the_sheet_named_holdings_is_looked_for_in_its_first_30_rows():
    """tables._header_in: the first 30 non-empty rows (HEADER_SEARCH_ROWS); a header on the
    31st is not found, and the refusal says so."""
    rows = [[f"note {i}"] for i in range(30)] + [["Asset", "Quantity", "Price"],
                                                 ["BTC", 1, 60000]]
    assert errors(read({"Holdings": rows})) == [
        "Holdings: no header row found on Holdings (the sheet named Holdings); expected a row "
        f"with {NEED}."]


def test_of_two_partial_headers_alike_the_first_is_named():
    """No header qualifies: the refusal names the partial header giving the most columns, the
    first of equals (Asset over Price, one column each)."""
    result = read({"Holdings": [["Asset", "Comment"], ["BTC", "cold"], ["Price", "Source"],
                                [60000, "web"]]})
    assert errors(result) == [NO_QUANTITY_NO_PRICE]


def test_the_tables_beside_the_one_taken_are_all_named_as_left_out():
    """Three tables side by side on one header row, alike (score 11 each): the first is taken,
    and the two beside it are named in one warning."""
    head = ["Coin", "Amount", "Price", None] * 2 + ["Coin", "Amount", "Price"]
    result = read({"Cold": [head, ["BTC", 1, 60000, None, "ETH", 2, 3000, None, "SOL", 10,
                                   150]]})
    assert assets(result) == ["BTC"]
    assert not_planned(result) == [
        "Cold: not planned: the table beside it (Cold!E1:G2, Cold!I1:K2) on Cold, which are "
        "not rows of the holdings table Cold!A1:C2."]


def test_a_found_table_says_it_was_found():
    """HoldingsSource.chosen_by (--json chosen_by): ``found`` for a table found by its header."""
    result = read({"Portfolio": [COINS, ["BTC", 1, 60000]]})
    assert result.inputs.source.chosen_by == "found"


def test_an_excel_table_over_one_block_of_stacked_wallets_is_no_second_candidate():
    """SPEC 3.9 item 2: blocks of the same columns are one table. An Excel Table drawn over the
    second block only is part of it, not a rival to be named (it would score 11 against 12)."""
    result = read({"Crypto": [COINS, ["BTC", 1, 60000], ["Subtotal"], COINS,
                              ["SOL", 100, 150]]},
                  (TableRef("Hot", "Crypto", 3, 0, 4, 2),))
    assert held(result) == [("BTC", D(1), D(60000)), ("SOL", D(100), D(150))]
    assert warns(result) == []


def test_an_excel_table_beside_a_trade_log_is_read_to_its_own_range():
    """SPEC 3.9 item 2: a found Excel Table ends at its own range. Beside a trade log (a log:
    not holdings, item 3) whose rows run past the Table's header, the Table is found by its
    range, and read to its end, past the subtotal inside it."""
    day = dt.datetime(2026, 1, 5)
    log = [["Date", "Type", "Coin", "Amount", "Price"], [day, "Buy", "BTC", 1, 50000],
           [day, "Buy", "ETH", 2, 2000], [day, "Sell", "BTC", 0.5, 55000],
           [day, "Buy", "SOL", 10, 100], [day, "Buy", "SOL", 5, 120]]
    table = [[], COINS, ["BTC", 1, 60000], ["ETH", 2, 3000], ["Subtotal"], ["SOL", 10, 150]]
    rows = [a + [None] * (6 - len(a)) + b for a, b in zip(log, table)]
    result = read({"Crypto": rows}, (TableRef("Coins", "Crypto", 1, 6, 5, 8),))
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000)),
                            ("SOL", D(10), D(150))]


# -------------------------------------------------------------------------------------------
# blocks.py: the sheet named Holdings read to its end; a heading after a gap
# -------------------------------------------------------------------------------------------


def test_on_the_sheet_named_holdings_the_row_after_a_subtotal_is_read():
    """SPEC 3.9 item 2: the sheet named Holdings is read to its end; a totals row is
    recognised and not planned, and the positions after it are read."""
    result = read({"Holdings": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                ["Subtotal"], ["ETH", 2, 3000], ["SOL", 10, 150]]})
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000)),
                            ("SOL", D(10), D(150))]


def test_a_gap_before_a_section_heading_is_named():
    """An empty row, then a heading with positions under it: the gap is named (the rows after
    it stay, SPEC 3.9 item 2) and the heading said to be one."""
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], [],
                                 ["Technology"], ["NVDA", 10, 900]]})
    assert assets(result) == ["BTC", "NVDA"]
    assert warns(result) == [
        "Positions!A3:A3: empty row(s) 3–3 inside the holdings table; the rows after them "
        "have the same columns and are read as positions.",
        "Positions!A4: 1 section heading row(s) between the positions (Technology) are read as "
        "headings, not positions."]


def test_an_excel_table_found_by_its_range_scores_by_its_rows():
    """tables.score counts a found candidate's rows, an Excel Table's too: the Table of five
    positions beside a trade log (9 + ⌊2·log2 6⌋ = 14) beats a table of one row on the next
    sheet (9 + 2 = 11) by more than a tie, and is taken. (It scored 9, as if it had no rows,
    when found by its range rather than by the header scan: the one-row table was planned.)"""
    day = dt.datetime(2026, 1, 5)
    log = [["Date", "Type", "Coin", "Amount", "Price"]] + [
        [day, kind, coin, 1, 100] for kind, coin in
        (("Buy", "BTC"), ("Buy", "ETH"), ("Sell", "BTC"), ("Buy", "SOL"), ("Buy", "ADA"),
         ("Buy", "DOT"))]
    table = [[], COINS, ["BTC", 1, 60000], ["ETH", 2, 3000], ["SOL", 10, 150],
             ["ADA", 1000, 1], ["DOT", 10, 5]]
    rows = [a + [None] * (6 - len(a)) + b for a, b in zip(log, table)]
    result = read({"Crypto": rows, "Sheet2": [COINS, ["XRP", 100, 0.5]]},
                  (TableRef("Coins", "Crypto", 1, 6, 6, 8),))
    assert assets(result) == ["BTC", "ETH", "SOL", "ADA", "DOT"]


def test_a_table_of_rows_without_a_quantity_is_no_rival_to_a_table_of_positions():
    """tables.score counts the clean rows: a named asset with a number as its quantity. A
    watchlist whose quantities are ``n/a`` (and whose one numbered row names a code, not an
    asset) scores 9 and is passed over for the table of three positions (13), though first in
    tab order; nothing is said of it."""
    watch = [COINS, [7203, 100, 2500]] + [[c, "n/a", 10] for c in ("ETH", "SOL", "ADA", "DOT",
                                                                  "XRP", "DOGE")]
    result = read({"Watch": watch, "Main": [COINS, ["BTC", 1, 60000], ["ETH", 2, 3000],
                                            ["SOL", 10, 150]]})
    assert assets(result) == ["BTC", "ETH", "SOL"]
    assert warns(result) == []


def test_a_row_after_a_gap_counts_in_the_sums_a_totals_row_is_found_by():
    """ETH, read after an empty row (and the gap named), is summed like any row: 3 = 1 + 2 is
    the totals row, not a position missing its asset."""
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000], [],
                                 ["ETH", 2, 3000], [None, 3, None]]})
    assert assets(result) == ["BTC", "ETH"]
    assert warns(result) == [
        "Positions!A3:A3: empty row(s) 3–3 inside the holdings table; the rows after them "
        "have the same columns and are read as positions."]


def test_a_heading_then_another_tables_header_ends_the_table_after_the_heading():
    """``Watchlist`` heads the row of words after the gap (Ticker, Price: another table's
    header, SPEC 3.9 item 2): the table ends there, the heading its last row; the watchlist
    below is left out with a word."""
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 ["Watchlist"], [], ["Ticker", 2026, "Price"],
                                 ["NVDA", 900, 950]]})
    assert assets(result) == ["BTC"]
    assert not_planned(result) == [
        "Positions: not planned: rows 5–6 below it on Positions, which are not rows of the "
        "holdings table Positions!A1:C3."]


LABEL_40 = "Total of all my wallets and my exchanges"   # 40 characters: a label
NAME_41 = "TotalEnergies SE, ordinary shares (Paris)"  # 41: a name


def test_a_totals_label_of_40_characters_ends_the_table():
    """blocks.total_word: a text of up to 40 characters beginning with Total is a totals
    label; the table ends at it and the row after it is left out with a word."""
    assert len(LABEL_40) == 40
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 ["ETH", 2, 3000], [LABEL_40], ["SOL", 10, 150]]})
    assert assets(result) == ["BTC", "ETH"]
    assert not_planned(result) == [
        "Positions: not planned: row 5 below it on Positions, which are not rows of the "
        "holdings table Positions!A1:C4."]


def test_a_name_of_41_characters_beginning_with_total_is_a_position():
    """Past 40 characters a text is a name, not a label: TotalEnergies, named in full, is a
    position."""
    assert len(NAME_41) == 41
    result = read({"Positions": [["Asset", "Quantity", "Price"], ["BTC", 1, 60000],
                                 [NAME_41, 10, 60], ["ETH", 2, 3000]]})
    assert assets(result) == ["BTC", NAME_41.upper(), "ETH"]  # assets are read in capitals


def test_an_excel_table_past_the_sheets_cells_is_no_candidate():
    """An Excel Table whose range lies past the sheet's last filled row (written by a program,
    its header cells empty) names no header: the table above it is read, nothing said."""
    result = read({"Portfolio": [COINS, ["BTC", 1, 60000], ["ETH", 2, 3000]]},
                  (TableRef("Later", "Portfolio", 3, 0, 5, 2),))
    assert held(result) == [("BTC", D(1), D(60000)), ("ETH", D(2), D(3000))]
    assert warns(result) == []


def test_a_quantity_mapped_by_hand_decides_which_factor_is_the_quantity():
    """SPEC 3.9 items 8 and 12: A × B = Value on every row, and the words (``A``, ``B``) say
    neither is the quantity; ``--column quantity=A`` says it, and the read line says so."""
    result = read({"Portfolio": [["Coin", "A", "B", "Value"], ["BTC", 2, 30000, 60000],
                                 ["ETH", 10, 3000, 30000], ["SOL", 100, 150, 15000]]},
                  columns=(("quantity", "A"),))
    assert held(result) == [("BTC", D(2), D(30000)), ("ETH", D(10), D(3000)),
                            ("SOL", D(100), D(150))]
    assert result.inputs.source.evidence == (
        "Quantity × Price = Value on 3 of 3 rows (as mapped by hand)")
