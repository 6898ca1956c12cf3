"""The indicators of grooming bastion looks for, and the phrases that show them, per language.

Each language is a module here with a `PATTERNS` mapping from `Indicator` to regular
expressions over normalised text (`bastion.conversations.text`: lower case, no accents,
look-alike characters read as letters, so a pattern is written once for ``Are you ALONE``,
``r u 4lone`` and ``a l o n e``). Patterns stop at the pattern of a request ("send me a
pic", "turn on your cam"): they never describe sexual content, and nothing here needs to.

To add a language: write ``lexicon/xx.py`` with ``PATTERNS`` for every indicator,
``EXAMPLES`` (messages showing each indicator in other words: prototypes for recognising a
cue however it is worded) and ``EVERYDAY`` (everyday lines no pattern may fire on), add it
to `LANGUAGES`, and add its phrases to the synthetic conversations
(`bastion.conversations.synthetic`) so the benchmark measures it. Every language is applied
to every message: a chat that switches language mid-way is covered.
"""

from __future__ import annotations

from types import ModuleType

from bastion.conversations.lexicon import de, en, es, fr, it, neutral, pt

#: Every language bastion reads, by code.
LANGUAGES: dict[str, ModuleType] = {"en": en, "fr": fr, "es": es, "pt": pt, "de": de, "it": it}
#: What every message is read with: each language's patterns and, as "any", the cues that
#: read the same in every language (`neutral`: the path for languages without a lexicon).
PATTERN_SETS: dict[str, ModuleType] = {**LANGUAGES, "any": neutral}

__all__ = ["LANGUAGES", "PATTERN_SETS"]
