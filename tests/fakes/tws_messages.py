"""TWS -> client message layouts, field for field as ib-async 2.1's decoder.py reads them at SERVER_VERSION.

Each layout lists the decoder's field names in order; a message is built from a dict of values
by name, and every name not given is sent empty (the decoder then keeps its default). At 178:
no faProfile (since 177), pendingPriceRevision on executions (178), advanced reject JSON on
errors (166), contract details without a version field (164).
"""

from __future__ import annotations

from tests.fakes.tws_protocol import FakeContract, FakeExecution, FakeOrder, Field, frame

CONTRACT = "conId symbol secType lastTradeDateOrContractMonth strike right multiplier exchange currency localSymbol tradingClass"
ORDER_CORE = "action totalQuantity orderType lmtPrice auxPrice tif ocaGroup account openClose origin orderRef"
# counts the decoder pops with int(): they must be "0", never empty
COUNTS: dict[str, Field] = {
    n: 0
    for n in [
        "numComboLegs",
        "numOrderComboLegs",
        "numSmartComboRoutingParams",
        "deltaNeutralContractPresent",
        "numConditions",
        "numSecIds",
    ]
}

ERROR = "msgId version reqId errorCode errorString advancedOrderRejectJson"
ORDER_STATUS = "msgId orderId status filled remaining avgFillPrice permId parentId lastFillPrice clientId whyHeld mktCapPrice"
OPEN_ORDER = f"""msgId orderId {CONTRACT} {ORDER_CORE} clientId permId outsideRth hidden discretionaryAmt goodAfterTime
    sharesAllocation faGroup faMethod faPercentage modelCode goodTillDate rule80A percentOffset settlingFirm shortSaleSlot
    designatedLocation exemptCode auctionStrategy startingPrice stockRefPrice delta stockRangeLower stockRangeUpper
    displaySize blockOrder sweepToFill allOrNone minQty ocaType eTradeOnly firmQuoteOnly nbboPriceCap parentId
    triggerMethod volatility volatilityType deltaNeutralOrderType deltaNeutralAuxPrice continuousUpdate referencePriceType
    trailStopPrice trailingPercent basisPoints basisPointsType comboLegsDescrip numComboLegs numOrderComboLegs
    numSmartComboRoutingParams scaleInitLevelSize scaleSubsLevelSize scalePriceIncrement hedgeType optOutSmartRouting
    clearingAccount clearingIntent notHeld deltaNeutralContractPresent algoStrategy solicited whatIf status
    initMarginBefore maintMarginBefore equityWithLoanBefore initMarginChange maintMarginChange equityWithLoanChange
    initMarginAfter maintMarginAfter equityWithLoanAfter commission minCommission maxCommission commissionCurrency
    warningText randomizeSize randomizePrice numConditions adjustedOrderType triggerPrice trailStopPrice2 lmtPriceOffset
    adjustedStopPrice adjustedStopLimitPrice adjustedTrailingAmount adjustableTrailingUnit softDollarTierName
    softDollarTierValue softDollarTierDisplayName cashQty dontUseAutoPriceForHedge isOmsContainer
    discretionaryUpToLimitPrice usePriceMgmtAlgo duration postToAts autoCancelParent minTradeQty minCompeteSize
    competeAgainstBestOffset midOffsetAtWhole midOffsetAtHalf"""
COMPLETED_ORDER = f"""msgId {CONTRACT} {ORDER_CORE} permId outsideRth hidden discretionaryAmt goodAfterTime faGroup faMethod
    faPercentage modelCode goodTillDate rule80A percentOffset settlingFirm shortSaleSlot designatedLocation exemptCode
    startingPrice stockRefPrice delta stockRangeLower stockRangeUpper displaySize sweepToFill allOrNone minQty ocaType
    triggerMethod volatility volatilityType deltaNeutralOrderType deltaNeutralAuxPrice continuousUpdate
    referencePriceType trailStopPrice trailingPercent comboLegsDescrip numComboLegs numOrderComboLegs
    numSmartComboRoutingParams scaleInitLevelSize scaleSubsLevelSize scalePriceIncrement hedgeType clearingAccount
    clearingIntent notHeld deltaNeutralContractPresent algoStrategy solicited status randomizeSize randomizePrice
    numConditions trailStopPrice2 lmtPriceOffset cashQty dontUseAutoPriceForHedge isOmsContainer autoCancelDate
    filledQuantity refFuturesConId autoCancelParent shareholder imbalanceOnly routeMarketableToBbo parentPermId
    completedTime completedStatus minTradeQty minCompeteSize competeAgainstBestOffset midOffsetAtWhole midOffsetAtHalf"""
EXEC_DETAILS = f"""msgId reqId orderId {CONTRACT} execId time acctNumber execExchange side shares price permId clientId
    liquidation cumQty avgPrice orderRef evRule evMultiplier modelCode lastLiquidity pendingPriceRevision"""
COMMISSION_REPORT = "msgId version execId commission currency realizedPNL yield yieldRedemptionDate"
CONTRACT_DETAILS = """msgId reqId symbol secType lastTradeDateOrContractMonth strike right exchange currency localSymbol
    marketName tradingClass conId minTick multiplier orderTypes validExchanges priceMagnifier underConId longName
    primaryExchange contractMonth industry category subcategory timeZoneId tradingHours liquidHours evRule evMultiplier
    numSecIds aggGroup underSymbol underSecType marketRuleIds realExpirationDate stockType minSize sizeIncrement
    suggestedSizeIncrement"""
POSITION = f"msgId version account {CONTRACT} position avgCost"
PORTFOLIO_VALUE = """msgId version conId symbol secType lastTradeDateOrContractMonth strike right multiplier primaryExchange
    currency localSymbol tradingClass position marketPrice marketValue averageCost unrealizedPNL realizedPNL accountName"""


def message(layout: str, values: dict[str, Field]) -> bytes:
    """One framed message: the layout's fields in order, each from `values` or counts, else empty."""
    names = layout.split()
    unknown = set(values) - set(names)
    if unknown:
        raise KeyError(f"not in this layout: {sorted(unknown)}")
    return frame(*(values.get(n, COUNTS.get(n, "")) for n in names))


def _order_values(o: FakeOrder) -> dict[str, Field]:
    lmt = o.limit_price if o.limit_price is not None else 0.0
    return {
        **o.contract.values(),
        **{
            "action": o.action,
            "totalQuantity": o.quantity,
            "orderType": o.order_type,
            "lmtPrice": lmt,
            "auxPrice": o.aux_price,
            "ocaGroup": o.oca_group,
            "displaySize": o.display_size,
        },
        **{
            "tif": o.tif,
            "account": o.account,
            "openClose": "O",
            "origin": 0,
            "orderRef": o.order_ref,
            "permId": o.perm_id,
        },
        **{
            "outsideRth": 0,
            "hidden": 0,
            "exemptCode": -1,
            "ocaType": o.oca_type or 3,
            "status": o.status,
        },
    }


def error_msg(req_id: int, code: int, text: str) -> bytes:
    return message(
        ERROR, {"msgId": 4, "version": 2, "reqId": req_id, "errorCode": code, "errorString": text}
    )


def order_status_msg(o: FakeOrder) -> bytes:
    values = {
        "filled": o.filled,
        "remaining": o.remaining,
        "avgFillPrice": o.avg_price,
        "lastFillPrice": o.last_price,
    }
    return message(
        ORDER_STATUS,
        {
            "msgId": 3,
            "orderId": o.order_id,
            "status": o.status,
            "permId": o.perm_id,
            "parentId": 0,
            "clientId": o.client_id,
            "mktCapPrice": 0.0,
            **values,
        },
    )


def open_order_msg(o: FakeOrder) -> bytes:
    extra = {"whatIf": 0, "solicited": 0, "parentId": 0}
    values = {k: v for k, v in _order_values(o).items() if k != "primaryExchange"}
    return message(
        OPEN_ORDER, {"msgId": 5, "orderId": o.order_id, "clientId": o.client_id, **values, **extra}
    )


def completed_order_msg(o: FakeOrder) -> bytes:
    values = {k: v for k, v in _order_values(o).items() if k != "primaryExchange"}
    done = {
        "filledQuantity": o.filled,
        "completedTime": "20240102 15:04:05 UTC",
        "completedStatus": o.status,
    }
    return message(COMPLETED_ORDER, {"msgId": 101, **values, **done})


def exec_details_msg(req_id: int, e: FakeExecution) -> bytes:
    o = e.order
    contract = {
        k: v for k, v in o.contract.values(exchange="ISLAND").items() if k != "primaryExchange"
    }
    fill = {
        "execId": e.exec_id,
        "time": e.time,
        "acctNumber": o.account,
        "execExchange": "ISLAND",
        "side": "BOT" if o.action == "BUY" else "SLD",
    }
    fill |= {
        "shares": e.shares,
        "price": e.price,
        "cumQty": e.cum_qty,
        "avgPrice": e.avg_price,
        "lastLiquidity": e.liquidity,
    }
    ids = {
        "orderId": o.order_id,
        "permId": o.perm_id,
        "clientId": o.client_id,
        "orderRef": o.order_ref,
        "liquidation": 0,
    }
    return message(
        EXEC_DETAILS,
        {"msgId": 11, "reqId": req_id, **contract, **fill, **ids, "pendingPriceRevision": 0},
    )


def commission_msg(e: FakeExecution, currency: str = "USD") -> bytes:
    return message(
        COMMISSION_REPORT,
        {
            "msgId": 59,
            "version": 1,
            "execId": e.exec_id,
            "commission": e.commission,
            "currency": currency,
        },
    )


def contract_details_msg(req_id: int, c: FakeContract) -> bytes:
    names = {
        "symbol": c.symbol,
        "secType": "STK",
        "strike": 0.0,
        "exchange": c.exchange,
        "currency": c.currency,
        "localSymbol": c.symbol,
    }
    names |= {
        "marketName": "NMS",
        "tradingClass": "NMS",
        "conId": c.con_id,
        "minTick": c.min_tick,
        "primaryExchange": c.primary_exchange,
    }
    info = {
        "orderTypes": "ACTIVETIM,LMT,MKT",
        "validExchanges": f"SMART,{c.primary_exchange}",
        "priceMagnifier": 1,
        "underConId": 0,
    }
    info |= {
        "longName": c.long_name or f"{c.symbol} INC",
        "industry": "Technology",
        "timeZoneId": "US/Eastern",
        "aggGroup": 1,
    }
    info |= {
        "marketRuleIds": "26",
        "stockType": "COMMON",
        "minSize": 1,
        "sizeIncrement": 1,
        "suggestedSizeIncrement": 100,
    }
    return message(CONTRACT_DETAILS, {"msgId": 10, "reqId": req_id, **names, **info})


def position_msg(account: str, c: FakeContract, position: float, avg_cost: float) -> bytes:
    contract = {k: v for k, v in c.values(exchange="").items() if k != "primaryExchange"}
    return message(
        POSITION,
        {
            "msgId": 61,
            "version": 3,
            "account": account,
            **contract,
            "position": position,
            "avgCost": avg_cost,
        },
    )


def portfolio_msg(account: str, c: FakeContract, position: float, avg_cost: float) -> bytes:
    mark = (c.bid + c.ask) / 2
    contract = {k: v for k, v in c.values().items() if k != "exchange"}
    values = {
        "position": position,
        "marketPrice": mark,
        "marketValue": mark * position,
        "averageCost": avg_cost,
    }
    values |= {
        "unrealizedPNL": (mark - avg_cost) * position,
        "realizedPNL": 0.0,
        "accountName": account,
    }
    return message(PORTFOLIO_VALUE, {"msgId": 7, "version": 8, **contract, **values})
