"""A quantity typed the way it is shown (1,000) is refused with the way out, never read as 1 or 1000."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.models import InputError, to_decimal


@pytest.mark.parametrize("typed", ["1,000", "1,5", "2,500.5"])
def test_a_separator_is_refused_and_the_message_says_so(typed: str) -> None:
    with pytest.raises(InputError) as e:
        to_decimal(typed, "quantity")
    assert e.value.field == "quantity" and "without separators" in str(e.value)


def test_plain_and_exponent_forms_are_exact() -> None:
    assert to_decimal(" 1000 ", "quantity") == to_decimal("1e3", "quantity") == Decimal(1000)
    assert to_decimal("0.001", "quantity") == Decimal("0.001")
