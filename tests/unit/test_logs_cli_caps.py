"""`srvmon logs` says when it caps: the `truncated` field and stderr, the --limit ceiling, health that
summarised a sample, and unknown providers/resources named with their close matches (exit 2)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: reuse test_logs_cli's fakes

from test_logs_cli import RECORDS, FakeLogs, run  # noqa: E402

from srvmon.model import FunctionHealth, LogQuery, LogResult, TimeWindow  # noqa: E402
from srvmon.providers.base import Provider  # noqa: E402


class Capped(FakeLogs):
    """Filters by itself and says more matched than it returned (as AWS does past --limit)."""

    type_name: ClassVar[str] = "capped"

    def logs(self, query: LogQuery) -> LogResult:
        self.queries.append(query)
        return LogResult(
            tuple(self.records[-query.limit :]),
            filtered_by_provider=True,
            truncated=True,
            warnings=("no log group /aws/lambda/gone\x1b[2J",),
        )


class WithFinder(FakeLogs):
    """Knows cheaply which names it has (as AWS does with one log-group lookup per name)."""

    type_name: ClassVar[str] = "finder"

    def missing_resources(self, names: Sequence[str]) -> dict[str, list[str]]:
        return {n: ["checkout-api"] if n.startswith("checkout") else [] for n in names if n != "checkout-api"}


class Sampled(FakeLogs):
    type_name: ClassVar[str] = "sampled"

    def function_health(self, window: TimeWindow, resources: Sequence[str] = ()) -> list[FunctionHealth]:
        return self.function_health_sample(window, resources)[0]

    def function_health_sample(
        self, window: TimeWindow, resources: Sequence[str] = ()
    ) -> tuple[list[FunctionHealth], str | None]:
        row = FunctionHealth("fn", 10000, 1, 0.01, 200.0, 0, 0, 5.0, 50.0, None, 1.5, 0.001)
        return [row], "health summarises the newest 10,000 invocations of 20,000"


def test_truncated_answers_say_so_in_every_line_and_on_stderr() -> None:
    code, lines, err = run(["--limit", "2"], {"p": Capped("p", RECORDS)})
    assert code == 0 and len(lines) == 2
    assert all(line["truncated"] is True for line in lines)
    assert "showing the newest 2 records; more matched (raise --limit" in err
    assert "warning: no log group /aws/lambda/gone␛[2J" in err  # provider text is inert on stderr
    assert "\x1b" not in err


def test_a_local_cut_is_truncated_too() -> None:
    code, lines, err = run(["--limit", "3"], {"p": FakeLogs("p", RECORDS)})
    assert code == 0 and [line["truncated"] for line in lines] == [True, True, True]
    assert "showing the newest 3 records" in err
    code, lines, err = run(["--limit", "4"], {"p": FakeLogs("p", RECORDS)})
    assert not any(line["truncated"] for line in lines) and err == ""


def test_limit_has_a_ceiling() -> None:
    code, lines, err = run(["--limit", "100001"], {"p": FakeLogs("p", RECORDS)})
    assert code == 2 and lines == [] and "--limit must be at most 100,000, not 100,001" in err
    assert run(["--limit", "100000"], {"p": FakeLogs("p", RECORDS)})[0] == 0


def test_unknown_provider_names_close_matches() -> None:
    providers: dict[str, Provider] = {
        "prod-aws": FakeLogs("prod-aws", RECORDS),
        "azure": FakeLogs("azure", []),
    }
    code, _, err = run(["--provider", "prod-asw"], providers)
    assert code == 2 and "no provider named 'prod-asw'; did you mean 'prod-aws'?" in err
    code, _, err = run(["--provider", "zzz"], providers)
    assert code == 2 and "no provider named 'zzz'; known: prod-aws, azure" in err


def test_unknown_resource_from_the_provider_finder() -> None:
    code, lines, err = run(
        ["--resource", "checkout-apj", "--resource", "nope"], {"p": WithFinder("p", RECORDS)}
    )
    assert code == 2 and lines == []
    assert (
        "provider 'p' has no resource 'checkout-apj'; did you mean 'checkout-api'?, no resource 'nope'" in err
    )


def test_unknown_resource_found_empty_after_the_query() -> None:
    """Without a finder: a plain name that matched nothing and is not among resources() is unknown."""
    code, lines, err = run(["--resource", "checkout-apx"], {"p": FakeLogs("p", RECORDS)})
    assert code == 2 and lines == []
    assert "provider 'p' has no resource 'checkout-apx'; did you mean 'checkout-api'?" in err
    code, lines, _ = run(["--resource", "checkout-*"], {"p": FakeLogs("p", RECORDS)})
    assert code == 0  # a pattern, not a name: never reported unknown


def test_health_from_a_sample_says_so() -> None:
    code, lines, err = run(["--health"], {"p": Sampled("p", [])})
    assert code == 0 and lines[0]["truncated"] is True and lines[0]["invocations"] == 10000
    assert "srvmon logs: health summarises the newest 10,000 invocations of 20,000" in err


def test_health_mined_from_capped_logs_says_so() -> None:
    code, lines, err = run(["--health"], {"p": Capped("p", RECORDS)})
    assert code == 0 and lines and all(line["truncated"] for line in lines)
    assert "health mined from the newest" in err
