"""The interface of an e-invoice provider (电子发票服务商): given an invoice request it asks the
tax system for an invoice and hands back its number, date and PDF. Staff record invoices by hand
until a store sets one up; an adapter registers itself here (like the payment gateways do)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


class ProviderError(Exception):
    """The provider issued nothing (refused, unreachable); the message says why."""


@dataclass(frozen=True)
class InvoiceAsk:
    """What a provider needs to issue one invoice."""

    reference: str          # our request number, unique per store (idempotency key at the provider)
    kind: str               # personal | company
    title: str              # 抬头
    tax_number: str         # 纳税人识别号 (company), else ""
    email: str
    amount: int             # minor units, tax included
    currency: str
    order_number: str
    lines: tuple            # (title, quantity, amount) per order line


@dataclass(frozen=True)
class IssuedInvoice:
    number: str
    issued_on: date
    pdf: bytes


class InvoiceProvider(Protocol):
    name: str
    label: str

    def issue(self, ask: InvoiceAsk) -> IssuedInvoice: ...


_REGISTRY: dict[str, InvoiceProvider] = {}


def register(provider: InvoiceProvider) -> InvoiceProvider:
    _REGISTRY[provider.name] = provider
    return provider


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def get(name: str) -> InvoiceProvider | None:
    return _REGISTRY.get(name)


def available() -> list[InvoiceProvider]:
    return list(_REGISTRY.values())
