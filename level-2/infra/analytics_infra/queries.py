"""The lake's saved queries: ``infra/queries/*.sql``, rendered for Athena or for a tool.

A file's first line (``-- title``) becomes the query's description. Placeholders:
``${database}``, ``${table}`` and ``${device_id}`` (``?``, an execution parameter, in the saved
query; a quoted device id when a tool or test runs it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"


@dataclass(frozen=True)
class LakeQuery:
    name: str
    description: str
    template: str

    @property
    def has_device_parameter(self) -> bool:
        return "${device_id}" in self.template

    def render(self, *, database: str, table: str, device_id: str | None = None) -> str:
        """SQL with the names filled in; ``device_id=None`` leaves an Athena ``?`` parameter."""
        device = "?" if device_id is None else "'" + device_id.replace("'", "''") + "'"
        return Template(self.template).substitute(database=database, table=table, device_id=device)


def load_queries(directory: Path = QUERIES_DIR) -> dict[str, LakeQuery]:
    out: dict[str, LakeQuery] = {}
    for path in sorted(directory.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0]
        if not first.startswith("-- "):
            raise ValueError(f"{path.name}: the first line must be '-- <description>'")
        out[path.stem] = LakeQuery(path.stem, first[3:].strip(), text)
    return out
