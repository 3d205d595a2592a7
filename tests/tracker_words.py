"""Header words for the tracker generator (tests/trackers.py), one table per language and broker.

INTERIM: this is the generator's own small word source until the vocabulary data of SPEC 3.9
item 9 (``derisk_xl.workbook.vocabulary.LANGUAGES``) lands; :func:`vocabularies` is the one
function the generator reads words through, so the switch is there.

Only words whose meaning is not in doubt are listed: a word the generator writes over a column
is, by SPEC 3.9 items 4 and 9, that field's header, so a doubtful word would make a doubtful
truth. (French ``Montant`` or Portuguese ``Saldo`` can be money or a quantity: not listed.)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Words:
    """One language's (or one broker export's) words, shaped like the vocabulary data.

    Attributes:
      fields: per holdings field, its words by rank (rank 0 first; SPEC 3.9 item 4).
      other: words of columns that are no field (``pnl``, ``change``, ``weight``, ``note``,
        ``rate``, ``target``, ``name``…), by kind.
      totals, dates, actions: words of totals rows, date columns and buy/sell columns.
      action_values: what a buy/sell column holds (``Buy``, ``Sell``).
      qualifiers: words such as Current or Total that a header does not need (item 9).
    """

    code: str
    name: str
    fields: dict[str, tuple[tuple[str, ...], ...]]
    totals: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    action_values: tuple[str, ...] = ()
    qualifiers: tuple[str, ...] = ()
    other: dict[str, tuple[str, ...]] = field(default_factory=dict)
    broker: bool = False


def _w(*ranks: str) -> tuple[tuple[str, ...], ...]:
    """Ranks written as ``"A, B | C"``: ``|`` separates ranks, ``,`` words."""
    return tuple(tuple(w.strip() for w in r.split(",") if w.strip()) for r in "".join(ranks)
                 .split("|"))


_LANGS = (
    Words("en", "English", {
        "asset": _w("Asset, Symbol, Coin, Ticker, Token, Stock | Currency | Name, Crypto Name"),
        "quantity": _w("Quantity, Qty, Amount, Units, Balance, Holdings, Shares, Coins"),
        "price": _w("Price, Last Price, Market Price, Mark Price, LTP, Spot Price | Close, "
                    "Previous Close"),
        "value": _w("Value, Market Value, Worth, Position Value, Holding Value"),
        "avg_cost": _w("Avg Cost, Average Price, Buy Price, Purchase Price, Avg Buy Price, "
                       "Entry Price, Cost Per Share"),
        "cost_basis": _w("Cost Basis, Total Cost, Invested, Total Invested, Book Value, "
                         "Amount Invested"),
        "venue": _w("Exchange, Wallet, Platform, Broker, Account, Storage"),
        "category": _w("Category"),
    }, totals=("Total", "Totals", "Grand Total", "Subtotal", "Sum", "Net Worth"),
        dates=("Date", "Timestamp", "Trade Date"), actions=("Type", "Side"),
        action_values=("Buy", "Sell"), qualifiers=("Current", "Total", "Net", "Live", "Last"),
        other={"pnl": ("P&L", "Profit/Loss", "Unrealized P&L", "Gain/Loss"),
               "change": ("24h Change %", "Change %", "7d %"),
               "weight": ("Allocation", "Weight", "% of Portfolio"),
               "note": ("Notes", "Sector", "Network", "Comment"),
               "rate": ("FX Rate", "Exchange Rate"),
               "target": ("Target Weight", "Target %")}),
    Words("de", "German", {
        "asset": _w("Symbol, Ticker, Kürzel | Währung | Name, Bezeichnung"),
        "quantity": _w("Anzahl, Stückzahl, Stück, Menge"),
        "price": _w("Kurs, Preis, Aktueller Kurs"),
        "value": _w("Wert, Marktwert, Depotwert, Gesamtwert"),
        "avg_cost": _w("Kaufkurs, Einstandskurs, Kaufpreis"),
        "cost_basis": _w("Kaufwert, Einstandswert, Investiert"),
        "venue": _w("Börse, Broker, Konto, Handelsplatz"),
    }, totals=("Summe", "Gesamt"), dates=("Datum",), actions=("Typ", "Art"),
        action_values=("Kauf", "Verkauf"),
        other={"pnl": ("Gewinn/Verlust", "G/V"), "weight": ("Anteil",),
               "note": ("Notiz", "Branche", "ISIN")}),
    Words("fr", "French", {
        "asset": _w("Symbole, Ticker, Actif | Devise | Nom"),
        "quantity": _w("Quantité, Nombre de titres, Parts"),
        "price": _w("Prix, Cours, Dernier cours"),
        "value": _w("Valeur, Valorisation, Valeur de marché"),
        "avg_cost": _w("PRU, Prix de revient, Prix d'achat, Prix moyen"),
        "cost_basis": _w("Coût total, Montant investi"),
        "venue": _w("Plateforme, Courtier, Compte"),
    }, totals=("Total",), dates=("Date",), actions=("Sens",), action_values=("Achat", "Vente"),
        other={"pnl": ("Plus-value", "+/- value"), "weight": ("Poids", "Répartition")}),
    Words("es", "Spanish", {
        "asset": _w("Símbolo, Ticker, Activo, Cripto | Divisa | Nombre"),
        "quantity": _w("Cantidad, Unidades, Títulos"),
        "price": _w("Precio, Precio actual, Cotización"),
        "value": _w("Valor, Valor actual, Valor de mercado"),
        "avg_cost": _w("Precio medio, Precio de compra, Coste medio"),
        "cost_basis": _w("Coste total, Invertido, Total invertido"),
        "venue": _w("Plataforma, Bróker, Cuenta"),
    }, totals=("Total", "Suma"), dates=("Fecha",), actions=("Tipo", "Operación"),
        action_values=("Compra", "Venta"),
        other={"pnl": ("Ganancia/Pérdida", "Rentabilidad"), "weight": ("Peso", "Porcentaje")}),
    Words("pt", "Portuguese", {
        "asset": _w("Ativo, Ticker, Código | Moeda | Nome"),
        "quantity": _w("Quantidade, Qtde, Cotas"),
        "price": _w("Preço, Preço atual, Cotação"),
        "value": _w("Valor, Valor atual, Valor de mercado"),
        "avg_cost": _w("Preço médio, Preço de compra"),
        "cost_basis": _w("Valor investido, Custo total"),
        "venue": _w("Corretora, Plataforma, Conta"),
    }, totals=("Total", "Soma"), dates=("Data",), actions=("Tipo", "Operação"),
        action_values=("Compra", "Venda"),
        other={"pnl": ("Lucro/Prejuízo", "Rentabilidade"), "weight": ("Peso", "Percentual")}),
    Words("it", "Italian", {
        "asset": _w("Simbolo, Ticker, Titolo | Valuta | Nome"),
        "quantity": _w("Quantità, Numero quote"),
        "price": _w("Prezzo, Prezzo attuale, Quotazione"),
        "value": _w("Valore, Controvalore, Valore di mercato"),
        "avg_cost": _w("Prezzo medio, Prezzo di carico, PMC"),
        "cost_basis": _w("Costo totale, Capitale investito"),
        "venue": _w("Piattaforma, Conto"),
    }, totals=("Totale",), dates=("Data",), actions=("Operazione",),
        action_values=("Acquisto", "Vendita"),
        other={"pnl": ("Guadagno/Perdita", "Plusvalenza"), "weight": ("Peso",)}),
    Words("nl", "Dutch", {
        "asset": _w("Symbool, Ticker | Valuta | Naam"),
        "quantity": _w("Aantal, Hoeveelheid, Stuks"),
        "price": _w("Koers, Prijs, Huidige koers"),
        "value": _w("Waarde, Marktwaarde, Huidige waarde"),
        "avg_cost": _w("Aankoopkoers, Aankoopprijs, Gemiddelde aankoopprijs"),
        "cost_basis": _w("Aankoopwaarde, Inleg"),
        "venue": _w("Beurs, Platform, Rekening"),
    }, totals=("Totaal",), dates=("Datum",), actions=("Soort",),
        action_values=("Koop", "Verkoop"),
        other={"pnl": ("Winst/Verlies", "Rendement"), "weight": ("Weging", "Aandeel %")}),
    Words("pl", "Polish", {
        "asset": _w("Symbol, Ticker, Walor | Waluta | Nazwa"),
        "quantity": _w("Ilość, Liczba akcji, Liczba"),
        "price": _w("Cena, Kurs, Cena bieżąca, Aktualna cena"),
        "value": _w("Wartość, Wartość rynkowa, Wycena"),
        "avg_cost": _w("Średnia cena, Cena zakupu, Średni kurs zakupu"),
        "cost_basis": _w("Wartość zakupu, Zainwestowano"),
        "venue": _w("Giełda, Platforma, Konto"),
    }, totals=("Suma", "Razem"), dates=("Data",), actions=("Typ", "Rodzaj"),
        action_values=("Kupno", "Sprzedaż"),
        other={"pnl": ("Zysk/Strata",), "weight": ("Udział", "Udział %")}),
    Words("tr", "Turkish", {
        "asset": _w("Sembol, Hisse, Kod | Döviz | Ad, İsim"),
        "quantity": _w("Adet, Miktar"),
        "price": _w("Fiyat, Güncel Fiyat, Son Fiyat"),
        "value": _w("Değer, Piyasa Değeri, Güncel Değer"),
        "avg_cost": _w("Ortalama Maliyet, Alış Fiyatı"),
        "cost_basis": _w("Toplam Maliyet, Yatırım"),
        "venue": _w("Borsa, Platform, Aracı Kurum, Hesap"),
    }, totals=("Toplam",), dates=("Tarih",), actions=("İşlem", "Tür"),
        action_values=("Alış", "Satış"),
        other={"pnl": ("Kâr/Zarar",), "weight": ("Ağırlık", "Oran")}),
    Words("ru", "Russian", {
        "asset": _w("Тикер, Символ, Актив, Монета | Валюта | Название, Наименование"),
        "quantity": _w("Количество, Кол-во"),
        "price": _w("Цена, Текущая цена, Курс"),
        "value": _w("Стоимость, Текущая стоимость, Рыночная стоимость"),
        "avg_cost": _w("Средняя цена, Цена покупки"),
        "cost_basis": _w("Вложено, Стоимость покупки"),
        "venue": _w("Биржа, Брокер, Счёт, Кошелёк"),
    }, totals=("Итого", "Всего"), dates=("Дата",), actions=("Тип", "Операция"),
        action_values=("Покупка", "Продажа"),
        other={"pnl": ("Прибыль/Убыток", "Доходность"), "weight": ("Доля", "Доля %")}),
    Words("zh-Hans", "Chinese (simplified)", {
        "asset": _w("代码, 股票代码, 证券代码 | 币种 | 名称, 股票名称"),
        "quantity": _w("数量, 持仓数量, 持有数量, 股数"),
        "price": _w("价格, 现价, 当前价格, 最新价"),
        "value": _w("市值, 当前市值, 持仓市值"),
        "avg_cost": _w("成本价, 平均成本, 买入价"),
        "cost_basis": _w("投入金额, 总成本"),
        "venue": _w("交易所, 平台, 券商, 账户, 钱包"),
    }, totals=("合计", "总计"), dates=("日期",), actions=("类型", "方向"),
        action_values=("买入", "卖出"),
        other={"pnl": ("盈亏", "浮动盈亏"), "weight": ("占比", "仓位占比")}),
    Words("zh-Hant", "Chinese (traditional)", {
        "asset": _w("代號, 股票代號 | 幣別 | 名稱"),
        "quantity": _w("數量, 持有數量, 股數"),
        "price": _w("價格, 現價, 目前價格"),
        "value": _w("市值, 目前市值"),
        "avg_cost": _w("成本價, 平均成本, 買入價"),
        "cost_basis": _w("投入金額, 總成本"),
        "venue": _w("交易所, 平台, 券商, 帳戶, 錢包"),
    }, totals=("合計", "總計"), dates=("日期",), actions=("類型", "買賣"),
        action_values=("買入", "賣出"),
        other={"pnl": ("損益", "未實現損益"), "weight": ("佔比", "比重")}),
    Words("ja", "Japanese", {
        "asset": _w("銘柄コード, コード, ティッカー, シンボル | 通貨 | 銘柄名, 名称"),
        "quantity": _w("数量, 保有数, 保有数量, 株数"),
        "price": _w("現在値, 現在価格, 株価, 価格"),
        "value": _w("評価額, 時価評価額, 評価金額"),
        "avg_cost": _w("取得単価, 平均取得単価, 購入単価"),
        "cost_basis": _w("取得額, 取得金額, 投資額"),
        "venue": _w("取引所, 口座, 証券会社"),
    }, totals=("合計", "総計"), dates=("日付",), actions=("売買", "区分"),
        action_values=("買い", "売り"),
        other={"pnl": ("評価損益", "損益"), "weight": ("構成比", "比率")}),
    Words("ko", "Korean", {
        "asset": _w("종목코드, 티커, 심볼, 코인 | 통화 | 종목명, 이름"),
        "quantity": _w("수량, 보유수량, 보유량"),
        "price": _w("현재가, 가격, 시세"),
        "value": _w("평가금액, 평가액"),
        "avg_cost": _w("평균단가, 매입가, 매수평균가"),
        "cost_basis": _w("매입금액, 투자금액, 원금"),
        "venue": _w("거래소, 증권사, 계좌, 지갑"),
    }, totals=("합계", "총계"), dates=("날짜", "일자"), actions=("구분", "유형"),
        action_values=("매수", "매도"),
        other={"pnl": ("평가손익", "손익"), "weight": ("비중",)}),
    Words("id", "Indonesian", {
        "asset": _w("Kode, Simbol, Ticker, Aset | Mata Uang | Nama"),
        "quantity": _w("Kuantitas, Lembar Saham"),
        "price": _w("Harga, Harga Terakhir, Harga Pasar"),
        "value": _w("Nilai, Nilai Pasar"),
        "avg_cost": _w("Harga Rata-rata, Harga Beli"),
        "cost_basis": _w("Modal, Total Modal"),
        "venue": _w("Bursa, Sekuritas, Akun"),
    }, totals=("Total",), dates=("Tanggal",), actions=("Tipe", "Jenis"),
        action_values=("Beli", "Jual"),
        other={"pnl": ("Untung/Rugi", "Laba/Rugi"), "weight": ("Bobot", "Porsi")}),
)

_BROKERS = (
    Words("zerodha", "Zerodha Kite", {
        "asset": _w("Instrument"), "quantity": _w("Qty."), "avg_cost": _w("Avg. cost"),
        "price": _w("LTP"), "value": _w("Cur. val")}, broker=True,
        other={"pnl": ("P&L",), "change": ("Net chg.", "Day chg.")}),
    Words("ibkr", "Interactive Brokers", {
        "asset": _w("Symbol"), "quantity": _w("Position"), "price": _w("Mark Price"),
        "value": _w("Market Value"), "avg_cost": _w("Avg Price"), "cost_basis": _w("Cost Basis")},
        broker=True, other={"pnl": ("Unrealized P&L",)}),
    Words("trading212", "Trading 212", {
        "asset": _w("Ticker"), "quantity": _w("Quantity"), "price": _w("Current price"),
        "avg_cost": _w("Average price"), "value": _w("Value")}, broker=True,
        other={"pnl": ("Result",)}),
    Words("groww", "Groww (mutual funds)", {
        "asset": _w("Scheme Name"), "quantity": _w("Units"), "value": _w("Current Value"),
        "cost_basis": _w("Invested Value")}, broker=True, other={"pnl": ("Returns",)}),
    Words("coinbase", "Coinbase", {
        "asset": _w("Asset"), "quantity": _w("Quantity"), "price": _w("Spot Price"),
        "value": _w("Value")}, broker=True),
    Words("robinhood", "Robinhood", {
        "asset": _w("Symbol"), "quantity": _w("Shares"), "price": _w("Price"),
        "avg_cost": _w("Average Cost"), "value": _w("Equity")}, broker=True,
        other={"pnl": ("Total Return",)}),
)


def vocabularies() -> tuple[Words, ...]:
    """Every language table and broker export the generator draws header words from."""
    return _LANGS + _BROKERS


__all__ = ["Words", "vocabularies"]
