"""Calendar (iCal) feeds: secret feed tokens and the subscription files they open."""
