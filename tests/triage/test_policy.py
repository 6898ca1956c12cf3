"""The triage policy: each default rule, the rule language, raises and their cap, and the
explanation a job shows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.errors import ConfigurationError
from bastion.settings import Settings
from bastion.triage.findings import Finding, FindingKind, Level
from bastion.triage.policy import DEFAULT_RULES, Assessment, Policy

K = FindingKind
L = Level


def f(kind: FindingKind, source: str = "", label: str = "", score: float = 1.0) -> Finding:
    return Finding(kind, source, label, score)


DEFAULT = Policy.default()

#: (findings, level, the rules that set it, in order)
CASES = [
    ([], L.VERY_LOW, []),
    ([f(K.BANK_MATCH, "ncmec", score=4)], L.VERY_HIGH, ["bank_match -> very_high"]),
    ([f(K.OUTSIDE_MATCH, "shield", "csam")], L.VERY_HIGH, ["outside_match:*/csam -> very_high"]),
    (
        [f(K.OUTSIDE_MATCH, "shield", "harmful-abusive-material")],
        L.HIGH,
        ["outside_match -> high"],
    ),
    (
        [f(K.CLASSIFIER, "csai", "review_priority", 1.0)],
        L.VERY_HIGH,
        ["classifier:*/review_priority >= 1.0 -> very_high"],
    ),
    (
        [f(K.CLASSIFIER, "csai", "review_priority", 0.8)],
        L.HIGH,
        ["classifier:*/review_priority >= 0.8 -> high"],
    ),
    (
        [f(K.CLASSIFIER, "csai", "review_priority", 0.6)],
        L.MEDIUM,
        ["classifier:*/review_priority >= 0.6 -> medium"],
    ),
    ([f(K.CLASSIFIER, "csai", "review_priority", 0.4)], L.VERY_LOW, []),
    ([f(K.CLASSIFIER, "opennsfw", "nsfw", 0.93)], L.HIGH, ["classifier:*/nsfw >= 0.9 -> high"]),
    ([f(K.CLASSIFIER, "opennsfw", "nsfw", 0.9)], L.HIGH, ["classifier:*/nsfw >= 0.9 -> high"]),
    (
        [f(K.CLASSIFIER, "opennsfw", "nsfw", 0.89)],
        L.MEDIUM,
        ["classifier:*/nsfw >= 0.6 -> medium"],
    ),
    ([f(K.CLASSIFIER, "opennsfw", "sfw", 0.99)], L.VERY_LOW, []),
    ([f(K.NEAR_MISS, "ncmec", "pdq", 36)], L.MEDIUM, ["near_miss <= 40 -> medium"]),
    ([f(K.NEAR_MISS, "ncmec", "pdq", 41)], L.LOW, ["near_miss -> low"]),
    ([f(K.CONVERSATION_ALERT, score=1)], L.HIGH, ["conversation_alert -> high"]),
    ([f(K.USER_REPORT, score=1)], L.MEDIUM, ["user_report -> medium"]),
    ([f(K.USER_REPORT, score=3)], L.HIGH, ["user_report >= 3 -> high"]),
    # Raises: once each, on top of the highest level, never past very_high.
    (
        [f(K.USER_REPORT), f(K.CONFIRMED_BEFORE, score=2)],
        L.HIGH,
        ["user_report -> medium", "confirmed_before >= 1 -> raise 1"],
    ),
    (
        [f(K.USER_REPORT), f(K.CONFIRMED_BEFORE, score=2), f(K.ESCALATION)],
        L.VERY_HIGH,
        ["user_report -> medium", "escalation -> raise 1", "confirmed_before >= 1 -> raise 1"],
    ),
    (
        [f(K.BANK_MATCH, "b"), f(K.ESCALATION)],
        L.VERY_HIGH,
        ["bank_match -> very_high", "escalation -> raise 1"],
    ),
    ([f(K.ESCALATION)], L.LOW, ["escalation -> raise 1"]),
    # Several findings: the highest level wins, and every finding at it is named.
    (
        [f(K.NEAR_MISS, "a", "pdq", 35), f(K.CLASSIFIER, "x", "nsfw", 0.95), f(K.USER_REPORT)],
        L.HIGH,
        ["classifier:*/nsfw >= 0.9 -> high"],
    ),
    (
        [f(K.BANK_MATCH, "a", score=0), f(K.BANK_MATCH, "b", score=9)],
        L.VERY_HIGH,
        ["bank_match -> very_high", "bank_match -> very_high"],
    ),
]


@pytest.mark.parametrize(("findings", "level", "setters"), CASES)
def test_the_default_rules(findings: list[Finding], level: Level, setters: list[str]) -> None:
    assessment = DEFAULT.assess(findings)
    assert assessment.level is level
    assert [r.rule for r in assessment.reasons if r.set_level] == setters
    assert Assessment.from_json(assessment.to_json()) == assessment


@pytest.mark.parametrize(
    ("rule", "finding", "fires"),
    [
        ("classifier:opennsfw/nsfw >= 0.5 -> high", f(K.CLASSIFIER, "opennsfw", "nsfw", 0.5), True),
        ("classifier:opennsfw/nsfw > 0.5 -> high", f(K.CLASSIFIER, "opennsfw", "nsfw", 0.5), False),
        ("classifier:opennsfw/nsfw -> high", f(K.CLASSIFIER, "other", "nsfw", 0.9), False),
        ("classifier:opennsfw -> high", f(K.CLASSIFIER, "opennsfw", "anything", 0.1), True),
        ("classifier:*/nsfw < 0.2 -> high", f(K.CLASSIFIER, "x", "nsfw", 0.1), True),
        ("near_miss:ncmec <= 40 -> high", f(K.NEAR_MISS, "ncmec", "pdq", 40), True),
        ("near_miss:ncmec <= 40 -> high", f(K.NEAR_MISS, "other", "pdq", 40), False),
        ("user_report = 2 -> high", f(K.USER_REPORT, score=2), True),
        ("user_report = 2 -> high", f(K.USER_REPORT, score=3), False),
        ("bank_match -> high", f(K.NEAR_MISS, "b"), False),
    ],
)
def test_the_rule_language(rule: str, finding: Finding, fires: bool) -> None:
    assessment = Policy.parse(rule).assess([finding])
    assert assessment.level is (L.HIGH if fires else L.VERY_LOW)
    assert [r.rule for r in assessment.reasons] == ([rule] if fires else [])


def test_comments_blank_lines_and_semicolons() -> None:
    policy = Policy.parse("# mine\n\nbank_match -> high  # all banks\n; user_report -> low;")
    assert [r.text for r in policy.rules] == ["bank_match -> high", "user_report -> low"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bank_match high", "rule 1 ('bank_match high'): write KIND"),
        ("bank_match -> urgent", "unknown level 'urgent'"),
        ("ok\nbanks -> high", "rule 1 ('ok'): write KIND"),
        ("bank_match -> high\nbanks -> high", "rule 2 ('banks -> high'): unknown signal 'banks'"),
        ("user_report >= many -> high", "'many' is not a number"),
        ("user_report -> raise 7", "unknown level 'raise 7'"),
        ("user_report => high", "rule 1 ('user_report => high'): write KIND"),
    ],
)
def test_a_bad_rule_names_its_line_and_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match="triage_rules") as caught:
        Policy.parse(text)
    assert message in str(caught.value)


def test_a_bad_rule_stops_the_settings_from_loading() -> None:
    with pytest.raises(ConfigurationError, match="rule 2"):
        Settings.load(env={"BASTION_TRIAGE_RULES": "bank_match -> high; user_report -> soon"})
    loaded = Settings.load(env={"BASTION_TRIAGE_RULES": "bank_match -> high; user_report -> low"})
    assert [r.text for r in loaded.triage_policy().rules] == [
        "bank_match -> high",
        "user_report -> low",
    ]
    assert Settings.load(env={}).triage_policy().text() == DEFAULT_RULES.strip()


def test_the_summary_says_what_set_the_level() -> None:
    assessment = DEFAULT.assess(
        [f(K.CLASSIFIER, "opennsfw", "nsfw", 0.93), f(K.CONFIRMED_BEFORE, score=2)]
    )
    assert assessment.summary() == (
        "very_high: classifier opennsfw/nsfw 0.93 (classifier:*/nsfw >= 0.9 -> high); "
        "confirmed_before 2 (confirmed_before >= 1 -> raise 1)"
    )
    assert DEFAULT.assess([]).summary() == "very_low: no rule matched"


findings = st.builds(
    Finding,
    kind=st.sampled_from(list(FindingKind)),
    source=st.sampled_from(["", "a", "b"]),
    label=st.sampled_from(["", "nsfw", "csam", "review_priority"]),
    score=st.floats(0, 60),
)


@given(st.lists(findings, max_size=6), findings)
def test_a_new_finding_never_lowers_the_level(found: list[Finding], extra: Finding) -> None:
    assert DEFAULT.assess([*found, extra]).level >= DEFAULT.assess(found).level
