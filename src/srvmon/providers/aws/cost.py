"""Cost Explorer: daily cost per service (optionally split by a cost-allocation tag) + month forecast,
cached on disk for at least an hour because every Cost Explorer request costs $0.01.

The cache key holds the provider instance and who/where it reads as (profile, endpoint, roles, a hash of
the access key id): two providers never share cost rows, and an unreachable provider never shows
another's. Paging stops after MAX_PAGES answers (each is billed) or at a repeated token, with an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from srvmon.model import CostItem, TimeWindow
from srvmon.providers.aws.errors import provider_error
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.base import ProviderError, UsageCounter

PRICE_PER_REQUEST = 0.01
METRIC = "UnblendedCost"
#: GetCostAndUsage pages one refresh may read ($0.01 each); a daily-by-service answer needs 1-3.
MAX_PAGES = 20


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("srvmon"))


class CostCache:
    """JSON files keyed by request; an entry is fresh for `ttl_s` by the injected clock's time."""

    def __init__(self, directory: Path, ttl_s: int) -> None:
        self.directory = directory
        self.ttl_s = ttl_s

    def _path(self, key: str) -> Path:
        return self.directory / f"aws-ce-{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"

    def get(self, key: str, now: datetime) -> list[CostItem] | None:
        try:
            data = json.loads(self._path(key).read_text())
            if data.get("key") != key or now.timestamp() - float(data["saved_at"]) >= self.ttl_s:
                return None
            return [
                CostItem(i["service"], date.fromisoformat(i["day"]), float(i["amount"]), bool(i["forecast"]))
                for i in data["items"]
            ]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, now: datetime, items: Sequence[CostItem]) -> None:
        """Written atomically (temp file + rename); a failing cache never fails the panel."""
        payload = {
            "key": key,
            "saved_at": now.timestamp(),
            "items": [
                {
                    "service": i.service,
                    "day": i.day.isoformat(),
                    "amount": i.amount_usd,
                    "forecast": i.forecast,
                }
                for i in items
            ],
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w") as fh:
                json.dump(payload, fh)
            os.replace(tmp, self._path(key))
        except OSError:
            pass


def _first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


class TooManyPages(ProviderError):
    """Cost Explorer kept paging past MAX_PAGES (or repeated a token)."""


def _pages(client: Any, counter: UsageCounter, **kwargs: Any) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    token = None
    for _ in range(MAX_PAGES):
        counter.call("GetCostAndUsage", usd=PRICE_PER_REQUEST)
        resp = client.get_cost_and_usage(**kwargs, **({"NextPageToken": token} if token else {}))
        results.extend(resp.get("ResultsByTime", []))
        new_token = resp.get("NextPageToken")
        if not new_token:
            return results
        if new_token == token:
            raise TooManyPages("GetCostAndUsage: the same NextPageToken came back twice; answer ignored")
        token = new_token
    raise TooManyPages(
        f"GetCostAndUsage: more than {MAX_PAGES} pages (each costs $0.01); use a cost_tag with fewer values"
    )


def _service_name(keys: Sequence[str], tag: str | None) -> str:
    if not keys:
        return "Total"
    name = keys[0]
    if tag and len(keys) > 1:
        _, _, value = keys[1].partition("$")
        name = f"{name} [{tag}={value or 'untagged'}]"
    return name


def fetch_cost(
    sessions: Sessions,
    counter: UsageCounter,
    targets: Sequence[Target],
    window: TimeWindow,
    now: datetime,
    tag: str | None,
    cache: CostCache,
    scope: str = "",
) -> list[CostItem]:
    """Daily cost per service over `window` (End exclusive) plus the rest-of-month forecast ("Total").
    `scope` names the provider instance and its identity (Sessions.identity()) in the cache key."""
    start = window.start.date()
    end = max(window.end.date(), start + timedelta(days=1))
    roles = list(dict.fromkeys(t.role_arn for t in targets))
    multi = len(roles) > 1
    key = json.dumps([scope, roles, start.isoformat(), end.isoformat(), tag, now.date().isoformat()])
    cached = cache.get(key, now)
    if cached is not None:
        return cached
    items: list[CostItem] = []
    for role in roles:
        target = next(t for t in targets if t.role_arn == role)
        client = sessions.client("ce", target)
        group_by = [{"Type": "DIMENSION", "Key": "SERVICE"}]
        if tag:
            group_by.append({"Type": "TAG", "Key": tag})
        try:
            results = _pages(
                client,
                counter,
                TimePeriod={"Start": start.isoformat(), "End": end.isoformat()},
                Granularity="DAILY",
                Metrics=[METRIC],
                GroupBy=group_by,
            )
        except TooManyPages:
            raise
        except Exception as exc:
            raise provider_error(exc, "GetCostAndUsage") from exc
        prefix = f"{target.account}: " if multi else ""
        for period in results:
            day = date.fromisoformat(period["TimePeriod"]["Start"])
            groups = period.get("Groups") or []
            if not groups and period.get("Total", {}).get(METRIC):
                groups = [{"Keys": [], "Metrics": period["Total"]}]
            for g in groups:
                try:
                    amount = float(g["Metrics"][METRIC]["Amount"])
                except (KeyError, TypeError, ValueError):
                    continue
                items.append(CostItem(prefix + _service_name(g.get("Keys", []), tag), day, amount))
        items.extend(_forecast(client, counter, now.date(), prefix))
    cache.put(key, now, items)
    return items


def _forecast(client: Any, counter: UsageCounter, today: date, prefix: str) -> list[CostItem]:
    """Daily forecast from today to the end of the month; unavailable forecasts are simply omitted."""
    end = _first_of_next_month(today)
    counter.call("GetCostForecast", usd=PRICE_PER_REQUEST)
    try:
        resp = client.get_cost_forecast(
            TimePeriod={"Start": today.isoformat(), "End": end.isoformat()},
            Metric="UNBLENDED_COST",
            Granularity="DAILY",
        )
    except Exception:
        return []
    out = []
    for r in resp.get("ForecastResultsByTime", []):
        try:
            out.append(
                CostItem(
                    prefix + "Total",
                    date.fromisoformat(r["TimePeriod"]["Start"]),
                    float(r["MeanValue"]),
                    forecast=True,
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return out
