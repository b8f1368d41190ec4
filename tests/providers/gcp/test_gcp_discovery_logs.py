"""Discovery (services.list, functions.list: paged, bounded, filtered) and the Cloud Logging drill-down
(entries:list filter built from the LogQuery, hostile names quoted, newest first, bounded pages)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import gcpdata
import pytest
from gcpdata import OTHER, PROJECT

from srvmon.model import LogQuery, TimeWindow
from srvmon.providers.base import ProviderError
from srvmon.providers.gcp.discovery import MAX_PAGES
from srvmon.providers.gcp.logs import build_filter, lq

WINDOW = TimeWindow(gcpdata.NOW - timedelta(hours=1), gcpdata.NOW, 60)
SERVICES = r"/v2/projects/(?P<p>[^/]+)/locations/-/services"
FUNCTIONS = r"/v2/projects/(?P<p>[^/]+)/locations/-/functions"


def test_discovery_pages_filters_and_reads_sizes(google: Any, make_provider: Any) -> None:
    def services(req: Any) -> Any:
        project = req.path.split("/")[3]
        if req.query.get("pageToken") == ["p2"]:
            return (
                200,
                {},
                {"services": [gcpdata.service(project, "us-central1", "images", cpu="2000m", memory="1Gi")]},
            )
        return 200, {}, {"services": [gcpdata.service(project, "europe-west1", "checkout"),
                                      gcpdata.service(project, "europe-west1", "checkout-canary")],
                         "nextPageToken": "p2"}  # fmt: skip

    google.route("GET", SERVICES, services)
    google.route("GET", FUNCTIONS, lambda req: (200, {}, {
        "functions": [gcpdata.function(req.path.split("/")[3], "europe-west1", "resize", gen="GEN_1"),
                      gcpdata.function(req.path.split("/")[3], "europe-west1", "Thumbnail")],
        "unreachable": ["asia-east1"] if OTHER in req.path else []}))  # fmt: skip
    p = make_provider(projects=[PROJECT, OTHER], exclude=["*-canary"])
    found = p.discovery.workloads()
    assert sorted((w.project, w.name, w.generation) for w in found) == sorted(
        (pr, n, g) for pr in (PROJECT, OTHER)
        for n, g in (("checkout", "run"), ("images", "run"), ("resize", "gen1"), ("Thumbnail", "gen2")))  # fmt: skip
    images = next(w for w in found if w.name == "images")
    assert (images.vcpu, images.memory_gib, images.region, images.max_instances) == (
        2.0,
        1.0,
        "us-central1",
        20,
    )
    thumb = next(w for w in found if w.name == "Thumbnail")
    assert (
        thumb.service == "thumbnail"
        and thumb.metrics_name == "thumbnail"
        and thumb.memory_gib == pytest.approx(256e6 / 2**30)
    )
    assert any("asia-east1 was unreachable" in w for w in p.discovery.warnings())
    pages = google.calls(SERVICES)
    assert [r.query.get("pageToken") for r in pages[:2]] == [None, ["p2"]] and pages[0].query["pageSize"] == [
        "100"
    ]
    assert p.resources() == ["Thumbnail", "checkout", "images", "resize"]
    calls = len(google.requests)
    p.discovery.workloads()  # cached for discovery_ttl
    assert len(google.requests) == calls


def test_discovery_per_region_and_bounded_pages(google: Any, make_provider: Any) -> None:
    google.route("GET", r"/v2/projects/[^/]+/locations/europe-west1/services",
                 lambda req: (200, {}, {"services": [gcpdata.service(PROJECT, "europe-west1", "s")], "nextPageToken": "again"}))  # fmt: skip
    google.route("GET", r"/v2/projects/[^/]+/locations/europe-west1/functions", {"functions": []})
    p = make_provider(regions=["europe-west1"])
    assert len(p.discovery.workloads()) == MAX_PAGES  # a server that never stops paging is cut off
    assert any(f"stopped after {MAX_PAGES} pages" in w for w in p.discovery.warnings())


def test_discovery_refused_everywhere_is_an_error_naming_the_permission(
    google: Any, make_provider: Any
) -> None:
    google.deny(r"/services$", "run.services.list")
    google.deny(r"/functions$", "cloudfunctions.functions.list")
    p = make_provider()
    with pytest.raises(ProviderError, match="run.services.list.*cloudfunctions.functions.list"):
        p.discovery.workloads()
    assert p.resources() == []  # never raises


# ---- logs -----------------------------------------------------------------------------------------


def _filter(make_provider: Any, google: Any, **query: Any) -> str:
    google.route("POST", "/v2/entries:list", {"entries": []})
    google.route("GET", SERVICES, {"services": []})
    google.route("GET", FUNCTIONS, {"functions": [gcpdata.function(PROJECT, "europe-west1", "Thumbnail")]})
    make_provider().logs(LogQuery("gcp", WINDOW, **query))
    (call,) = google.calls(r"entries:list")
    return str(call.body["filter"])


def test_logs_filter_from_the_panel(google: Any, make_provider: Any) -> None:
    flt = _filter(
        make_provider, google, resources=("checkout", "Thumbnail"), errors_only=True, status_class="5xx"
    )
    assert flt == (
        '((resource.type="cloud_run_revision" AND resource.labels.service_name="checkout") OR '
        '(resource.type="cloud_function" AND resource.labels.function_name="checkout") OR '
        '(resource.type="cloud_run_revision" AND resource.labels.service_name="thumbnail") OR '
        '(resource.type="cloud_function" AND resource.labels.function_name="Thumbnail")) AND '
        'timestamp>="2026-11-22T03:00:00Z" AND timestamp<"2026-11-22T04:00:00Z" AND severity>=ERROR AND '
        "httpRequest.status>=500 AND httpRequest.status<600"
    )
    (call,) = google.calls(r"entries:list")
    assert call.body["resourceNames"] == [f"projects/{PROJECT}"] and call.body["orderBy"] == "timestamp desc"


def test_logs_filter_without_resources_uses_the_selection() -> None:
    opts = gcpdata.options(type("G", (), {"url": "https://127.0.0.1:1", "ca_path": None})(),
                           include=["api-*"], exclude=["*-old"], regions=["europe-west1", "us-east4"])  # fmt: skip
    flt = build_filter(LogQuery("gcp", WINDOW), opts)
    assert flt.startswith(
        '((resource.type="cloud_run_revision" AND resource.labels.service_name=~"^(?:(?:api-.*))$" AND '
        'NOT resource.labels.service_name=~"^(?:(?:.*-old))$" AND resource.labels.location=("europe-west1" OR "us-east4"))'
        ' OR (resource.type="cloud_function" AND resource.labels.function_name=~"^(?:(?:api-.*))$"'
    )


@pytest.mark.parametrize(
    "hostile",
    ['x" OR resource.type="gce_instance', 'a\\" OR true OR "', "line\nbreak\ttab\x07bell", 'ü"\\'],
)
def test_hostile_names_and_text_stay_inside_their_strings(hostile: str) -> None:
    opts = gcpdata.options(type("G", (), {"url": "https://127.0.0.1:1", "ca_path": None})())
    flt = build_filter(LogQuery("gcp", WINDOW, resources=(hostile,), text=hostile, request_id=hostile), opts)
    literal = lq(hostile)
    assert flt.count(literal) == 6  # service_name, function_name, the text, the request id (3 fields)
    # outside string literals nothing of the hostile value remains: the structure is ours alone
    outside = re.sub(r'"(?:[^"\\]|\\.)*"', '""', flt)
    assert "gce_instance" not in outside and "true" not in outside and "\n" not in outside
    assert all(ord(ch) >= 0x20 for ch in flt)  # control characters travel escaped
    if "\x07" in hostile:
        assert "\\u0007" in literal


def test_logs_bad_field_name_is_refused(google: Any, make_provider: Any) -> None:
    with pytest.raises(ProviderError, match="not a log field path"):
        make_provider().logs(LogQuery("gcp", WINDOW, fields={'x" OR "y': "1"}))
    assert google.calls("entries:list") == []


def test_logs_records_newest_first_and_bounded(google: Any, make_provider: Any) -> None:
    def entries(req: Any) -> Any:
        page = int((req.body.get("pageToken") or "p0")[1:])
        ts = f"2026-11-22T03:5{9 - page}:00.5Z"
        batch = [gcpdata.log_entry(ts, "ERROR", "checkout", text=f"boom {page}-{i}", status=500,
                                   latency="0.25s", insert_id=f"id{page}{i}", trace="abc123") for i in range(2)]  # fmt: skip
        return 200, {}, {"entries": batch, "nextPageToken": f"p{page + 1}"}

    google.route("POST", "/v2/entries:list", entries)
    p = make_provider(logs_max_pages=3)
    res = p.logs(LogQuery("gcp", WINDOW, limit=100))
    assert len(res.records) == 6 and res.partial and any("logs_max_pages" in w for w in res.warnings)
    assert [r.message for r in res.records[:2]] == ["boom 0-0", "boom 0-1"]
    assert res.records[0].timestamp > res.records[-1].timestamp
    first = res.records[0]
    assert (first.resource, first.status, first.duration_ms, first.level, first.request_id) == (
        "checkout", 500, 250.0, "ERROR", "abc123")  # fmt: skip
    assert first.fields["project"] == PROJECT and first.fields["revision"] == "checkout-00004-abc"
    assert first.link is not None and first.link.startswith(
        "https://console.cloud.google.com/logs/query;query=insertId"
    )
    assert len(google.calls("entries:list")) == 3
    small = make_provider().logs(LogQuery("gcp", WINDOW, limit=3))
    assert len(small.records) == 3 and small.partial
    assert google.calls("entries:list")[-1].body["pageSize"] == 1  # asked only for what was missing


def test_log_message_is_data(google: Any, make_provider: Any) -> None:
    evil = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ [bold]x[/bold]"
    google.route("POST", "/v2/entries:list", {"entries": [
        gcpdata.log_entry("2026-11-22T03:00:00Z", "WARNING", "checkout", text=evil)]})  # fmt: skip
    (rec,) = make_provider().logs(LogQuery("gcp", WINDOW)).records
    assert rec.message == evil  # kept verbatim; views make it inert (srvmon.sanitize)
