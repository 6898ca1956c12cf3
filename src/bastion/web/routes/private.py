"""API v1: detection under end-to-end encryption (scope `private`; docs/private-matching.md).

- `GET /api/v1/private/tables/{kind}`: the blinded table (exact, or near when it is on),
  whole or the slots changed since a version.
- `POST /api/v1/private/vouchers`: an account's vouchers. The answer is the same whether
  any matched: how many were accepted.
- `POST /api/v1/franking/tags`: the tag of one delivery of a committed message.
- `POST /api/v1/franking/reports`: a franked report, verified, into the review queue.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from fastapi import Depends, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bastion.auth import ApiKey, Scope
from bastion.e2ee import Excerpt, FrankedMessage
from bastion.e2ee.reports import MAX_MESSAGES
from bastion.e2ee.vouchers import MAX_ACCOUNT, MAX_VOUCHERS
from bastion.errors import ValidationError
from bastion.private.franking import COMMITMENT_BYTES, KEY_BYTES, MAX_MESSAGE, TAG_BYTES
from bastion.web.inputs import api_router
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import require
from bastion.web.services import Services, services

router = api_router(prefix="/api/v1", tags=["private matching"], responses=PROBLEM_RESPONSES)
device = require(Scope.PRIVATE)
_ID = Field(min_length=1, max_length=MAX_ACCOUNT)


class TableModel(BaseModel):
    table: str = Field(description="The table's id (hex); a new one on every rebuild.")
    kind: str
    version: int
    size: int = Field(description="Slots.")
    seed: str = Field(description="Where tokens sit (hex): cuckoo hashing, three choices.")
    public_key: str = Field(description="alpha times the generator (hex), for the vouchers' masks.")
    account_threshold: int = Field(description="Matching items read together, at least.")
    item_threshold: int = Field(description="Tokens of one item that must match.")
    lsh: dict[str, Any] | None = Field(description="The near tokens' samples (near table).")
    since: int | None = Field(description="The version the changes follow (else: whole).")
    slots: str | None = Field(default=None, description="Every slot: base64, 32 bytes each.")
    changes: str | None = Field(
        default=None, description="Changed slots: base64 of 4-byte slot number and point."
    )


class VouchersIn(BaseModel):
    account: str = _ID
    vouchers: list[str] = Field(min_length=1, max_length=MAX_VOUCHERS)


class VouchersOut(BaseModel):
    accepted: int


class TagIn(BaseModel):
    commitment: str = Field(description=f"Base64 of the {COMMITMENT_BYTES}-byte commitment.")
    sender: str = _ID
    recipient: str = _ID


class TagOut(BaseModel):
    tag: str = Field(description="Base64 of the 32-byte tag: deliver it with the message.")
    sent_at: int = Field(description="The delivery's time (seconds since the epoch).")


class FrankedIn(BaseModel):
    message: str = Field(max_length=MAX_MESSAGE, description="The message's text (UTF-8).")
    franking_key: str
    commitment: str
    tag: str
    sender: str = _ID
    recipient: str = _ID
    sent_at: int


class ExcerptIn(BaseModel):
    message: int = Field(ge=0, description="Index of the message in `messages`.")
    indicator: str = Field(default="", max_length=64)
    stage: str = Field(default="", max_length=64)
    excerpt: str = Field(min_length=1, max_length=2000)


class ReportIn(BaseModel):
    reporter: str = _ID
    reason: str = Field(default="", max_length=2000)
    conversation: str | None = Field(default=None, max_length=128)
    messages: list[FrankedIn] = Field(min_length=1, max_length=MAX_MESSAGES)
    excerpts: list[ExcerptIn] = Field(
        default_factory=list,
        max_length=200,
        description="What the detector on the device found: each must be in its message.",
    )


class ReportOut(BaseModel):
    job: int = Field(description="The review job opened for the report.")
    verified: int = Field(description="Messages verified (all of them).")


@router.get("/private/tables/{kind}", response_model=TableModel)
async def table(
    kind: Literal["exact", "near"] = Path(),
    since: int | None = Query(
        default=None, ge=0, le=2**63 - 1, description="The version the device holds."
    ),
    svc: Services = Depends(services),
    _key: ApiKey = Depends(device),
) -> dict[str, Any]:
    """The blinded table of the banks, for devices: whole, or the slots changed since
    version `since` (whole if the table was rebuilt since)."""
    return await run_in_threadpool(svc.private.table, kind, since)


@router.post("/private/vouchers", response_model=VouchersOut, status_code=202)
async def vouchers(
    body: VouchersIn, svc: Services = Depends(services), _key: ApiKey = Depends(device)
) -> VouchersOut:
    """Take an account's vouchers. The answer says only how many were accepted: never
    whether any matched. 409: a replayed voucher, or one for an older table (fetch it
    again); 429: the account's quota."""
    done = await run_in_threadpool(svc.private.submit, body.account, body.vouchers)
    return VouchersOut(accepted=done.accepted)


@router.post("/franking/tags", response_model=TagOut)
async def tag(
    body: TagIn, svc: Services = Depends(services), _key: ApiKey = Depends(device)
) -> TagOut:
    """Tag one delivery of a committed message (the service sees only the commitment)."""
    commitment = _bytes(body.commitment, COMMITMENT_BYTES, "commitment")
    tagged, sent_at = svc.private.tag(commitment, body.sender, body.recipient)
    return TagOut(tag=base64.b64encode(tagged).decode(), sent_at=sent_at)


@router.post("/franking/reports", response_model=ReportOut, status_code=201)
async def report(
    body: ReportIn, svc: Services = Depends(services), _key: ApiKey = Depends(device)
) -> ReportOut:
    """A report of franked messages: each is verified (delivered as tagged, to the
    reporter, and its commitment opens to its text), then a user-report review job opens
    with them. One message that does not verify refuses the report (400)."""
    messages = [
        FrankedMessage(
            message=m.message.encode(),
            franking_key=_bytes(m.franking_key, KEY_BYTES, f"message {i}: franking_key"),
            commitment=_bytes(m.commitment, COMMITMENT_BYTES, f"message {i}: commitment"),
            tag=_bytes(m.tag, TAG_BYTES, f"message {i}: tag"),
            sender=m.sender,
            recipient=m.recipient,
            sent_at=m.sent_at,
        )
        for i, m in enumerate(body.messages)
    ]
    excerpts = [Excerpt(e.message, e.indicator, e.stage, e.excerpt) for e in body.excerpts]
    job = await run_in_threadpool(
        svc.private.report, body.reporter, messages, body.reason, body.conversation, excerpts
    )
    return ReportOut(job=job, verified=len(messages))


def _bytes(value: str, length: int, what: str) -> bytes:
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f"{what}: not base64") from None
    if len(data) != length:
        raise ValidationError(f"{what}: {length} bytes, not {len(data)}")
    return data
