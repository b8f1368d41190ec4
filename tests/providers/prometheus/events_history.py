"""Series that encode change events, backfilled into their own Prometheus (fixture `prom_events`).

Every sample is 60 s apart over the 6 hours before NOW (the real clock's last full hour minus one
hour, like the other fixtures). Times below are minutes before NOW.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

HOURS = 6
STEP = 60

CHECKOUT_ROLLOUT = 95  # kube_deployment_metadata_generation 4 -> 5, replicas unchanged
IMAGES_SCALE = 50  # generation 7 -> 8 together with spec_replicas 2 -> 4
HELLO_00003 = 30  # a Knative revision: its Deployment is created, its pods series appears
HPA_MAX = 110  # max replicas 10 -> 20
CHECKOUT_REPLICAS = 70  # OpenFaaS gateway_service_count 2 -> 3
REPORTS_DEPLOYED = 20  # a new OpenFaaS function appears
GAP = (180, 170)  # every gateway_service_count series missing (a scrape gap): no "new function" then
ALERT_FIRING = (60, 40)  # ALERTS{alertname="CheckoutLatency"} present from 60 to 40 (exclusive) min before


@dataclass(frozen=True)
class Events:
    url: str
    now_s: int

    def at(self, minutes_before: float) -> int:
        return self.now_s - int(minutes_before * 60)


Value = Callable[[int], float | None]  # minutes before NOW -> value (None = no sample)


def _series(now_s: int) -> list[tuple[str, dict[str, str], Value]]:
    fn = {"namespace": "openfaas-fn"}
    hello = {"namespace": "default"}

    def step(before: float, after: float, at: int) -> Value:
        return lambda m: before if m > at else after

    def since(value: float, at: int) -> Value:
        return lambda m: value if m <= at else None

    gap_lo, gap_hi = GAP[1], GAP[0]

    def gapped(v: Value) -> Value:
        return lambda m: None if gap_lo < m <= gap_hi else v(m)

    fired, ended = ALERT_FIRING
    return [
        ("kube_deployment_metadata_generation", {**fn, "deployment": "checkout"}, step(4, 5, CHECKOUT_ROLLOUT)),
        ("kube_deployment_spec_replicas", {**fn, "deployment": "checkout"}, lambda m: 2),
        ("kube_deployment_metadata_generation", {**fn, "deployment": "images"}, step(7, 8, IMAGES_SCALE)),
        ("kube_deployment_spec_replicas", {**fn, "deployment": "images"}, step(2, 4, IMAGES_SCALE)),
        ("kube_deployment_created", {**hello, "deployment": "hello-00002-deployment"}, lambda m: now_s - 3 * 86400),
        ("kube_deployment_created", {**hello, "deployment": "hello-00003-deployment"},
         since(now_s - HELLO_00003 * 60, HELLO_00003)),
        ("kube_deployment_metadata_generation", {**hello, "deployment": "hello-00002-deployment"}, lambda m: 1),
        ("kube_deployment_metadata_generation", {**hello, "deployment": "hello-00003-deployment"},
         since(1, HELLO_00003)),
        ("kube_horizontalpodautoscaler_spec_max_replicas", {**fn, "horizontalpodautoscaler": "checkout"},
         step(10, 20, HPA_MAX)),
        ("kn_revision_pods_count", {"kn_service_name": "hello", "kn_revision_name": "hello-00002"}, lambda m: 3),
        ("kn_revision_pods_count", {"kn_service_name": "hello", "kn_revision_name": "hello-00003"},
         since(1, HELLO_00003)),
        ("gateway_service_count", {"function_name": "checkout"}, gapped(step(2, 3, CHECKOUT_REPLICAS))),
        ("gateway_service_count", {"function_name": "images"}, gapped(lambda m: 2)),
        ("gateway_service_count", {"function_name": "reports"}, since(1, REPORTS_DEPLOYED)),
        ("ALERTS", {"alertname": "CheckoutLatency", "alertstate": "firing", "function_name": "checkout",
                    "severity": "warning"}, lambda m: 1 if ended < m <= fired else None),
    ]  # fmt: skip


def openmetrics(now_s: int) -> str:
    """The OpenMetrics text promtool backfills (timestamps in seconds, one family at a time)."""
    by_family: dict[str, list[tuple[dict[str, str], Value]]] = {}
    for family, labels, value in _series(now_s):
        by_family.setdefault(family, []).append((labels, value))
    chunks: list[str] = []
    start = now_s - HOURS * 3600
    for family, members in by_family.items():
        chunks.append(f"# TYPE {family} gauge\n")
        for labels, value in members:
            lab = "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
            for t in range(start, now_s + 1, STEP):
                v = value((now_s - t) // 60)
                if v is not None:
                    chunks.append(f"{family}{lab} {v} {t}\n")
    chunks.append("# EOF\n")
    return "".join(chunks)
