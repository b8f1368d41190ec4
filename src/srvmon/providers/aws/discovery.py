"""Resource discovery (functions, APIs, tables, queues + DLQs, state machines) with filters and a TTL cache.

Bounds: every listing stops at MAX_ITEMS items (botocore's PaginationConfig MaxItems) and says so in the
inventory warnings; hand-paged listings also stop at a repeated token. A target whose endpoint cannot be
reached (or whose credentials are rejected) is not asked for its remaining listings in the same round.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from srvmon.model import parse_duration
from srvmon.providers.aws.errors import (
    credentials_problem,
    describe,
    is_denied,
    is_throttle,
    is_unreachable,
    retry_after,
)
from srvmon.providers.aws.options import AwsOptions
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.base import ProviderError, UsageCounter


@dataclass(frozen=True, slots=True)
class Resource:
    """A discovered resource; `kind` is function|rest_api|http_api|table|queue|state_machine."""

    kind: str
    name: str
    target: Target
    arn: str = ""
    id: str = ""  # HTTP API id, queue URL
    memory_mb: int | None = None
    timeout_s: float | None = None
    arch: str = "x86_64"
    reserved: int | None = None
    read_capacity: float | None = None  # provisioned RCU (None = on-demand/unknown)
    write_capacity: float | None = None
    retention_s: int | None = None
    is_dlq: bool = False


@dataclass(frozen=True, slots=True)
class Inventory:
    resources: tuple[Resource, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def of(self, *kinds: str) -> list[Resource]:
        return [r for r in self.resources if r.kind in kinds]

    def functions(self) -> list[Resource]:
        return self.of("function")


def name_allowed(name: str, include: Iterable[str], exclude: Iterable[str]) -> bool:
    """Glob filters: kept when it matches an include pattern (or there are none) and no exclude one."""
    inc = list(include)
    if inc and not any(fnmatch.fnmatchcase(name, p) for p in inc):
        return False
    return not any(fnmatch.fnmatchcase(name, p) for p in exclude)


#: Reserved concurrency changes rarely; each function's value is re-read at most this often.
RESERVED_TTL_S = 3600
#: Items one listing (functions, tables, queues ...) returns at most; more is cut and said.
MAX_ITEMS = 20_000
#: Named functions looked up one by one (GetFunctionConfiguration) rather than by listing them all.
MAX_LOOKUPS = 20


class Discovery:
    """Lists resources once per TTL per target; listing failures become warnings, never crashes."""

    def __init__(
        self,
        sessions: Sessions,
        options: AwsOptions,
        counter: UsageCounter,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.options = options
        self.counter = counter
        self._monotonic = monotonic
        self._ttl = parse_duration(options.discovery_ttl)
        self._lock = threading.Lock()
        self._cached: Inventory | None = None
        self._reserved_cache: dict[tuple[Target, str], tuple[float, int | None]] = {}
        self._at = 0.0
        self._capped: list[str] = []

    def inventory(self, *, force: bool = False) -> Inventory:
        with self._lock:
            now = self._monotonic()
            if force or self._cached is None or now - self._at >= self._ttl:
                self._cached = self._discover()
                self._at = now
            return self._cached

    # -- listing -----------------------------------------------------------------------------------
    def cached(self) -> Inventory | None:
        """The inventory if one was listed within the TTL (no calls), else None."""
        with self._lock:
            if self._cached is not None and self._monotonic() - self._at < self._ttl:
                return self._cached
            return None

    def _discover(self) -> Inventory:
        found: list[Resource] = []
        warnings: list[str] = []
        self._capped = []
        attempts, failures, throttled = 0, 0, False
        wait: float | None = None
        listers = (
            self._functions,
            self._rest_apis,
            self._http_apis,
            self._tables,
            self._queues,
            self._state_machines,
        )
        for target in self.sessions.targets():
            where = f"{target.account}/{target.region}"
            for i, lister in enumerate(listers):
                attempts += 1
                try:
                    found.extend(lister(target))
                except Exception as exc:  # one missing permission must not hide the rest
                    failures += 1
                    throttled = throttled or is_throttle(exc)
                    wait = retry_after(exc) if is_throttle(exc) else wait
                    if is_throttle(exc) or is_denied(exc) or hasattr(exc, "response") or is_unreachable(exc):
                        warnings.append(f"{where}: {describe(exc, lister.__name__[1:])}")
                    else:
                        warnings.append(f"{where}: {lister.__name__[1:]}: {exc}")
                    if is_unreachable(exc) or credentials_problem(exc) is not None:
                        # every other listing of this target would fail the same way (or wait as long)
                        skipped = len(listers) - i - 1
                        attempts += skipped
                        failures += skipped
                        if skipped:
                            warnings.append(f"{where}: {skipped} other listing(s) skipped")
                        break
        if attempts and failures == attempts:
            # nothing could be listed at all (no credentials, no network, every permission missing)
            raise ProviderError(
                f"resource discovery failed: {warnings[0]}", throttled=throttled, retry_after_s=wait
            )
        kept = [r for r in found if name_allowed(r.name, self.options.include, self.options.exclude)]
        if self.options.tags:
            try:
                tagged = self._tagged_arns()
                kept = [r for r in kept if (r.arn or r.id) in tagged]
            except Exception as exc:
                warnings.append(describe(exc, "GetResources"))
        warnings.extend(self._capped)
        return Inventory(tuple(kept), tuple(warnings))

    def _pages(self, client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
        paginator = client.get_paginator(operation)
        items: list[Any] = []
        api = client.meta.method_to_api_mapping.get(operation, operation)
        for page in paginator.paginate(**kwargs, PaginationConfig={"MaxItems": MAX_ITEMS}):
            self.counter.call(api)
            items.extend(page.get(key, []))
        if len(items) >= MAX_ITEMS:
            self._capped.append(f"{api}: listed the first {MAX_ITEMS:,} only (srvmon's cap per listing)")
        return items[:MAX_ITEMS]

    def functions_of(self, target: Target, names: Iterable[str] | None = None) -> list[Resource]:
        """Functions of `target` (all, or those `names`) for their settings: from the cached inventory
        when fresh, else one GetFunctionConfiguration per name (up to MAX_LOOKUPS), else ListFunctions
        alone (no reserved concurrency, no other resource kinds): only what a logs/health query needs."""
        wanted = None if names is None else list(dict.fromkeys(names))
        cached = self.cached()
        if cached is not None:
            return [
                f for f in cached.functions() if f.target == target and (wanted is None or f.name in wanted)
            ]
        client = self.sessions.client("lambda", target)
        if wanted is not None and len(wanted) <= MAX_LOOKUPS:
            out = []
            for name in wanted:
                self.counter.call("GetFunctionConfiguration")
                try:
                    fn = client.get_function_configuration(FunctionName=name)
                except Exception:
                    continue  # not a function (a custom log group) or not readable: defaults apply
                out.append(_function(fn, target, None))
            return out
        listed = self._functions(target, reserved=False)
        return [f for f in listed if wanted is None or f.name in wanted]

    def _functions(self, target: Target, *, reserved: bool = True) -> list[Resource]:
        client = self.sessions.client("lambda", target)
        out = []
        for fn in self._pages(client, "list_functions", "Functions"):
            name = fn["FunctionName"]
            if not name_allowed(name, self.options.include, self.options.exclude):
                continue
            value = (
                self._reserved(client, target, name)
                if reserved and self.options.reserved_concurrency
                else None
            )
            out.append(_function(fn, target, value))
        return out

    def _reserved(self, client: Any, target: Target, name: str) -> int | None:
        """Reserved concurrency, re-read at most every RESERVED_TTL_S per function (one call each, so a
        5,000-function fleet is not re-asked every discovery)."""
        key = (target, name)
        now = self._monotonic()
        hit = self._reserved_cache.get(key)
        if hit is not None and now - hit[0] < max(RESERVED_TTL_S, self._ttl):
            return hit[1]
        self.counter.call("GetFunctionConcurrency")
        try:
            value = client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
        except Exception:
            return hit[1] if hit else None
        reserved = int(value) if isinstance(value, int) else None
        self._reserved_cache[key] = (now, reserved)
        return reserved

    def _rest_apis(self, target: Target) -> list[Resource]:
        client = self.sessions.client("apigateway", target)
        return [
            Resource(
                "rest_api",
                api["name"],
                target,
                id=api["id"],
                arn=f"arn:aws:apigateway:{target.region}::/restapis/{api['id']}",
            )
            for api in self._pages(client, "get_rest_apis", "items")
        ]

    def _http_apis(self, target: Target) -> list[Resource]:
        client = self.sessions.client("apigatewayv2", target)
        self.counter.call("GetApis")
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = client.get_apis(**({"NextToken": token} if token else {}))
            items.extend(page.get("Items", []))
            new_token = page.get("NextToken")
            if not new_token or new_token == token:
                break
            if len(items) >= MAX_ITEMS:
                self._capped.append(
                    f"GetApis: listed the first {MAX_ITEMS:,} only (srvmon's cap per listing)"
                )
                break
            token = new_token
            self.counter.call("GetApis")
        return [
            Resource(
                "http_api",
                api["Name"],
                target,
                id=api["ApiId"],
                arn=f"arn:aws:apigateway:{target.region}::/apis/{api['ApiId']}",
            )
            for api in items
            if api.get("ProtocolType", "HTTP") == "HTTP"
        ]

    def _tables(self, target: Target) -> list[Resource]:
        client = self.sessions.client("dynamodb", target)
        out = []
        for name in self._pages(client, "list_tables", "TableNames"):
            if not name_allowed(name, self.options.include, self.options.exclude):
                continue
            self.counter.call("DescribeTable")
            table = client.describe_table(TableName=name)["Table"]
            prov = table.get("ProvisionedThroughput") or {}
            on_demand = (table.get("BillingModeSummary") or {}).get("BillingMode") == "PAY_PER_REQUEST"
            rcu = float(prov.get("ReadCapacityUnits") or 0) or None
            wcu = float(prov.get("WriteCapacityUnits") or 0) or None
            out.append(
                Resource(
                    "table",
                    name,
                    target,
                    arn=table.get("TableArn", ""),
                    read_capacity=None if on_demand else rcu,
                    write_capacity=None if on_demand else wcu,
                )
            )
        return out

    def _queues(self, target: Target) -> list[Resource]:
        client = self.sessions.client("sqs", target)
        urls = self._pages(client, "list_queues", "QueueUrls")
        attrs: dict[str, dict[str, str]] = {}
        for url in urls:
            if not name_allowed(url.rsplit("/", 1)[-1], self.options.include, self.options.exclude):
                continue
            self.counter.call("GetQueueAttributes")
            attrs[url] = client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy", "MessageRetentionPeriod"]
            ).get("Attributes", {})
        dlq_arns = set()
        for a in attrs.values():
            try:
                dlq_arns.add(json.loads(a.get("RedrivePolicy", "{}")).get("deadLetterTargetArn"))
            except ValueError:
                continue
        out = []
        for url, a in attrs.items():
            arn = a.get("QueueArn", "")
            retention = a.get("MessageRetentionPeriod")
            out.append(
                Resource(
                    "queue",
                    url.rsplit("/", 1)[-1],
                    target,
                    arn=arn,
                    id=url,
                    retention_s=int(retention) if retention else None,
                    is_dlq=arn in dlq_arns,
                )
            )
        return out

    def _state_machines(self, target: Target) -> list[Resource]:
        client = self.sessions.client("stepfunctions", target)
        return [
            Resource("state_machine", sm["name"], target, arn=sm["stateMachineArn"])
            for sm in self._pages(client, "list_state_machines", "stateMachines")
        ]

    def _tagged_arns(self) -> set[str]:
        wanted = [{"Key": k, "Values": [v]} for k, v in self.options.tags.items()]
        arns: set[str] = set()
        for target in self.sessions.targets():
            client = self.sessions.client("resourcegroupstaggingapi", target)
            for item in self._pages(client, "get_resources", "ResourceTagMappingList", TagFilters=wanted):
                arns.add(item["ResourceARN"])
        return arns


def _function(fn: dict[str, Any], target: Target, reserved: int | None) -> Resource:
    """A ListFunctions item (or GetFunctionConfiguration answer) as a Resource."""
    archs = fn.get("Architectures") or ["x86_64"]
    return Resource(
        "function",
        fn["FunctionName"],
        target,
        arn=fn.get("FunctionArn", ""),
        memory_mb=fn.get("MemorySize"),
        timeout_s=float(fn["Timeout"]) if fn.get("Timeout") else None,
        arch=archs[0],
        reserved=reserved,
    )
