"""Bad configs of every kind give an error naming file, line, key and a fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from srvmon.config import ConfigError, load_config, parse_config

GOOD = """
[settings]
refresh = "30s"
range = "4h"

[providers.test]
type = "scripted"
level = 5

[[boards]]
name = "main"
title = "Main"

[[boards.panels]]
id = "rps"
title = "Requests"
kind = "stat"
query = "requests"
thresholds = { warn = 10, crit = 20 }
position = { row = 0, col = 0, width = 3 }
"""


def load(text: str, tmp_path: Path) -> ConfigError:
    p = tmp_path / "srvmon.toml"
    p.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as ei:
        load_config(p)
    return ei.value


def one(err: ConfigError):
    assert len(err.issues) == 1, str(err)
    return err.issues[0]


def test_good_config_loads(scripted, tmp_path):
    p = tmp_path / "ok.toml"
    p.write_text(GOOD)
    cfg = load_config(p)
    assert cfg.path == p
    assert cfg.settings.refresh == "30s"
    [board] = cfg.boards
    assert board.refresh_s == 30 and board.range == "4h" and board.provider == "test"
    assert [pc.provider for pc in board.panels] == ["test"]
    assert cfg.providers["test"].options.level == 5  # type: ignore[attr-defined]


def test_toml_syntax_error_names_line(tmp_path):
    e = one(load('[settings]\nrefresh = "30s\n', tmp_path))
    assert e.file.endswith("srvmon.toml") and e.line == 2
    assert "not valid TOML" in e.message and "quotes" in e.fix


def test_unknown_key_suggests_spelling(scripted, tmp_path):
    e = one(load(GOOD.replace("thresholds = {", "treshold = 5\nthresholds = {"), tmp_path))
    assert e.key == "boards[0].panels[0].treshold"
    assert e.line == 19
    assert "did you mean `thresholds`" in e.fix and "allowed keys here" in e.fix


def test_unknown_settings_key(tmp_path):
    e = one(load('[settings]\nrefrsh = "1m"\n', tmp_path))
    assert e.key == "settings.refrsh" and e.line == 2 and "refresh" in e.fix


def test_wrong_type(scripted, tmp_path):
    e = one(load(GOOD.replace("warn = 10", 'warn = "ten"'), tmp_path))
    assert e.key == "boards[0].panels[0].thresholds.warn"
    assert e.line == 19
    assert "number" in e.fix


def test_bad_range_and_duration(tmp_path):
    err = load('[settings]\nrange = "3h"\nrefresh = "soon"\n', tmp_path)
    keys = {i.key: i for i in err.issues}
    assert keys["settings.range"].line == 2 and "1h, 4h, 12h, 1d, 1w, 1mo" in keys["settings.range"].message
    assert keys["settings.refresh"].line == 3 and "30s" in keys["settings.refresh"].message


def test_bad_timezone(tmp_path):
    e = one(load('[settings]\ntimezone = "Mars/Olympus"\n', tmp_path))
    assert e.key == "settings.timezone" and "Europe/Paris" in e.message


def test_unknown_provider_type_lists_installed(tmp_path):
    e = one(load('[providers.x]\ntype = "gcp-functions"\n', tmp_path))
    assert e.key == "providers.x.type" and e.line == 2
    for t in ("demo", "aws", "azure", "prometheus"):
        assert t in e.message
    assert "srvmon providers" in e.fix


def test_provider_option_validated_by_its_schema(scripted, tmp_path):
    e = one(load(GOOD.replace("level = 5", "level = 5\nlevl = 3"), tmp_path))
    assert e.key == "providers.test.levl" and e.line == 9 and "did you mean `level`" in e.fix


def test_threshold_order(scripted, tmp_path):
    e = one(load(GOOD.replace("warn = 10, crit = 20", "warn = 20, crit = 10"), tmp_path))
    assert e.key == "boards[0].panels[0].thresholds" and "crit (10.0) must be ≥ warn (20.0)" in e.message


def test_position_outside_grid(scripted, tmp_path):
    e = one(load(GOOD.replace("col = 0, width = 3", "col = 10, width = 4"), tmp_path))
    assert e.key == "boards[0].panels[0].position" and "12-column" in e.message


def test_missing_required_keys(scripted, tmp_path):
    e = one(load(GOOD.replace('title = "Requests"\n', ""), tmp_path))
    assert e.key == "boards[0].panels[0].title" and "add `title" in e.fix
    e = one(load(GOOD.replace('query = "requests"\n', ""), tmp_path))
    assert "needs `query`" in e.message


def test_gauge_needs_limit(scripted, tmp_path):
    e = one(load(GOOD.replace('kind = "stat"', 'kind = "gauge"'), tmp_path))
    assert "`limit`" in e.message and e.key == "boards[0].panels[0]"


def test_bad_kind(scripted, tmp_path):
    e = one(load(GOOD.replace('kind = "stat"', 'kind = "pie"'), tmp_path))
    assert (
        e.key == "boards[0].panels[0].kind"
        and "unknown panel kind 'pie'" in e.message
        and "timeseries" in e.message
    )


def test_invalid_provider_query(scripted, tmp_path):
    e = one(load(GOOD.replace('query = "requests"', 'query = "bad"'), tmp_path))
    assert e.key == "boards[0].panels[0].query" and e.line == 18
    assert "metric 'bad' does not exist" in e.message


def test_panel_references_unknown_provider(scripted, tmp_path):
    e = one(load(GOOD.replace('kind = "stat"', 'kind = "stat"\nprovider = "prod"'), tmp_path))
    assert e.key == "boards[0].panels[0].provider" and "no provider named 'prod'" in e.message
    assert "[providers.prod]" in e.fix


def test_unknown_preset(scripted, tmp_path):
    e = one(load(GOOD + '\n[[boards]]\nname = "p"\npreset = "nope"\n', tmp_path))
    assert e.key == "boards[1].preset" and "unknown preset 'nope'" in e.message


def test_preset_without_matching_provider(scripted, tmp_path):
    from srvmon.presets import preset_names

    if "serverless" not in preset_names():
        pytest.fail("the demo preset 'serverless' must ship with srvmon")
    e = one(load(GOOD + '\n[[boards]]\nname = "p"\npreset = "serverless"\n', tmp_path))
    assert e.key == "boards[1].provider" and "type 'demo'" in e.message and 'type = "demo"' in e.fix


def test_duplicate_board_and_panel(scripted, tmp_path):
    text = GOOD + GOOD[GOOD.index("[[boards]]") :]
    err = load(text, tmp_path)
    assert any("duplicate board name 'main'" in i.message for i in err.issues)
    dup_panel = GOOD + GOOD[GOOD.index("[[boards.panels]]") :]
    e = one(load(dup_panel, tmp_path))
    assert "duplicate panel id 'rps'" in e.message and e.key == "boards[0].panels[1].id"


def test_board_without_panels_or_preset(scripted, tmp_path):
    e = one(load('[providers.t]\ntype = "scripted"\n[[boards]]\nname = "empty"\n', tmp_path))
    assert e.key == "boards[0]" and "preset" in e.message and e.line == 3


def test_several_providers_need_explicit_choice(scripted, tmp_path):
    text = GOOD.replace("[[boards]]", '[providers.other]\ntype = "scripted"\n\n[[boards]]')
    e = one(load(text, tmp_path))
    assert "several" in e.message and "test, other" in e.fix


def test_error_text_is_complete(scripted, tmp_path):
    err = load(GOOD.replace("warn = 10", 'warn = "ten"'), tmp_path)
    text = str(err)
    assert "srvmon.toml:19: boards[0].panels[0].thresholds.warn:" in text and "fix:" in text


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError) as ei:
        load_config(tmp_path / "nope.toml")
    assert "file not found" in str(ei.value)


def test_env_var_config(monkeypatch, scripted, tmp_path):
    p = tmp_path / "env.toml"
    p.write_text(GOOD)
    monkeypatch.setenv("SRVMON_CONFIG", str(p))
    assert load_config().path == p
    monkeypatch.setenv("SRVMON_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError) as ei:
        load_config()
    assert "$SRVMON_CONFIG" in str(ei.value)


def test_no_config_falls_back_to_demo_with_hint(monkeypatch, tmp_path):
    monkeypatch.delenv("SRVMON_CONFIG", raising=False)
    monkeypatch.setattr("srvmon.config.user_config_path", lambda: tmp_path / "none" / "config.toml")
    cfg = load_config()
    assert cfg.demo and cfg.hint and "config.example.toml" in cfg.hint
    assert [b.name for b in cfg.boards] == ["serverless"]


def test_config_without_boards_uses_provider_default_preset(monkeypatch):
    cfg = parse_config('[providers.d]\ntype = "demo"\n')
    assert [b.name for b in cfg.boards] == ["serverless"] and cfg.boards[0].provider == "d"


def test_config_example_loads():
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    cfg = load_config(example)
    assert len(cfg.boards) >= 2
    assert {s.type for s in cfg.providers.values()} >= {"demo", "aws", "azure", "prometheus", "gcp"}


def test_config_example_documents_every_option():
    """Every settings key, panel key and provider option appears in config.example.toml."""
    from srvmon.providers.base import BUILTINS, load_provider_class
    from srvmon.schema import BoardCfg, PanelCfg, Settings

    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
    fields = set(Settings.model_fields) | set(PanelCfg.model_fields) | set(BoardCfg.model_fields)
    for name in BUILTINS:
        fields |= set(load_provider_class(name).Options.model_fields)
    import re

    fields.discard("panels")  # the [[boards.panels]] tables themselves
    missing = sorted(f for f in fields if not re.search(rf"(^|[\s{{,#]){re.escape(f)} =", text, re.M))
    assert not missing, f"config.example.toml does not document: {missing}"


def test_prometheus_instance_chooses_its_default_board():
    cfg = parse_config('[providers.k]\ntype = "prometheus"\nurl = "http://127.0.0.1:9"\npreset = "knative"\n')
    assert [(b.name, b.provider) for b in cfg.boards] == [("knative", "k")]
    assert cfg.boards[0].title.lower().startswith("knative")


@pytest.mark.parametrize("row", [100, 20000, 100000000])
def test_a_grid_row_far_below_is_refused_at_once(scripted, tmp_path, row):
    """`position.row = 20000` used 3 GB placing the grid; 1e8 spun forever. Rows are bounded."""
    e = one(load(GOOD.replace("row = 0, col = 0", f"row = {row}, col = 0"), tmp_path))
    assert e.key == "boards[0].panels[0].position.row" and "less than 100" in e.message


def test_overlapping_positions_name_both_panels(scripted, tmp_path):
    second = GOOD.split("[[boards.panels]]")[1].replace('id = "rps"', 'id = "rps2"')
    e = one(
        load(
            GOOD + "\n[[boards.panels]]" + second.replace("col = 0, width = 3", "col = 2, width = 3"),
            tmp_path,
        )
    )
    assert "rps" in e.message and "rps2" in e.message and "overlap" in e.message, e.message
    assert e.line is not None


@pytest.mark.parametrize("nest", ["a = " + "[" * 100_000, "a = " + "{b = " * 100_000])
def test_toml_nested_absurdly_deep_is_a_clear_error(tmp_path, nest):
    p = tmp_path / "deep.toml"
    p.write_text(nest)
    with pytest.raises(ConfigError) as ei:
        load_config(p)
    assert "nested too deeply" in str(ei.value) and "fix:" in str(ei.value)


def test_a_config_that_is_not_a_regular_file_says_what_it_is(tmp_path):
    import os

    with pytest.raises(ConfigError, match="is a directory, not a config file"):
        load_config(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for special in (fifo, Path("/dev/zero")):
        with pytest.raises(ConfigError, match="not a regular file"):
            load_config(special)
