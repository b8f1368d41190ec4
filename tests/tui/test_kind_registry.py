"""Every registered panel kind names a body widget that exists, and the schema accepts exactly the registry."""

from __future__ import annotations

import pytest

from srvmon import kinds
from srvmon.schema import PanelCfg
from srvmon.widgets.base import PanelBody
from srvmon.widgets.panel import body_class


@pytest.mark.parametrize("name", kinds.names())
def test_each_kind_has_its_body_widget(name: str) -> None:
    assert issubclass(body_class(name), PanelBody)


def test_the_schema_reads_the_registry() -> None:
    with pytest.raises(ValueError, match="unknown panel kind 'pie'"):
        PanelCfg(id="x", title="x", kind="pie")
    with pytest.raises(ValueError, match="`limit` is for gauge panels, not timeseries"):
        PanelCfg(id="x", title="x", kind="timeseries", query="q", limit="account_concurrency")
    assert PanelCfg(id="e", title="Changes", kind="events").kind == "events"
