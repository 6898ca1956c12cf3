"""Every language's lexicon is complete: patterns and meaning-layer prototypes for every
indicator, and everyday lines that none of the patterns mistake for a cue."""

from __future__ import annotations

from types import ModuleType

import pytest

from bastion.conversations.cues import Indicator
from bastion.conversations.detect import find_cues
from bastion.conversations.lexicon import LANGUAGES

LEXICONS = pytest.mark.parametrize("module", LANGUAGES.values(), ids=list(LANGUAGES))


@LEXICONS
def test_every_indicator_has_patterns(module: ModuleType) -> None:
    assert all(module.PATTERNS.get(indicator) for indicator in Indicator)


@LEXICONS
def test_every_indicator_has_ten_examples_for_the_meaning_layer(module: ModuleType) -> None:
    assert {i: len(module.EXAMPLES.get(i, [])) >= 10 for i in Indicator} == dict.fromkeys(
        Indicator, True
    )


@LEXICONS
def test_everyday_lines_are_plenty_and_show_nothing(module: ModuleType) -> None:
    assert len(module.EVERYDAY) >= 50
    fired = {line: [c.excerpt for c in find_cues(line)] for line in module.EVERYDAY}
    assert {line: cues for line, cues in fired.items() if cues} == {}
