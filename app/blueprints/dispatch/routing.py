"""Routing (分仓): which warehouse ships which part of an order, by the store's strategy.

Pure functions over plain values: the order's quantities per SKU, the active warehouses
(by priority) and what each can give (its available stock plus what the order already
holds there). The result maps each chosen warehouse to the SKU quantities it ships; each
warehouse becomes one delivery notice.

- ``priority``: warehouses in priority order; each line is taken from the first warehouse
  that has stock, a line splits over several warehouses only when one has too little.
- ``single``: the first warehouse (by priority) that can fill the whole order; when none can,
  the order splits as ``priority`` does (and the result says so).
- ``nearest``: as ``priority``, with the warehouses ordered by nearness to the delivery address
  (same province, then the same area of China — the first digit of the GB/T 2260 code —,
  then the rest; priority breaks ties).
- ``split``: each line whole from the warehouse holding the most of it (spreading the load
  over warehouses), a line splits only when no warehouse can give it whole.
"""
from __future__ import annotations

from dataclasses import dataclass


class Unroutable(Exception):
    """No combination of warehouses holds the order's quantities."""


@dataclass(frozen=True)
class Site:
    id: int
    priority: int
    region_code: str = ""


@dataclass(frozen=True)
class Plan:
    parts: dict[int, dict[int, int]]     # warehouse id → {SKU id: quantity}
    fallback: bool = False               # `single` could not keep the order whole

    @property
    def target(self) -> dict[tuple[int, int], int]:
        return {(sku_id, warehouse_id): quantity for warehouse_id, part in self.parts.items()
                for sku_id, quantity in part.items()}


def nearness(site_code: str, address_code: str) -> int:
    """0 same province, 1 same area, 2 elsewhere, 3 unknown."""
    if not site_code or not address_code:
        return 3
    if site_code[:2] == address_code[:2]:
        return 0
    if site_code[:1] == address_code[:1]:
        return 1
    return 2


def _fill(wanted: dict[int, int], order: list[Site], can: dict[tuple[int, int], int]) -> dict[int, dict[int, int]]:
    parts: dict[int, dict[int, int]] = {}
    for sku_id in sorted(wanted):
        left = wanted[sku_id]
        for site in order:
            take = min(left, can.get((sku_id, site.id), 0))
            if take > 0:
                parts.setdefault(site.id, {})[sku_id] = take
                left -= take
            if left == 0:
                break
        if left:
            raise Unroutable(sku_id)
    return parts


def plan(strategy: str, wanted: dict[int, int], sites: list[Site], can: dict[tuple[int, int], int],
         address_code: str = "") -> Plan:
    """The parts for `wanted` (SKU id → quantity) under `strategy`; raises Unroutable."""
    by_priority = sorted(sites, key=lambda s: (s.priority, s.id))
    if strategy == "single":
        for site in by_priority:
            if all(can.get((sku_id, site.id), 0) >= quantity for sku_id, quantity in wanted.items()):
                return Plan({site.id: dict(wanted)})
        return Plan(_fill(wanted, by_priority, can), fallback=True)
    if strategy == "nearest":
        ordered = sorted(sites, key=lambda s: (nearness(s.region_code, address_code), s.priority, s.id))
        return Plan(_fill(wanted, ordered, can))
    if strategy == "split":
        parts: dict[int, dict[int, int]] = {}
        for sku_id in sorted(wanted):
            whole = [s for s in by_priority if can.get((sku_id, s.id), 0) >= wanted[sku_id]]
            if whole:
                best = max(whole, key=lambda s: (can[(sku_id, s.id)], -s.priority, -s.id))
                parts.setdefault(best.id, {})[sku_id] = wanted[sku_id]
            else:
                most_first = sorted(by_priority, key=lambda s: (-can.get((sku_id, s.id), 0), s.priority, s.id))
                for warehouse_id, part in _fill({sku_id: wanted[sku_id]}, most_first, can).items():
                    parts.setdefault(warehouse_id, {}).update(part)
        return Plan(parts)
    return Plan(_fill(wanted, by_priority, can))
