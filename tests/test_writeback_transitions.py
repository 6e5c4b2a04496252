"""The status life cycles and the `allow_transitions` policy that write-back obeys."""

from __future__ import annotations

import pytest

from orders_connector.enums import STATUS_ENUMS, STATUS_FIELDS
from orders_connector.errors import ConfigurationError
from orders_connector.transitions import LIFE_CYCLES, TransitionPolicy

LIFE_CYCLE = TransitionPolicy()


@pytest.mark.parametrize("field", STATUS_FIELDS)
def test_every_published_code_has_a_place_in_its_life_cycle(field: str) -> None:
    cycle = LIFE_CYCLES[field]
    assert set(cycle) == set(STATUS_ENUMS[field])
    for moves in cycle.values():
        assert moves <= set(STATUS_ENUMS[field])


@pytest.mark.parametrize(
    ("field", "current", "target"),
    [
        ("financial_status", "refunded", "pending"),
        ("financial_status", "refunded", "paid"),
        ("financial_status", "paid", "pending"),
        ("fulfillment_status", "received", "preparing"),
        ("fulfillment_status", "returned", "fulfilled"),
        ("return_status", "returned", "request_return"),
        ("return_status", "refused", "returning"),
    ],
)
def test_going_back_is_refused_with_the_entry_that_would_allow_it(
    field: str, current: str, target: str
) -> None:
    refusal = LIFE_CYCLE.refusal(field, current, target)
    assert refusal is not None
    assert f"'{field}:{current}->{target}'" in refusal


@pytest.mark.parametrize(
    ("field", "current", "target"),
    [
        # The CRM missed steps: a parcel still 'preparing' that was delivered long ago.
        ("fulfillment_status", "preparing", "received"),
        ("fulfillment_status", "fulfilled", "arrived"),
        # A refund the payment system made that the CRM never heard of.
        ("financial_status", "paid", "refunded"),
        ("financial_status", "pending", "refunded"),
        ("return_status", "no_need", "returned"),
        ("return_status", "request_return", "no_need"),
    ],
)
def test_moving_forward_even_past_missed_steps_is_allowed(
    field: str, current: str, target: str
) -> None:
    assert LIFE_CYCLE.refusal(field, current, target) is None


def test_an_unset_live_value_may_take_any_published_code() -> None:
    assert LIFE_CYCLE.refusal("return_status", None, "returned") is None


def test_leaving_an_unpublished_live_value_needs_a_wildcard_entry() -> None:
    refusal = LIFE_CYCLE.refusal("fulfillment_status", "lost_in_space", "received")
    assert refusal is not None and "'fulfillment_status:*->received'" in refusal
    policy = TransitionPolicy.parse(["fulfillment_status:*->received"])
    assert policy.refusal("fulfillment_status", "lost_in_space", "received") is None
    assert policy.refusal("fulfillment_status", "lost_in_space", "returned") is not None


def test_an_explicit_entry_allows_exactly_that_move() -> None:
    policy = TransitionPolicy.parse(["financial_status:refunded->pending"])
    assert policy.refusal("financial_status", "refunded", "pending") is None
    assert policy.refusal("financial_status", "refunded", "paid") is not None
    assert policy.refusal("fulfillment_status", "received", "preparing") is not None


def test_wildcards_on_either_side() -> None:
    policy = TransitionPolicy.parse(["return_status:returned->*", "financial_status:*->pending"])
    assert policy.refusal("return_status", "returned", "no_need") is None
    assert policy.refusal("financial_status", "refunded", "pending") is None
    assert policy.refusal("financial_status", "refunded", "paid") is not None


def test_any_turns_the_life_cycle_off_but_not_for_other_policies() -> None:
    policy = TransitionPolicy.parse([" ANY "])
    assert policy.refusal("financial_status", "refunded", "pending") is None
    assert "any move" in policy.describe()
    assert TransitionPolicy.parse([]).describe() == "life cycle"


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ("refunded->pending", "must be 'any' or"),
        ("financial_status:refunded", "must be 'any' or"),
        ("payment_status:refunded->pending", "unknown field 'payment_status'"),
        ("financial_status:refundd->pending", "from 'refundd' is not a published"),
        ("fulfillment_status:*->delivered", "to 'delivered' is not a published"),
    ],
)
def test_malformed_policy_entries_fail_at_start_with_one_clear_line(
    entry: str, complaint: str
) -> None:
    with pytest.raises(ConfigurationError, match=complaint):
        TransitionPolicy.parse([entry])
