"""Drill-down logs from Application Insights via LogsQueryClient (KQL): the newest N records, partial
results kept and flagged, a cap always said (`truncated`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from srvmon.model import FunctionHealth, LogQuery, LogRecord, LogResult, TimeWindow
from srvmon.providers.base import NotSupported, ProviderError, UsageCounter
from srvmon.providers.httpio import HttpError

from . import links
from .arm import client_kwargs, named, to_provider_error
from .kql import CLASSIC, WORKSPACE, Schema, health_query, logs_query
from .options import AzureOptions

#: The most records one drill-down returns (Log Analytics answers are also bounded by max_response_mb).
MAX_ROWS = 10_000


def _num(v: Any) -> float | None:
    try:
        return None if v is None or v == "" else float(v)
    except (TypeError, ValueError):
        return None


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return None


def _epoch(v: Any) -> float:
    if isinstance(v, datetime):
        return v.timestamp()
    try:
        return datetime.fromisoformat(str(v).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


class LogsFetcher:
    """Runs KQL on the configured workspace or App Insights components."""

    def __init__(self, options: AzureOptions, credential: Any, counter: UsageCounter) -> None:
        self.options = options
        self.credential = credential
        self.counter = counter
        self._client: Any = None

    @property
    def configured(self) -> bool:
        return bool(self.options.workspace_id or self.options.app_insights)

    def client(self) -> Any:
        if self._client is None:
            from azure.monitor.query import LogsQueryClient

            cloud = self.options.endpoints()
            self._client = LogsQueryClient(
                self.credential,
                endpoint=self.options.logs_endpoint or cloud.logs,
                audience=cloud.logs.rstrip("/"),
                **client_kwargs(self.options),
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _targets(self) -> list[tuple[str, Schema, str]]:
        """(kind, schema, id) for each place to query."""
        if self.options.workspace_id:  # workspace-based components store their data there: ask once
            return [("workspace", WORKSPACE, self.options.workspace_id)]
        return [("resource", CLASSIC, rid) for rid in self.options.app_insights]

    def run(self, build: Any, window: TimeWindow) -> tuple[list[tuple[str, Any]], bool, list[str]]:
        """Run build(schema) on every target: ([(target id, table)], partial, warnings)."""
        from azure.core.exceptions import AzureError
        from azure.monitor.query import LogsQueryStatus

        if not self.configured:
            raise NotSupported("azure provider: set workspace_id or app_insights to query logs")
        tables: list[tuple[str, Any]] = []
        partial = False
        warnings: list[str] = []
        for kind, schema, target in self._targets():
            kql = build(schema)
            op = "logs:query_workspace" if kind == "workspace" else "logs:query_resource"
            self.counter.call(op)
            # the service stops the query itself at our deadline instead of working on for nobody
            server_timeout = max(1, int(self.options.timeout_s))
            try:
                if kind == "workspace":
                    res = self.client().query_workspace(
                        target, kql, timespan=(window.start, window.end), server_timeout=server_timeout
                    )
                else:
                    res = self.client().query_resource(
                        target, kql, timespan=(window.start, window.end), server_timeout=server_timeout
                    )
            except AzureError as exc:
                raise to_provider_error(exc, op) from exc
            except HttpError as exc:
                raise named(exc, op) from exc
            except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a malformed answer
                raise ProviderError(f"{op}: unexpected answer ({type(exc).__name__}: {exc})") from exc
            if res.status == LogsQueryStatus.PARTIAL:
                partial = True
                err = res.partial_error
                warnings.append(
                    f"partial result from {target}: {getattr(err, 'code', '')} "
                    f"{getattr(err, 'message', '')}".strip()
                )
                data = res.partial_data or []
            elif res.status == LogsQueryStatus.SUCCESS:
                data = res.tables or []
            else:
                raise ProviderError(f"{op}: query failed")
            tables += [(target, t) for t in data[:1]]
        return tables, partial, warnings

    def logs(self, q: LogQuery) -> LogResult:
        """The newest `q.limit` records (at most MAX_ROWS): each target is asked for one row more than
        that, so `truncated` says when more matched than are returned."""
        limit = max(1, min(int(q.limit), MAX_ROWS))
        tables, partial, warnings = self.run(lambda s: logs_query(q, s, take=limit + 1), q.window)
        records: list[LogRecord] = []
        for target, table in tables:
            cols = list(table.columns)
            for row in table.rows:
                r = dict(zip(cols, list(row), strict=False))
                records.append(self._record(r, target))
        records.sort(key=lambda r: r.timestamp, reverse=True)
        truncated = len(records) > limit or q.limit > MAX_ROWS
        if truncated:
            capped = f" (at most {MAX_ROWS:,} per query)" if q.limit > MAX_ROWS else ""
            warnings.append(
                f"newest {limit:,} records shown{capped}; more matched: narrow the query or the range"
            )
        return LogResult(
            tuple(records[:limit]),
            filtered_by_provider=True,
            partial=partial,
            truncated=truncated,
            warnings=tuple(warnings),
        )

    def _record(self, r: dict[str, Any], target: str) -> LogRecord:
        code = str(r.get("code") or "")
        op = str(r.get("op") or "") or None
        fn = str(r.get("fn") or "")
        app = str(r.get("app") or "")
        link = None
        if op and target.lower().startswith("/subscriptions/"):
            link = links.transaction(self.options, target, op)
        elif target.lower().startswith("/subscriptions/"):
            link = links.logs(self.options, target)
        return LogRecord(
            timestamp=_epoch(r.get("ts")),
            resource=fn or app,
            message=str(r.get("text") or ""),
            level=str(r.get("level") or "") or None,
            status=int(code) if code.isdigit() else None,
            duration_ms=_num(r.get("duration_ms")),
            request_id=op,
            fields={
                "kind": str(r.get("kind") or ""),
                "app": app,
                "function": fn,
                "success": _bool(r.get("ok")),
                "result_code": code,
            },
            link=link,
        )

    def health(
        self, window: TimeWindow, resources: Sequence[str], timeouts_s: Mapping[str, float] | None = None
    ) -> list[FunctionHealth]:
        """Per-function health; `timeouts_s` (app name, lower case -> functionTimeout) gives timeout_pct."""
        tables, _, _ = self.run(lambda s: health_query(window.start, window.end, resources, s), window)
        out: list[FunctionHealth] = []
        for _, table in tables:
            cols = list(table.columns)
            for row in table.rows:
                r = dict(zip(cols, list(row), strict=False))
                n = int(_num(r.get("invocations")) or 0)
                p99 = _num(r.get("p99_ms"))
                limit = (timeouts_s or {}).get(str(r.get("app") or "").lower())
                pct = round(p99 / (limit * 1000) * 100, 4) if p99 is not None and limit else None
                cold = int(_num(r.get("cold_starts")) or 0)
                out.append(
                    FunctionHealth(
                        function=str(r.get("fn") or ""),
                        invocations=n,
                        cold_starts=cold,
                        cold_start_pct=round(cold / n * 100, 4) if n else None,
                        init_ms_avg=None,
                        timeouts=int(_num(r.get("timeouts")) or 0),
                        oom=int(_num(r.get("oom")) or 0),
                        p50_ms=_num(r.get("p50_ms")),
                        p99_ms=p99,
                        timeout_pct=pct,
                        gb_seconds=0.0,
                        cost_usd=0.0,
                    )
                )
        return out
