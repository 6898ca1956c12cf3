"""Settings: defaults, config file, environment and overrides, in that order."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from bastion.cli.app import app
from bastion.errors import ConfigurationError
from bastion.settings import SETTINGS, VIDEO_HASHES, Setting, Settings
from bastion.signals import get_signal_type

RANGED = [s for s in SETTINGS if s.range is not None]
CHOOSING = [s for s in SETTINGS if s.choices]


def test_defaults_need_nothing(tmp_path: Path) -> None:
    settings = Settings.load(env={"XDG_DATA_HOME": str(tmp_path)})
    assert settings.pdq_threshold == 31
    assert settings.pdq_min_quality == 50
    assert settings.pdq_mode == "reference"
    assert settings.match_exif_orientation is True
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("bastion.db")


def test_precedence_file_then_env_then_overrides(tmp_path: Path) -> None:
    (tmp_path / "bastion.toml").write_text(
        'pdq_threshold = 20\npdq_min_quality = 60\npdq_mode = "fast"\n'
    )
    env = {"BASTION_DATA_DIR": str(tmp_path), "BASTION_PDQ_MIN_QUALITY": "70"}
    settings = Settings.load(env=env, pdq_mode="reference")
    assert settings.data_dir == tmp_path
    assert settings.database_url == f"sqlite:///{tmp_path / 'bastion.db'}"
    assert settings.pdq_threshold == 20  # file
    assert settings.pdq_min_quality == 70  # env beats file
    assert settings.pdq_mode == "reference"  # override beats both


def test_explicit_config_file_and_booleans(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text("match_exif_orientation = false\n")
    settings = Settings.load(env={"BASTION_CONFIG": str(config), "BASTION_DATA_DIR": str(tmp_path)})
    assert settings.match_exif_orientation is False
    on = Settings.load(env={"BASTION_MATCH_EXIF_ORIENTATION": "yes"}, data_dir=tmp_path)
    assert on.match_exif_orientation is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BASTION_PDQ_THRESHOLD": "thirty"}, "BASTION_PDQ_THRESHOLD: expected int"),
        ({"BASTION_PDQ_THRESHOLD": "300"}, "pdq_threshold must be between 0 and 256"),
        ({"BASTION_PDQ_MODE": "turbo"}, "pdq_mode must be 'reference' or 'fast'"),
        ({"BASTION_MATCH_EXIF_ORIENTATION": "maybe"}, "expected bool"),
        ({"BASTION_MAX_IMAGE_PIXELS": "0"}, "must be positive"),
        ({"BASTION_CONFIG": "/nonexistent/bastion.toml"}, "config file not found"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.load(env={**env, "BASTION_DATA_DIR": str(tmp_path)})


def test_bad_config_files(tmp_path: Path) -> None:
    (tmp_path / "bastion.toml").write_text("pdq_treshold = 3\n")
    with pytest.raises(ConfigurationError, match=r"unknown setting.*pdq_treshold"):
        Settings.load(env={"BASTION_DATA_DIR": str(tmp_path)})
    (tmp_path / "bastion.toml").write_text("pdq_threshold = [\n")
    with pytest.raises(ConfigurationError, match="cannot read config file"):
        Settings.load(env={"BASTION_DATA_DIR": str(tmp_path)})
    (tmp_path / "bastion.toml").write_text("pdq_threshold = true\n")
    with pytest.raises(ConfigurationError, match="expected int"):
        Settings.load(env={"BASTION_DATA_DIR": str(tmp_path)})


def test_unknown_override_and_table_matches_fields(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="unknown setting"):
        Settings.load(env={}, data_dir=tmp_path, no_such_setting=1)
    assert [s.name for s in SETTINGS] == list(Settings.__dataclass_fields__)


def test_empty_variables_count_as_unset(tmp_path: Path) -> None:
    env = {
        "XDG_DATA_HOME": str(tmp_path),
        "BASTION_DATA_DIR": "",
        "BASTION_PDQ_THRESHOLD": " ",
        "BASTION_CONFIG": "",
    }
    settings = Settings.load(env=env)
    assert settings.data_dir == tmp_path / "bastion"
    assert settings.pdq_threshold == 31


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_described(setting: Setting) -> None:
    """The reference is generated from these: each says what it does and how to set it."""
    assert setting.help.strip().endswith((".", ")")), setting.help
    assert setting.env_var == "BASTION_" + setting.name.upper()
    if setting.default is None:  # worked out at start: the reference says how
        assert setting.shown_default
    assert not (setting.range and setting.choices)


def _past(value: float, setting: Setting, direction: float) -> float:
    """The next value of the setting's type after `value`, towards `direction` (±inf)."""
    if setting.type is int:
        return value + (1 if direction > 0 else -1)
    return math.nextafter(value, direction)


def _edges(setting: Setting) -> tuple[list[float], list[float]]:
    """Values just inside and just outside each end of the setting's range."""
    bounds = setting.range
    assert bounds is not None
    if bounds.open_low:
        inside, outside = [_past(bounds.low, setting, math.inf)], [bounds.low]
    else:
        inside, outside = [bounds.low], [_past(bounds.low, setting, -math.inf)]
    if bounds.high is not None:
        inside.append(bounds.high)
        outside.append(_past(bounds.high, setting, math.inf))
    return [setting.type(v) for v in inside], [setting.type(v) for v in outside]


@pytest.mark.parametrize("setting", RANGED, ids=lambda s: s.name)
def test_every_range_is_enforced(tmp_path: Path, setting: Setting) -> None:
    inside, outside = _edges(setting)
    for value in inside:
        loaded = Settings.load(env={setting.env_var: str(value)}, data_dir=tmp_path)
        assert getattr(loaded, setting.name) == value
    for value in outside:
        with pytest.raises(ConfigurationError, match=rf"^{setting.name} must be .*, not "):
            Settings.load(env={setting.env_var: str(value)}, data_dir=tmp_path)


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.type is float], ids=lambda s: s.name)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_numbers_are_finite(tmp_path: Path, setting: Setting, value: str) -> None:
    """A NaN compares false with every bound, so it would bound nothing."""
    with pytest.raises(ConfigurationError, match=rf"^{setting.name} must be a finite number"):
        Settings.load(env={setting.env_var: value}, data_dir=tmp_path)


@pytest.mark.parametrize("setting", CHOOSING, ids=lambda s: s.name)
def test_every_choice_is_accepted_and_nothing_else(tmp_path: Path, setting: Setting) -> None:
    for choice in setting.choices:
        loaded = Settings.load(env={}, data_dir=tmp_path, **{setting.name: choice})
        assert getattr(loaded, setting.name) == choice
    if setting.listed:
        every = ",".join(setting.choices)
        loaded = Settings.load(env={}, data_dir=tmp_path, **{setting.name: every})
        assert getattr(loaded, setting.name) == every
        Settings.load(env={}, data_dir=tmp_path, **{setting.name: ""})  # none of them
    with pytest.raises(ConfigurationError, match=rf"^{setting.name}\b.*turbo"):
        Settings.load(env={}, data_dir=tmp_path, **{setting.name: "turbo"})


def test_video_signals_are_video_hashes_bastion_knows(tmp_path: Path) -> None:
    for name in VIDEO_HASHES:
        assert get_signal_type(name).name == name
    settings = Settings.load(env={"BASTION_VIDEO_SIGNALS": " TMK_PDQF , vpdq"}, data_dir=tmp_path)
    assert settings.video_signal_types() == ("tmk_pdqf", "vpdq")


def test_a_malformed_network_names_its_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^fetch_allow_networks: .*'10\.1\.2\.0/33'"):
        Settings.load(env={"BASTION_FETCH_ALLOW_NETWORKS": "10.1.2.0/33"}, data_dir=tmp_path)


def test_command_line_options_are_the_settings_they_name() -> None:
    """The reference says which global option sets a setting; every one of them does."""
    group = typer.main.get_group(app)
    options = {opt for p in group.params for opt in p.opts if opt != "--version"}
    assert options == {s.cli_option for s in SETTINGS if s.cli_option}
    for setting in SETTINGS:
        if setting.cli_option:
            assert setting.cli_option == "--" + setting.name.replace("_", "-")


def test_reading_settings_loads_neither_the_store_nor_the_domain() -> None:
    """`import bastion.settings` stays light: the CLI and the docs generator read it."""
    code = (
        "import sys, bastion.settings\n"
        "heavy = ('sqlalchemy', 'bastion.store', 'bastion.banks', 'bastion.exchange',\n"
        "         'bastion.federation', 'bastion.conversations', 'cryptography')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"


def test_console_sign_in_and_session_settings_build_typed_values(tmp_path: Path) -> None:
    from datetime import timedelta

    from bastion.auth import LoginPolicy, SessionLifetimes

    defaults = Settings.load(env={}, data_dir=tmp_path)
    assert defaults.login_policy() == LoginPolicy()
    assert defaults.login_policy() == LoginPolicy(
        max_failures=5, lockout=timedelta(minutes=15), min_password_length=12
    )
    assert defaults.session_lifetimes() == SessionLifetimes(
        idle=timedelta(hours=1), absolute=timedelta(hours=12)
    )
    env = {
        "BASTION_LOGIN_MAX_FAILURES": "3",
        "BASTION_LOGIN_LOCKOUT_MINUTES": "45",
        "BASTION_PASSWORD_MIN_LENGTH": "16",
        "BASTION_SESSION_IDLE_MINUTES": "20",
        "BASTION_SESSION_MAX_HOURS": "8",
    }
    tuned = Settings.load(env=env, data_dir=tmp_path)
    assert tuned.login_policy() == LoginPolicy(
        max_failures=3, lockout=timedelta(minutes=45), min_password_length=16
    )
    assert tuned.session_lifetimes() == SessionLifetimes(
        idle=timedelta(minutes=20), absolute=timedelta(hours=8)
    )
    with pytest.raises(ConfigurationError, match="password_min_length must be between 8"):
        Settings.load(env={"BASTION_PASSWORD_MIN_LENGTH": "4"}, data_dir=tmp_path)
