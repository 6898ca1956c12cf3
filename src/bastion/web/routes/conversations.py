"""API v1: conversations assessed for grooming, whole or a message at a time (scope `match`).

The answers carry the exact excerpts that are evidence, for reviewers; nothing else of a
conversation is kept beyond what its assessment needs (`bastion.conversations.store`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Depends, Path, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bastion.auth import ApiKey, Scope
from bastion.conversations.assess import Assessment, assess
from bastion.conversations.model import (
    MAX_MESSAGES,
    MAX_TEXT,
    conversation_of,
    message_of,
    participant_of,
)
from bastion.conversations.store import KEY_LENGTH, MAX_BATCH
from bastion.web.inputs import api_router
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import require
from bastion.web.services import Services, services

router = api_router(prefix="/api/v1", tags=["conversations"], responses=PROBLEM_RESPONSES)
scored = require(Scope.MATCH)
Key = Path(min_length=1, max_length=KEY_LENGTH, description="The platform's conversation id.")


class MessageIn(BaseModel):
    sender: str = Field(min_length=1, max_length=128, examples=["u1"])
    text: str = Field(max_length=MAX_TEXT, examples=["how was practice today?"])
    timestamp: str | float | None = Field(default=None, examples=["2026-11-30T18:02:00Z"])
    to: str | list[str] | None = Field(
        default=None,
        description="In a group chat, whom the message is for: a participant id, or several.",
    )
    reply_to: str | None = Field(
        default=None, max_length=128, description="The id of the participant it answers."
    )


class ParticipantIn(BaseModel):
    id: str = Field(min_length=1, max_length=128, examples=["u2"])
    age: int | None = Field(default=None, ge=0, le=120, description="Declared age in years.")
    role: str | None = Field(
        default=None, max_length=32, examples=["minor"], description="minor, adult, parent, ..."
    )


class ConversationIn(BaseModel):
    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_MESSAGES)
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=64)


class MessagesIn(BaseModel):
    messages: list[MessageIn] = Field(default_factory=list, max_length=MAX_BATCH)
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=64)


class EvidenceModel(BaseModel):
    message: int = Field(description="Index of the message in the conversation.")
    sender: str
    indicator: str = Field(examples=["supervision_check"])
    stage: str = Field(examples=["risk_assessment"])
    start: int = Field(description="Character offsets of the excerpt in the message's text.")
    end: int
    excerpt: str
    language: str
    source: str = Field(
        examples=["phrase"],
        description="phrase (a lexicon pattern) or meaning (read like an example message).",
    )
    reads_like: str = Field(
        default="", description="For the meaning layer: the example message it reads like."
    )


class SenderModel(BaseModel):
    sender: str
    score: float
    messages: int
    indicators: list[str]
    stages: list[str]


class AssessmentModel(BaseModel):
    score: float = Field(ge=0, le=1, description="Calibrated probability of grooming.")
    level: str = Field(examples=["high"], description="low, medium or high.")
    messages: int
    likely_groomer: str | None
    first_warning: int | None = Field(
        description="Index of the message after which a warning would first have fired."
    )
    alert_threshold: float
    senders: list[SenderModel]
    evidence: list[EvidenceModel]

    @classmethod
    def of(cls, assessment: Assessment) -> AssessmentModel:
        return cls(**assessment.to_json())


class ProgressModel(AssessmentModel):
    conversation: str
    alerted: bool = Field(description="Whether this call fired the conversation's alert.")
    alerted_at: datetime | None
    actions: int = Field(description="Actions this call queued (webhooks, review items).")


def _parse(body: ConversationIn | MessagesIn) -> tuple[list[Any], list[Any]]:
    messages = [message_of(m.model_dump(), f"message {i}") for i, m in enumerate(body.messages)]
    people = [
        participant_of(p.model_dump(), f"participant {i}") for i, p in enumerate(body.participants)
    ]
    return messages, people


@router.post("/conversations/assess", response_model=AssessmentModel)
async def assess_conversation(
    body: ConversationIn, svc: Services = Depends(services), _key: ApiKey = Depends(scored)
) -> AssessmentModel:
    """Assess a whole conversation: its risk score and level, each sender's score, the
    indicators with their exact excerpts and stages, and where a warning would have fired.
    Nothing is stored."""
    messages, people = _parse(body)
    conversation = conversation_of(messages, people)
    model = svc.conversations.model
    svc.tally.record("message", "api", checked=len(messages))
    return AssessmentModel.of(await run_in_threadpool(assess, conversation, model))


@router.post("/conversations/{key}/messages", response_model=ProgressModel)
async def add_messages(
    body: MessagesIn,
    key: str = Key,
    svc: Services = Depends(services),
    _key: ApiKey = Depends(scored),
) -> ProgressModel:
    """Add the next messages (and any participant declarations) of conversation `key`.
    The conversation is assessed as it goes; the first time it reaches `high` its alert
    fires once, queueing the actions of the rules on conversation alerts."""
    messages, people = _parse(body)
    progress = await run_in_threadpool(svc.conversations.add, key, messages, people)
    svc.tally.record("message", "api", checked=len(messages))
    return ProgressModel(
        **progress.assessment.to_json(),
        conversation=key,
        alerted=progress.alerted,
        alerted_at=progress.alerted_at,
        actions=progress.actions,
    )


@router.get("/conversations/{key}", response_model=ProgressModel)
async def get_conversation(
    key: str = Key, svc: Services = Depends(services), _key: ApiKey = Depends(scored)
) -> ProgressModel:
    assessment, alerted_at = await run_in_threadpool(svc.conversations.get, key)
    return ProgressModel(
        **assessment.to_json(), conversation=key, alerted=False, alerted_at=alerted_at, actions=0
    )


@router.delete("/conversations/{key}", status_code=204)
async def forget_conversation(
    key: str = Key, svc: Services = Depends(services), _key: ApiKey = Depends(scored)
) -> Response:
    """Forget a conversation's state (its alert's review items and deliveries stay)."""
    await run_in_threadpool(svc.conversations.delete, key)
    return Response(status_code=204)
