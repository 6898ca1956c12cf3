"""Federation: the feed a collaboration publishes to its partners, and their feedback.

`GET /v1/exchange/{collab}/changes?cursor=&limit=` answers a page of the feed
(`bastion.federation.publisher`) as JSON, signed with the publisher's Ed25519 key in the
`X-Bastion-Signature` header. `POST /v1/exchange/{collab}/feedback` takes a partner's
opinion on a published entry. Both need a partner key of that collaboration (scope
`partner`; an admin key reads as the publisher). A key that is not a partner of the
collaboration gets 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from bastion.auth import ApiKey, Scope
from bastion.banks.model import BANK_NAME_PATTERN
from bastion.exchange.api import Opinion
from bastion.federation.publisher import MAX_PAGE
from bastion.federation.signing import HEADER
from bastion.web.inputs import api_router
from bastion.web.routes.banks import MAX_ID
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import require
from bastion.web.services import Services, services

router = api_router(prefix="/v1/exchange", tags=["federation"], responses=PROBLEM_RESPONSES)
partner = require(Scope.PARTNER)
Collab = Annotated[str, Path(pattern=BANK_NAME_PATTERN)]


class PartnerFeedbackCreate(BaseModel):
    id: str = Field(pattern=r"^[0-9]{1,19}$", description="The entry id the feed gave.")
    opinion: Opinion
    note: str = Field(default="", max_length=2000)

    @field_validator("id")
    @classmethod
    def _storable(cls, value: str) -> str:
        if int(value) > MAX_ID:
            raise ValueError(f"entry ids are at most {MAX_ID}")
        return value


@router.get(
    "/{collab}/changes",
    responses={200: {"description": f"A signed page of the feed ({HEADER} header)."}},
)
async def changes(
    collab: Collab,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 5000,
    svc: Services = Depends(services),
    key: ApiKey = Depends(partner),
) -> Response:
    """Adds, updates and tombstones of the collaboration's entries from `cursor` (none: from
    a snapshot of everything). Pass back the `cursor` of each page; `more` says whether to
    ask again at once."""

    def read() -> Response:
        collab_id, _, reader = svc.collabs.partner_of(collab, key)
        page = svc.collabs.page(
            collab_id, cursor, limit, svc.signing_key, reader=f"partner:{reader}"
        )
        return Response(page.body, media_type="application/json", headers={HEADER: page.signature})

    return await run_in_threadpool(read)


@router.post("/{collab}/feedback", status_code=201)
def feedback(
    collab: Collab,
    body: PartnerFeedbackCreate,
    svc: Services = Depends(services),
    key: ApiKey = Depends(partner),
) -> dict[str, object]:
    """A partner's opinion (true positive, false positive, disputed) on a published entry."""
    collab_id, partner_id, _ = svc.collabs.partner_of(collab, key)
    given = svc.collabs.give_feedback(collab_id, partner_id, int(body.id), body.opinion, body.note)
    return {"id": given.id, "received_at": given.received_at.isoformat()}
