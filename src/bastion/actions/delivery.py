"""`WebhookDeliverer`: sends the outbox's due rows, with retries, at least once.

Each row is claimed (see `outbox`), POSTed with plain httpx and no redirects followed, then
marked: 2xx is delivered; anything else, or no answer, is retried after an exponential
backoff with jitter (``backoff_base * 2**attempts`` seconds, at most an hour, ±20%) until
`max_attempts`, when the row is dead. A row is marked delivered only after the 2xx, so a
worker killed mid-request loses nothing: its claim expires and another run sends the row
again. Receivers therefore dedupe by ``X-Bastion-Delivery`` (or the event's ``event_id``).

A row is signed when it is sent, with its rule's secrets as they are then (opened from their
sealed form by the credential box handed in): after a rotation, rows queued before it are
signed with the new secret. A secret that cannot be opened fails the attempt; nothing is
ever sent unsigned.

Webhook targets are set by an administrator, so private and loopback addresses are allowed.
Environment proxy settings and ~/.netrc are not used (`trust_env=False`): no credential
from the host's environment is ever attached to a webhook.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

from bastion import __version__
from bastion.actions.outbox import Claim, claim_next, mark_delivered, mark_failed
from bastion.actions.webhook import signature_header
from bastion.errors import BastionError
from bastion.store.database import Database
from bastion.store.models import utcnow

if TYPE_CHECKING:
    from bastion.exchange.secrets import CredentialBox

log = logging.getLogger("bastion.actions")

MAX_BACKOFF_SECONDS = 3600.0
JITTER = 0.2


class WebhookDeliverer:
    """Delivers due outbox rows; safe to run in several threads or processes at once."""

    def __init__(
        self,
        db: Database,
        box: CredentialBox,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 5.0,
        max_attempts: int = 8,
        backoff_base: float = 1.0,
        claim_seconds: float | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.db = db
        #: Opens the rules' sealed signing secrets (see `bastion.actions.secrets`).
        self.box = box
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        #: How long a claim holds a row: long enough for one request to finish.
        self.claim_seconds = timeout * 2 if claim_seconds is None else claim_seconds
        self._clock = clock
        self._rng = rng or random.Random()
        self._client = httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": f"bastion/{__version__} (webhook)"},
        )

    # Delivering --------------------------------------------------------------------------

    def deliver_due(self, limit: int = 100) -> int:
        """Deliver up to `limit` due rows; returns how many were delivered (2xx)."""
        return self._round(limit, None)[1]

    def _round(self, limit: int, stop: threading.Event | None) -> tuple[int, int]:
        claimed = delivered = 0
        while claimed < limit and not (stop is not None and stop.is_set()):
            now = self._clock()
            claim = claim_next(self.db, now=now, until=now + timedelta(seconds=self.claim_seconds))
            if claim is None:
                break
            claimed += 1
            delivered += self._deliver(claim)
        return claimed, delivered

    def _deliver(self, claim: Claim) -> bool:
        try:
            secrets = claim.secrets.to_sign_with(self.box, rule_id=claim.rule_id, now=self._clock())
        except BastionError as e:  # unreadable: a failed attempt, retried, never sent unsigned
            error: str | None = e.message
        else:
            error = self._post(claim, secrets)
        if error is None:
            mark_delivered(self.db, claim, now=self._clock())
            return True
        attempts = claim.attempts + 1
        retry_at = None if attempts >= self.max_attempts else self._retry_at(attempts)
        mark_failed(self.db, claim, error=error, retry_at=retry_at)
        log.warning(
            "webhook delivery %d (rule %d) failed, attempt %d of %d%s: %s",
            claim.id,
            claim.rule_id,
            attempts,
            self.max_attempts,
            "" if retry_at else ", giving up",
            error,
        )
        return False

    def _post(self, claim: Claim, secrets: list[str]) -> str | None:
        """POST the row signed with `secrets`; None on 2xx, else a short error that names
        no secret or URL."""
        body = encode_body(claim.payload)
        timestamp = int(self._clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "X-Bastion-Event": str(claim.payload.get("event_type", "match")),
            "X-Bastion-Delivery": str(claim.id),
            "X-Bastion-Timestamp": str(timestamp),
            "X-Bastion-Signature": signature_header(secrets, timestamp, body),
        }
        try:
            # Streamed so the response body is never read: only the status matters.
            with self._client.stream("POST", claim.url, content=body, headers=headers) as r:
                if 200 <= r.status_code < 300:
                    return None
                if r.is_redirect:
                    return f"HTTP {r.status_code} (redirects are not followed)"
                return f"HTTP {r.status_code}"
        except Exception as e:  # any failure is a failed attempt, never a stuck claim
            return _describe(e, [*secrets, claim.url])

    def _retry_at(self, attempts: int) -> datetime:
        delay = self.backoff_base * 2.0 ** min(attempts, 32)
        delay *= self._rng.uniform(1 - JITTER, 1 + JITTER)
        return self._clock() + timedelta(seconds=min(delay, MAX_BACKOFF_SECONDS))

    # Running -----------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, interval: float = 1.0, batch: int = 100) -> None:
        """Deliver until `stop` is set, looking for due rows every `interval` seconds."""
        while not stop.is_set():
            try:
                claimed, _ = self._round(batch, stop)
            except Exception:  # a database hiccup must not end the loop
                log.exception("webhook delivery round failed")
                claimed = 0
            if claimed < batch:
                stop.wait(interval)

    @contextmanager
    def in_background(self, interval: float = 1.0) -> Iterator[threading.Thread]:
        """Run `run_forever` in a daemon thread for the duration of the block."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever, args=(stop, interval), name="bastion-webhooks", daemon=True
        )
        thread.start()
        try:
            yield thread
        finally:
            stop.set()
            thread.join(timeout=self.claim_seconds + interval)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> WebhookDeliverer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def encode_body(payload: dict[str, object]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys sorted."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def _describe(error: Exception, sensitive_texts: list[str]) -> str:
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    for sensitive in sensitive_texts:
        if sensitive:
            text = text.replace(sensitive, "<redacted>")
    return text[:200]
