"""Signed, expiring acknowledgement links, so PR staff can ack from the phone without logging in."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from urllib.parse import quote

from monitor.clock import Clock


class AckLinkError(Exception):
    """The link was forged, altered or has expired."""


QUEUE = "queue"


class AckLinks:
    def __init__(self, secret: str, public_url: str, ttl: timedelta, clock: Clock) -> None:
        if not secret:
            raise ValueError("ack links need a secret")
        self._key = secret.encode("utf-8")
        self._base = public_url.rstrip("/")
        self._ttl = ttl
        self._clock = clock

    def _signature(self, incident_id: str, expires: int) -> str:
        message = f"{incident_id}|{expires}".encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def url(self, incident_id: str) -> str:
        return self.link(f"ack/{quote(incident_id)}", incident_id)

    def link(self, path: str, subject: str) -> str:
        """A signed, expiring link to any page of the daemon; `subject` is what the signature covers
        (an incident id, or QUEUE for the reply queue and the actions on its items)."""
        expires = int((self._clock.now() + self._ttl).timestamp())
        return f"{self._base}/{path}?exp={expires}&sig={self._signature(subject, expires)}"

    def verify(self, incident_id: str, exp: str, sig: str) -> None:
        """Raise AckLinkError unless the link is ours, for this incident, and not expired."""
        try:
            expires = int(exp)
        except (TypeError, ValueError):
            raise AckLinkError("malformed link") from None
        if not hmac.compare_digest(self._signature(incident_id, expires), sig or ""):
            raise AckLinkError("invalid signature")
        if self._clock.now().timestamp() > expires:
            raise AckLinkError("link expired")
