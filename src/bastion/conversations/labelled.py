"""Labelled conversations, and what a model made of each: what training and evaluation
share."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.conversations.model import Conversation


@dataclass(frozen=True)
class Example:
    conversation: Conversation
    grooming: bool
    #: Who is grooming, when known; else the sender with the most cues is taken.
    groomer: str | None = None
    #: What evaluation groups figures by, when the data says: its language and tags
    #: ("early", "group", "long", "lookalike"...).
    language: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A model's reading of one labelled conversation."""

    example: Example
    score: float
    alerted: bool
    #: The sender ranked most likely to be grooming.
    first: str | None
