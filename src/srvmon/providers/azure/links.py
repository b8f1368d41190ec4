"""Azure portal deep links (resource blades, App Insights logs, alerts) for the cloud in use."""

from __future__ import annotations

from urllib.parse import quote

from .options import AzureOptions


def _portal(options: AzureOptions) -> str:
    return options.endpoints().portal


def resource(options: AzureOptions, resource_id: str, blade: str = "overview") -> str:
    """The portal blade of any ARM resource."""
    return f"{_portal(options)}/#@/resource{quote(resource_id, safe='/')}/{blade}"


def function_app(options: AzureOptions, app_id: str) -> str:
    return resource(options, app_id, "overview")


def logs(options: AzureOptions, scope_id: str) -> str:
    """The Logs (KQL) blade of an App Insights component or workspace resource."""
    return resource(options, scope_id, "logs")


def transaction(options: AzureOptions, component_id: str, operation_id: str) -> str:
    """App Insights end-to-end transaction search for one operation id."""
    return (
        f"{_portal(options)}/#@/resource{quote(component_id, safe='/')}/searchV1"
        f"?q={quote(operation_id, safe='')}"
    )


def alert(options: AzureOptions, alert_id: str) -> str:
    """The details blade of one fired alert."""
    return f"{_portal(options)}/#view/Microsoft_Azure_Monitoring_Alerts/AlertDetails.ReactView/alertId/{quote(alert_id, safe='')}"


def cost_analysis(options: AzureOptions) -> str:
    return f"{_portal(options)}/#@/resource/subscriptions/{options.subscription_id}/costByResource"
