"""Options are checked for shape (naming the key and the fix); the Workers list is paged and filtered."""

from __future__ import annotations

from typing import Any

import pytest
from cfdata import ACCOUNT
from pydantic import ValidationError

from srvmon.config import parse_config
from srvmon.providers.base import list_providers
from srvmon.providers.cloudflare import CloudflareProvider
from srvmon.providers.cloudflare.options import CloudflareOptions


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"account_id": "abc"}, "32 lowercase hex digits"),
        ({"account_id": ACCOUNT.upper()}, "32 lowercase hex digits"),
        ({"api_token_env": "v1.0-secret-token!"}, "never the token itself"),
        ({"endpoint": "http://api.example.com/client/v4"}, "must use https"),
        ({"endpoint": "ftp://x"}, "http(s)"),
        ({"query_budget": 301}, "less than or equal to 300"),
        ({"query_budget": 0}, "greater than or equal to 1"),
        ({"include": [""]}, "not a script name pattern"),
        ({"timeout": "20m"}, "longer than 10m"),
    ],
)
def test_bad_options_name_the_problem(overrides: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words.replace("(", r"\(").replace(")", r"\)")):
        CloudflareOptions(**{"account_id": ACCOUNT, **overrides})


def test_loopback_http_is_allowed_for_tests() -> None:
    assert CloudflareOptions(account_id=ACCOUNT, endpoint="http://127.0.0.1:8787/client/v4").endpoint


def test_config_error_names_the_key() -> None:
    from srvmon.config import ConfigError

    with pytest.raises(ConfigError) as info:
        parse_config('[providers.cf]\ntype = "cloudflare"\naccount_id = "nope"\n')
    assert "account_id" in str(info.value) and "hex" in str(info.value)


def test_config_without_boards_shows_the_workers_preset() -> None:
    cfg = parse_config(f'[providers.cf]\ntype = "cloudflare"\naccount_id = "{ACCOUNT}"\n')
    assert [(b.name, b.provider) for b in cfg.boards] == [("cloudflare-workers", "cf")]


def test_srvmon_providers_lists_cloudflare() -> None:
    from io import StringIO

    from srvmon.cli import main

    out = StringIO()
    assert main(["providers"], out=out, err=StringIO()) == 0
    assert "cloudflare" in out.getvalue() and "Workers" in out.getvalue()
    info = {p.name: p for p in list_providers()}["cloudflare"]
    assert info.error is None and info.source == "built-in"


def test_resources_follow_pages_and_filters(make_provider: Any, cf_server: Any) -> None:
    cf_server.scripts_page_size = 3
    p: CloudflareProvider = make_provider(include=["*"], exclude=["legacy-*"])
    assert p.resources() == ["auth-edge", "checkout-api", "images"]
    pages = cf_server.calls(r"/workers/scripts$")
    assert [r.query.get("page") for r in pages] == [None, ["2"]] and pages[1].query["per_page"] == ["3"]
    assert p.resources() == ["auth-edge", "checkout-api", "images"]
    assert len(cf_server.calls(r"/workers/scripts$")) == 2  # cached for discovery_ttl


def test_scripts_list_refused(make_provider: Any, cf_server: Any) -> None:
    from cfdata import NOW

    from srvmon.model import MetricQuery, TimeWindow

    cf_server.scripts_allowed = False
    p = make_provider(include=["checkout-*"])
    assert p.resources() == []
    res = p.query([MetricQuery("a", "cf", "workers:requests")], TimeWindow.ending_at(NOW, 3600))["a"]
    assert not res.ok and "Workers Scripts Read" in (res.error or "")


def test_available_fields_are_read_in_either_spelling() -> None:
    from srvmon.providers.cloudflare.graphql import parse_settings

    dotted = parse_settings(
        {"availableFields": ["sum.requests", "quantiles.cpuTimeP50", "dimensions.datetimeHour"]}
    )
    assert dotted.has("quantiles_cpuTimeP50") and dotted.has("dimensions_datetimeHour")
    assert not dotted.has("quantiles_wallTimeP99")
    odd = parse_settings({"availableFields": ["something/else"]})  # a form that names no known field
    assert odd.has("quantiles_wallTimeP99")
    assert parse_settings({"maxDuration": -5, "notOlderThan": "x"}).max_duration_s == 31 * 86400
