"""Carrier adapters behind one interface.

An adapter subscribes a waybill to tracking pushes, reads a push (signature first, then the
fields), asks for a waybill's tracking now (the fallback when pushes stop), and requests an
electronic waybill number. What it returns is plain: `Tracking` with its `Trace`s already in
our five normalised statuses, or a `Waybill`. The logistics services decide what a trace means
for a shipment, so every adapter is applied by the same once-per-(shipment, time, status) code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar


class TrackingError(Exception):
    """The tracking service refused or could not be reached; the message is safe to show staff."""


class BadPush(Exception):
    """A push whose signature or shape is wrong: it changes nothing."""


@dataclass(frozen=True)
class Trace:
    """One scan, in our terms, with the carrier's own record kept beside it."""

    at: datetime                # aware, UTC
    status: str                 # in_transit | out_for_delivery | signed | exception | returned
    carrier_status: str = ""    # the carrier's own word or code
    description: str = ""
    location: str = ""
    raw: dict = field(default_factory=dict)


@dataclass
class Tracking:
    """What a push or a query says about one waybill."""

    carrier_code: str
    waybill_no: str
    traces: list[Trace]
    finished: bool = False      # the carrier says the parcel reached its end (signed or returned)
    stopped: str = ""           # the service stopped tracking it (why), e.g. "abort" / "shutdown"
    message: str = ""


@dataclass(frozen=True)
class Waybill:
    number: str
    carrier_code: str
    task_id: str = ""


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    secret: bool = False
    required: bool = True
    help: object = ""


class CarrierAdapter:
    """The interface every tracking service / carrier adapter implements."""

    name: ClassVar[str]
    fields: ClassVar[list[Field]] = []
    ack_ok: ClassVar = ("", 200)
    ack_fail: ClassVar = ("", 400)

    def __init__(self, settings: dict, secrets: dict):
        self.settings, self.secrets = settings, secrets

    def subscribe(self, carrier_code: str, waybill_no: str, callback_url: str, *, phone: str = "") -> None:
        """Ask for pushes about this waybill to `callback_url`. Subscribing twice is not an error."""
        raise NotImplementedError

    def parse_push(self, form: dict) -> Tracking:
        """Read a push as posted; BadPush unless its signature is right."""
        raise NotImplementedError

    def query(self, carrier_code: str, waybill_no: str, *, phone: str = "") -> Tracking:
        """The waybill's tracking now."""
        raise NotImplementedError

    def create_waybill(self, carrier_code: str, account: dict, *, reference: str, sender: dict, receiver: dict,
                       items: list[dict], weight_grams: int | None = None) -> Waybill:
        """An electronic waybill number from the carrier, on the store's account with it."""
        raise NotImplementedError


def registry() -> dict[str, type[CarrierAdapter]]:
    from app.blueprints.logistics.adapters.kuaidi100 import Kuaidi100

    return {Kuaidi100.name: Kuaidi100}
