"""The one threshold rule, and the typed options settings build."""

from __future__ import annotations

from bastion.banks import BankStore
from bastion.hashing import HashingOptions
from bastion.matching import MatchingOptions, threshold_for
from bastion.settings import Settings
from bastion.signals import Md5Signal, PdqSignal, TmkPdqfSignal, VpdqSignal


def test_a_bank_threshold_then_the_configured_one_then_the_types(store: BankStore) -> None:
    own = store.create_bank("own", thresholds={"pdq": 12, "vpdq": 20})
    plain = store.create_bank("plain")
    options = MatchingOptions(pdq_threshold=25)
    assert threshold_for(own, PdqSignal, options) == 12
    assert threshold_for(plain, PdqSignal, options) == 25  # the setting
    assert threshold_for(None, PdqSignal, options) == 25
    assert threshold_for(own, VpdqSignal, options) == 20
    assert threshold_for(plain, VpdqSignal, options) == VpdqSignal.default_threshold
    for exact_or_scored in (Md5Signal, TmkPdqfSignal):
        assert threshold_for(own, exact_or_scored, options) == 0


def test_the_options_defaults_are_the_settings_defaults() -> None:
    settings = Settings.load(env={}, data_dir="unused")
    assert settings.hashing_options() == HashingOptions()
    assert settings.matching_options() == MatchingOptions()
    changed = Settings.load(env={"BASTION_PDQ_THRESHOLD": "20"}, data_dir="unused", pdq_mode="fast")
    assert changed.matching_options().pdq_threshold == 20
    assert changed.hashing_options().pdq_mode == "fast"
