"""The fast JSON codec accepts and produces exactly what the standard library does."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders_connector import jsoncodec

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_what_it_writes_reads_back_as_the_standard_library_reads_it(value: object) -> None:
    written = jsoncodec.dumps(value)
    assert json.loads(written) == json.loads(json.dumps(value))
    assert jsoncodec.loads(written) == json.loads(written)


@pytest.mark.parametrize(
    "body",
    [
        b'{"total_price": NaN, "id": 1}',  # not JSON, but json.loads takes it and so did we
        b'{"id": 123456789012345678901234567890}',  # beyond 64 bits
        b'{"note": "\\ud800"}',  # a lone surrogate
        '{"note": "中文"}'.encode("utf-16"),  # json.loads detects UTF-16
    ],
)
def test_bodies_only_the_standard_library_reads_still_decode(body: bytes) -> None:
    decoded = jsoncodec.loads(body)
    expected = json.loads(body)
    assert json.dumps(decoded, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_a_body_that_is_not_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        jsoncodec.loads(b"<html>login</html>")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_have_no_json_form_even_deep_inside(bad: float) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        jsoncodec.dumps({"items": [{"product": {"price": bad}}]})


def test_huge_integers_and_lone_surrogates_are_written_as_the_standard_library_would() -> None:
    assert jsoncodec.dumps({"id": 2**70}) == b'{"id":1180591620717411303424}'
    assert jsoncodec.dumps({"note": "ok \ud800 中"}) == '{"note":"ok \ufffd 中"}'.encode()


def test_what_has_no_json_form_raises_type_error() -> None:
    with pytest.raises(TypeError):
        jsoncodec.dumps({"note": {1, 2}})
