"""RDS / Aurora behind Lambda, as limits: connections against max_connections, Aurora Serverless v2
capacity against the cluster's maximum ACU, RDS Proxy database connections against what it may open.

Limit names (Limit.resource is the instance, cluster member or proxy):

* ``rds_connections:<instance>`` - CloudWatch ``DatabaseConnections`` (Maximum, last 15 min) against
  ``max_connections`` from the instance's DB parameter group (DescribeDBParameters), evaluated when it
  is a formula (rdsformula.py: the engine defaults such as ``LEAST({DBInstanceClassMemory/9531392},
  5000)``, with srvmon's DBInstanceClassMemory estimate), or `rds_max_connections` when set;
  ``rds_connections_top`` - the instance closest to its maximum;
* ``rds_acu:<instance>`` - Aurora Serverless v2 ``ServerlessDatabaseCapacity`` (Maximum) of a
  db.serverless instance against its cluster's ``MaxCapacity`` (DescribeDBClusters); ``rds_acu_top``;
* ``rds_proxy_connections:<proxy>`` - the proxy's ``DatabaseConnections`` against its
  ``MaxDatabaseConnectionsAllowed`` (both Maximum, dimension ProxyName); ``rds_proxy_connections_top``.

The instance, cluster, proxy and parameter listings are cached for `discovery_ttl`. A limit that cannot
be read is in `unavailable` with the failed call or the reason (an engine without max_connections, an
instance class srvmon has no memory figure for). Every call is read-only and counted in usage (RDS
Describe* calls are free; the metrics are GetMetricData, priced per metric).

DescribeDBParameters lists every parameter of a group, engine defaults included (Source
"engine-default"); when an answer holds no max_connections row (an emulator that lists only what was
set), the engine's documented default formula (rdsformula.ENGINE_DEFAULTS) is used.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from srvmon.model import Limit, TimeWindow
from srvmon.providers.aws.errors import describe, is_denied, is_throttle
from srvmon.providers.aws.limits import LOOKBACK_S, LimitList
from srvmon.providers.aws.metrics import MetricsRunner
from srvmon.providers.aws.queries import Leaf
from srvmon.providers.aws.rdsformula import (
    ENGINE_DEFAULTS,
    GIB,
    GIB_PER_ACU,
    FormulaError,
    class_memory,
    evaluate,
    nominal_gib,
)
from srvmon.providers.aws.session import Sessions, Target
from srvmon.providers.aws.xray import as_dict, as_list
from srvmon.providers.base import ProviderError, UsageCounter

PREFIXES = ("rds_connections:", "rds_acu:", "rds_proxy_connections:")
TOPS = ("rds_connections_top", "rds_acu_top", "rds_proxy_connections_top")
#: Instances, clusters or proxies one listing returns at most per target.
MAX_ITEMS = 1000
#: DescribeDBParameters pages read at most per group (a default group has ~400 parameters, 100 a page).
MAX_PARAMETER_PAGES = 10


def is_rds_limit(name: str) -> bool:
    return name in TOPS or name.startswith(PREFIXES)


@dataclass(frozen=True, slots=True)
class DbInstance:
    target: Target
    id: str
    engine: str
    instance_class: str
    parameter_group: str | None
    cluster: str | None = None
    allocated_gib: int = 0
    port: int | None = None


@dataclass(slots=True)
class Fleet:
    """What one round of listings found: instances, Serverless v2 max ACU per cluster, proxies."""

    instances: list[DbInstance] = field(default_factory=list)
    max_acu: dict[tuple[Target, str], float] = field(default_factory=dict)
    proxies: list[tuple[Target, str]] = field(default_factory=list)
    #: Listing failures: what could not be read -> why.
    failed: dict[str, str] = field(default_factory=dict)
    #: A failure that may pass (throttling, an endpoint down): the listing is not cached.
    transient: bool = False


class RdsReader:
    """Lists DB instances, clusters and proxies, reads max_connections, and computes the RDS limits."""

    def __init__(
        self,
        sessions: Sessions,
        counter: UsageCounter,
        runner: MetricsRunner,
        ttl_s: float,
        overrides: Mapping[str, int],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.counter = counter
        self.runner = runner
        self.ttl_s = ttl_s
        self.overrides = dict(overrides)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._fleet: tuple[float, Fleet] | None = None
        self._params: dict[tuple[Target, str], tuple[float, str | None]] = {}

    # -- listings ------------------------------------------------------------------------------------
    def fleet(self, targets: list[Target]) -> Fleet:
        with self._lock:
            if self._fleet is not None and self._monotonic() - self._fleet[0] < self.ttl_s:
                return self._fleet[1]
        found = Fleet()
        for t in targets:
            self._list(t, found)
        with self._lock:
            if not found.transient:  # a denied listing is not asked again before the TTL either
                self._fleet = (self._monotonic(), found)
        return found

    def _pages(self, t: Target, op: str, method: str, key: str, **kw: Any) -> list[dict[str, Any]]:
        client = self.sessions.client("rds", t)
        out: list[dict[str, Any]] = []
        for page in client.get_paginator(method).paginate(PaginationConfig={"MaxItems": MAX_ITEMS}, **kw):
            self.counter.call(op)
            out.extend(x for x in page.get(key, []) if isinstance(x, dict))
        return out

    def _list(self, t: Target, found: Fleet) -> None:
        where = f" ({t.account}/{t.region})" if t.account != "default" else ""
        for op, method, key in (
            ("DescribeDBInstances", "describe_db_instances", "DBInstances"),
            ("DescribeDBClusters", "describe_db_clusters", "DBClusters"),
            ("DescribeDBProxies", "describe_db_proxies", "DBProxies"),
        ):
            try:
                items = self._pages(t, op, method, key)
            except Exception as exc:
                found.failed[op] = f"{describe(exc)}{where}"
                found.transient = found.transient or not is_denied(exc)
                continue
            for item in items:
                if key == "DBInstances":
                    inst = _instance(t, item)
                    if inst is not None:
                        found.instances.append(inst)
                elif key == "DBClusters":
                    scaling = item.get("ServerlessV2ScalingConfiguration") or {}
                    top = scaling.get("MaxCapacity") if isinstance(scaling, dict) else None
                    if (
                        isinstance(item.get("DBClusterIdentifier"), str)
                        and isinstance(top, int | float)
                        and top > 0
                    ):
                        found.max_acu[(t, item["DBClusterIdentifier"])] = float(top)
                elif isinstance(item.get("DBProxyName"), str):
                    found.proxies.append((t, item["DBProxyName"]))

    def max_connections_value(self, inst: DbInstance) -> str | None:
        """The max_connections value (integer or formula text) of the instance's parameter group, None
        when the group's answer has no such row; raises what DescribeDBParameters raised."""
        if inst.parameter_group is None:
            return None
        key = (inst.target, inst.parameter_group)
        with self._lock:
            hit = self._params.get(key)
            if hit is not None and self._monotonic() - hit[0] < self.ttl_s:
                return hit[1]
        client = self.sessions.client("rds", inst.target)
        value: str | None = None
        kwargs: dict[str, Any] = {"DBParameterGroupName": inst.parameter_group, "MaxRecords": 100}
        for _ in range(MAX_PARAMETER_PAGES):
            self.counter.call("DescribeDBParameters")
            page = client.describe_db_parameters(**kwargs)
            for p in page.get("Parameters", []):
                if isinstance(p, dict) and p.get("ParameterName") == "max_connections":
                    v = p.get("ParameterValue")
                    value = v if isinstance(v, str) and v.strip() else None
            marker = page.get("Marker")
            if value is not None or not marker:
                break
            kwargs["Marker"] = marker
        with self._lock:
            self._params[key] = (self._monotonic(), value)
        return value

    # -- max_connections -----------------------------------------------------------------------------
    def max_connections(self, inst: DbInstance, max_acu: float | None) -> int:
        """The instance's max_connections; ProviderError (the message says why) when it cannot be known."""
        if inst.id in self.overrides:
            return self.overrides[inst.id]
        engine = inst.engine
        if engine not in ENGINE_DEFAULTS:
            raise ProviderError(
                f"engine {engine!r}: srvmon reads max_connections for MySQL, MariaDB, PostgreSQL and Aurora;"
                f" set rds_max_connections = {{ {inst.id} = N }}"
            )
        try:
            text = self.max_connections_value(inst)
        except Exception as exc:
            raise ProviderError(f"DescribeDBParameters failed: {describe(exc)}",
                                throttled=is_throttle(exc)) from exc  # fmt: skip
        text = text or ENGINE_DEFAULTS[engine]
        if text.strip().isdigit():
            return int(text.strip())
        if inst.instance_class == "db.serverless":
            if max_acu is None:
                raise ProviderError(
                    f"{inst.id} is db.serverless but its cluster has no Serverless v2 maximum"
                )
            gib = max_acu * GIB_PER_ACU
        else:
            known = nominal_gib(inst.instance_class)
            if known is None:
                raise ProviderError(
                    f"instance class {inst.instance_class} is not in srvmon's memory table, so"
                    f" max_connections = {text} cannot be evaluated; set rds_max_connections ="
                    f" {{ {inst.id} = N }}"
                )
            gib = known
        variables = {"DBInstanceClassMemory": float(class_memory(gib)),
                     "AllocatedStorage": float(inst.allocated_gib * GIB)}  # fmt: skip
        if inst.port is not None:
            variables["EndPointPort"] = float(inst.port)
        try:
            return evaluate(text, variables)
        except FormulaError as exc:
            raise ProviderError(f"max_connections = {text!r} cannot be evaluated: {exc}") from exc

    # -- limits --------------------------------------------------------------------------------------
    def limits(self, targets: list[Target], now: datetime, names: Collection[str] = ()) -> LimitList:
        """The RDS limits named (every one when `names` is empty); see the module docstring."""
        wanted = set(names)
        every = not wanted

        def asked(prefix: str, top: str) -> bool:
            return every or top in wanted or any(n.startswith(prefix) for n in wanted)

        fleet = self.fleet(targets)
        out = LimitList()
        for op, reason in fleet.failed.items():
            for name in _names_of(op):
                out.unavailable.setdefault(name, f"{op} failed: {reason}")
        leaves: list[Leaf] = []
        conn = asked("rds_connections:", "rds_connections_top")
        acu = asked("rds_acu:", "rds_acu_top")
        proxy = asked("rds_proxy_connections:", "rds_proxy_connections_top")
        ceilings: dict[str, tuple[DbInstance, float]] = {}
        for inst in fleet.instances if conn else []:
            name = f"rds_connections:{inst.id}"
            if not (every or name in wanted or "rds_connections_top" in wanted):
                continue
            try:
                ceilings[name] = (
                    inst,
                    float(self.max_connections(inst, fleet.max_acu.get((inst.target, inst.cluster or "")))),
                )
            except ProviderError as exc:
                out.unavailable[name] = str(exc)
                continue
            leaves.append(_leaf(inst.target, "DatabaseConnections", "DBInstanceIdentifier", inst.id))
        acus: dict[str, tuple[DbInstance, float]] = {}
        for inst in fleet.instances if acu else []:
            most = fleet.max_acu.get((inst.target, inst.cluster or ""))
            if inst.instance_class != "db.serverless" or most is None:
                continue
            acus[f"rds_acu:{inst.id}"] = (inst, most)
            leaves.append(_leaf(inst.target, "ServerlessDatabaseCapacity", "DBInstanceIdentifier", inst.id))
        for t, p in fleet.proxies if proxy else []:
            leaves.append(_leaf(t, "DatabaseConnections", "ProxyName", p))
            leaves.append(_leaf(t, "MaxDatabaseConnectionsAllowed", "ProxyName", p))
        fetched = self.runner.fetch(leaves, TimeWindow.ending_at(now, LOOKBACK_S, 60), now)

        def peak(leaf: Leaf) -> float | None:
            present = [v for v in fetched.values.get(leaf.key()) or () if v is not None]
            return max(present) if present else None

        def metric_failed(leaf: Leaf) -> str | None:
            f = fetched.errors.get(leaf.key())
            return f"GetMetricData failed: {f.message}" if f is not None else None

        conns: list[Limit] = []
        for name, (inst, ceiling) in ceilings.items():
            leaf = _leaf(inst.target, "DatabaseConnections", "DBInstanceIdentifier", inst.id)
            if (why := metric_failed(leaf)) is not None:
                out.unavailable[name] = why
                continue
            conns.append(Limit(name, peak(leaf) or 0.0, ceiling, inst.id, "connections"))
        caps: list[Limit] = []
        for name, (inst, most) in acus.items():
            leaf = _leaf(inst.target, "ServerlessDatabaseCapacity", "DBInstanceIdentifier", inst.id)
            if (why := metric_failed(leaf)) is not None:
                out.unavailable[name] = why
                continue
            caps.append(Limit(name, peak(leaf) or 0.0, most, inst.id, "ACU"))
        proxies: list[Limit] = []
        for t, p in fleet.proxies if proxy else []:
            name = f"rds_proxy_connections:{p}"
            used_leaf = _leaf(t, "DatabaseConnections", "ProxyName", p)
            cap_leaf = _leaf(t, "MaxDatabaseConnectionsAllowed", "ProxyName", p)
            why = metric_failed(used_leaf) or metric_failed(cap_leaf)
            allowed = peak(cap_leaf)
            if why is None and not allowed:
                why = (f"no MaxDatabaseConnectionsAllowed datapoints for proxy {p} in the last 15 min (the"
                       " proxy publishes it once a client has connected)")  # fmt: skip
            if why is not None:
                out.unavailable[name] = why
                continue
            proxies.append(Limit(name, peak(used_leaf) or 0.0, allowed or 0.0, p, "connections"))
        for group, top_name in ((conns, "rds_connections_top"), (caps, "rds_acu_top"),
                                (proxies, "rds_proxy_connections_top")):  # fmt: skip
            out.extend(group)
            if group:
                best = max(group, key=lambda lim: (lim.used / lim.limit if lim.limit else 0.0, lim.resource))
                out.append(Limit(top_name, best.used, best.limit, best.resource, best.unit))
            elif top_name not in out.unavailable and (every or top_name in wanted):
                out.unavailable[top_name] = _none_found(top_name, fleet)
        if not every:
            out[:] = [lim for lim in out if lim.name in wanted]
            for name in wanted - {lim.name for lim in out}:
                out.unavailable.setdefault(name, _missing(name, fleet))
            out.unavailable = {k: v for k, v in out.unavailable.items() if k in wanted}
        return out


def _leaf(t: Target, metric: str, dim: str, value: str) -> Leaf:
    return Leaf(t, "AWS/RDS", metric, ((dim, value),), "Maximum", ())


def _instance(t: Target, d: dict[str, Any]) -> DbInstance | None:
    ident, engine, cls = d.get("DBInstanceIdentifier"), d.get("Engine"), d.get("DBInstanceClass")
    if not (isinstance(ident, str) and isinstance(engine, str) and isinstance(cls, str)):
        return None
    groups = as_list(d.get("DBParameterGroups"))
    group = next((g.get("DBParameterGroupName") for g in groups if isinstance(g, dict)), None)
    endpoint = as_dict(d.get("Endpoint"))
    port = endpoint.get("Port") if isinstance(endpoint.get("Port"), int) else None
    storage = d.get("AllocatedStorage")
    return DbInstance(
        t, ident, engine, cls, group if isinstance(group, str) else None,
        d.get("DBClusterIdentifier") if isinstance(d.get("DBClusterIdentifier"), str) else None,
        storage if isinstance(storage, int) else 0, port,
    )  # fmt: skip


def _names_of(op: str) -> tuple[str, ...]:
    return {
        "DescribeDBInstances": ("rds_connections_top", "rds_acu_top"),
        "DescribeDBClusters": ("rds_acu_top",),
        "DescribeDBProxies": ("rds_proxy_connections_top",),
    }.get(op, ())


def _none_found(top_name: str, fleet: Fleet) -> str:
    what = {"rds_connections_top": "DB instances whose max_connections srvmon could read",
            "rds_acu_top": "Aurora Serverless v2 (db.serverless) instances",
            "rds_proxy_connections_top": "RDS proxies with connection metrics"}[top_name]  # fmt: skip
    return f"no {what} in this account and region"


def _missing(name: str, fleet: Fleet) -> str:
    ident = name.split(":", 1)[1] if ":" in name else ""
    listing = "DescribeDBProxies" if name.startswith("rds_proxy") else "DescribeDBInstances"
    if listing in fleet.failed:
        return f"{listing} failed: {fleet.failed[listing]}"
    if name.startswith("rds_proxy_connections:"):
        known = sorted(p for _, p in fleet.proxies)
        return f"no RDS proxy named {ident!r} (proxies: {', '.join(known) or 'none'})"
    known = sorted(i.id for i in fleet.instances)
    if name.startswith("rds_acu:") and ident in known:
        return f"{ident} is not an Aurora Serverless v2 (db.serverless) instance"
    return f"no DB instance named {ident!r} (instances: {', '.join(known[:20]) or 'none'})"
