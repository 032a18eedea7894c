"""What looks like a patient's identity in a message of the on-call channel: a French
phone number or a birth date. The channel is shared by the whole on-call team, so such a
message is refused (the referral's own thread is the place for a patient)."""

import re

_PHONE = re.compile(r"(?<!\d)(?:\+33[\s.-]?|0033[\s.-]?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(?:0?[1-9]|[12]\d|3[01])\s?[/.-]\s?(?:0?[1-9]|1[0-2])\s?[/.-]\s?(?:19|20)\d{2}(?!\d)"
)
_MONTHS = (
    "janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre"
)
_WRITTEN_DATE = re.compile(
    rf"(?<!\d)(?:0?[1-9]|[12]\d|3[01])(?:er)?\s+(?:{_MONTHS})\.?\s+(?:19|20)\d{{2}}(?!\d)",
    re.IGNORECASE,
)


def identity_found(text: str) -> str | None:
    """What in ``text`` looks like patient identity (``a phone number``, ``a birth date``),
    or None."""
    if _PHONE.search(text):
        return "a phone number"
    if _NUMERIC_DATE.search(text) or _WRITTEN_DATE.search(text):
        return "a birth date"
    return None
