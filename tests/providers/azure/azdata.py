"""Canned Azure REST answers in the shapes of the azure-rest-api-specs examples (our own data)."""

from __future__ import annotations

from typing import Any

SUB = "12345678-abcd-1234-abcd-123456789abc"
RG = "rg-prod"


def site_id(name: str, rg: str = RG) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{name}"


def farm_id(name: str, rg: str = RG) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Web/serverfarms/{name}"


def site(
    name: str,
    farm: str,
    *,
    kind: str = "functionapp,linux",
    location: str = "West Europe",
    site_config: dict[str, Any] | None = None,
    function_app_config: dict[str, Any] | None = None,
    custom_hosts: tuple[str, ...] = (),
) -> dict:
    props: dict[str, Any] = {
        "state": "Running",
        "hostNames": [f"{name}.azurewebsites.net", *custom_hosts],
        "serverFarmId": farm_id(farm),
        "resourceGroup": RG,
        "defaultHostName": f"{name}.azurewebsites.net",
        "siteConfig": site_config
        or {
            "numberOfWorkers": 1,
            "linuxFxVersion": "",
            "functionAppScaleLimit": 0,
            "minimumElasticInstanceCount": 0,
        },
    }
    if function_app_config is not None:
        props["functionAppConfig"] = function_app_config
    return {
        "id": site_id(name),
        "name": name,
        "type": "Microsoft.Web/sites",
        "kind": kind,
        "location": location,
        "properties": props,
    }


def farm(name: str, sku: str, tier: str, *, capacity: int = 0, max_elastic: int = 1) -> dict:
    return {
        "id": farm_id(name),
        "name": name,
        "type": "Microsoft.Web/serverfarms",
        "kind": "functionapp",
        "location": "West Europe",
        "sku": {"name": sku, "tier": tier, "size": sku, "family": sku[:2], "capacity": capacity},
        "properties": {"maximumElasticWorkerCount": max_elastic, "numberOfWorkers": capacity},
    }


SITES = {
    "value": [
        site(
            "checkout-api",
            "plan-y1",
            site_config={"linuxFxVersion": "Python|3.11", "functionAppScaleLimit": 0},
        ),
        site(
            "orders-worker",
            "plan-ep1",
            site_config={
                "linuxFxVersion": "Node|20",
                "minimumElasticInstanceCount": 2,
                "functionAppScaleLimit": 15,
            },
            # a custom domain bound to the app: the local test server (its Durable Task API) answers there
            custom_hosts=("127.0.0.1",),
        ),
        site("web-frontend", "plan-ep1", kind="app"),  # not a function app
    ],
    "nextLink": None,
}
SITES_PAGE2 = {
    "value": [
        site(
            "reports-flex",
            "plan-fc1",
            function_app_config={
                "runtime": {"name": "dotnet-isolated", "version": "8.0"},
                "scaleAndConcurrency": {
                    "maximumInstanceCount": 40,
                    "instanceMemoryMB": 2048,
                    "alwaysReady": [{"name": "http", "instanceCount": 1}],
                },
            },
        )
    ]
}
FARMS = {
    "value": [
        farm("plan-y1", "Y1", "Dynamic"),
        farm("plan-ep1", "EP1", "ElasticPremium", capacity=1, max_elastic=20),
        farm("plan-fc1", "FC1", "FlexConsumption"),
    ]
}


def metric_value(
    resource: str,
    metric: str,
    points: list[tuple[str, dict[str, float]]],
    metadata: list[dict[str, Any]] | None = None,
    unit: str = "Count",
    start: str = "2026-11-22T00:00:00Z",
    end: str = "2026-11-22T04:00:00Z",
    interval: str = "PT1M",
    extra_series: list[tuple[list[dict], list]] | None = None,
) -> dict:
    """One entry of a metrics:getBatch `values` list (MetricBatchExample2 shape)."""
    series = [{"metadatavalues": metadata or [], "data": [{"timeStamp": t, **v} for t, v in points]}]
    for md, pts in extra_series or []:
        series.append({"metadatavalues": md, "data": [{"timeStamp": t, **v} for t, v in pts]})
    return {
        "starttime": start,
        "endtime": end,
        "interval": interval,
        "value": [
            {
                "id": f"{resource}/providers/Microsoft.Insights/metrics/{metric}",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": metric, "localizedValue": metric},
                "displayDescription": f"{metric} of the app",
                "unit": unit,
                "timeseries": series,
                "errorCode": "Success",
            }
        ],
        "namespace": "microsoft.web/sites",
        "resourceregion": "westeurope",
        "resourceid": resource,
    }


def logs_table(columns: list[tuple[str, str]], rows: list[list[Any]]) -> dict:
    """A Log Analytics query answer (la-post-example shape)."""
    return {
        "tables": [
            {"name": "PrimaryResult", "columns": [{"name": n, "type": t} for n, t in columns], "rows": rows}
        ]
    }


def alert(
    name: str,
    condition: str,
    state: str,
    severity: str,
    target: str,
    start: str,
    modified: str,
    rg: str = RG,
    description: str = "",
    alert_id: str = "a1",
) -> dict:
    """One Microsoft.AlertsManagement/alerts item (Alerts_List shape)."""
    return {
        "properties": {
            "essentials": {
                "severity": severity,
                "signalType": "Metric",
                "alertState": state,
                "monitorCondition": condition,
                "monitorService": "Platform",
                "targetResource": site_id(target, rg),
                "targetResourceName": target,
                "targetResourceGroup": rg,
                "targetResourceType": "sites",
                "sourceCreatedId": "x",
                "alertRule": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/microsoft.insights/metricalerts/{name}",
                "startDateTime": start,
                "lastModifiedDateTime": modified,
                "lastModifiedUserName": "System",
                "monitorConditionResolvedDateTime": modified if condition == "Resolved" else None,
                "actionStatus": {"isSuppressed": False},
                "description": description,
            },
            "egressConfig": {},
            "context": {},
        },
        "id": f"/subscriptions/{SUB}/providers/Microsoft.AlertsManagement/alerts/{alert_id}",
        "type": "Microsoft.AlertsManagement/alerts",
        "name": name,
    }
