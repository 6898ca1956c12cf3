"""Settings: one declared table, defaults that work on a laptop, overridable in layers.

Precedence, lowest first: the defaults in `SETTINGS`, an optional TOML config file
(``BASTION_CONFIG`` or ``bastion.toml`` in the data directory), ``BASTION_*`` environment
variables, then explicit keyword overrides (the CLI's options, a test's config).
Nothing is required to start.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bastion.conversations.scoring import Model, default_model
from bastion.errors import ConfigurationError, ValidationError
from bastion.exchange.secrets import CredentialBox
from bastion.federation.signing import SigningKey
from bastion.media.fetch import FetchPolicy
from bastion.media.video import VideoLimits
from bastion.pdq import PdqMode
from bastion.signals import HashingOptions, MatchingOptions

if TYPE_CHECKING:
    from bastion.exchange.access import SourceAccess

ENV_PREFIX = "BASTION_"
#: The video hashes `video_signals` may name.
VIDEO_HASHES = ("vpdq", "tmk_pdqf")


@dataclass(frozen=True)
class Setting:
    """One documented setting: its name, type, default and help text."""

    name: str
    type: type
    default: Any
    help: str

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


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
        "Default: the platform's user data directory (~/.local/share/bastion on Linux).",
    ),
    Setting(
        "database_url",
        str,
        None,
        "SQLAlchemy database URL. Default: SQLite file bastion.db in the data directory. "
        "PostgreSQL: postgresql://user@host:5432/dbname.",
    ),
    Setting(
        "pdq_mode",
        str,
        "reference",
        "PDQ hashing mode: 'reference' (bit-exact with Meta's implementation) or 'fast' "
        "(several times faster, within 10 bits of the reference on good-quality images).",
    ),
    Setting(
        "pdq_threshold",
        int,
        31,
        "Largest PDQ Hamming distance (0-256) counted as a match, unless a bank overrides it.",
    ),
    Setting(
        "pdq_min_quality",
        int,
        50,
        "PDQ hashes of lower quality (0-100) are neither stored as matchable nor matched.",
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
        "Largest file, in bytes, that bastion will read for hashing.",
    ),
    Setting(
        "max_image_pixels",
        int,
        64_000_000,
        "Largest image, in pixels (width x height), that bastion will decode; "
        "guards against decompression bombs.",
    ),
    Setting(
        "max_video_seconds",
        float,
        7200.0,
        "Longest video, in seconds, that bastion will decode; longer ones are refused.",
    ),
    Setting(
        "max_video_frame_pixels",
        int,
        3840 * 2160,
        "Largest video frame, in pixels (width x height), that bastion will decode.",
    ),
    Setting(
        "video_signals",
        str,
        "vpdq,tmk_pdqf",
        "Comma-separated video hashes computed for uploaded videos besides video_md5: "
        "'vpdq', 'tmk_pdqf', both or neither (empty). Both share one decoding pass.",
    ),
    Setting(
        "vpdq_seconds_per_hash",
        float,
        1.0,
        "vPDQ hashes one frame every this many seconds of video (0: every frame).",
    ),
    Setting(
        "vpdq_query_match_percent",
        float,
        80.0,
        "Share (0-100) of a query video's distinct good-quality vPDQ frames that must match "
        "frames of a bank video for the two to match.",
    ),
    Setting(
        "vpdq_bank_match_percent",
        float,
        0.0,
        "Share (0-100) of a bank video's distinct good-quality vPDQ frames that must match "
        "the query's (0: a short clip of a bank video matches it).",
    ),
    Setting(
        "tmk_level1_threshold",
        float,
        0.7,
        "TMK+PDQF: smallest level-1 score (cosine of average frame features) that is "
        "checked further.",
    ),
    Setting(
        "tmk_level2_threshold",
        float,
        0.7,
        "TMK+PDQF: smallest level-2 (time-aligned) score counted as a match.",
    ),
    Setting(
        "fetch_allow_networks",
        str,
        "",
        "Comma-separated CIDRs that URL fetching may reach although they are not public "
        "(e.g. '10.1.2.0/24'). Empty: only public addresses.",
    ),
    Setting(
        "fetch_timeout",
        float,
        10.0,
        "Seconds a URL fetch may take in all: connecting, redirects and reading.",
    ),
    Setting("fetch_max_redirects", int, 3, "Redirects a URL fetch may follow."),
    Setting(
        "exchange_files_dir",
        str,
        "",
        "Folder that exchanges' file sources (local_file's filename) must lie in, whoever "
        "adds them; nothing in the data directory is ever read. Empty: the API refuses file "
        "sources, and `bastion exchange add` on the server may name any other file.",
    ),
    Setting(
        "secret_key",
        str,
        "",
        "Key that encrypts exchange credentials and webhook signing secrets in the database "
        "(Fernet: 32 url-safe base64 bytes). Empty: a key file, secret.key, made in the data "
        "directory on first use. Every process and machine of one deployment needs the same "
        "key.",
    ),
    Setting(
        "federation_key",
        str,
        "",
        "Ed25519 private key (base64 of 32 bytes) that signs what this instance publishes to "
        "partners. Empty: a key file, federation.key, made in the data directory on first "
        "use. Every process of one deployment needs the same key.",
    ),
    Setting(
        "max_stream_watches",
        int,
        8,
        "Live streams the service watches at once, all its processes together; each watcher "
        "decodes its stream in real time. A process runs at most this many of them.",
    ),
    Setting(
        "index_snapshot_min_signals",
        int,
        100_000,
        "From this many PDQ (Hamming) signals on, the matcher saves its index under the data "
        "directory, and every process on the machine maps that one copy instead of building "
        "its own. 0 turns snapshots off.",
    ),
    Setting(
        "match_staleness",
        float,
        0.1,
        "Seconds a service worker may answer from its view of the banks before it catches up "
        "with the change sequence again (in the background); a change made through another "
        "process is matched by every worker within this time plus the catch-up in flight, and "
        "a write through a worker returns once that worker has it. 0 makes every query wait "
        "for a catch-up.",
    ),
    Setting(
        "api_key_cache_seconds",
        float,
        5.0,
        "Seconds a service worker remembers an API key it has checked, so busy clients cost "
        "no database read per request; a key revoked through another process (the CLI) stops "
        "working within this time. 0 reads the key on every request.",
    ),
    Setting(
        "conversation_model",
        str,
        "",
        "Path of the conversation model (`bastion conversation train` writes one) that scores "
        "conversations for grooming. Empty: the model bastion ships, fitted on its synthetic "
        "conversations.",
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
    video_signals: str
    vpdq_seconds_per_hash: float
    vpdq_query_match_percent: float
    vpdq_bank_match_percent: float
    tmk_level1_threshold: float
    tmk_level2_threshold: float
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
        if self.pdq_mode not in ("reference", "fast"):
            raise ConfigurationError(
                f"pdq_mode must be 'reference' or 'fast', not {self.pdq_mode!r}"
            )
        if not 0 <= self.pdq_threshold <= 256:
            raise ConfigurationError("pdq_threshold must be between 0 and 256")
        if not 0 <= self.pdq_min_quality <= 100:
            raise ConfigurationError("pdq_min_quality must be between 0 and 100")
        if self.max_media_bytes <= 0 or self.max_image_pixels <= 0:
            raise ConfigurationError("max_media_bytes and max_image_pixels must be positive")
        if self.max_video_seconds <= 0 or self.max_video_frame_pixels <= 0:
            raise ConfigurationError(
                "max_video_seconds and max_video_frame_pixels must be positive"
            )
        unknown = set(self.video_signal_types()) - set(VIDEO_HASHES)
        if unknown:
            raise ConfigurationError(
                f"video_signals: unknown {', '.join(sorted(unknown))} "
                f"(choose from {', '.join(VIDEO_HASHES)})"
            )
        if not 0 <= self.vpdq_seconds_per_hash <= 60:
            raise ConfigurationError("vpdq_seconds_per_hash must be between 0 and 60")
        for name in ("vpdq_query_match_percent", "vpdq_bank_match_percent"):
            if not 0 <= getattr(self, name) <= 100:
                raise ConfigurationError(f"{name} must be between 0 and 100")
        for name in ("tmk_level1_threshold", "tmk_level2_threshold"):
            if not -1 <= getattr(self, name) <= 1:
                raise ConfigurationError(f"{name} must be between -1 and 1")
        if not 1 <= self.max_stream_watches <= 1000:
            raise ConfigurationError("max_stream_watches must be between 1 and 1000")
        if not 0 <= self.match_staleness <= 60:
            raise ConfigurationError("match_staleness must be between 0 and 60 seconds")
        if not 0 <= self.api_key_cache_seconds <= 300:
            raise ConfigurationError("api_key_cache_seconds must be between 0 and 300 seconds")
        self.fetch_policy()  # checks the fetch settings
        if self.exchange_files_dir and Path(self.exchange_files_dir).expanduser().resolve(
            strict=False
        ).is_relative_to(self.data_dir.expanduser().resolve(strict=False)):
            raise ConfigurationError(
                "exchange_files_dir must be outside the data directory (never read by exchanges)"
            )
        self.video_limits()  # refuses a NaN or infinite duration limit

    def video_signal_types(self) -> tuple[str, ...]:
        """The video hashes to compute besides video_md5, in the configured order."""
        return tuple(n.strip().lower() for n in self.video_signals.split(",") if n.strip())

    def video_limits(self) -> VideoLimits:
        return VideoLimits(
            max_seconds=self.max_video_seconds, max_frame_pixels=self.max_video_frame_pixels
        )

    def hashing_options(self) -> HashingOptions:
        """How content is read and hashed, as these settings say."""
        return HashingOptions(
            pdq_mode=PdqMode(self.pdq_mode),
            max_media_bytes=self.max_media_bytes,
            max_image_pixels=self.max_image_pixels,
            video_limits=self.video_limits(),
            video_hashes=self.video_signal_types(),
            vpdq_seconds_per_hash=self.vpdq_seconds_per_hash,
        )

    def matching_options(self) -> MatchingOptions:
        """When a candidate counts as a match, as these settings say."""
        return MatchingOptions(
            pdq_threshold=self.pdq_threshold,
            pdq_min_quality=self.pdq_min_quality,
            match_exif_orientation=self.match_exif_orientation,
            vpdq_query_match_percent=self.vpdq_query_match_percent,
            vpdq_bank_match_percent=self.vpdq_bank_match_percent,
            tmk_level1_threshold=self.tmk_level1_threshold,
            tmk_level2_threshold=self.tmk_level2_threshold,
        )

    def fetch_policy(self) -> FetchPolicy:
        """The limits for fetching content from URLs."""
        return FetchPolicy(
            max_bytes=self.max_media_bytes,
            timeout=self.fetch_timeout,
            max_redirects=self.fetch_max_redirects,
            allow_networks=tuple(
                n.strip() for n in self.fetch_allow_networks.split(",") if n.strip()
            ),
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
        return CredentialBox.for_settings(self.secret_key, self.data_dir)

    def signing_key(self) -> SigningKey:
        """What signs the feeds this instance publishes (see `federation_key`)."""
        return SigningKey.for_settings(self.federation_key, self.data_dir)

    def conversation_scorer(self) -> Model:
        """The model that scores conversations (see `conversation_model`)."""
        if not self.conversation_model:
            return default_model()
        try:
            return Model.load(Path(self.conversation_model).expanduser())
        except ValidationError as e:
            raise ConfigurationError(f"conversation_model: {e.message}") from None

    def with_overrides(self, **changes: Any) -> Settings:
        updated = replace(self, **changes)
        updated.validate()
        return updated


assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS], "settings table drift"


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
