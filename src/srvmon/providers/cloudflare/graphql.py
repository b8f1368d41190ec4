"""GraphQL text for the `workersInvocationsAdaptive` dataset and its `settings` node, and answer parsing.

Every value that comes from outside (account id, times, script names, statuses) travels as a GraphQL
variable, never spliced into the query text, so a script name cannot change the query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DATASET = "workersInvocationsAdaptive"

#: Time dimensions of the dataset, coarsest first: (field, seconds).
TIME_DIMS: tuple[tuple[str, int], ...] = (
    ("datetimeHour", 3600),
    ("datetimeFifteenMinutes", 900),
    ("datetimeFiveMinutes", 300),
    ("datetimeMinute", 60),
)
#: Documented fallbacks when the settings node cannot be read (one month per query, three months back).
DEFAULT_MAX_DURATION_S = 31 * 86400
DEFAULT_NOT_OLDER_THAN_S = 92 * 86400
DEFAULT_MAX_PAGE_SIZE = 10000
DEFAULT_MAX_FIELDS = 30

SETTINGS_QUERY = (
    "query SrvmonWorkersSettings($accountTag: string!) { viewer { accounts(filter: {accountTag: $accountTag}) "
    "{ settings { " + DATASET + " { enabled maxDuration maxNumberOfFields maxPageSize notOlderThan "
    "availableFields } } } } }"
)


@dataclass(frozen=True, slots=True)
class DatasetSettings:
    """What the account may ask of the dataset (the `settings` node), with the documented defaults."""

    enabled: bool = True
    max_duration_s: int = DEFAULT_MAX_DURATION_S
    not_older_than_s: int = DEFAULT_NOT_OLDER_THAN_S
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE
    max_fields: int = DEFAULT_MAX_FIELDS
    #: Field paths the account may select ("sum_requests", "quantiles_cpuTimeP50", ...); empty = unknown.
    available: frozenset[str] = frozenset()
    #: False when these are the documented defaults because the node could not be read.
    from_server: bool = True

    def has(self, path: str) -> bool:
        """Whether a field ("quantiles_wallTimeP99", "dimensions_datetimeHour") may be asked for.

        True when the list is unknown: empty, or in a form that does not even name `sum_requests`
        (then it is not trusted to rule anything out)."""
        names = self.available | {a.split("_", 1)[-1] for a in self.available}
        if not self.available or not {"sum_requests", "requests"} & names:
            return True
        return path in names or path.split("_", 1)[-1] in names


def parse_settings(node: Any) -> DatasetSettings:
    """The dataset's settings from `settings.workersInvocationsAdaptive`; bad numbers fall back to defaults."""
    if not isinstance(node, Mapping):
        return DatasetSettings(from_server=False)

    def num(key: str, default: int) -> int:
        v = node.get(key)
        return int(v) if isinstance(v, int | float) and not isinstance(v, bool) and v > 0 else default

    fields = node.get("availableFields")
    return DatasetSettings(
        enabled=node.get("enabled") is not False,
        max_duration_s=num("maxDuration", DEFAULT_MAX_DURATION_S),
        not_older_than_s=num("notOlderThan", DEFAULT_NOT_OLDER_THAN_S),
        max_page_size=num("maxPageSize", DEFAULT_MAX_PAGE_SIZE),
        max_fields=num("maxNumberOfFields", DEFAULT_MAX_FIELDS),
        available=frozenset(str(f).replace(".", "_") for f in fields)
        if isinstance(fields, list)
        else frozenset(),
    )


@dataclass(frozen=True, slots=True)
class Node:
    """One aliased `workersInvocationsAdaptive` selection: a time range, filters, dimensions and fields."""

    alias: str
    time_dim: str
    dims: tuple[str, ...]  # "scriptName" and/or "status"
    start: datetime
    end: datetime
    scripts: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    sums: tuple[str, ...] = ()
    quantiles: tuple[str, ...] = ()
    limit: int = DEFAULT_MAX_PAGE_SIZE

    @property
    def field_count(self) -> int:
        return len(self.sums) + len(self.quantiles) + 1 + len(self.dims)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: Any) -> int | None:
    """Epoch seconds of a dimension value ("2026-11-22T03:59:00Z", or a date "2026-11-22")."""
    if not isinstance(text, str):
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


@dataclass
class Built:
    """A query text with its variables."""

    text: str
    variables: dict[str, Any] = field(default_factory=dict)


def build_query(account_id: str, nodes: Sequence[Node]) -> Built:
    """One request holding every node as an aliased selection (each counts as one query in the budget)."""
    decls = ["$accountTag: string!"]
    variables: dict[str, Any] = {"accountTag": account_id}
    parts = []
    for n in nodes:
        a = n.alias
        decls += [f"$start_{a}: Time!", f"$end_{a}: Time!"]
        variables[f"start_{a}"] = iso(n.start)
        variables[f"end_{a}"] = iso(n.end)
        flt = [f"datetime_geq: $start_{a}", f"datetime_lt: $end_{a}"]
        if n.scripts is not None:
            decls.append(f"$scripts_{a}: [string!]")
            variables[f"scripts_{a}"] = list(n.scripts)
            flt.append(f"scriptName_in: $scripts_{a}")
        if n.statuses is not None:
            decls.append(f"$statuses_{a}: [string!]")
            variables[f"statuses_{a}"] = list(n.statuses)
            flt.append(f"status_in: $statuses_{a}")
        sel = []
        if n.sums:
            sel.append("sum { " + " ".join(n.sums) + " }")
        if n.quantiles:
            sel.append("quantiles { " + " ".join(n.quantiles) + " }")
        sel.append("dimensions { " + " ".join((n.time_dim, *n.dims)) + " }")
        parts.append(
            f"{a}: {DATASET}(limit: {int(n.limit)}, filter: {{{', '.join(flt)}}}, "
            f"orderBy: [{n.time_dim}_DESC]) {{ {' '.join(sel)} }}"
        )
    text = (
        f"query SrvmonWorkers({', '.join(decls)}) {{ viewer {{ accounts(filter: {{accountTag: $accountTag}}) "
        f"{{ {' '.join(parts)} }} }} }}"
    )
    return Built(text, variables)


def account_node(data: Any) -> Mapping[str, Any] | None:
    """`data.viewer.accounts[0]`, or None when the account is not visible to the token."""
    viewer = data.get("viewer") if isinstance(data, Mapping) else None
    accounts = viewer.get("accounts") if isinstance(viewer, Mapping) else None
    if isinstance(accounts, list) and accounts and isinstance(accounts[0], Mapping):
        return accounts[0]
    return None


def error_alias(error: Mapping[str, Any], aliases: set[str]) -> str | None:
    """The node alias an error's `path` names (["viewer", "accounts", 0, "q3"]), else None."""
    path = error.get("path")
    if isinstance(path, list):
        for part in path:
            if isinstance(part, str) and part in aliases:
                return part
    return None


def explain(message: str) -> str:
    """Cloudflare's own words, with the fix for the errors an operator can act on."""
    low = message.lower()
    if "not authorized" in low or "authz" in low or "permission" in low:
        return f"{message} (the API token needs Account Analytics Read on this account)"
    if "older than" in low:
        return f"{message} (the window reaches further back than this plan keeps Workers analytics)"
    if "number of fields" in low:
        return f"{message} (split the panel's query)"
    return message
