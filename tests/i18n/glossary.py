"""The glossary of docs/glossary.md as rows the tests check pages against."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"


@dataclass(frozen=True)
class Term:
    en: str
    zh: str
    context: str | None
    pages: tuple[str, ...]
    never: tuple[str, ...]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _list(cell: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in cell.split(",") if item.strip())


def terms() -> list[Term]:
    rows = [line for line in GLOSSARY.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    assert _cells(rows[0])[:2] == ["English", "中文"], "docs/glossary.md: the table's first columns are English | 中文"
    return [Term(c[0], c[1], c[2] or None, _list(c[3]), _list(c[4]))
            for c in map(_cells, rows[2:])]


def on_page(page: str) -> list[Term]:
    return [term for term in terms() if page in term.pages]
