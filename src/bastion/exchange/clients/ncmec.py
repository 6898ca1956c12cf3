"""A client for NCMEC's Hash Sharing API v2, as NCMEC documents it and python-threatexchange
speaks it.

HTTP Basic auth; XML in the namespace ``https://hashsharing.ncmec.org/hashsharing/v2``
(read with or without it). `GET /v2/entries?from=&to=` returns `<queryResult>` with
`<images>` and `<videos>`, each holding entries (`<image>`, `<video>`) and tombstones
(`<deletedImage>`, `<deletedVideo>`), and `<paging><next>` with the path of the next page
(relative to the environment's base URL). Entry ids are unique per member, so entries are
named `"{member id}-{id}"`. Feedback is `PUT
/v2/entries/{member id}/{id}/{FINGERPRINT}/feedback` with a `<feedbackSubmission>`.

Responses are untrusted: a DTD is refused outright (no entity expansion), sizes are
bounded (`HttpSession`), and anything malformed raises `ExchangeError` naming the page.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx

from bastion.exchange.api import ExchangeError
from bastion.exchange.clients.http import HttpSession

NAMESPACE = "https://hashsharing.ncmec.org/hashsharing/v2"
#: python-threatexchange's names for NCMEC's environments, and their base URLs.
ENVIRONMENTS = {
    "Industry": "https://report.cybertip.org/hashsharing",
    "Industry_Exploitative": "https://report.cybertip.org/exploitative-hashsharing",
    "LawEnforcement": "https://lesp.ncmec.org/csam-hashsharing",
    "NGO": "https://hashsharing.ncmec.org/npo",
    "Exploitative": "https://hashsharing.ncmec.org/exploitative",
    "NGO_Generative_AI": "https://hashsharing.ncmec.org/generative-ai-csam",
    "NGO_Generative_AI_Exploitative": "https://hashsharing.ncmec.org/generative-ai-exploitative",
    "test_Industry": "https://exttest.cybertip.org/hashsharing",
    "test_Industry_Exploitative": "https://exttest.cybertip.org/exploitative-hashsharing",
    "test_LawEnforcement": "https://betalesp.ncmec.org/csam-hashsharing",
    "test_NGO": "https://hashsharing-test.ncmec.org/npo",
    "test_Exploitative": "https://hashsharing-test.ncmec.org/exploitative",
    "test_NGO_Generative_AI": "https://hashsharing-test.ncmec.org/generative-ai-csam",
    "test_NGO_Generative_AI_Exploitative": (
        "https://hashsharing-test.ncmec.org/generative-ai-exploitative"
    ),
}
#: NCMEC's fingerprint type names, as feedback paths spell them.
FINGERPRINT_TYPES = (
    "MD5", "SHA1", "PDNA", "PDQ", "NETCLEAN", "VIDENTIFIER", "TMK_PDQF", "SSVH_PDNA",
    "SSVH_SAFER_HASH",
)  # fmt: skip


@dataclass(frozen=True)
class NcmecEntry:
    member_id: int
    id: str
    kind: str  # "image" or "video"
    deleted: bool
    member: str = ""
    classification: str | None = None
    timestamp: str | None = None
    #: Fingerprint element names (lower case, as sent) to values; links without a value
    #: (large fingerprints such as TMK+PDQF) are left out.
    fingerprints: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.member_id}-{self.id}"


@dataclass(frozen=True)
class EntriesPage:
    entries: list[NcmecEntry]
    #: The latest `maxTimestamp` the page declares (Unix seconds), if any.
    max_timestamp: int | None
    #: Path of the next page (under the base URL), or None on the last page.
    next: str | None
    #: Where the next page ends in the result (`max` of its paging link), if it says.
    total: int | None = None


class NcmecClient:
    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        name: str = "ncmec",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = HttpSession(
            name,
            self.base_url,
            transport=transport,
            auth=(username, password),
            timeout=timeout,
            retries=retries,
        )
        self.name = name

    def status(self) -> tuple[int, str]:
        """Our own member id and name."""
        root = self._xml(self._http.request("GET", "/v2/status").body, "status")
        member = _one(root, "member", "status")
        return _member_id(member, "status"), (member.text or "").strip()

    def entries(self, start: int, end: int) -> EntriesPage:
        """The first page of entries changed in [start, end] (Unix seconds)."""
        reply = self._http.request(
            "GET", "/v2/entries", params={"from": _timestamp(start), "to": _timestamp(end)}
        )
        return self._page(reply.body, "entries")

    def next_page(self, path: str) -> EntriesPage:
        """The page a `next` link names (a path under the base URL, with its query)."""
        parts = urlsplit(path)
        if parts.scheme or parts.netloc or not parts.path.startswith("/v2/entries"):
            raise ExchangeError(f"{self.name}: unexpected paging link {parts.path!r}")
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        reply = self._http.request("GET", parts.path, params=params)
        return self._page(reply.body, "next page")

    def feedback_reasons(self, fingerprint: str) -> dict[str, str]:
        """Reasons NCMEC accepts for a disagreement on this fingerprint type: guid to name."""
        reply = self._http.request("GET", f"/v2/feedback/{fingerprint}/reasons")
        root = self._xml(reply.body, "feedback reasons")
        holder = root if _local(root.tag) == "availableFeedbackReasons" else None
        for child in root.iter():
            if _local(child.tag) == "availableFeedbackReasons":
                holder = child
                break
        if holder is None:
            return {}
        return {
            r.get("guid", ""): r.get("name", "")
            for r in holder
            if _local(r.tag) == "reason" and r.get("guid")
        }

    def send_feedback(
        self, member_id: int, entry_id: str, fingerprint: str, *, agree: bool, reason: str | None
    ) -> None:
        """Agree (affirmative) or disagree (negative, with a reason guid) on one entry."""
        if fingerprint not in FINGERPRINT_TYPES:
            raise ExchangeError(f"{self.name}: NCMEC has no fingerprint type {fingerprint!r}")
        root = ET.Element(f"{{{NAMESPACE}}}feedbackSubmission")
        if agree:
            ET.SubElement(root, f"{{{NAMESPACE}}}affirmative")
        else:
            if not reason:
                raise ExchangeError(f"{self.name}: a disagreement needs a reason")
            negative = ET.SubElement(root, f"{{{NAMESPACE}}}negative")
            ids = ET.SubElement(negative, f"{{{NAMESPACE}}}reasonIds")
            ET.SubElement(ids, f"{{{NAMESPACE}}}guid").text = reason
        ET.register_namespace("", NAMESPACE)
        self._http.request(
            "PUT",
            f"/v2/entries/{member_id}/{entry_id}/{fingerprint}/feedback",
            content=ET.tostring(root),
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )

    def close(self) -> None:
        self._http.close()

    def _page(self, body: bytes, what: str) -> EntriesPage:
        root = self._xml(body, what)
        if _local(root.tag) != "queryResult":
            raise ExchangeError(f"{self.name}: {what}: expected <queryResult>")
        entries: list[NcmecEntry] = []
        stamps: list[int] = []
        for container in root:
            kind = {"images": "image", "videos": "video"}.get(_local(container.tag))
            if kind is None:
                continue
            if container.get("maxTimestamp") and len(container):
                stamps.append(_parse_time(container.get("maxTimestamp", ""), self.name, what))
            for element in container:
                entries.append(self._entry(element, kind, what))
        next_path, total = None, None
        for paging in root:
            if _local(paging.tag) == "paging":
                for child in paging:
                    if _local(child.tag) == "next" and (child.text or "").strip():
                        next_path = (child.text or "").strip()
        if next_path is not None:
            query = parse_qs(urlsplit(next_path).query)
            if query.get("max", [""])[-1].isdigit():
                total = int(query["max"][-1])
        return EntriesPage(entries, max(stamps) if stamps else None, next_path, total)

    def _entry(self, element: ET.Element, kind: str, what: str) -> NcmecEntry:
        tag = _local(element.tag)
        if tag not in (kind, f"deleted{kind.capitalize()}"):
            raise ExchangeError(f"{self.name}: {what}: unexpected <{tag}> among {kind}s")
        fields = {_local(child.tag): child for child in element}
        if "id" not in fields or not (fields["id"].text or "").strip():
            raise ExchangeError(f"{self.name}: {what}: an entry without an id")
        if "member" not in fields:
            raise ExchangeError(f"{self.name}: {what}: an entry without a member")
        fingerprints: dict[str, str] = {}
        if "fingerprints" in fields:
            for child in fields["fingerprints"]:
                value = (child.text or "").strip()
                if value:
                    fingerprints[_local(child.tag).lower()] = value
        classification = fields.get("classification")
        timestamp = fields.get("timestamp")
        return NcmecEntry(
            member_id=_member_id(fields["member"], what),
            id=(fields["id"].text or "").strip(),
            kind=kind,
            deleted=tag.startswith("deleted"),
            member=(fields["member"].text or "").strip(),
            classification=(classification.text or "").strip() or None
            if classification is not None
            else None,
            timestamp=(timestamp.text or "").strip() or None if timestamp is not None else None,
            fingerprints=fingerprints,
        )

    def _xml(self, body: bytes, what: str) -> ET.Element:
        head = body[:4096].lower()
        if b"<!doctype" in head or b"<!entity" in body.lower():
            raise ExchangeError(f"{self.name}: {what}: XML with a DTD is refused")
        try:
            return ET.fromstring(body)
        except ET.ParseError as e:
            raise ExchangeError(f"{self.name}: {what}: malformed XML ({e})") from None


def _local(tag: str) -> str:
    """A tag without its namespace."""
    return tag.rpartition("}")[2]


def _one(root: ET.Element, tag: str, what: str) -> ET.Element:
    found = [e for e in root if _local(e.tag) == tag]
    if len(found) != 1:
        raise ExchangeError(f"ncmec: {what}: expected one <{tag}>, found {len(found)}")
    return found[0]


def _member_id(member: ET.Element, what: str) -> int:
    value = member.get("id", "")
    if not value.isdigit():
        raise ExchangeError(f"ncmec: {what}: a member without a numeric id")
    return int(value)


def _timestamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str, name: str, what: str) -> int:
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise ExchangeError(f"{name}: {what}: unreadable timestamp {text[:40]!r}") from None
