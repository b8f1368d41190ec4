"""Cost Explorer (moto, seeded through its static-results API) with the on-disk cache, the forecast
(Stubber: moto has no GetCostForecast), and `check()` naming missing permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_seed import COST_PER_DAY, NOW, _first_of_last_month, seed_cost
from botocore.stub import ANY, Stubber

from srvmon.model import TimeWindow


def cost_window() -> TimeWindow:
    start = datetime.combine(_first_of_last_month(NOW.date()), datetime.min.time(), UTC)
    end = datetime.combine(NOW.date(), datetime.min.time(), UTC) + timedelta(days=1)
    return TimeWindow(start, end, 86400)  # as the poller asks: last month's 1st through today


def test_daily_cost_by_service_and_disk_cache(fleet: Any, make_provider: Any, clock: Any) -> None:
    seed_cost(fleet.url, fleet.cost_days)  # moto hands each queued result to one new request shape
    p = make_provider()
    items = p.cost(cost_window())
    actual = [i for i in items if not i.forecast]
    assert len(actual) == 2 * fleet.cost_days
    assert {i.service for i in actual} == set(COST_PER_DAY)
    assert sum(i.amount_usd for i in actual if i.service == "AWS Lambda") == pytest.approx(
        1.5 * fleet.cost_days
    )
    assert min(i.day for i in actual) == _first_of_last_month(NOW.date())
    assert p.usage().by_operation["GetCostAndUsage"] == 1
    again = make_provider()  # a new process would read the same cache dir
    assert again.cost(cost_window()) == items
    assert again.usage().by_operation.get("GetCostAndUsage", 0) == 0
    clock.advance(3600)
    again.cost(cost_window())
    assert again.usage().by_operation["GetCostAndUsage"] == 1  # stale after the 1 h TTL


def test_forecast_and_tag_split(make_provider: Any) -> None:
    """Stubber: moto lacks GetCostForecast and tag groups; the canned answers use CE's response shape."""
    p = make_provider(cost_tag="team")
    ce = p.sessions.client("ce", p.sessions.targets()[0])
    day = NOW.date().isoformat()
    nxt = (NOW.date() + timedelta(days=1)).isoformat()
    with Stubber(ce) as stub:
        stub.add_response(
            "get_cost_and_usage",
            {
                "ResultsByTime": [
                    {
                        "TimePeriod": {"Start": day, "End": nxt},
                        "Estimated": True,
                        "Groups": [
                            {
                                "Keys": ["AWS Lambda", "team$payments"],
                                "Metrics": {"UnblendedCost": {"Amount": "2.5", "Unit": "USD"}},
                            },
                            {
                                "Keys": ["AWS Lambda", "team$"],
                                "Metrics": {"UnblendedCost": {"Amount": "0.5", "Unit": "USD"}},
                            },
                        ],
                    }
                ]
            },
            {
                "TimePeriod": ANY,
                "Granularity": "DAILY",
                "Metrics": ["UnblendedCost"],
                "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "TAG", "Key": "team"}],
            },
        )
        stub.add_response(
            "get_cost_forecast",
            {
                "Total": {"Amount": "9", "Unit": "USD"},
                "ForecastResultsByTime": [{"TimePeriod": {"Start": day, "End": nxt}, "MeanValue": "3.25"}],
            },
            {"TimePeriod": ANY, "Metric": "UNBLENDED_COST", "Granularity": "DAILY"},
        )
        items = p.cost(cost_window())
    assert [(i.service, i.amount_usd, i.forecast) for i in items] == [
        ("AWS Lambda [team=payments]", 2.5, False),
        ("AWS Lambda [team=untagged]", 0.5, False),
        ("Total", 3.25, True),
    ]
    assert p.usage().estimated_cost_usd == pytest.approx(0.02)


def test_check_against_moto(make_provider: Any) -> None:
    h = make_provider().check()
    assert h.ok and h.missing_permissions == ()
    assert any("lambda:GetAccountSettings not verified" in d for d in h.details)  # moto: not implemented
    assert "not verified: lambda:GetAccountSettings" in h.message
    assert any("credentials ok: arn:aws:" in d for d in h.details)
    assert any("cloudwatch:GetMetricData ok" in d for d in h.details)


def test_check_names_missing_permissions(make_provider: Any) -> None:
    """Stubber: moto does not enforce IAM; AccessDeniedException in Lambda's error shape."""
    p = make_provider(max_attempts=1)
    lam = p.sessions.client("lambda", p.sessions.targets()[0])
    with Stubber(lam) as stub:
        stub.add_client_error(
            "list_functions", service_error_code="AccessDeniedException", http_status_code=403
        )
        stub.add_client_error(
            "get_account_settings", service_error_code="AccessDeniedException", http_status_code=403
        )
        h = p.check()
    assert not h.ok
    assert h.missing_permissions == ("lambda:ListFunctions", "lambda:GetAccountSettings")
    assert "lambda:ListFunctions" in h.message
