"""Classifiers: models that rank content no bank knows, as plugins.

A classifier looks at an image (a video's sampled frames are images with their times) or a
text and returns labels with scores between 0 and 1, and says which version of which model
gave them, so a decision taken on its word can be traced to it. Distributions add classifiers
through the entry point group ``bastion.classifiers``: each entry point names a callable that
takes no argument and returns a `Classifier` (bastion's own, ``opennsfw``, needs the
``bastion[classifiers]`` extra). The pipeline runs the ones the ``classifiers`` setting names,
off the match answer's path (`bastion.pipeline.triage`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from PIL import Image

from bastion.errors import BastionError, ConfigurationError

#: The entry point group through which distributions add classifiers.
ENTRY_POINT_GROUP = "bastion.classifiers"


class ClassifierError(BastionError):
    """A classifier could not classify an item (its model failed, or is missing)."""


@dataclass(frozen=True)
class Label:
    """One label a classifier gave, with its score between 0 and 1."""

    name: str
    score: float


@dataclass(frozen=True)
class Labels:
    """What one classifier said about one item (an image, a video frame, a text)."""

    classifier: str
    #: The model's version, as the classifier names it (its weights' digest, a release).
    version: str
    labels: tuple[Label, ...]
    #: For a video's frame: its time in seconds.
    at_seconds: float | None = None

    def score(self, label: str) -> float:
        """The score of `label`, 0 when not given."""
        return max((x.score for x in self.labels if x.name == label), default=0.0)


@runtime_checkable
class Classifier(Protocol):
    """A model that labels images, texts, or both."""

    #: Its name, as settings and findings say it (``opennsfw``).
    name: str
    #: The model's version.
    version: str
    #: What it classifies: ``image``, ``text``, or both.
    kinds: frozenset[str]

    def classify_images(self, images: list[Image.Image]) -> list[tuple[Label, ...]]:
        """Labels for each image (RGB), in order; batches as the model likes."""
        ...

    def classify_texts(self, texts: list[str]) -> list[tuple[Label, ...]]:
        """Labels for each text, in order (a classifier of images only raises)."""
        ...


Factory = Callable[[], Classifier]


def installed_classifiers() -> Mapping[str, EntryPoint]:
    """The classifiers distributions offer, by name (not loaded: a model loads when used)."""
    return MappingProxyType(_by_name(entry_points(group=ENTRY_POINT_GROUP)))


def _by_name(points: Iterable[EntryPoint]) -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for point in points:
        other = found.get(point.name)
        if other is not None and other.value != point.value:
            raise ConfigurationError(
                f"two plugins offer the classifier {point.name!r}: {other.value} and {point.value}"
            )
        found[point.name] = point
    return found


def load_classifier(name: str) -> Classifier:
    """The classifier `name`, its model loaded; a clear error when it is not installed."""
    points = installed_classifiers()
    point = points.get(name)
    hint = " (pip install 'bastion[classifiers]')" if name == "opennsfw" else ""
    if point is None:
        known = ", ".join(sorted(points)) or "none installed"
        raise ConfigurationError(f"unknown classifier {name!r}{hint}; installed: {known}")
    try:
        factory = point.load()
        classifier = factory()
    except BastionError:
        raise  # the classifier's own clear error (bastion's says which extra it needs)
    except ImportError as e:
        raise ConfigurationError(f"classifier {name!r} cannot load: {e}{hint}") from None
    except Exception as e:  # a plugin's model that fails to load
        raise ConfigurationError(
            f"classifier {name!r} ({point.value}) cannot load: {type(e).__name__}: {e}"
        ) from e
    if not isinstance(classifier, Classifier):
        raise ConfigurationError(f"classifier {name!r} ({point.value}) is not a Classifier")
    return classifier
