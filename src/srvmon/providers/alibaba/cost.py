"""Daily cost per product from BSS OpenAPI QueryAccountBill (Granularity=DAILY, IsGroupByProduct=true).

One call per day (BillingDate) and page; a day's answer is reused for `cost_cache_ttl`, and days more
than two days old are treated as final and kept for the life of the process. Amounts are PretaxAmount;
bills in CNY are converted with `usd_per_cny` (without it they are an error saying so).
Needs the RAM policy AliyunBSSReadOnlyAccess; a refusal is a ProviderError that names it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from srvmon.clock import Clock
from srvmon.model import CostItem, TimeWindow, parse_duration
from srvmon.providers.base import ProviderError

from .client import AliClient, AliError
from .options import AlibabaOptions

VERSION = "2017-12-14"
PAGE_SIZE = 300
MAX_PAGES = 10
FINAL_AFTER_DAYS = 2
BSS_POLICY = "AliyunBSSReadOnlyAccess"


class CostReader:
    def __init__(self, client: AliClient, options: AlibabaOptions, clock: Clock) -> None:
        self.client = client
        self.options = options
        self.clock = clock
        self._cache: dict[date, tuple[float, list[tuple[str, float, str]]]] = {}
        self._lock = threading.Lock()

    def cost(self, window: TimeWindow) -> list[CostItem]:
        today = self.clock.now().date()
        days = [d for d in _days(window) if d <= today]
        with ThreadPoolExecutor(
            max_workers=min(4, max(1, len(days))), thread_name_prefix="srvmon-bss"
        ) as pool:
            per_day = list(pool.map(lambda d: (d, self._day(d, today)), days))
        out: list[CostItem] = []
        for day, rows in per_day:
            for product, amount, currency in rows:
                out.append(CostItem(product, day, self._usd(amount, currency)))
        return out

    def _usd(self, amount: float, currency: str) -> float:
        cur = currency.upper() or "USD"
        if cur == "USD":
            return amount
        if cur == "CNY":
            if self.options.usd_per_cny is None:
                raise ProviderError("the bills are in CNY: set usd_per_cny (e.g. 0.14) to show them in USD")
            return amount * self.options.usd_per_cny
        raise ProviderError(f"the bills are in {cur}, which srvmon cannot convert to USD")

    def _day(self, day: date, today: date) -> list[tuple[str, float, str]]:
        now_s = self.clock.now().timestamp()
        ttl = parse_duration(self.options.cost_cache_ttl)
        final = (today - day).days > FINAL_AFTER_DAYS
        with self._lock:
            hit = self._cache.get(day)
            if hit is not None and (final or now_s - hit[0] < ttl):
                return hit[1]
        rows = self._fetch(day)
        with self._lock:
            self._cache[day] = (now_s, rows)
        return rows

    def _fetch(self, day: date) -> list[tuple[str, float, str]]:
        rows: list[tuple[str, float, str]] = []
        for page in range(1, MAX_PAGES + 1):
            params = {
                "BillingCycle": day.strftime("%Y-%m"),
                "BillingDate": day.isoformat(),
                "Granularity": "DAILY",
                "IsGroupByProduct": "true",
                "PageNum": str(page),
                "PageSize": str(PAGE_SIZE),
            }
            try:
                body = self.client.rpc(
                    self.options.bss_url(), "QueryAccountBill", VERSION, params, service="BSS"
                )
            except AliError as exc:
                if exc.kind == "denied":
                    raise ProviderError(
                        f"{exc}; cost needs the RAM policy {BSS_POLICY} (or set cost = false)"
                    ) from exc
                raise
            raw = body.get("Data")
            data: dict[str, Any] = raw if isinstance(raw, dict) else {}
            items = _items(data)
            for it in items:
                product = str(it.get("ProductName") or it.get("ProductCode") or "other")
                amount = _num(it.get("PretaxAmount"))
                if amount is not None:
                    rows.append((product, amount, str(it.get("Currency") or "")))
            total = _num(data.get("TotalCount"))
            if len(items) < PAGE_SIZE or (total is not None and page * PAGE_SIZE >= total):
                break
        return rows


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    box = data.get("Items")
    items = box.get("Item") if isinstance(box, dict) else box
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _num(v: Any) -> float | None:
    import math

    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _days(window: TimeWindow) -> list[date]:
    start = window.start.date()
    n = max(0, (window.end.date() - start).days)
    return [start + timedelta(days=i) for i in range(n)]
