"""CloudTrail LookupEvents records of deploy and config writes -> ChangeEvent (kind, summary, actor, link).

Which writes are read, and what they mean:

=====================================  ===============  =====================================
eventName (Lambda names carry the      kind             summary
API version, as CloudTrail logs them)
=====================================  ===============  =====================================
UpdateFunctionCode20150331v2           deploy           code updated (sha256 ...) [published v7]
UpdateFunctionConfiguration20150331v2  config           configuration changed: memorySize=1024, environment
PublishVersion20150331                 deploy           published version 7
UpdateAlias20150331                    deploy           alias live -> v7 (10 % on v8)
PutFunctionConcurrency20171031         config           reserved concurrency set to 50
CreateDeployment (API Gateway v1/v2)   deploy           API deployment to stage prod
UpdateStage                            deploy | config  stage prod on a new deployment | stage updated: paths
UpdateTable (DynamoDB)                 scale | config   capacity 200 RCU / 100 WCU | settings: billingMode
UpdateStateMachine                     deploy | config  definition updated | settings updated: tracing
=====================================  ===============  =====================================

A call that failed (the record has an errorCode) changed nothing and is skipped. Values that may be
secret (environment variables, stage variables, definitions) are never shown: only which keys changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from srvmon.model import ChangeEvent, EventKind
from srvmon.providers.aws.links import cloudtrail_event_link

SOURCE = "CloudTrail"
#: The writes srvmon looks up, one LookupEvents query each (LookupEvents takes one attribute per call).
EVENT_NAMES = (
    "UpdateFunctionCode20150331v2",
    "UpdateFunctionConfiguration20150331v2",
    "PublishVersion20150331",
    "UpdateAlias20150331",
    "PutFunctionConcurrency20171031",
    "CreateDeployment",
    "UpdateStage",
    "UpdateTable",
    "UpdateStateMachine",
)
#: Configuration keys whose values are safe and useful to show; any other changed key is named only.
_SHOWN = {"memorySize", "timeout", "runtime", "handler", "reservedConcurrentExecutions"}
#: The largest CloudTrailEvent JSON parsed (AWS caps a record near 256 KB).
MAX_RECORD_CHARS = 300_000


def _base_name(value: Any) -> str:
    """A Lambda function name from a name, ARN or partial ARN ('123:function:name:alias' -> 'name')."""
    text = str(value or "")
    if ":function:" in text:
        return text.split(":function:", 1)[1].split(":", 1)[0]
    parts = text.split(":")
    return parts[1] if len(parts) > 1 and parts[0].isdigit() else parts[0]  # 'name:qualifier' -> 'name'


def actor_of(detail: Mapping[str, Any], username: Any = None) -> str | None:
    """Who made the call, from the record's userIdentity: a user name, 'role/session', 'root' or a service."""
    ident = detail.get("userIdentity")
    if isinstance(ident, Mapping):
        kind = str(ident.get("type") or "")
        arn = str(ident.get("arn") or "")
        if kind == "IAMUser" and ident.get("userName"):
            return str(ident["userName"])
        if kind == "AssumedRole" and "assumed-role/" in arn:
            return arn.split("assumed-role/", 1)[1]
        if kind == "Root":
            return "root"
        if kind == "AWSService":
            return str(ident.get("invokedBy") or "AWS service")
        if ident.get("userName"):
            return str(ident["userName"])
        if arn:
            return arn.rsplit("/", 1)[-1] if "/" in arn else arn
        if ident.get("principalId"):
            return str(ident["principalId"])
    return str(username) if username else None


def _changed_keys(params: Mapping[str, Any], skip: set[str]) -> str:
    parts = []
    for key in sorted(params):
        if key in skip:
            continue
        value = params[key]
        if key in _SHOWN and isinstance(value, int | float | str) and not isinstance(value, bool):
            parts.append(f"{key}={value}")
        else:
            parts.append(key)
    return ", ".join(parts)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _detail(item: Mapping[str, Any]) -> dict[str, Any]:
    raw = item.get("CloudTrailEvent")
    if not isinstance(raw, str) or len(raw) > MAX_RECORD_CHARS:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _map(d: Mapping[str, Any]) -> dict[str, Any]:
    return dict(d) if isinstance(d, Mapping) else {}


def from_lookup(
    item: Mapping[str, Any], region: str, api_names: Mapping[str, str] | None = None
) -> ChangeEvent | None:
    """One LookupEvents `Events[]` item as a ChangeEvent, or None for a failed call or an unknown name.

    `api_names` maps API Gateway ids to names (from discovery) so events land on the API's panels."""
    name = str(item.get("EventName") or "")
    at = _time(item.get("EventTime"))
    detail = _detail(item)
    if at is None or detail.get("errorCode"):
        return None
    req = _map(detail.get("requestParameters") or {})
    resp = _map(detail.get("responseElements") or {})
    event_id = str(item.get("EventId") or detail.get("eventID") or "")
    kind: EventKind
    version: str | None = None
    stable_id = f"ct:{event_id}"
    resources: tuple[str, ...]
    if name.startswith("UpdateFunctionCode"):
        fn = _base_name(req.get("functionName") or resp.get("functionName"))
        sha = str(resp.get("codeSha256") or "")
        kind, summary = "deploy", "code updated" + (f" (sha256 {sha[:8]})" if sha else "")
        if req.get("publish") and resp.get("version"):
            version = str(resp["version"])
            summary += f", published version {version}"
            stable_id = f"lambda:{fn}:version:{version}"
        resources = (fn,)
    elif name.startswith("UpdateFunctionConfiguration"):
        fn = _base_name(req.get("functionName"))
        keys = _changed_keys(req, {"functionName", "revisionId"})
        kind, summary, resources = "config", "configuration changed" + (f": {keys}" if keys else ""), (fn,)
    elif name.startswith("PublishVersion"):
        fn = _base_name(req.get("functionName") or resp.get("functionName"))
        version = str(resp.get("version") or "") or None
        desc = str(resp.get("description") or req.get("description") or "")
        summary = f"published version {version or '?'}" + (f": {desc[:120]}" if desc else "")
        kind, resources = "deploy", (fn,)
        if version:
            stable_id = f"lambda:{fn}:version:{version}"
    elif name.startswith("UpdateAlias"):
        fn = _base_name(req.get("functionName"))
        alias = str(req.get("name") or resp.get("name") or "?")
        version = str(req.get("functionVersion") or resp.get("functionVersion") or "") or None
        summary = f"alias {alias} → " + (f"v{version}" if version and version.isdigit() else str(version))
        weights = _map(_map(req.get("routingConfig") or {}).get("additionalVersionWeights") or {})
        for v, w in sorted(weights.items()):
            try:
                summary += f" ({float(w) * 100:g}% on v{v})"
            except (TypeError, ValueError):
                continue
        kind, resources = "deploy", (fn,)
        if version:
            stable_id = f"lambda:{fn}:alias:{alias}:{version}"
    elif name.startswith("PutFunctionConcurrency"):
        fn = _base_name(req.get("functionName"))
        value = req.get("reservedConcurrentExecutions")
        kind, summary, resources = "config", f"reserved concurrency set to {value}", (fn,)
    elif name in ("CreateDeployment", "UpdateStage"):
        api_id = str(req.get("restApiId") or req.get("apiId") or "")
        api = (api_names or {}).get(api_id, api_id)
        stage = str(req.get("stageName") or "")
        resources = (api, api_id) if api != api_id else (api,)
        if name == "CreateDeployment":
            desc = str(req.get("description") or "")
            kind = "deploy"
            summary = (
                "API deployment"
                + (f" to stage {stage}" if stage else "")
                + (f": {desc[:120]}" if desc else "")
            )
            version = str(resp.get("id") or resp.get("deploymentId") or "") or None
        else:
            paths = [
                str(op.get("path")) for op in req.get("patchOperations") or [] if isinstance(op, Mapping)
            ]
            if "/deploymentId" in paths or req.get("deploymentId"):
                kind, summary = "deploy", f"stage {stage} moved to another deployment"
            else:
                keys = ", ".join(paths) or _changed_keys(req, {"restApiId", "apiId", "stageName"})
                kind, summary = "config", f"stage {stage} updated" + (f": {keys}" if keys else "")
    elif name == "UpdateTable":
        table = str(req.get("tableName") or "")
        resources = (table,)
        tp = _map(req.get("provisionedThroughput") or {})
        gsi = req.get("globalSecondaryIndexUpdates")
        if tp:
            kind = "scale"
            summary = f"capacity set to {tp.get('readCapacityUnits', '?')} RCU / {tp.get('writeCapacityUnits', '?')} WCU"
        elif gsi:
            kind, summary = "scale", "global secondary indexes updated"
        else:
            kind, summary = "config", "settings changed: " + (_changed_keys(req, {"tableName"}) or "table")
    elif name == "UpdateStateMachine":
        arn = str(req.get("stateMachineArn") or "")
        resources = (arn.rsplit(":", 1)[-1] if arn else "?",)
        if "definition" in req:
            kind, summary = "deploy", "definition updated"
        else:
            keys = _changed_keys(req, {"stateMachineArn"})
            kind, summary = "config", "settings updated" + (f": {keys}" if keys else "")
        published = str(resp.get("stateMachineVersionArn") or "")
        version = published.rsplit(":", 1)[-1] if published else None
    else:
        return None
    return ChangeEvent(
        time=at.astimezone(UTC),
        kind=kind,
        summary=summary,
        resources=tuple(r for r in resources if r),
        actor=actor_of(detail, item.get("Username")),
        link=cloudtrail_event_link(region, event_id) if event_id else None,
        source=SOURCE,
        id=stable_id,
        version=version,
    )
