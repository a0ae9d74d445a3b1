"""JSON Schema of every event, exported to `schemas/` and committed.

`python -m onboarding_contracts.schemas` rewrites the files; a test fails when the code and
the committed files drift apart, and another when a change would break an older consumer.
"""

import json
from pathlib import Path
from typing import Any

from onboarding_contracts.events import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_of(event_type: str) -> dict[str, Any]:
    return EVENT_TYPES[event_type].model_json_schema(by_alias=True, mode="serialization")


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def schema_path(event_type: str) -> Path:
    return SCHEMA_DIR / f"{event_type}.json"


def export() -> list[Path]:
    SCHEMA_DIR.mkdir(exist_ok=True)
    written = []
    for event_type in sorted(EVENT_TYPES):
        path = schema_path(event_type)
        path.write_text(render(schema_of(event_type)))
        written.append(path)
    return written


def breaking_changes(old: dict[str, Any], new: dict[str, Any], where: str = "") -> list[str]:
    """What in `new` would stop a consumer built against `old` from reading new events:
    a property removed, its type changed, or a property newly required."""
    problems: list[str] = []
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})

    def resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        return defs[ref.rsplit("/", 1)[-1]] if ref else node

    def compare(o: dict[str, Any], n: dict[str, Any], path: str) -> None:
        o, n = resolve(o, old_defs), resolve(n, new_defs)
        if o.get("type") != n.get("type") or o.get("const") != n.get("const"):
            problems.append(f"{path}: type changed from {o.get('type')} to {n.get('type')}")
        newly_required = set(n.get("required", [])) - set(o.get("required", []))
        problems.extend(f"{path}.{name}: newly required" for name in sorted(newly_required))
        old_props, new_props = o.get("properties", {}), n.get("properties", {})
        for name, old_prop in old_props.items():
            if name not in new_props:
                problems.append(f"{path}.{name}: removed")
            else:
                compare(old_prop, new_props[name], f"{path}.{name}")

    compare(old, new, where or old.get("title", "event"))
    return problems


if __name__ == "__main__":
    for written_path in export():
        print(written_path.name)
