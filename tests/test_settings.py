"""Settings: defaults, config file, environment and overrides, in that order."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.errors import ConfigurationError
from bastion.settings import SETTINGS, Settings


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
