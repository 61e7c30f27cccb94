"""The store sidebar: each center registers its entries from its __init__.py."""
from __future__ import annotations

from dataclasses import dataclass

from app.core.permissions import can


@dataclass(frozen=True)
class MenuEntry:
    endpoint: str
    label: object
    permission: str
    order: int = 100
    section: object = None


STORE_MENU: list[MenuEntry] = []


def add(endpoint: str, label, permission: str, order: int = 100, section=None) -> None:
    STORE_MENU.append(MenuEntry(endpoint, label, permission, order, section))
    STORE_MENU.sort(key=lambda e: e.order)


def visible_entries() -> list[MenuEntry]:
    """The entries the current store user may open, in order."""
    return [e for e in STORE_MENU if can(e.permission)]
