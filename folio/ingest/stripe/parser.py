"""One export line -> one row: decode, check the object's identity and contract, map.

Every line either becomes an ``Extracted`` row or raises ``Reject`` with the reason that
goes to quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from folio.ingest.stripe.columns import Reject
from folio.ingest.stripe.fields import object_structs
from folio.ingest.stripe.specs import ObjectSpec


@dataclass
class Extracted:
    """One object's column values (in ``cols`` order), child rows, and fields new to us."""

    id: str
    values: list[Any]
    is_deleted: bool
    children: dict[str, list[list[Any]]]
    unknown: list[str]
    truncated: bool


class Parser:
    """Decodes the lines of one object type's export (its decoders are built once)."""

    _any = msgspec.json.Decoder()

    def __init__(self, spec: ObjectSpec) -> None:
        self.spec = spec
        strict, lenient = object_structs(spec.object)
        self.strict = msgspec.json.Decoder(strict)
        self.lenient = msgspec.json.Decoder(lenient)
        self.required = [(i, c.name) for i, c in enumerate(spec.cols) if c.required]
        self.child_required = {
            ch.name: [(i, c.name) for i, c in enumerate(ch.cols) if c.required]
            for ch in spec.children
        }

    def _slow(self, raw: bytes) -> tuple[Any, list[str]]:
        """The strict decoder refused the line: find out why, or decode it leniently."""
        try:
            obj = self._any.decode(raw)
        except msgspec.DecodeError as exc:
            raise Reject(f"unparseable JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise Reject("not a JSON object")
        self._identify(obj.get("object"), obj.get("id"))
        record_id = obj["id"]
        try:
            o = self.lenient.decode(raw)
        except msgspec.ValidationError as exc:
            raise Reject(f"contract: {exc}", record_id) from None
        return o, sorted(obj.keys() - self.spec.known)

    def _identify(self, kind: Any, id_: Any) -> None:
        if kind != self.spec.object:
            raise Reject(f"object type {kind!r} in the {self.spec.object} export")
        if type(id_) is not str or not id_:
            raise Reject("missing id")

    def parse(self, raw: bytes) -> Extracted:
        """The row of one export line; raises ``Reject`` with the quarantine reason."""
        if not raw.strip():
            raise Reject("empty line")
        try:
            o, unknown = self.strict.decode(raw), []
        except msgspec.ValidationError:
            o, unknown = self._slow(raw)
        except msgspec.DecodeError as exc:
            raise Reject(f"unparseable JSON: {exc}") from None
        else:
            self._identify(o.object, o.id)
        spec = self.spec
        stub = spec.deletable and o.deleted is True  # a deletion: {id, object, deleted}
        values = spec.values(o)
        if not stub:
            for i, name in self.required:
                if values[i] is None:
                    raise Reject(f"contract: {name}: required, missing or null", o.id)
        children = {}
        truncated = False
        for child in spec.children:
            rows = child.rows(o)
            for row in rows:
                for i, name in self.child_required[child.name]:
                    if row[i] is None:
                        raise Reject(
                            f"contract: {child.name}.{name}: required, missing or null", o.id
                        )
            children[child.name] = rows
        for lst in (getattr(o, "items", None), getattr(o, "lines", None)):
            if lst is not None and not isinstance(lst, list) and lst.has_more:
                truncated = True
        if spec.object == "invoice" and o.payments is not None:
            truncated = truncated or (not isinstance(o.payments, list) and o.payments.has_more)
        return Extracted(o.id, values, stub, children, unknown, truncated)
