"""Settings: one declared table, defaults that work on a laptop, overridable in layers.

Precedence, lowest first: the defaults in `SETTINGS`, an optional TOML config file
(``BASTION_CONFIG`` or ``bastion.toml`` in the data directory), ``BASTION_*`` environment
variables, then explicit keyword overrides (the CLI's options, a test's config).
Nothing is required to start.
"""

from __future__ import annotations

import math
import os
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bastion.errors import ConfigurationError, ValidationError
from bastion.pdq import PdqMode
from bastion.triage.policy import DEFAULT_RULES, Policy

if TYPE_CHECKING:
    # What the builder methods make; imported where they are made, so that reading settings
    # (the CLI's start, the docs generator) does not load the store, exchanges and models.
    from bastion.auth.sessions import SessionLifetimes
    from bastion.auth.users import LoginPolicy
    from bastion.conversations.scoring import Model
    from bastion.exchange.access import SourceAccess
    from bastion.exchange.secrets import CredentialBox
    from bastion.federation.signing import SigningKey
    from bastion.media.fetch import FetchPolicy
    from bastion.media.video import VideoLimits
    from bastion.review.vault import VaultOptions
    from bastion.signals import HashingOptions, MatchingOptions

ENV_PREFIX = "BASTION_"
#: The video hashes `video_signals` may name.
VIDEO_HASHES = ("vpdq", "tmk_pdqf")


@dataclass(frozen=True)
class Range:
    """The numbers a setting accepts: from `low` (included unless `open_low`) up to `high`
    (included; None: no upper bound)."""

    low: float
    high: float | None = None
    open_low: bool = False

    def __contains__(self, value: float) -> bool:
        above = value > self.low if self.open_low else value >= self.low
        return above and (self.high is None or value <= self.high)

    def phrase(self, unit: str = "") -> str:
        """The range in words, as errors say it: "between 0 and 60 seconds", "positive"."""
        unit = f" {unit}" if unit else ""
        if self.open_low and self.low == 0 and self.high is None:
            return "positive"
        start = f"greater than {self.low:g}" if self.open_low else f"at least {self.low:g}"
        if self.high is None:
            return start + unit
        if self.open_low:
            return f"{start} and at most {self.high:g}{unit}"
        return f"between {self.low:g} and {self.high:g}{unit}"

    def spelled(self) -> str:
        """The range as the configuration reference writes it: "0 to 256", "> 0", "≥ 0"."""
        if self.high is None:
            return f"{'>' if self.open_low else '≥'} {self.low:g}"
        if self.open_low:
            return f"> {self.low:g}, ≤ {self.high:g}"
        return f"{self.low:g} to {self.high:g}"


#: Numbers above zero, with no upper bound.
POSITIVE = Range(0, open_low=True)


@dataclass(frozen=True)
class Setting:
    """One documented setting: its name, type, default and help text (Markdown, for the
    configuration reference), and the values it accepts.

    `Settings.validate` checks every value against its setting's `range` or `choices`; the
    reference in docs/configuration.md is generated from these rows
    (`python -m bastion.settings_reference`).
    """

    name: str
    type: type
    default: Any
    help: str
    range: Range | None = None
    #: The values accepted; with `listed`, any of them, comma-separated (or none).
    choices: tuple[str, ...] = ()
    #: The value is a comma-separated list (`video_signals`, `fetch_allow_networks`).
    listed: bool = False
    #: What a number counts ("seconds", "bytes"), for errors and the reference.
    unit: str = ""
    #: The global command-line option that sets it, if any.
    cli_option: str = ""
    #: The default as the reference says it, where the real one is worked out at start.
    shown_default: str = ""

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()

    def check(self, value: Any) -> None:
        """Raise ConfigurationError, naming this setting, unless `value` is one it accepts."""
        if self.type is float and not math.isfinite(value):
            raise ConfigurationError(f"{self.name} must be a finite number, not {value!r}")
        if self.range is not None and value not in self.range:
            raise ConfigurationError(
                f"{self.name} must be {self.range.phrase(self.unit)}, not {value!r}"
            )
        if self.choices and self.listed:
            unknown = {item.lower() for item in listed_values(value)} - set(self.choices)
            if unknown:
                raise ConfigurationError(
                    f"{self.name}: unknown {', '.join(sorted(unknown))} "
                    f"(choose from {', '.join(self.choices)})"
                )
        elif self.choices and value not in self.choices:
            quoted = [repr(choice) for choice in self.choices]
            either = " or ".join([", ".join(quoted[:-1]), quoted[-1]] if quoted[:-1] else quoted)
            raise ConfigurationError(f"{self.name} must be {either}, not {value!r}")


def listed_values(text: str) -> tuple[str, ...]:
    """The items of a comma-separated setting, in order, blanks left out."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def default_data_dir(env: Mapping[str, str]) -> Path:
    """Where bastion keeps its database when no data directory is configured."""
    if sys.platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "bastion"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        Path,
        None,
        "Directory for the SQLite database and other state; created on first use. "
        "`~/.local/share/bastion` on Linux (`$XDG_DATA_HOME/bastion`), "
        "`~/Library/Application Support/bastion` on macOS, `%LOCALAPPDATA%\\bastion` on Windows.",
        cli_option="--data-dir",
        shown_default="user data directory",
    ),
    Setting(
        "database_url",
        str,
        None,
        "SQLAlchemy URL. PostgreSQL: `postgresql://user@host:5432/dbname` (driver psycopg 3, "
        "installed with bastion). The schema is created and migrated automatically.",
        cli_option="--database-url",
        shown_default="`sqlite:///<data_dir>/bastion.db`",
    ),
    Setting(
        "pdq_mode",
        str,
        "reference",
        "`reference` (bit-exact with Meta's implementation) or `fast` (several times faster, "
        "within 10 bits of the reference on good-quality images; see [media.md](media.md)).",
        choices=tuple(mode.value for mode in PdqMode),
        cli_option="--pdq-mode",
    ),
    Setting(
        "pdq_threshold",
        int,
        31,
        "Largest PDQ Hamming distance counted as a match, unless a bank overrides it.",
        range=Range(0, 256),
    ),
    Setting(
        "pdq_min_quality",
        int,
        50,
        "PDQ hashes of lower quality are neither matched nor indexed.",
        range=Range(0, 100),
    ),
    Setting(
        "match_exif_orientation",
        bool,
        True,
        "When an image carries an EXIF orientation, also match the hash of the image as "
        "displayed (derived from the same transform, at no extra cost).",
    ),
    Setting(
        "max_media_bytes",
        int,
        100 * 1024 * 1024,
        "Largest file bastion reads for hashing (the default is 100 MiB).",
        range=POSITIVE,
        unit="bytes",
    ),
    Setting(
        "max_image_pixels",
        int,
        64_000_000,
        "Largest image (width x height) bastion decodes; guards against decompression bombs.",
        range=POSITIVE,
        unit="pixels",
    ),
    Setting(
        "max_video_seconds",
        float,
        7200.0,
        "Longest video bastion decodes; longer ones are refused.",
        range=POSITIVE,
        unit="seconds",
    ),
    Setting(
        "max_video_frame_pixels",
        int,
        3840 * 2160,
        "Largest video frame (width x height) bastion decodes; the default is 4K UHD "
        "(3840 x 2160).",
        range=POSITIVE,
        unit="pixels",
    ),
    Setting(
        "image_signals",
        str,
        "pdq",
        "Image hashes computed for images besides `md5` and `sha256`: `pdq`, and the image "
        "hashes of installed plugins (docs/plugins.md), e.g. `pdq,dhash`. Installing a plugin "
        "changes nothing until it is named here.",
        listed=True,
    ),
    Setting(
        "video_signals",
        str,
        "vpdq,tmk_pdqf",
        "Video hashes computed for uploaded videos besides `video_md5` and `sha256`: `vpdq`, "
        "`tmk_pdqf`, both or neither (empty). The video is decoded once for both; each adds "
        "its own hashing.",
        choices=VIDEO_HASHES,
        listed=True,
    ),
    Setting(
        "vpdq_seconds_per_hash",
        float,
        1.0,
        "vPDQ hashes one frame every this many seconds of video (0: every frame).",
        range=Range(0, 60),
        unit="seconds",
    ),
    Setting(
        "vpdq_query_match_percent",
        float,
        80.0,
        "Share of a query video's distinct good-quality vPDQ frames that must match a bank "
        "video's frames for the two to match.",
        range=Range(0, 100),
        unit="percent",
    ),
    Setting(
        "vpdq_bank_match_percent",
        float,
        0.0,
        "Share of a bank video's distinct good-quality vPDQ frames that must match the "
        "query's; 0 lets a short clip of a bank video match it.",
        range=Range(0, 100),
        unit="percent",
    ),
    Setting(
        "tmk_level1_threshold",
        float,
        0.7,
        "TMK+PDQF: smallest level-1 score (cosine of the average frame features) checked further.",
        range=Range(-1, 1),
    ),
    Setting(
        "tmk_level2_threshold",
        float,
        0.7,
        "TMK+PDQF: smallest level-2 (time-aligned) score counted as a match.",
        range=Range(-1, 1),
    ),
    Setting(
        "keypoint_min_inliers",
        int,
        14,
        "Keypoints (banks with the `keypoints` match option): fewest keypoint pairs one "
        "rotation, scale and shift must explain for a match. Unrelated photos reached 11 at "
        "most in 87,040 pairs of the robustness benchmark; lower it and false matches grow "
        "quickly.",
        range=Range(8, 1024),
    ),
    Setting(
        "fetch_allow_networks",
        str,
        "",
        "CIDRs that fetching content by URL, and exchanges (every request they send), may "
        "reach although they are not public, e.g. `10.1.2.0/24`. By default loopback, "
        "private, link-local (cloud metadata), shared and reserved addresses are all refused.",
        listed=True,
    ),
    Setting(
        "fetch_timeout",
        float,
        10.0,
        "Seconds a URL fetch may take in all: lookup, connecting, every redirect and reading.",
        range=POSITIVE,
        unit="seconds",
    ),
    Setting(
        "fetch_max_redirects",
        int,
        3,
        "Redirects a URL fetch may follow; each hop is checked again.",
        range=Range(0),
    ),
    Setting(
        "exchange_files_dir",
        str,
        "",
        "Folder that the file sources of exchanges (`local_file`'s `filename`) must lie in, "
        "whoever adds them; a relative `filename` is taken inside it. Paths are resolved "
        "(symlinks, `..`) and checked when the exchange is added and at every sync, and "
        "nothing in the data directory (the database, `secret.key`, `federation.key`) is ever "
        "read. Empty: the API refuses file sources, and `bastion exchange add`, run by the "
        "operator on the server, may name any other file. Must not be inside the data "
        "directory. See [exchanges.md](exchanges.md#what-an-exchange-may-read).",
    ),
    Setting(
        "secret_key",
        str,
        "",
        "Key that encrypts exchange credentials and webhook signing secrets in the database "
        "(Fernet: 32 url-safe base64 bytes; make one with `python -c 'from cryptography.fernet "
        "import Fernet; print(Fernet.generate_key().decode())'`). Empty: `secret.key` in the "
        "data directory, created with owner-only permissions on first use. Every process and "
        "machine of one deployment needs the same key; with another key, stored credentials "
        "and webhook secrets cannot be read and must be set again "
        "([deploying.md](deploying.md#keys-and-secrets)). Never logged or shown.",
    ),
    Setting(
        "federation_key",
        str,
        "",
        "Ed25519 private key (base64 of 32 bytes) that signs the feeds this instance publishes "
        "to partners ([exchanges](exchanges.md#federation)). Empty: `federation.key` in the "
        "data directory, created with owner-only permissions on first use. Every process of "
        "one deployment needs the same key; `bastion collab key` prints the public key "
        "partners configure. Never logged or shown.",
    ),
    Setting(
        "max_stream_watches",
        int,
        8,
        "Live streams the service watches at once, all its processes together; each watcher "
        "decodes its stream in real time, and one process runs at most this many (see "
        "[video.md](video.md#live-streams)).",
        range=Range(1, 1000),
    ),
    Setting(
        "index_snapshot_min_signals",
        int,
        100_000,
        "From this many PDQ signals on, the matcher saves its index under `<data_dir>/index/` "
        "and every process on the machine maps that one copy read-only instead of building "
        "its own (see [index.md](index.md)). `0` turns snapshots off.",
        range=Range(0),
    ),
    Setting(
        "match_staleness",
        float,
        0.1,
        "Seconds a service worker may answer from its view of the banks before it catches up "
        "with the change sequence again, in a background thread while look-ups go on. A "
        "change made through another worker or process is matched by every worker within this "
        "time plus the catch-up in flight (milliseconds); a write through a worker returns "
        "once that worker has caught up with it. `0` makes every query wait for a catch-up "
        "begun after it arrived (strictest, slower under load).",
        range=Range(0, 60),
        unit="seconds",
    ),
    Setting(
        "api_key_cache_seconds",
        float,
        5.0,
        "Seconds a service worker remembers an API key it has checked, so busy clients cost "
        "no database read per request. A key revoked with `bastion key revoke` (another "
        "process) stops working within this time; `0` reads the key table on every request.",
        range=Range(0, 300),
        unit="seconds",
    ),
    Setting(
        "conversation_model",
        str,
        "",
        "Path of the conversation model that scores chats for grooming (`bastion conversation "
        "train` writes one). Empty: the model bastion ships, fitted on its synthetic "
        "conversations (see [conversations.md](conversations.md)).",
    ),
    Setting(
        "console_secure_cookies",
        bool,
        False,
        "Mark the review console's session cookies Secure (sent over HTTPS only) whatever "
        "the request's scheme: set it behind a proxy that ends TLS. A request that came over "
        "HTTPS gets Secure cookies anyway ([review.md](review.md#signing-in)).",
    ),
    Setting(
        "login_max_failures",
        int,
        5,
        "Wrong passwords or codes in a row that lock a console account for "
        "`login_lockout_minutes`; a locked account refuses even the right password, with the "
        "same answer as any failed sign-in.",
        range=Range(1, 100),
    ),
    Setting(
        "login_lockout_minutes",
        int,
        15,
        "How long a console account stays locked after `login_max_failures` failures. "
        "`bastion user enable` or `bastion user reset` ends a lockout at once.",
        range=Range(1, 7 * 24 * 60),
        unit="minutes",
    ),
    Setting(
        "password_min_length",
        int,
        12,
        "Shortest password a console user may choose (generated ones are 24 characters, or this "
        "many if more).",
        range=Range(8, 128),
        unit="characters",
    ),
    Setting(
        "session_idle_minutes",
        int,
        60,
        "A console session without a request for this long ends (kept to within a minute).",
        range=Range(1, 7 * 24 * 60),
        unit="minutes",
    ),
    Setting(
        "session_max_hours",
        int,
        12,
        "A console session ends this long after sign-in, however busy.",
        range=Range(1, 30 * 24),
        unit="hours",
    ),
    Setting(
        "evidence_url",
        str,
        "",
        "Where the evidence vault keeps the media under review, each object sealed "
        "(AES-256-GCM): a folder, or an fsspec URL such as `s3://bucket/prefix` (install "
        "`bastion[s3]`; credentials come from the usual AWS environment variables, profile or "
        "instance role). Empty: `<data_dir>/evidence`, owner-only.",
        shown_default="`<data_dir>/evidence`",
    ),
    Setting(
        "evidence_key_file",
        str,
        "",
        "File holding the evidence vault's key: 32 random bytes, raw or in base64 (make one "
        "with `python -c 'import os, base64; print(base64.b64encode(os.urandom(32)).decode())'`)."
        " Empty: derived from `secret_key` (HKDF-SHA256), so changing `secret_key` would make "
        "the vault unreadable; give the vault a key of its own if you may rotate "
        "`secret_key`. With another key nothing in the vault can be opened.",
    ),
    Setting(
        "evidence_retention_days",
        int,
        90,
        "Days the vault keeps media after its review is decided; then it is purged (its "
        "record, without the media, stays for the audit trail). Undecided media and media "
        "under a legal hold are kept.",
        range=Range(1, 3650),
        unit="days",
    ),
    Setting(
        "reported_retention_days",
        int,
        365,
        "Days the vault keeps media at least after it is reported. 365 is the preservation "
        "period a CyberTipline report requires of the provider (18 U.S.C. § 2258A(h), one "
        "year since the REPORT Act of 2024): do not set less where US law applies.",
        range=Range(90, 3650),
        unit="days",
    ),
    Setting(
        "cybertipline_url",
        str,
        "",
        "The CyberTipline Reporting API's address, instead of the environment the reporting "
        "profile names (`test`: https://exttest.cybertip.org/ispws, `production`: "
        "https://report.cybertip.org/ispws): for a stand-in during development or an "
        "egress proxy. HTTPS, or HTTP to a loopback address only.",
    ),
    Setting(
        "evidence_s3_endpoint_url",
        str,
        "",
        "With an `s3://` `evidence_url`: the endpoint of an S3-compatible store (MinIO, Ceph, "
        "a cloud's own), e.g. `https://minio.internal:9000`. Empty: AWS.",
    ),
    Setting(
        "evidence_s3_region",
        str,
        "",
        "With an `s3://` `evidence_url`: the bucket's region, e.g. `eu-west-1`. Empty: the "
        "AWS configuration's.",
    ),
    Setting(
        "classifiers",
        str,
        "",
        "Classifiers that triage runs on checked content, comma-separated: `opennsfw` (with "
        "`pip install 'bastion[classifiers]'`) or a plugin's name. They run after the match "
        "answer, never before it ([triage.md](triage.md)). Empty: none.",
        listed=True,
    ),
    Setting(
        "triage_rules",
        str,
        DEFAULT_RULES,
        "The triage policy: rules that give each review job one of five levels from what is "
        "known about its content and user, one per line (or separated by `;`): "
        "`KIND[:SOURCE[/LABEL]] [OP NUMBER] -> LEVEL` or `... -> raise N`. The job takes the "
        "highest level its rules give, raised by each raise rule that fires; the queue is "
        "worked by it. See [triage.md](triage.md#priority) for the kinds and the default "
        "table.",
        shown_default="the table in triage.md",
    ),
    Setting(
        "triage_workers",
        int,
        1,
        "Threads per process that run classifiers and outside services on checked content, "
        "off the match answer's path.",
        range=Range(1, 64),
    ),
    Setting(
        "triage_backlog",
        int,
        256,
        "Checked items that may wait for triage in one process; past it, new items are not "
        "triaged (counted and logged) rather than held in memory.",
        range=Range(1, 100_000),
    ),
    Setting(
        "triage_budget_seconds",
        float,
        30.0,
        "The most time triage spends on one item (classifiers and outside services "
        "together); a service is asked with what is left of it.",
        range=Range(0, 600, open_low=True),
        unit="seconds",
    ),
    Setting(
        "triage_open_level",
        str,
        "high",
        "Checked content no job covers gets a `triage` review job when the triage policy "
        "puts it at this level or above.",
        choices=("very_low", "low", "medium", "high", "very_high"),
    ),
    Setting(
        "triage_retention_days",
        int,
        30,
        "Days triage keeps what it found about media (classifiers' scores, outside answers, "
        "near misses) and how its runs ended; a job keeps what it was assessed on.",
        range=Range(1, 3650),
        unit="days",
    ),
    Setting(
        "near_miss_margin",
        int,
        12,
        "Triage: a PDQ distance up to this far past a bank's threshold is a near miss, which "
        "the triage policy weighs (the default rules: medium). 0: no near misses.",
        range=Range(0, 128),
    ),
    Setting(
        "outside_allow_private",
        bool,
        False,
        "Let an outside service's address be on a private network or loopback, over plain "
        "HTTP there (a stand-in of your own; never for the real services, which are reached "
        "over HTTPS).",
    ),
    Setting(
        "classifier_frame_seconds",
        float,
        5.0,
        "Triage: seconds between the video frames a classifier looks at.",
        range=Range(0.1, 3600),
        unit="seconds",
    ),
    Setting(
        "classifier_max_frames",
        int,
        12,
        "Triage: the most frames of one video a classifier looks at.",
        range=Range(1, 1000),
    ),
    Setting(
        "checked_retention_days",
        int,
        0,
        "Days bastion keeps the signals of content it checked (never the media), with the "
        "platform's content and user ids, so that entries a bank gains later are matched "
        "against it (retroactive matching). 0: keep nothing.",
        range=Range(0, 3650),
        unit="days",
    ),
    Setting(
        "private_matching",
        bool,
        True,
        "Private matching for end-to-end encrypted apps (docs/private-matching.md): the "
        "blinded table of the banks' MD5, SHA-256, video MD5 and PDQ values, and the vouchers "
        "devices send. Nothing is built until a device asks for the table.",
    ),
    Setting(
        "private_near_matching",
        bool,
        False,
        "Also publish the near table (samples of PDQ bits), so vouchers find near copies. "
        "Off by default: the service learns which samples of an item agree with the bank "
        "(docs/private-matching.md measures what that reveals).",
    ),
    Setting(
        "private_threshold",
        int,
        5,
        "Matching items the service must hold from one account before it can read any of "
        "them (the vouchers' inner threshold). Devices are told it with the table.",
        range=Range(2, 255),
    ),
    Setting(
        "private_voucher_quota",
        int,
        5000,
        "Vouchers one account may send in 24 hours; more are refused (429).",
        range=Range(1, 10_000_000),
        unit="vouchers",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with `Settings.load()`; values are immutable."""

    data_dir: Path
    database_url: str
    pdq_mode: str
    pdq_threshold: int
    pdq_min_quality: int
    match_exif_orientation: bool
    max_media_bytes: int
    max_image_pixels: int
    max_video_seconds: float
    max_video_frame_pixels: int
    image_signals: str
    video_signals: str
    vpdq_seconds_per_hash: float
    vpdq_query_match_percent: float
    vpdq_bank_match_percent: float
    tmk_level1_threshold: float
    tmk_level2_threshold: float
    keypoint_min_inliers: int
    fetch_allow_networks: str
    fetch_timeout: float
    fetch_max_redirects: int
    exchange_files_dir: str
    secret_key: str = field(repr=False)  # never shown
    federation_key: str = field(repr=False)  # never shown
    max_stream_watches: int
    index_snapshot_min_signals: int
    match_staleness: float
    api_key_cache_seconds: float
    conversation_model: str
    console_secure_cookies: bool
    login_max_failures: int
    login_lockout_minutes: int
    password_min_length: int
    session_idle_minutes: int
    session_max_hours: int
    evidence_url: str
    evidence_key_file: str
    evidence_retention_days: int
    reported_retention_days: int
    cybertipline_url: str
    evidence_s3_endpoint_url: str
    evidence_s3_region: str
    classifiers: str
    triage_rules: str
    triage_workers: int
    triage_backlog: int
    triage_budget_seconds: float
    triage_open_level: str
    triage_retention_days: int
    near_miss_margin: int
    outside_allow_private: bool
    classifier_frame_seconds: float
    classifier_max_frames: int
    checked_retention_days: int
    private_matching: bool
    private_near_matching: bool
    private_threshold: int
    private_voucher_quota: int

    @classmethod
    def load(
        cls,
        *,
        env: Mapping[str, str] | None = None,
        config_file: Path | None = None,
        **overrides: Any,
    ) -> Settings:
        """Resolve settings from defaults, config file, environment and overrides."""
        env = os.environ if env is None else env
        unknown = set(overrides) - set(_BY_NAME)
        if unknown:
            raise ConfigurationError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        explicit = {k: v for k, v in overrides.items() if v is not None}
        # An empty variable counts as unset (``BASTION_DATA_DIR=`` must not mean "here").
        from_env = {
            s.name: _coerce(s, env[s.env_var], s.env_var)
            for s in SETTINGS
            if env.get(s.env_var, "").strip()
        }
        layered: dict[str, Any] = {s.name: s.default for s in SETTINGS}
        # The data directory decides where the default config file lives, so resolve it first.
        data_dir = explicit.get("data_dir") or from_env.get("data_dir") or default_data_dir(env)
        named = env.get(ENV_PREFIX + "CONFIG", "").strip()
        path = config_file or (Path(named) if named else None)
        if path is None and (Path(data_dir) / "bastion.toml").is_file():
            path = Path(data_dir) / "bastion.toml"
        if path is not None:
            layered.update(_read_config_file(path))
        layered.update(from_env)
        layered.update({k: _coerce(_BY_NAME[k], v, k) for k, v in explicit.items()})
        layered["data_dir"] = Path(layered["data_dir"] or data_dir).expanduser()
        if layered["database_url"] is None:
            layered["database_url"] = "sqlite:///" + str(layered["data_dir"] / "bastion.db")
        settings = cls(**layered)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse a value outside its setting's range or choices, naming the setting."""
        for setting in SETTINGS:
            setting.check(getattr(self, setting.name))
        try:
            self.fetch_policy()
        except ConfigurationError as e:  # a malformed network
            raise ConfigurationError(f"fetch_allow_networks: {e.message}") from None
        self.triage_policy()  # a bad rule stops the start, naming its line
        if (self.evidence_s3_endpoint_url or self.evidence_s3_region) and not _is_s3(
            self.evidence_url
        ):
            raise ConfigurationError(
                "evidence_s3_endpoint_url and evidence_s3_region apply only to an s3:// "
                "evidence_url"
            )
        if self.exchange_files_dir and Path(self.exchange_files_dir).expanduser().resolve(
            strict=False
        ).is_relative_to(self.data_dir.expanduser().resolve(strict=False)):
            raise ConfigurationError(
                "exchange_files_dir must be outside the data directory (never read by exchanges)"
            )

    def video_signal_types(self) -> tuple[str, ...]:
        """The video hashes to compute besides video_md5, in the configured order."""
        return tuple(name.lower() for name in listed_values(self.video_signals))

    def triage_policy(self) -> Policy:
        """The rules that set each review job's level (`triage_rules`)."""
        return Policy.parse(self.triage_rules)

    def video_limits(self) -> VideoLimits:
        from bastion.media.video import VideoLimits

        return VideoLimits(
            max_seconds=self.max_video_seconds, max_frame_pixels=self.max_video_frame_pixels
        )

    def hashing_options(self) -> HashingOptions:
        """How content is read and hashed, as these settings say."""
        from bastion.signals import HashingOptions

        return HashingOptions(
            pdq_mode=PdqMode(self.pdq_mode),
            max_media_bytes=self.max_media_bytes,
            max_image_pixels=self.max_image_pixels,
            image_hashes=tuple(name.lower() for name in listed_values(self.image_signals)),
            video_limits=self.video_limits(),
            video_hashes=self.video_signal_types(),
            vpdq_seconds_per_hash=self.vpdq_seconds_per_hash,
        )

    def matching_options(self) -> MatchingOptions:
        """When a candidate counts as a match, as these settings say."""
        from bastion.signals import MatchingOptions

        return MatchingOptions(
            pdq_threshold=self.pdq_threshold,
            pdq_min_quality=self.pdq_min_quality,
            match_exif_orientation=self.match_exif_orientation,
            vpdq_query_match_percent=self.vpdq_query_match_percent,
            vpdq_bank_match_percent=self.vpdq_bank_match_percent,
            tmk_level1_threshold=self.tmk_level1_threshold,
            tmk_level2_threshold=self.tmk_level2_threshold,
            keypoint_min_inliers=self.keypoint_min_inliers,
        )

    def fetch_policy(self) -> FetchPolicy:
        """The limits for fetching content from URLs."""
        from bastion.media.fetch import FetchPolicy

        return FetchPolicy(
            max_bytes=self.max_media_bytes,
            timeout=self.fetch_timeout,
            max_redirects=self.fetch_max_redirects,
            allow_networks=listed_values(self.fetch_allow_networks),
        )

    def exchange_access(self, *, operator: bool) -> SourceAccess:
        """What exchanges may read: files in `exchange_files_dir` (or, without one, any the
        `operator`'s command line names), never the data directory or the SQLite database;
        addresses as `fetch_policy` allows."""
        from sqlalchemy.engine import make_url

        from bastion.exchange.access import FileAccess, SourceAccess

        protected = [self.data_dir]
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            database = Path(str(url.database))
            protected += [database.with_name(database.name + end) for end in ("", "-wal", "-shm")]
        folder = Path(self.exchange_files_dir) if self.exchange_files_dir else None
        return SourceAccess(self.fetch_policy(), FileAccess(tuple(protected), folder, operator))

    def credential_box(self) -> CredentialBox:
        """What encrypts and decrypts exchange credentials (see `secret_key`)."""
        from bastion.exchange.secrets import CredentialBox

        return CredentialBox.for_settings(self.secret_key, self.data_dir)

    def private_secret(self) -> bytes:
        """What private matching's blinding keys and franking key derive from: the
        deployment's secret key (see `secret_key`)."""
        from bastion.exchange.secrets import deployment_secret

        return deployment_secret(self.secret_key, self.data_dir)

    def signing_key(self) -> SigningKey:
        """What signs the feeds this instance publishes (see `federation_key`)."""
        from bastion.federation.signing import SigningKey

        return SigningKey.for_settings(self.federation_key, self.data_dir)

    def evidence_vault_options(self) -> VaultOptions:
        """Where the evidence vault keeps its objects, its key and its retention periods
        (see `evidence_url`, `evidence_key_file`). The key is read, or derived from the
        deployment's secret key, here."""
        from bastion.exchange.secrets import deployment_secret
        from bastion.review.vault import VaultKey, VaultOptions

        if self.evidence_key_file:
            key = VaultKey.from_file(Path(self.evidence_key_file).expanduser())
        else:
            key = VaultKey.derive(deployment_secret(self.secret_key, self.data_dir))
        storage_options: dict[str, Any] = {}
        if self.evidence_s3_endpoint_url:
            storage_options["endpoint_url"] = self.evidence_s3_endpoint_url
        if self.evidence_s3_region:
            storage_options["client_kwargs"] = {"region_name": self.evidence_s3_region}
        return VaultOptions(
            location=self.evidence_url or str(self.data_dir / "evidence"),
            key=key,
            retention=timedelta(days=self.evidence_retention_days),
            reported_retention=timedelta(days=self.reported_retention_days),
            storage_options=storage_options,
        )

    def conversation_scorer(self) -> Model:
        """The model that scores conversations (see `conversation_model`)."""
        from bastion.conversations.meaning import MeaningUnavailable, default_meaning
        from bastion.conversations.scoring import Model, default_model

        try:
            model = (
                Model.load(Path(self.conversation_model).expanduser())
                if self.conversation_model
                else default_model()
            )
            if model.meaning:
                default_meaning()  # its files are read now, not at the first message
        except (ValidationError, MeaningUnavailable) as e:
            raise ConfigurationError(f"conversation_model: {e.message}") from None
        return model

    def login_policy(self) -> LoginPolicy:
        """How console sign-ins are guarded (failures, lockout, password length)."""
        from bastion.auth.users import LoginPolicy

        return LoginPolicy(
            max_failures=self.login_max_failures,
            lockout=timedelta(minutes=self.login_lockout_minutes),
            min_password_length=self.password_min_length,
        )

    def session_lifetimes(self) -> SessionLifetimes:
        """How long console sessions last, idle and at most."""
        from bastion.auth.sessions import SessionLifetimes

        return SessionLifetimes(
            idle=timedelta(minutes=self.session_idle_minutes),
            absolute=timedelta(hours=self.session_max_hours),
        )

    def with_overrides(self, **changes: Any) -> Settings:
        updated = replace(self, **changes)
        updated.validate()
        return updated


assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS], "settings table drift"


def _is_s3(url: str) -> bool:
    return url.lower().startswith(("s3://", "s3a://"))


def _coerce(setting: Setting, value: Any, source: str) -> Any:
    is_bool_for_int = setting.type is int and isinstance(value, bool)
    if value is None or (isinstance(value, setting.type) and not is_bool_for_int):
        return value
    try:
        if setting.type is bool:
            if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if setting.type is int and isinstance(value, bool):
            raise ValueError(value)
        return setting.type(value)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"{source}: expected {setting.type.__name__} for {setting.name}, got {value!r}"
        ) from None


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigurationError(f"config file not found: {path}") from None
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigurationError(f"cannot read config file {path}: {e}") from None
    unknown = set(data) - set(_BY_NAME)
    if unknown:
        raise ConfigurationError(f"{path}: unknown setting(s): {', '.join(sorted(unknown))}")
    return {k: _coerce(_BY_NAME[k], v, f"{path}:{k}") for k, v in data.items()}
