"""The three order status enumerations, as published on the vendor's Orders page.

This is the only module the sandbox shares with the client: value lists, never parsing code.
"""

from __future__ import annotations

from typing import Final, Literal

StatusField = Literal["financial_status", "fulfillment_status", "return_status"]

FINANCIAL_STATUSES: Final[dict[str, str]] = {
    "pending": "Awaiting payment",
    "paid": "Payment received",
    "cod": "Cash on delivery",
    "remitted": "Remitted but not received",
    "failed": "Payment failed",
    "pending_refund": "Pending refund",
    "pending_partial_refund": "Pending partial refund",
    "partial_refunded": "Partially refunded",
    "refunded": "Refunded",
}

FULFILLMENT_STATUSES: Final[dict[str, str]] = {
    "unshipped": "Not shipped",
    "preparing": "Preparing for shipment",
    "partial": "Partially shipped",
    "fulfilled": "Shipped",
    "arrived": "Arrived at store",
    "received": "Received",
    "returned": "Returned",
    "expired": "Overdue for pickup",
    "problem": "Shipping exception",
}

RETURN_STATUSES: Final[dict[str, str]] = {
    "no_need": "No return needed",
    "request_return": "Return requested",
    "returning": "Returning",
    "checking": "Return under review",
    "refused": "Return refused",
    "returned": "Returned",
    "partial_return": "Partial return",
    "in_origin_cvs": "Original drop-off store",
    "in_hub": "Transit hub",
    "problem": "Shipping exception",
}

STATUS_ENUMS: Final[dict[StatusField, dict[str, str]]] = {
    "financial_status": FINANCIAL_STATUSES,
    "fulfillment_status": FULFILLMENT_STATUSES,
    "return_status": RETURN_STATUSES,
}

STATUS_FIELDS: Final[tuple[StatusField, ...]] = (
    "financial_status",
    "fulfillment_status",
    "return_status",
)

# `order_source` has no published list; these are the values seen in the wild.
KNOWN_ORDER_SOURCES: Final[tuple[str, ...]] = ("cyberbiz",)

# Statuses after which a field is not expected to change any more. An order is "open" (worth
# re-reading beyond the lookback) while any of its three fields holds a value outside these sets,
# unknown values included: we cannot know where an unknown value leads, so we keep watching it.
# - payment: money arrived, went back, or the attempt failed; pending/remitted/refund-in-progress
#   are open, and so is `cod` (it turns into `paid` on delivery).
# - fulfillment: the parcel was received, came back, or was never picked up; everything on the
#   way (including `problem`, which staff resolve) is open.
# - return: no return, or a return that was refused or completed; any return in flight is open.
#   A missing return status counts as terminal (no return was ever started).
TERMINAL_STATUSES: Final[dict[StatusField, frozenset[str]]] = {
    "financial_status": frozenset({"paid", "failed", "partial_refunded", "refunded"}),
    "fulfillment_status": frozenset({"received", "returned", "expired"}),
    "return_status": frozenset({"no_need", "refused", "returned", "partial_return"}),
}
