"""Chat shorthand spelled out, for the meaning layer (`meaning`): a static embedding reads
"ur" and "vc" poorly, and "your" and "você" well. Whole words only, over normalised text
(lower case, no accents); one table for every language, since a chat does not say which it
is in (where two languages write the same shorthand, the spelled-out words mean alike).
The lexicons' patterns read the shorthand themselves and do not use this table."""

from __future__ import annotations

SHORTHAND: dict[str, str] = {
    # English
    "u": "you", "ur": "your", "r": "are", "ya": "you", "yu": "you", "pls": "please",
    "plz": "please", "rn": "right now", "pic": "picture", "pics": "pictures", "cam": "camera",
    "wanna": "want to", "gonna": "going to", "irl": "in real life", "msg": "message",
    "msgs": "messages", "dm": "message", "dms": "messages", "tbh": "to be honest",
    "bc": "because", "cuz": "because", "ppl": "people", "thx": "thanks", "bday": "birthday",
    "ngl": "not going to lie", "idk": "i don't know", "lmk": "let me know",
    "hmu": "message me", "convo": "conversation", "vid": "video",
    # Spanish and Portuguese
    "q": "que", "xq": "porque", "pq": "porque", "tb": "tambien", "tmb": "tambien",
    "vc": "voce", "vcs": "voces", "oq": "o que", "ngm": "ninguem", "td": "tudo",
    # Italian
    "ke": "che", "nn": "non", "cmq": "comunque", "xke": "perche", "qnt": "quanto",
    # French
    "pk": "pourquoi", "stp": "s'il te plait", "bcp": "beaucoup", "tkt": "t'inquiete",
    "jsp": "je sais pas", "dsl": "desole",
    # German
    "haste": "hast du", "biste": "bist du", "kannste": "kannst du", "wohnste": "wohnst du",
    "vllt": "vielleicht",
}  # fmt: skip
