"""Board variables: references and their quoting context, escaping per query language (hostile values
included), the config rules (allowed values, defaults, --var) and re-resolution for the TUI."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from srvmon.cli import main
from srvmon.config import ConfigError, parse_config, resolve_variables
from srvmon.providers.aws.provider import AwsProvider
from srvmon.providers.azure import AzureProvider
from srvmon.providers.demo import DemoProvider
from srvmon.providers.prometheus import PrometheusProvider
from srvmon.providers.prometheus.detect import validate as promql_validate
from srvmon.variables import VariableError, names_in, quote_at, references, substitute_query

HOSTILE = 'a"}) or vector(1)'


def sub(cls: type, query: object, **values: str) -> object:
    return substitute_query(query, values, cls.escape_variable)


def test_references_and_quote_context() -> None:
    text = 'rate(x{fn="$fn", b=~"${b}x"}[$win]) $__rate_interval ${__interval} $left'
    assert [n for n, _, _ in references(text)] == ["fn", "b", "win", "left"]
    assert quote_at(text, text.index("$fn")) == ('"', text.index('"$fn'))
    assert quote_at(text, text.index("$win")) == (None, None)
    assert quote_at('a "x\\"$y"', 7) == ('"', 2)  # an escaped quote does not close the literal
    assert names_in({"a": ["$x", {"b": "${y}"}], "c": 1}) == {"x", "y"}


def test_unknown_references_are_left_alone() -> None:
    kql = "T | join (U) on $left.id == $right.id | where a == '$fn'"
    assert sub(AzureProvider, {"kql": kql}, fn="x") == {"kql": kql.replace("$fn", "x")}


def test_promql_hostile_value_stays_inside_its_string() -> None:
    query = 'sum(rate(gateway_function_invocation_total{function_name="$fn"}[5m]))'
    out = sub(PrometheusProvider, query, fn=HOSTILE)
    assert out == 'sum(rate(gateway_function_invocation_total{function_name="a\\"}) or vector(1)"}[5m]))'
    assert promql_validate(out) is None  # still one balanced selector
    assert sub(PrometheusProvider, "x{a='$fn'}", fn="it's") == "x{a='it\\'s'}"
    assert sub(PrometheusProvider, 'x{a="$fn"}', fn="back\\slash\nnl") == 'x{a="back\\\\slash\\nnl"}'


def test_promql_regex_matchers_and_all() -> None:
    assert sub(PrometheusProvider, 'x{a=~"$fn"}', fn="a.b|c") == 'x{a=~"a\\\\.b\\\\|c"}'
    assert sub(PrometheusProvider, 'x{a!~"${fn}"}', fn="*") == 'x{a!~".*"}'
    with pytest.raises(VariableError, match="needs a regex matcher"):
        sub(PrometheusProvider, 'x{a="$fn"}', fn="*")
    with pytest.raises(VariableError, match="raw string"):
        sub(PrometheusProvider, "x{a=`$fn`}", fn="a`b")


def test_promql_unquoted_values_must_be_tokens() -> None:
    assert sub(PrometheusProvider, "rate(x[$win])", win="5m") == "rate(x[5m])"
    assert (
        sub(PrometheusProvider, "sum by ($label) (x)", label="function_name") == "sum by (function_name) (x)"
    )
    with pytest.raises(VariableError, match="outside quotes"):
        sub(PrometheusProvider, "rate(x[$win])", win="5m]) or vector(1) #")
    with pytest.raises(VariableError, match="outside quotes"):
        sub(PrometheusProvider, "sum by ($label) (x)", label=HOSTILE)


def test_kql_escaping() -> None:
    q = {"kql": 'requests | where name == "$fn" | where op == \'$fn\' | where x == @"$fn"'}
    out = sub(AzureProvider, q, fn=HOSTILE + "'")
    assert out == {
        "kql": "requests | where name == \"a\\\"}) or vector(1)'\" | where op == 'a\"}) or vector(1)\\'' "
        '| where x == @"a""}) or vector(1)\'"'
    }
    assert sub(AzureProvider, {"kql": "T | take $n"}, n="10") == {"kql": "T | take 10"}
    with pytest.raises(VariableError, match="outside quotes"):
        sub(AzureProvider, {"kql": "T | take $n"}, n="10 | project secret")
    with pytest.raises(VariableError, match="All"):
        sub(AzureProvider, {"kql": 'T | where a == "$fn"'}, fn="*")


def test_odata_filter_and_apps() -> None:
    q = {"metric": "Http5xx", "filter": "Instance eq '$i'", "apps": ["$app"]}
    assert sub(AzureProvider, q, i="it's", app="checkout") == {
        "metric": "Http5xx",
        "filter": "Instance eq 'it''s'",
        "apps": ["checkout"],
    }
    assert sub(AzureProvider, q, i="*", app="*")["filter"] == "Instance eq '*'"  # type: ignore[index]
    with pytest.raises(VariableError):
        sub(AzureProvider, {"metric": "$m"}, m="Http5xx or 1")


def test_cloudwatch_dimension_values_are_data() -> None:
    q = {"namespace": "AWS/Lambda", "metric": "Errors", "dimensions": {"FunctionName": "$fn"}}
    assert sub(AwsProvider, q, fn=HOSTILE)["dimensions"] == {"FunctionName": HOSTILE}  # type: ignore[index]
    assert sub(AwsProvider, q, fn="*")["dimensions"] == {"FunctionName": "*"}  # type: ignore[index]
    with pytest.raises(VariableError, match="whole dimension"):
        sub(AwsProvider, {**q, "dimensions": {"FunctionName": "$fn-v2"}}, fn="*")
    with pytest.raises(VariableError, match="one line"):
        sub(AwsProvider, q, fn="a\nb")
    with pytest.raises(VariableError, match="name"):
        sub(AwsProvider, {**q, "metric": "$m"}, m="Errors Invocations")


def test_cloudwatch_expressions_refuse_quotes() -> None:
    q = {"expression": "SEARCH('{AWS/Lambda,FunctionName} FunctionName=\"$fn\"', 'Sum', 300)"}
    assert 'FunctionName="checkout-api"' in sub(AwsProvider, q, fn="checkout-api")["expression"]  # type: ignore[index]
    with pytest.raises(VariableError, match="cannot be escaped"):
        sub(AwsProvider, q, fn=HOSTILE)
    using = {"expression": "m1", "using": {"m1": {"namespace": "AWS/Lambda", "metric": "Errors",
                                                   "dimensions": {"FunctionName": "$fn"}}}}  # fmt: skip
    assert sub(AwsProvider, using, fn=HOSTILE)["using"]["m1"]["dimensions"]["FunctionName"] == HOSTILE  # type: ignore[index]


def test_demo_where_is_data_but_all_is_refused() -> None:
    q = {"metric": "api.requests", "where": {"service": "$s"}}
    assert sub(DemoProvider, q, s="checkout")["where"] == {"service": "checkout"}  # type: ignore[index]
    with pytest.raises(VariableError, match="All"):
        sub(DemoProvider, q, s="*")


# ---- config ---------------------------------------------------------------------------------------

CFG = """
[providers.prom]
type = "prometheus"
url = "http://127.0.0.1:9"

[[boards]]
name = "faas"

[boards.variables.fn]
default = "checkout"
values = ["checkout", "images", 'a"}) or vector(1)']

[boards.variables.win]
default = "5m"
include_all = false

[[boards.panels]]
id = "rate"
title = "Rate of $fn"
kind = "stat"
query = 'sum(rate(gateway_function_invocation_total{function_name="$fn"}[$win]))'

[[boards]]
name = "other"

[[boards.panels]]
id = "all"
title = "All"
kind = "stat"
query = "sum(up)"
"""


def test_board_variables_substituted_at_load() -> None:
    cfg = parse_config(CFG)
    b = cfg.board("faas")
    assert b.panels[0].query == 'sum(rate(gateway_function_invocation_total{function_name="checkout"}[5m]))'
    assert b.panels[0].title == "Rate of checkout"
    assert b.values == {"fn": "checkout", "win": "5m"}
    assert b.template[0].query.startswith("sum(rate(")  # type: ignore[union-attr]
    assert "$fn" in b.template[0].query  # type: ignore[operator]


def test_var_overrides_and_hostile_allowed_value() -> None:
    cfg = parse_config(CFG, variables={"fn": HOSTILE, "win": "1h"})
    q = cfg.board("faas").panels[0].query
    assert q == 'sum(rate(gateway_function_invocation_total{function_name="a\\"}) or vector(1)"}[1h]))'


def test_value_outside_values_names_variable_and_allowed_values() -> None:
    with pytest.raises(ConfigError) as ei:
        parse_config(CFG, variables={"fn": "payments"})
    text = str(ei.value)
    assert "'payments' is not an allowed value of variable 'fn'" in text and "checkout, images" in text


def test_unquoted_hostile_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as ei:
        parse_config(CFG, variables={"win": "5m]) or vector(1"})
    assert "boards[0].panels[0].query" in str(ei.value) and "outside quotes" in str(ei.value)


def test_unknown_var_and_missing_default() -> None:
    with pytest.raises(ConfigError, match="no board defines a variable named 'nope'"):
        parse_config(CFG, variables={"nope": "x"})
    text = CFG.replace('default = "5m"\n', "")
    with pytest.raises(ConfigError, match="variable 'win' has no value; pass --var win=VALUE"):
        parse_config(text)
    assert parse_config(text, variables={"win": "10m"}).board("faas").values["win"] == "10m"


def test_default_must_be_allowed_and_names_are_checked() -> None:
    with pytest.raises(ConfigError, match="default 'x' is not one of the allowed values"):
        parse_config(CFG.replace('default = "checkout"', 'default = "x"'))
    with pytest.raises(ConfigError, match="variable name '__x'"):
        parse_config(CFG.replace("[boards.variables.win]", "[boards.variables.__x]"))


def test_resolve_variables_for_the_tui() -> None:
    cfg = parse_config(CFG)
    again = resolve_variables(cfg, {"fn": "images"}, board="faas")
    assert (
        again.board("faas")
        .panels[0]
        .query.startswith(  # type: ignore[union-attr]
            'sum(rate(gateway_function_invocation_total{function_name="images"}'
        )
    )
    assert again.board("faas").values == {"fn": "images", "win": "5m"}
    assert again.board("other") is cfg.board("other") and cfg.board("faas").values["fn"] == "checkout"
    with pytest.raises(ConfigError, match="not an allowed value"):
        resolve_variables(cfg, {"fn": "nope"})
    with pytest.raises(ConfigError, match="no board 'other' defines"):
        resolve_variables(cfg, {"fn": "images"}, board="other")


def test_cli_var_on_snapshot(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[providers.d]\ntype = "demo"\n[[boards]]\nname = "b"\n[boards.variables.s]\ndefault = "checkout"\n'
        'values = ["checkout", "auth"]\n[[boards.panels]]\nid = "r"\ntitle = "$s rps"\nkind = "stat"\n'
        'query = { metric = "api.requests", where = { service = "$s" } }\n'
    )
    now = "2026-11-18T12:00:00Z"
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(
            ["snapshot", "--config", str(path), "--now", now, "--format", "txt", "--var", "s=auth"],
            out=out,
            err=err,
        )
        == 0
    )
    assert "auth rps" in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert main(["--var", "s=nope", "snapshot", "--config", str(path), "--now", now], out=out, err=err) == 2
    assert "'nope' is not an allowed value of variable 's'; use one of: checkout, auth" in err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--config", str(path), "--var", "bad"], out=out, err=err) == 2
    assert "write NAME=VALUE" in err.getvalue()


def test_demo_variable_values() -> None:
    from srvmon.providers.base import ProviderError
    from srvmon.providers.demo import DemoOptions

    p = DemoProvider("d", DemoOptions(functions=5, services=["checkout", "auth"]))
    assert p.variable_values("services") == ["auth", "checkout"]
    assert len(p.variable_values("functions")) == 5 and p.variable_values("apis") == [
        "auth-api",
        "checkout-api",
    ]
    with pytest.raises(ProviderError, match="use one of functions"):
        p.variable_values("label_values(x)")


def test_variable_choices_for_the_tui() -> None:
    from srvmon.clock import FrozenClock
    from srvmon.var_choices import variable_choices

    cfg = parse_config(
        '[providers.d]\ntype = "demo"\nservices = ["checkout", "auth"]\nfunctions = 4\n[[boards]]\nname = "b"\n'
        '[boards.variables.s]\ndefault = "auth"\nquery = "services"\ninclude_all = true\n'
        '[boards.variables.t]\ndefault = "x"\nvalues = ["w", "x"]\n'
        '[[boards.panels]]\nid = "r"\ntitle = "$s"\nkind = "stat"\nquery = "api.requests"\n'
    )
    providers = cfg.build_providers(FrozenClock(datetime(2026, 11, 18, tzinfo=UTC)))
    board = cfg.board("b")
    assert variable_choices(board, "s", providers) == ["auth", "*", "checkout"]
    assert variable_choices(board, "t", providers) == ["x", "w"]
    again = resolve_variables(cfg, {"s": "checkout"})
    assert variable_choices(again.board("b"), "s", providers)[0] == "checkout"


def test_variable_provider_must_exist() -> None:
    text = CFG.replace("[boards.variables.win]\n", '[boards.variables.win]\nprovider = "nope"\n')
    with pytest.raises(ConfigError) as ei:
        parse_config(text)
    assert "boards[0].variables.win.provider: no provider named 'nope'" in str(ei.value)
