"""Classifier plugins (entry point group `bastion.classifiers`): found through the installed
distributions' metadata, every name checked unique, loaded with a clear error for each way
a plugin can fail. The distributions here are metadata folders on sys.path, as pip leaves
them, whose entry points name the classes below."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bastion.errors import ConfigurationError
from bastion.triage.classifiers import (
    ENTRY_POINT_GROUP,
    Classifier,
    ClassifierError,
    Label,
    installed_classifiers,
    load_classifier,
)


class Brightness:
    """A classifier of images: how bright each is (its mean grey level, 0-1)."""

    name = "brightness"
    version = "1"
    kinds = frozenset({"image"})

    def classify_images(self, images: list[Image.Image]) -> list[tuple[Label, ...]]:
        return [
            (Label("bright", float(np.asarray(image.convert("L")).mean()) / 255),)
            for image in images
        ]

    def classify_texts(self, texts: list[str]) -> list[tuple[Label, ...]]:
        raise ClassifierError("brightness classifies images, not texts")


class NotAClassifier:
    name = "odd"


def broken_model() -> Classifier:
    raise RuntimeError("weights file damaged")


Install = Callable[..., None]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Install:
    """Installs a distribution that offers classifiers: `install("dist", name="module:attr")`."""

    def installed(distribution: str, **points: str) -> None:
        info = tmp_path / f"{distribution.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n"
        )
        lines = "".join(f"{name} = {value}\n" for name, value in points.items())
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}")
        monkeypatch.syspath_prepend(str(tmp_path))

    return installed


def test_a_plugin_is_listed_without_loading_and_loads_by_name(install: Install) -> None:
    install("bastion-brightness", brightness=f"{__name__}:Brightness")
    assert installed_classifiers()["brightness"].value == f"{__name__}:Brightness"
    classifier = load_classifier("brightness")
    assert isinstance(classifier, Brightness)
    white, black = Image.new("RGB", (8, 8), "white"), Image.new("RGB", (8, 8), "black")
    assert classifier.classify_images([white, black]) == [
        (Label("bright", 1.0),),
        (Label("bright", 0.0),),
    ]


def test_two_plugins_of_one_name_are_refused_naming_both(install: Install) -> None:
    install("bastion-brightness", brightness=f"{__name__}:Brightness")
    install("bastion-other", brightness=f"{__name__}:NotAClassifier")
    with pytest.raises(ConfigurationError, match="two plugins offer the classifier 'brightness'"):
        installed_classifiers()


def test_an_unknown_name_lists_the_installed_ones(install: Install) -> None:
    install("bastion-brightness", brightness=f"{__name__}:Brightness")
    with pytest.raises(ConfigurationError, match=r"unknown classifier 'nope'; installed: .*bri"):
        load_classifier("nope")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("bastion_absent_plugin:Model", r"cannot load: No module named 'bastion_absent_plugin'$"),
        (f"{__name__}:NotAClassifier", r"\(tests\.triage\.test_classifiers:NotAClassifier\) is n"),
        (f"{__name__}:broken_model", "cannot load: RuntimeError: weights file damaged"),
    ],
)
def test_a_plugin_that_fails_to_load_is_a_configuration_error(
    install: Install, value: str, message: str
) -> None:
    install("bastion-broken", broken=value)
    with pytest.raises(ConfigurationError, match=message):
        load_classifier("broken")
