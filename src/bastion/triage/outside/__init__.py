"""Outside matchers and classifiers: services that know lists a small platform cannot hold.

- PhotoDNA Cloud Service (`photodna`): ``Match`` on image bytes; ``IsMatch`` and
  ``MatchDetails``.
- Arachnid Shield (`arachnid`): media, URL or PDQ; ``csam``, ``harmful-abusive-material`` or
  ``no-known-match``, with exact and near match details.
- Google's Content Safety API (`google_csai`): ``images:classify`` in batches of up to 32, a
  review priority from VERY_LOW to VERY_HIGH per image.

Each service is an `OutsideService`: it turns items into `Answer`s, never raises for what a
service answers (a rate limit, bad credentials, a malformed answer, a timeout are states of
the answer), and is called through a `Guard` (`bastion.triage.outside.guard`: a token bucket
shared by every worker through the database, a deadline, a circuit breaker). A match from a
service is a match like any other: the pipeline records it in the service's bank, where the
bank's rules act on it, and it says where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from bastion.errors import BastionError
from bastion.triage.findings import Finding


class OutsideServiceError(BastionError):
    """A service could not be asked (it is misconfigured, or its answer is unusable)."""


class State(StrEnum):
    """How asking a service about an item ended."""

    #: The service knows the item (a list match).
    MATCHED = "matched"
    #: The service looked and knows nothing of it.
    NO_MATCH = "no_match"
    #: A classifying service ranked it (`Answer.findings` say how).
    CLASSIFIED = "classified"
    #: The service refused this item (too small, an unsupported format): not retried.
    REFUSED = "refused"
    #: The service or our token bucket said wait; retried later.
    RATE_LIMITED = "rate_limited"
    #: No answer within the deadline; retried later.
    TIMEOUT = "timeout"
    #: The credentials were refused: nothing is retried until they change.
    BAD_CREDENTIALS = "bad_credentials"
    #: The answer could not be read (not JSON, missing fields, wrong types).
    MALFORMED = "malformed"
    #: The service failed (5xx, connection refused); retried later.
    UNAVAILABLE = "unavailable"
    #: Too many recent failures: the service is not asked until the breaker's pause ends.
    CIRCUIT_OPEN = "circuit_open"

    @property
    def answered(self) -> bool:
        """Whether the service gave an answer about the item itself."""
        return self in (State.MATCHED, State.NO_MATCH, State.CLASSIFIED, State.REFUSED)


@dataclass(frozen=True)
class Item:
    """One piece of content to ask about: its bytes and what bastion knows of it."""

    data: bytes
    #: ``image`` or ``video``.
    kind: str
    #: ``image/jpeg``...
    media_type: str
    #: Its PDQ (hex), when hashed: a service that takes hashes need not see the media.
    pdq: str | None = None
    #: Where the platform serves it publicly, when known: a service may fetch it there
    #: instead of being sent the bytes.
    url: str | None = None


@dataclass(frozen=True)
class Answer:
    """What one service said about one item."""

    service: str
    state: State
    findings: tuple[Finding, ...] = ()
    #: The service's own words, kept for the reviewer (match details, its status code).
    detail: dict[str, Any] = field(default_factory=dict)
    #: Why it failed, in words, for a state that is not an answer.
    error: str = ""

    @property
    def matched(self) -> bool:
        return self.state is State.MATCHED


class OutsideService(Protocol):
    """A configured outside service (its address and credentials are its own)."""

    #: The configuration's name (one platform may hold two accounts of one kind).
    name: str
    #: ``photodna``, ``arachnid`` or ``google_csai``.
    kind: str
    #: Item kinds it accepts (``image``, ``video``).
    accepts: frozenset[str]
    #: The most items one request carries.
    batch_size: int

    def ask(self, items: list[Item], timeout: float) -> list[Answer]:
        """One answer per item, in order, within `timeout` seconds; never raises for what
        the service answers."""
        ...
