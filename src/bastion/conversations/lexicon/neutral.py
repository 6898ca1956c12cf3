"""Cues that read the same in any language: the path for chats in languages bastion has no
lexicon for (and a second chance in those it has).

App names, in-game currencies, gift cards and emoji are written alike everywhere ("te doy
800 robux", "ich schenk dir 1000 vbucks", "📷?"). Emoji arrive here as the English word
they stand for (`text.EMOJI_WORDS`), so a lone 📷 followed by a question mark reads
``photo ?``. These patterns ask for more than a word: a number of an in-game currency, a
message that is only the question, an app name with a handle.
"""

from __future__ import annotations

from bastion.conversations.cues import Indicator

APPS = (
    r"(?:snap(?:chat)?|insta(?:gram)?|discord|telegram|whats ?app|kik|skype|wickr|viber"
    r"|facetime|wechat|threema)"
)
#: Currencies and cards that are bought for someone, in every language.
CURRENCIES = (
    r"(?:robux|v ?bucks|vbucks|nitro|gift ?cards?|paysafe ?(?:card)?|steam ?(?:card|gift)"
    r"|google ?play ?(?:card)?|itunes ?card|psn ?card|xbox ?card|minecoins|riot ?points)"
)

PATTERNS: dict[Indicator, list[str]] = {
    # "13?" or "age?" alone: an age asked in any language.
    Indicator.AGE: [r"^\s*(?:age|a/s/l|asl)\s*\?+\s*$", r"^\s*(?:1[0-7])\s*\?+\s*$"],
    Indicator.CHANNEL: [
        rf"^\s*{APPS}\s*\?+\s*$",
        # "insta: lena_22" (an @ before the handle reads as a letter by then)
        rf"\b{APPS}\s*[:=]\s*[a-z0-9_.]{{3,}}",
    ],
    Indicator.GIFTS: [rf"\b\d[\d.,]*\s*{CURRENCIES}\b", rf"\b{CURRENCIES}\s*\d[\d.,]*\b"],
    Indicator.IMAGES: [
        r"^\s*(?:pic|pics|photo|selfie|foto|fotos|bild|cam|camera|webcam|facetime)\s*\?+\s*$",
    ],
    Indicator.LOCATION: [r"^\s*location\s*\?+\s*$"],
}
