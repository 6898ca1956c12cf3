"""Microsoft's PhotoDNA Cloud Service: the ``Match`` operation.

One image per request, POSTed as its bytes with its media type (GIF, JPEG, PNG, BMP or TIFF;
160x160 pixels to 4 MB), or with the option ``send = "url"`` as the public address the
service fetches it from (``{"DataRepresentation": "URL", "Value": ...}``), to
``{url}/photodna/v1.0/Match``, with the subscription key in
``Ocp-Apim-Subscription-Key``. The answer's ``Status.Code`` says how it went: 3000 OK, 3002 a
missing or invalid parameter, 3004 an error of the service's, 3206 not an image, 3208 an
image too small or too large. With 3000, ``IsMatch`` and ``MatchDetails.MatchFlags`` (each a
``Source`` list and its ``Violations``) say what it matched. HTTP 401 is a refused key; 429
(rate) and 403 (quota spent) ask to wait.

Configuration: `url` (``https://api.microsoftmoderator.com``), credentials
``{"subscription_key": ...}``, options ``enhance`` (broader matching, slower) and ``send``
(``media``, the default, or ``url``).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from bastion.triage.findings import Finding, FindingKind
from bastion.triage.outside import Answer, Item, State
from bastion.triage.outside.http import CallFailed, Reply, post

MEDIA_TYPES = frozenset({"image/gif", "image/jpeg", "image/png", "image/bmp", "image/tiff"})
#: PhotoDNA's status codes, in words.
STATUS = {
    3000: "OK",
    3002: "invalid or missing request parameter",
    3004: "an error of the service",
    3206: "not an image",
    3208: "image size out of range (160x160 pixels to 4 MB)",
}


class PhotoDna:
    kind = "photodna"
    credential_fields = ("subscription_key",)
    default_url = "https://api.microsoftmoderator.com"
    option_values: ClassVar[dict[str, tuple[str, ...]]] = {
        "enhance": ("true", "false"),
        "send": ("media", "url"),
    }
    accepts = frozenset({"image"})
    batch_size = 1

    def __init__(self, config: Any) -> None:
        self.name: str = config.name
        self._endpoint = config.url.rstrip("/") + "/photodna/v1.0/Match"
        if config.options.get("enhance") == "true":
            self._endpoint += "?enhance=true"
        self._key = config.credentials.get("subscription_key", "")
        self._by_url = config.options.get("send", "media") == "url"

    def ask(self, items: list[Item], timeout: float) -> list[Answer]:
        return [self._one(item, timeout) for item in items]

    def _one(self, item: Item, timeout: float) -> Answer:
        if self._by_url:
            return self._at_url(item, timeout)
        if item.media_type not in MEDIA_TYPES:
            return Answer(
                self.name,
                State.REFUSED,
                error=f"PhotoDNA takes GIF, JPEG, PNG, BMP or TIFF, not {item.media_type}",
            )
        try:
            reply = post(
                self._endpoint,
                item.data,
                {"Content-Type": item.media_type, "Ocp-Apim-Subscription-Key": self._key},
                timeout,
            )
            return self._read(reply)
        except CallFailed as e:
            return Answer(self.name, e.state, error=e.message)

    def _at_url(self, item: Item, timeout: float) -> Answer:
        """The service fetches the image from the platform's public address."""
        if item.url is None:
            return Answer(self.name, State.REFUSED, error="no public URL to send (send=url)")
        body = json.dumps({"DataRepresentation": "URL", "Value": item.url}).encode()
        headers = {"Content-Type": "application/json", "Ocp-Apim-Subscription-Key": self._key}
        try:
            return self._read(post(self._endpoint, body, headers, timeout))
        except CallFailed as e:
            return Answer(self.name, e.state, error=e.message)

    def _read(self, reply: Reply) -> Answer:
        if reply.status == 401:
            return Answer(
                self.name, State.BAD_CREDENTIALS, error="the subscription key was refused"
            )
        if reply.status in (403, 429):
            wait = reply.retry_after()
            said = _message(reply)
            return Answer(
                self.name,
                State.RATE_LIMITED,
                detail={} if wait is None else {"retry_after": wait},
                error=f"HTTP {reply.status}: {said}",
            )
        if reply.status >= 500:
            return Answer(self.name, State.UNAVAILABLE, error=f"HTTP {reply.status}")
        if reply.status != 200:
            return Answer(self.name, State.REFUSED, error=f"HTTP {reply.status}: {_message(reply)}")
        found = reply.json()
        status = found.get("Status") if isinstance(found, dict) else None
        code = status.get("Code") if isinstance(status, dict) else None
        if not isinstance(code, int):
            return Answer(self.name, State.MALFORMED, error="the answer has no Status.Code")
        if code == 3004:
            return Answer(self.name, State.UNAVAILABLE, error=f"status 3004: {STATUS[3004]}")
        if code != 3000:
            return Answer(
                self.name,
                State.REFUSED,
                detail={"status": code},
                error=f"status {code}: {STATUS.get(code, 'unknown status')}",
            )
        is_match = found.get("IsMatch")
        details = found.get("MatchDetails")
        if not isinstance(is_match, bool):
            return Answer(self.name, State.MALFORMED, error="IsMatch is not true or false")
        tracking = {"tracking_id": found.get("TrackingId"), "status": code}
        if not is_match:
            return Answer(self.name, State.NO_MATCH, detail=tracking)
        flags = details.get("MatchFlags") if isinstance(details, dict) else None
        if not isinstance(flags, list) or not all(isinstance(f, dict) for f in flags):
            return Answer(self.name, State.MALFORMED, error="a match without MatchFlags")
        sources = [
            {
                "source": str(f.get("Source", "")),
                "violations": [str(v) for v in f.get("Violations") or []],
            }
            for f in flags
        ]
        detail = {**tracking, "match_flags": sources}
        finding = Finding(FindingKind.OUTSIDE_MATCH, self.name, "photodna", 1.0, detail)
        return Answer(self.name, State.MATCHED, (finding,), detail)


def _message(reply: Reply) -> str:
    try:
        found = reply.json()
    except CallFailed:
        return "no message"
    if isinstance(found, dict):
        return str(found.get("message") or found.get("Message") or "no message")[:300]
    return "no message"
