"""The indicators of grooming bastion looks for, and the stage each belongs to."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Grooming stages (after O'Connell, and Winters, Kaylor and Jeglic's sexual grooming
    model). Their cues co-occur rather than follow a fixed order (Aitken et al. 2018), so
    bastion scores which stages appear, not their sequence."""

    TARGETING = "targeting"  # finding out who the child is and where
    TRUST = "trust"  # flattery, gifts, being the one who understands
    RISK_ASSESSMENT = "risk_assessment"  # checking supervision, securing secrecy
    ISOLATION = "isolation"  # moving the child somewhere more private
    REQUESTS = "requests"  # asking for images or a camera
    APPROACH = "approach"  # arranging to meet


class Indicator(StrEnum):
    AGE = "age_question"
    SCHOOL = "school_question"
    LOCATION = "location_question"
    SUPERVISION = "supervision_check"
    SECRECY = "secrecy_request"
    CHANNEL = "private_channel"
    ISOLATION = "isolation"
    GIFTS = "gifts"
    IMAGES = "image_request"
    MEETING = "meeting"
    FLATTERY = "maturity_flattery"

    @property
    def stage(self) -> Stage:
        return _STAGES[self]

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_STAGES = {
    Indicator.AGE: Stage.TARGETING,
    Indicator.SCHOOL: Stage.TARGETING,
    Indicator.LOCATION: Stage.TARGETING,
    Indicator.SUPERVISION: Stage.RISK_ASSESSMENT,
    Indicator.SECRECY: Stage.RISK_ASSESSMENT,
    Indicator.CHANNEL: Stage.ISOLATION,
    Indicator.ISOLATION: Stage.ISOLATION,
    Indicator.GIFTS: Stage.TRUST,
    Indicator.FLATTERY: Stage.TRUST,
    Indicator.IMAGES: Stage.REQUESTS,
    Indicator.MEETING: Stage.APPROACH,
}
_DESCRIPTIONS = {
    Indicator.AGE: "asks the other's age or school year",
    Indicator.SCHOOL: "asks which school the other goes to",
    Indicator.LOCATION: "asks where the other lives or is",
    Indicator.SUPERVISION: "checks whether the other is alone or watched by parents",
    Indicator.SECRECY: "asks to keep the conversation secret or to delete messages",
    Indicator.CHANNEL: "moves the conversation to another app or a private channel",
    Indicator.ISOLATION: "sets themself up as the only one who understands the other",
    Indicator.GIFTS: "offers gifts, money or in-game currency",
    Indicator.IMAGES: "asks for photos or to turn on a camera",
    Indicator.MEETING: "arranges to meet in person",
    Indicator.FLATTERY: "flatters the other as mature for their age",
}
