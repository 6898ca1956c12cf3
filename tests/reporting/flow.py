"""What the reporting flow tests share: a service with a bank whose matches open jobs, the
organisation's profile set for the fake CyberTipline, and reported content.

Every picture is generated (`bastion.samples`): benign, made-up content only."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from bastion.pipeline import Bastion
from bastion.reporting.model import Report
from bastion.review import Classification, ContentSubmission, Decision, Job, JobKind
from bastion.samples import sample_pixels
from bastion.settings import Settings
from tests.reporting.fake_cybertipline import FakeCyberTipline

USER_CONTEXT = {
    "user": {
        "screen_name": "sample-user",
        "emails": ["sample-user@example.net"],
        "ip_captures": [{"ip": "198.51.100.23", "event": "Login", "at": "2026-05-01T10:00:00Z"}],
    },
    "publicly_available": False,
}


def jpeg(seed: int, size: tuple[int, int] = (480, 360)) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).resize(size).save(out, "JPEG", quality=90)
    return out.getvalue()


def service(settings: Settings, fake: FakeCyberTipline) -> Bastion:
    """A service whose reports go to `fake`, with a `known` bank of three pictures whose
    matches open jobs, a `reported` bank, and the organisation's profile set."""
    bastion = Bastion(settings.with_overrides(cybertipline_url=fake.url))
    bastion.store.create_bank("known")
    for seed in (1, 2, 3):
        bastion.add_to_bank("known", jpeg(seed), f"known-{seed}.jpg")
    bastion.actions.add_review("known")
    bastion.store.create_bank("reported")
    reporting = bastion.reporting
    reporting.update_profile(
        "test",
        reporter_first_name="Trust",
        reporter_last_name="Safety",
        reporter_email="reports@example.org",
        platform="Example Forum",
        report_bank="reported",
    )
    reporting.set_credentials("esp", "secret", "test")
    return bastion


@dataclass(frozen=True)
class Reported:
    report: Report
    jobs: tuple[Job, ...]
    media: tuple[bytes, ...]


def report_matches(
    bastion: Bastion, seeds: tuple[int, ...] = (1, 2, 3), *, user: str = "u-17"
) -> Reported:
    """A user posts the known pictures (re-encoded smaller); a reviewer reports each
    match. The report's draft, its jobs and the media posted."""
    media = tuple(jpeg(seed, (400, 300)) for seed in seeds)
    jobs: list[Job] = []
    report_id = None
    for number, data in enumerate(media):
        submitted = bastion.review.submit(
            ContentSubmission(
                platform_id=f"post-{user}-{number}",
                user_id=user,
                surface="feed",
                name=f"photo-{number}.jpg",
                context=USER_CONTEXT,
            ),
            data,
        )
        [job] = [j for j in submitted.jobs if j.kind is JobKind.MATCH]
        decided = bastion.review.decide(
            job.id, "user:ada", Decision.REPORTED, classification=Classification.B2
        )
        jobs.append(decided.jobs[0])
        report_id = decided.report_id
    assert report_id is not None
    return Reported(bastion.reporting.store.get(report_id), tuple(jobs), media)
