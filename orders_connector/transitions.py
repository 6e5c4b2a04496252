"""Which status changes write-back may make: a documented life cycle per field, plus a policy.

Each field has a life cycle of one-step moves (`LIFE_CYCLES`). The CRM often misses steps (a
parcel that was shipped, arrived and was received while the CRM still says `preparing`), so a
correction may jump ahead to any status *reachable* from the live one along those moves. Going
back (`refunded` -> `pending`, `received` -> `preparing`) is refused unless a policy entry allows
it explicitly. Terminal statuses (`refunded`, `returned`, ...) reach nothing.

Policy entries (`allow_transitions`), each one string:

- `"any"`: every move between published codes is allowed (the life cycle is not checked);
- `"<field>:<from>-><to>"`: allow that one move, e.g. `"financial_status:refunded->pending"`;
  `*` stands for any value on either side, e.g. `"fulfillment_status:*->received"`. On the
  `from` side `*` also covers a live value outside the published list.

A live value that is NULL (never set) may be set to any published code. A live value outside the
published list has no place in the life cycle: moving away from it needs a `<field>:*-><to>`
entry (or `"any"`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from orders_connector.enums import STATUS_ENUMS, STATUS_FIELDS, StatusField
from orders_connector.errors import ConfigurationError

ANY: Final = "any"
WILDCARD: Final = "*"

# One-step moves of each field's life cycle. Why each move exists:
LIFE_CYCLES: Final[dict[StatusField, dict[str, frozenset[str]]]] = {
    "financial_status": {
        # An order waits for payment, is paid, chosen as cash on delivery, remitted, or fails.
        "pending": frozenset({"paid", "cod", "remitted", "failed"}),
        # Cash on delivery is paid when the parcel is handed over, or never.
        "cod": frozenset({"paid", "failed"}),
        # A remittance arrives, or bounces.
        "remitted": frozenset({"paid", "failed"}),
        # A failed attempt can be retried (back to waiting) or settled by another means.
        "failed": frozenset({"pending", "paid"}),
        # Paid money can be (partly) refunded, directly or through a pending refund.
        "paid": frozenset(
            {"pending_refund", "pending_partial_refund", "refunded", "partial_refunded"}
        ),
        # A pending refund completes, or is cancelled and the order stays paid.
        "pending_refund": frozenset({"refunded", "paid"}),
        "pending_partial_refund": frozenset({"partial_refunded", "paid"}),
        # After a partial refund the rest may be refunded too.
        "partial_refunded": frozenset({"pending_refund", "pending_partial_refund", "refunded"}),
        # Money that went back stays back.
        "refunded": frozenset(),
    },
    "fulfillment_status": {
        # Before shipping, preparation can start or be put back.
        "unshipped": frozenset({"preparing", "partial", "fulfilled", "problem"}),
        "preparing": frozenset({"unshipped", "partial", "fulfilled", "problem"}),
        "partial": frozenset({"fulfilled", "problem", "returned"}),
        # A shipped parcel arrives at the store, is received, comes back, expires, or gets stuck.
        "fulfilled": frozenset({"arrived", "received", "returned", "expired", "problem"}),
        "arrived": frozenset({"received", "expired", "returned", "problem"}),
        # A received parcel can only still come back.
        "received": frozenset({"returned"}),
        # A parcel overdue for pickup is picked up late or sent back.
        "expired": frozenset({"received", "returned"}),
        # A shipping exception is resolved forward, never back to before shipping.
        "problem": frozenset({"fulfilled", "arrived", "received", "returned", "expired"}),
        "returned": frozenset(),
    },
    "return_status": {
        "no_need": frozenset({"request_return"}),
        # A request is reviewed, shipped back (also via a convenience store), refused, or withdrawn.
        "request_return": frozenset(
            {"checking", "returning", "in_origin_cvs", "refused", "no_need"}
        ),
        "returning": frozenset(
            {"in_origin_cvs", "in_hub", "checking", "returned", "partial_return", "problem"}
        ),
        "in_origin_cvs": frozenset({"in_hub", "returning", "checking", "problem"}),
        "in_hub": frozenset({"checking", "returned", "partial_return", "problem"}),
        "checking": frozenset({"returned", "partial_return", "refused"}),
        "problem": frozenset(
            {"returning", "in_origin_cvs", "in_hub", "checking", "returned", "partial_return"}
        ),
        # The rest of a partial return may still arrive.
        "partial_return": frozenset({"returned"}),
        "refused": frozenset(),
        "returned": frozenset(),
    },
}


def reachable(field: StatusField, start: str) -> frozenset[str]:
    """Every status the life cycle can lead to from `start` in one or more moves."""
    moves = LIFE_CYCLES[field]
    seen: set[str] = set()
    frontier = list(moves.get(start, ()))
    while frontier:
        status = frontier.pop()
        if status not in seen:
            seen.add(status)
            frontier.extend(moves.get(status, ()))
    return frozenset(seen)


REACHABLE: Final[dict[StatusField, dict[str, frozenset[str]]]] = {
    field: {status: reachable(field, status) for status in LIFE_CYCLES[field]}
    for field in STATUS_FIELDS
}


@dataclass(frozen=True)
class AllowedMove:
    """One policy entry: a move the life cycle would refuse, allowed anyway."""

    field: StatusField
    source: str
    target: str

    def matches(self, field: StatusField, current: str | None, target: str) -> bool:
        return (
            self.field == field
            and self.source in (WILDCARD, current)
            and self.target in (WILDCARD, target)
        )

    def __str__(self) -> str:
        return f"{self.field}:{self.source}->{self.target}"


@dataclass(frozen=True)
class TransitionPolicy:
    """The life cycle plus the moves a run allows on top of it."""

    allow_any: bool = False
    extra: tuple[AllowedMove, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> TransitionPolicy:
        """A policy from `allow_transitions` entries; a malformed entry is a ConfigurationError."""
        allow_any = False
        extra: list[AllowedMove] = []
        for raw in entries:
            entry = raw.strip()
            if entry.lower() == ANY:
                allow_any = True
            elif entry:
                extra.append(_parse_move(entry))
        return cls(allow_any=allow_any, extra=tuple(extra))

    def refusal(self, field: StatusField, current: str | None, target: str) -> str | None:
        """Why moving `field` from `current` to `target` is refused; None when it is allowed.

        `target` must already be a published code (invalid codes are rejected before this).
        """
        if current is None or current == target or self.allow_any:
            return None
        if any(move.matches(field, current, target) for move in self.extra):
            return None
        if current not in STATUS_ENUMS[field]:
            return (
                f"live value {current!r} is not a published {field} code; "
                f"allow it with '{field}:*->{target}'"
            )
        if target in REACHABLE[field][current]:
            return None
        return (
            f"{current} -> {target} goes against the {field} life cycle; "
            f"allow it with '{field}:{current}->{target}'"
        )

    def describe(self) -> str:
        """The policy in one line, for run metadata."""
        parts = ["life cycle"]
        if self.allow_any:
            parts = ["any move between published codes"]
        parts += [str(move) for move in self.extra]
        return ", ".join(parts)


def _parse_move(entry: str) -> AllowedMove:
    field_name, sep, move = entry.partition(":")
    source, arrow, target = move.partition("->")
    if not sep or not arrow:
        raise ConfigurationError(
            f"allow_transitions entry {entry!r} must be 'any' or '<field>:<from>-><to>'"
        )
    field = _status_field(field_name.strip())
    source, target = source.strip(), target.strip()
    codes: Mapping[str, str] = STATUS_ENUMS[field]
    for side, code in (("from", source), ("to", target)):
        if code != WILDCARD and code not in codes:
            raise ConfigurationError(
                f"allow_transitions entry {entry!r}: {side} {code!r} is not a published "
                f"{field} code (use one of {', '.join(codes)} or '*')"
            )
    return AllowedMove(field=field, source=source, target=target)


def _status_field(name: str) -> StatusField:
    for field in STATUS_FIELDS:
        if field == name:
            return field
    raise ConfigurationError(
        f"allow_transitions: unknown field {name!r} (use one of {', '.join(STATUS_FIELDS)})"
    )
