"""Checks for French health identifiers (RPPS, FINESS); messages name what is wrong."""

import re

RPPS_PATTERN = re.compile(r"^\d{11}$")
FINESS_PATTERN = re.compile(r"^(\d{2}|2A|2B)\d{7}$")
CORSICA_DEPARTMENTS = {"2A": "20", "2B": "20"}


def luhn_is_valid(digits: str) -> bool:
    """True when the digit string, check key included, passes the Luhn algorithm."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def rpps_problem(value: str) -> str | None:
    """Why ``value`` is not a valid RPPS number, or None when it is."""
    if not RPPS_PATTERN.match(value):
        return "must be exactly 11 digits"
    if not luhn_is_valid(value):
        return "check key (last digit) does not match: not a valid RPPS number"
    return None


def finess_problem(value: str) -> str | None:
    """Why ``value`` is not a valid FINESS number, or None when it is.

    Corsican numbers start with 2A or 2B; the key is computed with "20" in their place.
    """
    if not FINESS_PATTERN.match(value):
        return "must be 9 characters: digits, the first two may be 2A or 2B (Corsica)"
    digits = CORSICA_DEPARTMENTS.get(value[:2], value[:2]) + value[2:]
    if not luhn_is_valid(digits):
        return "check key (last digit) does not match: not a valid FINESS number"
    return None


def with_luhn_key(body: str) -> str:
    """Append the Luhn check digit to a digit string (used by the demo generator)."""
    for key in "0123456789":
        if luhn_is_valid(body + key):
            return body + key
    raise AssertionError("unreachable: one Luhn key always fits")
