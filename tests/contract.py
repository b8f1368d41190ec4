"""Shared checks of the one-truth contract: the JSON validates against docs/snapshot.schema.json, a
snapshot survives its JSON exactly, and its SVG rendered live and from the JSON is byte-identical."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "snapshot.schema.json"


@cache
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def validate_json(text: str) -> dict[str, Any]:
    """Parse a snapshot export (strictly: NaN/Infinity refused) and validate it against the schema."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"non-standard JSON constant {name} in the export")

    doc = json.loads(text, parse_constant=refuse)
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:10])
    return doc  # type: ignore[no-any-return]


def assert_round_trip(snapshot: Any, *, svg: bool = True, size: tuple[int, int] = (160, 48)) -> None:
    """The snapshot's JSON is schema-valid and reads back equal; its SVG from the JSON is byte-identical."""
    from srvmon.codec import loads
    from srvmon.export import to_json

    text = to_json(snapshot)
    validate_json(text)
    again = loads(text)
    assert again == snapshot, "the snapshot read back from its JSON differs from the one written"
    assert to_json(again) == text
    if svg:
        from datetime import UTC

        from srvmon.tui.export import render_svg

        live = render_svg(snapshot, size, tz=UTC)
        assert render_svg(again, size, tz=UTC) == live
