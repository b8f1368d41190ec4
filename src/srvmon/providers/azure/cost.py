"""Daily cost per service from the Cost Management Query API, cached on disk (it is heavily throttled)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from srvmon.clock import Clock
from srvmon.model import CostItem, TimeWindow, parse_duration

from .arm import ArmClient
from .options import AzureOptions

COST_API = "2023-03-01"


def cache_dir(options: AzureOptions) -> Path:
    if options.cost_cache_dir:
        return Path(options.cost_cache_dir)
    import platformdirs

    return Path(platformdirs.user_cache_dir("srvmon")) / "azure-cost"


def _scopes(options: AzureOptions) -> list[str]:
    sub = f"/subscriptions/{options.subscription_id}"
    return [f"{sub}/resourceGroups/{rg}" for rg in options.resource_groups] or [sub]


def _body(window: TimeWindow) -> dict[str, Any]:
    last = window.end - timedelta(seconds=1)
    return {
        "type": "ActualCost",
        "timeframe": "Custom",
        "timePeriod": {
            "from": window.start.strftime("%Y-%m-%dT00:00:00Z"),
            "to": last.strftime("%Y-%m-%dT23:59:59Z"),
        },
        "dataset": {
            "granularity": "Daily",
            "aggregation": {"totalCost": {"name": "Cost", "function": "Sum"}},
            "grouping": [{"type": "Dimension", "name": "ServiceName"}],
        },
    }


def _day(v: Any) -> date | None:
    text = str(v)
    try:
        if text.isdigit() and len(text) == 8:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def parse_rows(props: dict[str, Any]) -> list[tuple[str, str, float, str]]:
    """(service, iso day, amount, currency) from a query answer's columns/rows."""
    cols = [str(c.get("name", "")).lower() for c in props.get("columns") or [] if isinstance(c, dict)]
    out: list[tuple[str, str, float, str]] = []

    def idx(*names: str) -> int | None:
        for n in names:
            if n in cols:
                return cols.index(n)
        return None

    i_cost, i_day = idx("cost", "pretaxcost", "costusd", "totalcost"), idx("usagedate", "billingmonth")
    i_svc, i_cur = idx("servicename", "resourcegroup", "resourceid"), idx("currency")
    if i_cost is None or i_day is None:
        return out
    for row in props.get("rows") or []:
        if not isinstance(row, list) or len(row) < len(cols):
            continue
        day = _day(row[i_day])
        try:
            amount = float(row[i_cost])
        except (TypeError, ValueError):
            continue
        if day is None:
            continue
        svc = str(row[i_svc]) if i_svc is not None else "total"
        cur = str(row[i_cur]) if i_cur is not None else "USD"
        out.append((svc or "other", day.isoformat(), amount, cur))
    return out


class CostReader:
    """Cost Management answers, reused from the disk cache for `cost_cache_ttl`."""

    def __init__(self, arm: ArmClient, options: AzureOptions, clock: Clock) -> None:
        self.arm = arm
        self.options = options
        self.clock = clock
        self.ttl_s = parse_duration(options.cost_cache_ttl)
        self.warnings: list[str] = []

    def _cache_file(self, window: TimeWindow) -> Path:
        key = json.dumps([self.arm.base, _scopes(self.options), window.start_s, window.end_s], sort_keys=True)
        return cache_dir(self.options) / f"cost-{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"

    def cost(self, window: TimeWindow) -> list[CostItem]:
        path = self._cache_file(window)
        now = self.clock.now().timestamp()
        rows = self._read(path, now)
        if rows is None:
            rows = self._fetch(window)
            self._write(path, now, rows)
        totals: dict[tuple[str, str], float] = {}
        currencies = set()
        for svc, day, amount, cur in rows:
            totals[(svc, day)] = totals.get((svc, day), 0.0) + amount
            currencies.add(cur)
        self.warnings = (
            [f"costs are in {', '.join(sorted(currencies))}, not USD"] if currencies - {"USD"} else []
        )
        return [
            CostItem(svc, date.fromisoformat(day), round(amount, 6))
            for (svc, day), amount in sorted(totals.items())
        ]

    def _fetch(self, window: TimeWindow) -> list[tuple[str, str, float, str]]:
        rows: list[tuple[str, str, float, str]] = []
        body = _body(window)
        for scope in _scopes(self.options):
            url: str = f"{scope}/providers/Microsoft.CostManagement/query"
            params: dict[str, str] | None = {"api-version": COST_API}
            for _ in range(20):
                answer = self.arm.request("POST", url, params=params, body=body, operation="CostQuery") or {}
                props = answer.get("properties") or {}
                rows += parse_rows(props)
                nxt = props.get("nextLink")
                if not nxt:
                    break
                url, params = str(nxt), None
        return rows

    def _read(self, path: Path, now: float) -> list[tuple[str, str, float, str]] | None:
        try:
            data = json.loads(path.read_text())
            if now - float(data["fetched_at"]) < self.ttl_s and now >= float(data["fetched_at"]):
                return [tuple(r) for r in data["rows"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return None

    def _write(self, path: Path, now: float, rows: list[tuple[str, str, float, str]]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cost-")
            with os.fdopen(fd, "w") as fh:
                json.dump({"fetched_at": now, "rows": rows}, fh)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache dir costs API calls, never the panel
