"""`Bastion`: the composition root, and the use cases every door calls.

One `Bastion` is built per process from settings (`Bastion(settings)`): by `create_app`
for the service and by the command line for a command. It owns the database, the bank store,
the hasher, the live matcher, the action rules and their outbox, the exchanges and what
goes with them, each built when first used. The doors (the API, HMA's routes, the CLI,
stream watchers) only translate their input and output: they hash, check, look up and add
through the use cases here, so content is hashed with the same lookups, matched with the same
options and acted on the same way whichever door it came through.

Checking content (`check_content`): hash it with the lookups the enabled banks use (its
rotations, the picture inside its borders...), match it in every enabled bank with that
bank's options (and its displayed orientation, `match_exif_orientation`), count the matches,
and act: queue the matched banks' actions (webhooks, review items) in the outbox, from where
the service's worker delivers them (`deliver_due`). `act=False` only reports.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bastion.actions import ActionStore, WebhookDeliverer, content_info
from bastion.audit import AuditLog
from bastion.auth import ApiKeyStore, SessionStore, UserStore
from bastion.banks import ALL_OFF, BankStore, Derived, MatchOptions, NewEntry
from bastion.conversations.store import ConversationStore
from bastion.exchange.feedback import FeedbackQueue
from bastion.exchange.impl import exchange_kinds
from bastion.exchange.secrets import CredentialBox
from bastion.exchange.store import ExchangeStore
from bastion.exchange.sync import Syncer
from bastion.federation.publisher import CollabStore
from bastion.federation.signing import SigningKey
from bastion.hashing import ContentHasher, HashedContent
from bastion.matching import Match, Matcher, SnapshotShelf
from bastion.matching.checked import CheckedStore
from bastion.media import fetch, read_media
from bastion.pipeline.checks import Checked, signals_info
from bastion.pipeline.live import LiveMatcher
from bastion.pipeline.private import PrivateMatching
from bastion.pipeline.review import Review
from bastion.pipeline.triage import Triage, TriageItem
from bastion.reporting.figures import SharedCollaboration, filed_reports
from bastion.reporting.sink import installed_sinks
from bastion.reporting.tallies import CheckTally, looked_up, signal_kind
from bastion.reporting.transparency import (
    DEFAULT_SUPPRESS_BELOW,
    Period,
    TransparencyReport,
    build_report,
)
from bastion.review.objects import object_store
from bastion.review.vault import EvidenceVault
from bastion.scanning import ScanStore
from bastion.settings import Settings
from bastion.signals import Signal, signal_types
from bastion.store import Database
from bastion.store.private_files import make_owner_only
from bastion.streams import StreamRegistry
from bastion.triage.outside.guard import Guard
from bastion.triage.outside.store import ServiceStore
from bastion.triage.policy import Policy

if TYPE_CHECKING:
    from bastion.pipeline.reporting import Reporting

#: Called with the matches of every check and look-up (the service counts them).
MatchHook = Callable[[list[Match]], None]


class Bastion:
    """The stores, hasher and matcher of one process, and the use cases over them."""

    def __init__(
        self,
        settings: Settings,
        *,
        operator: bool = False,
        actor: str = "scheduler",
        on_matches: MatchHook | None = None,
        door: str = "api",
    ) -> None:
        """The composition root for `settings`; the database is opened when first needed.

        `operator`: the command line of the server's operator (exchanges may read and write
        files); `actor`: who the audit log names for exchange syncs; `on_matches`: called
        with every check's and look-up's matches (metrics); `door`: what the transparency
        tallies count this process's checks as coming through (``api``, ``cli``), unless a
        call names its own (HMA's routes: ``hma``)."""
        self.settings = settings
        #: The operator's own command line: exchanges may name files (`exchange_files_dir`).
        self.operator = operator
        #: Who runs exchange syncs started here (the audit log's actor).
        self.actor = actor
        self.on_matches = on_matches
        #: The door checks come through, for the tallies (`bastion.reporting.tallies`).
        self.door = door

    def open(self) -> None:
        """Open the database and the action rules now rather than when first used (a
        service, at start-up): the data directory is made owner-only whatever an older
        version made it, and webhook secrets an older version kept in clear are sealed. The
        plugins' signal types, exchange kinds and report destinations are loaded too, so that
        two plugins claiming one name stop the service here, with an error naming both, not at
        a first upload; so do the classifiers `classifiers` names, their models loaded.
        The tallies are made here too, before requests share them."""
        signal_types()
        exchange_kinds()
        installed_sinks()
        _ = self.triage.classifiers
        _ = self.actions
        _ = self.tally

    # What it owns ----------------------------------------------------------------------

    @cached_property
    def db(self) -> Database:
        opened = Database.open(self.settings.database_url)
        make_owner_only(self.settings.data_dir)  # whatever an older version made it
        return opened

    @cached_property
    def box(self) -> CredentialBox:
        """Seals and opens exchange credentials and webhook secrets (see `secret_key`)."""
        return self.settings.credential_box()

    @cached_property
    def store(self) -> BankStore:
        return BankStore(self.db)

    @cached_property
    def checked(self) -> CheckedStore:
        """The signals of checked content, kept for retroactive matching."""
        return CheckedStore(self.db)

    @cached_property
    def scans(self) -> ScanStore:
        return ScanStore(self.db)

    @cached_property
    def keys(self) -> ApiKeyStore:
        return ApiKeyStore(self.db, cache_seconds=self.settings.api_key_cache_seconds)

    @cached_property
    def users(self) -> UserStore:
        """The console's people; TOTP secrets are sealed by `box`."""
        return UserStore(self.db, self.box, policy=self.settings.login_policy())

    @cached_property
    def sessions(self) -> SessionStore:
        """The console's signed-in browsers."""
        lifetimes = self.settings.session_lifetimes()
        return SessionStore(self.db, idle=lifetimes.idle, absolute=lifetimes.absolute)

    @cached_property
    def hasher(self) -> ContentHasher:
        return ContentHasher(self.settings.hashing_options())

    @cached_property
    def _hash_slots(self) -> threading.BoundedSemaphore:
        # Decoding and hashing are CPU- and memory-heavy: more at once than there are cores
        # only adds memory (each 12 MP image needs ~200 MB of buffers), not throughput.
        return threading.BoundedSemaphore(os.cpu_count() or 2)

    @cached_property
    def matcher(self) -> LiveMatcher:
        """This process's matcher, kept fresh within `match_staleness` (`LiveMatcher`)."""
        shelf = SnapshotShelf.for_database(
            self.settings.data_dir,
            self.settings.database_url,
            min_signals=self.settings.index_snapshot_min_signals,
        )
        matcher = Matcher(self.store, self.settings.matching_options(), shelf=shelf)
        return LiveMatcher(matcher, max_staleness=self.settings.match_staleness)

    @cached_property
    def actions(self) -> ActionStore:
        """The action rules; webhook secrets an older version kept in clear are sealed."""
        actions = ActionStore(self.db, self.box, policy=self.policy)
        actions.seal_clear_secrets()
        return actions

    @cached_property
    def triage(self) -> Triage:
        """Classifiers, outside services and near misses on checked content, in this
        process's triage threads (`bastion.pipeline.triage`)."""
        return Triage(self)

    @cached_property
    def services(self) -> ServiceStore:
        """The outside services triage asks (PhotoDNA, Arachnid Shield, Google's Content
        Safety API...), their credentials sealed by `box`."""
        return ServiceStore(self.db, self.box, allow_private=self.settings.outside_allow_private)

    def outside_services(self) -> list[Guard]:
        """The enabled outside services behind their guards (remembered a few seconds)."""
        return self.services.guarded()

    @cached_property
    def policy(self) -> Policy:
        """The triage policy that sets each review job's level (`triage_rules`)."""
        return self.settings.triage_policy()

    @cached_property
    def conversations(self) -> ConversationStore:
        return ConversationStore(self.db, self.settings.conversation_scorer(), self.actions)

    @cached_property
    def exchanges(self) -> ExchangeStore:
        return ExchangeStore(
            self.db, self.box, access=self.settings.exchange_access(operator=self.operator)
        )

    @cached_property
    def feedback(self) -> FeedbackQueue:
        return FeedbackQueue(
            self.db, self.box, access=self.settings.exchange_access(operator=self.operator)
        )

    @cached_property
    def syncer(self) -> Syncer:
        return Syncer(self.store, self.exchanges, actor=self.actor)

    @cached_property
    def collabs(self) -> CollabStore:
        return CollabStore(self.db, self.keys)

    @cached_property
    def signing_key(self) -> SigningKey:
        return self.settings.signing_key()

    @cached_property
    def vault(self) -> EvidenceVault:
        """The evidence vault: media under review, sealed, and purged on time
        (`evidence_url`, `evidence_key_file`, `evidence_retention_days`...)."""
        options = self.settings.evidence_vault_options()
        return EvidenceVault(
            self.db,
            object_store(options.location, options.storage_options),
            options.key,
            retention=options.retention,
            reported_retention=options.reported_retention,
        )

    @cached_property
    def streams(self) -> StreamRegistry:
        """The live-stream watches, and this process's watchers: frames are hashed as
        uploads are and looked up with the lookups the banks use (`look_up_frame`), and an
        alert acts on its matches."""
        return StreamRegistry(
            self.db,
            self.look_up_frame,
            self._alert,
            self.settings.fetch_policy(),
            hashing=self.settings.hashing_options(),
            lookups_wanted=lambda: self.matcher.options(),  # the index loads on first use
            limit=self.settings.max_stream_watches,
        )

    def _alert(self, matches: list[Match], content: dict[str, object]) -> None:
        """A stream watcher's alert: counted, and the matched banks' actions are queued."""
        self.tally.record_alert("stream", "stream")
        self.act(matches, content)

    @cached_property
    def tally(self) -> CheckTally:
        """Counts of checks and matches a day, for the transparency report (counts only,
        written in batches off the requests' path)."""
        return CheckTally(self.db)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.db)

    @cached_property
    def reporting(self) -> Reporting:
        """Reports to hotlines: drafts, sending, preservation (`bastion.pipeline.reporting`;
        imported when first used, with the XML schema library)."""
        from bastion.pipeline.reporting import Reporting

        return Reporting(
            self, self.review.desk, cybertipline_url=self.settings.cybertipline_url or None
        )

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @cached_property
    def review(self) -> Review:
        """The review desk's use cases: submitting content, deciding jobs."""
        return Review(self)

    @cached_property
    def private(self) -> PrivateMatching:
        """Detection under end-to-end encryption: blinded tables, vouchers, franked reports."""
        return PrivateMatching(self)

    def deliverer(self) -> WebhookDeliverer:
        """A deliverer of the outbox's webhooks (close it after use)."""
        return WebhookDeliverer(self.db, self.box)

    # Hashing ---------------------------------------------------------------------------

    def _lookups(self, for_matching: bool, options: MatchOptions | None) -> MatchOptions:
        if options is not None:
            return options
        return self.matcher.options() if for_matching else ALL_OFF

    def hash_content(
        self,
        data: bytes,
        name: str = "content",
        *,
        for_matching: bool = False,
        options: MatchOptions | None = None,
        variants: bool = False,
    ) -> HashedContent:
        """The signals of `data` (an image or a video), in one of the process's hashing
        slots. `for_matching`: with the lookups any enabled bank uses (what a check needs);
        `options`: those of a bank with these options instead; `variants`: with the crops
        and tilts an entry of a bank with the `variants` option stores."""
        lookups = self._lookups(for_matching, options)
        with self._hash_slots:
            return self.hasher.hash_bytes(data, name=name, options=lookups, variants=variants)

    def hash_file(
        self,
        path: Path,
        *,
        for_matching: bool = False,
        options: MatchOptions | None = None,
        variants: bool = False,
    ) -> HashedContent:
        """`hash_content` of a file (read under `max_media_bytes`)."""
        data = read_media(path, max_bytes=self.settings.max_media_bytes)
        return self.hash_content(
            data, str(path), for_matching=for_matching, options=options, variants=variants
        )

    def hash_url(
        self,
        url: str,
        *,
        for_matching: bool = False,
        options: MatchOptions | None = None,
        variants: bool = False,
    ) -> HashedContent:
        """`hash_content` of what `url` serves (public addresses only, `fetch_policy`)."""
        return self.fetch_and_hash(
            url, for_matching=for_matching, options=options, variants=variants
        )[1]

    def fetch_and_hash(
        self,
        url: str,
        *,
        for_matching: bool = False,
        options: MatchOptions | None = None,
        variants: bool = False,
    ) -> tuple[bytes, HashedContent]:
        """What `url` serves (public addresses only, `fetch_policy`) and its `hash_content`."""
        fetched = fetch(url, self.settings.fetch_policy())  # network time holds no slot
        hashed = self.hash_content(
            fetched.data,
            urlsplit(fetched.url).hostname or "url",
            for_matching=for_matching,
            options=options,
            variants=variants,
        )
        return fetched.data, hashed

    # Checking and looking up -----------------------------------------------------------

    def check_content(
        self,
        content: bytes | HashedContent,
        name: str = "content",
        *,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
        act: bool = True,
        door: str | None = None,
        media: bytes | None = None,
        context: dict[str, Any] | None = None,
    ) -> Checked:
        """Hash `content` (bytes) with the lookups the enabled banks use, match it in every
        enabled bank (or those of `banks`; `include_disabled_banks` adds the switched-off
        ones) with each bank's options, and unless `act` is false queue the matched banks'
        actions and hand the media to triage (classifiers, outside services, near misses:
        after this returns, `bastion.pipeline.triage`). Content already hashed should have
        been hashed `for_matching`, its bytes given as `media` for triage to see. `context`:
        the platform's ids (``content_id``, ``user_id``) for a triage job. The check is
        tallied as coming through `door` (default: the process's)."""
        hashed = (
            content
            if isinstance(content, HashedContent)
            else self.hash_content(content, name, for_matching=True)
        )
        data = content if isinstance(content, bytes) else media
        signals = list(hashed.signals)
        if self.settings.match_exif_orientation and hashed.displayed_pdq is not None:
            signals.append(hashed.displayed_pdq)
        matches = self.matcher.match_signals(
            signals,
            banks=banks,
            include_disabled_banks=include_disabled_banks,
            lookups=hashed.lookups,
        )
        self._count(matches)
        self.tally.record(hashed.kind, door or self.door, matches)
        ids = context or {}
        content_id, user_id = _id_text(ids.get("content_id")), _id_text(ids.get("user_id"))
        info = {
            **content_info(hashed),
            **({"content_id": content_id} if content_id else {}),
            **({"user_id": user_id} if user_id else {}),
        }
        queued = self.act(matches, info, user_id=user_id) if act else 0
        if act and self.settings.checked_retention_days > 0:
            with self.db.session() as s:
                self.remember_in(
                    s,
                    hashed,
                    matches,
                    door=door or self.door,
                    content_id=content_id,
                    user_id=user_id,
                    info=info,
                )
        if act and data is not None:
            self.triage.submit(TriageItem(data, hashed, context=context or {}))
        return Checked(hashed, matches, queued)

    def remember_in(
        self,
        s: Session,
        hashed: HashedContent,
        matches: Sequence[Match],
        *,
        door: str,
        info: dict[str, Any],
        content_id: str | None = None,
        user_id: str | None = None,
    ) -> None:
        """Keep the signals of checked content, in the caller's transaction `s`, for
        retroactive matching (`bastion.pipeline.retroactive`), when `checked_retention_days`
        is on; the entries it matched now are not matched again later."""
        if self.settings.checked_retention_days <= 0:
            return
        self.checked.record_in(
            s,
            signals=hashed.signals,
            info=info,
            door=door,
            seq=self.matcher.seq,
            matched=[m.entry_id for m in matches],
            content_id=content_id,
            user_id=user_id,
        )

    def check_url(
        self,
        url: str,
        *,
        banks: Collection[str] | None = None,
        act: bool = True,
        door: str | None = None,
    ) -> Checked:
        """`check_content` of what `url` serves (public addresses only)."""
        data, hashed = self.fetch_and_hash(url, for_matching=True)
        return self.check_content(
            hashed, banks=banks, act=act, door=door, media=data, context={"url": url}
        )

    def look_up(
        self,
        signals: Sequence[Signal],
        *,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
        include_disabled_entries: bool = False,
        act: bool = True,
        door: str | None = None,
    ) -> list[Match]:
        """Matches of signals computed elsewhere, in every enabled bank (or those of
        `banks`; `include_disabled_banks` and `include_disabled_entries` add the banks and
        the entries switched off); unless `act` is false, the matched banks' actions are
        queued. Each signal is tallied as a check through `door` (default: the process's)."""
        matches = self.matcher.match_signals(
            signals,
            banks=banks,
            include_disabled_banks=include_disabled_banks,
            include_disabled_entries=include_disabled_entries,
        )
        self._count(matches)
        self._tally_look_up(signals, matches, door)
        if act:
            self.act(matches, signals_info(signals))
        return matches

    async def look_up_async(
        self,
        signals: Sequence[Signal],
        *,
        banks: Collection[str] | None = None,
        include_disabled_banks: bool = False,
        include_disabled_entries: bool = False,
        act: bool = True,
        door: str | None = None,
    ) -> list[Match]:
        """`look_up` for an event loop: answered in place when it can be (no database read,
        no video work, no rule to act on the matches), else in a worker thread."""
        matches = await self.matcher.match_signals_async(
            list(signals),
            banks=banks,
            include_disabled_banks=include_disabled_banks,
            include_disabled_entries=include_disabled_entries,
        )
        self._count(matches)
        self._tally_look_up(signals, matches, door)
        if act and matches and not self.actions.surely_idle(matches):  # else nothing to queue
            await run_in_threadpool(self.act, matches, signals_info(signals))
        return matches

    def look_up_frame(self, signals: list[Signal], lookups: list[Derived]) -> list[Match]:
        """A stream frame's matches: its signals, and its lookups (rotations, the picture
        inside its borders...) in the banks whose options allow each. Nothing is queued: a
        watcher acts on an alert, made of several frames (`act`)."""
        matches = self.matcher.match_signals(signals, lookups=lookups)
        self._count(matches)
        self.tally.record("stream", "stream", matches)
        return matches

    def _count(self, matches: list[Match]) -> None:
        if self.on_matches is not None:
            self.on_matches(matches)

    def _tally_look_up(
        self, signals: Sequence[Signal], matches: list[Match], door: str | None
    ) -> None:
        """Each signal looked up is a check of its type's kind (`looked_up`)."""
        if len(signals) == 1:  # the usual look-up, at a microsecond
            self.tally.record(signal_kind(signals[0].type), door or self.door, matches)
            return
        parts = looked_up([(s.type, s.key) for s in signals], matches)
        for i, part in enumerate(parts):  # every match once, with the first kind's checks
            self.tally.record(
                part.kind,
                door or self.door,
                matches if i == 0 else (),
                checked=part.checked,
                matched=part.matched,
            )

    # Acting ----------------------------------------------------------------------------

    def act(
        self,
        matches: list[Match],
        content: dict[str, Any],
        *,
        content_id: int | None = None,
        media_sha256: str | None = None,
        user_id: str | None = None,
    ) -> int:
        """Queue the matched banks' actions (webhooks, review jobs), with `content`
        describing what matched (`bastion.actions.content_info`); returns how many were
        queued. Matches a reviewer found false (the exception list) do not act again.
        `content_id`, `media_sha256`: the content submitted for review that matched;
        `user_id`: the platform's id of who posted it (its jobs join that user's case)."""
        if not matches or self.actions.surely_idle(matches):
            return 0
        matches = self.review.exceptions.drop_excepted(matches)
        if not matches:
            return 0
        return self.actions.record_matches(
            matches,
            content=content,
            content_id=content_id,
            media_sha256=media_sha256,
            user_id=user_id,
        )

    async def act_async(self, matches: list[Match], content: dict[str, Any]) -> None:
        """`act` for an event loop: in place when no bank of `matches` has a rule (no
        database write), else in a worker thread."""
        if matches and not self.actions.surely_idle(matches):
            await run_in_threadpool(self.act, matches, content)

    def deliver_due(self, limit: int = 100) -> int:
        """Deliver up to `limit` due webhooks now (one attempt each: a failure waits in the
        outbox for its retry); returns how many were delivered. The service's worker does
        this every second; a process without one calls it after acting."""
        with self.deliverer() as deliverer:
            return deliverer.deliver_due(limit)

    # Adding ----------------------------------------------------------------------------

    def add_to_bank(
        self,
        bank: str,
        content: bytes | HashedContent | Sequence[Signal],
        name: str = "content",
        *,
        metadata: dict[str, Any] | None = None,
        note: str = "",
        added_by: str | None = None,
    ) -> int:
        """Add one entry to `bank`; returns its id. From media (bytes, hashed with the
        bank's options; or content hashed with ``options=`` the bank's, and ``variants``
        as they say), its signals and the derived signals the bank keeps; or from signals
        computed elsewhere."""
        options = self.store.require_bank(bank).matching
        if isinstance(content, bytes):
            content = self.hash_content(content, name, options=options, variants=options.variants)
        if isinstance(content, HashedContent):
            entry = content.entry(options, metadata=metadata or {}, note=note)
            source = "media"
        else:
            entry = NewEntry(signals=tuple(content), metadata=metadata or {}, note=note)
            source = "api"
        (entry_id,) = self.store.add_entries(bank, [entry], source=source, added_by=added_by)
        return entry_id

    # Reporting -------------------------------------------------------------------------

    def transparency(
        self, period: Period, *, suppress_below: int = DEFAULT_SUPPRESS_BELOW
    ) -> TransparencyReport:
        """The transparency report of `period` (`bastion.reporting.transparency`), with
        what this process tallied so far written first."""
        self.tally.flush()
        collaborations = [
            SharedCollaboration(c.name, c.banks, c.include_fetched) for c in self.collabs.list()
        ]
        return build_report(
            self.db,
            period,
            suppress_below=suppress_below,
            collaborations=collaborations,
            reports=lambda start, end: filed_reports(self.db, start, end),
        )

    # Shutting down ---------------------------------------------------------------------

    def close(self) -> None:
        """Write the keys' last uses and the tallies still in memory, stop the matcher's
        catch-up thread, and close the database (whatever of these was opened)."""
        if "keys" in self.__dict__:
            self.keys.uses.flush()
        if "tally" in self.__dict__:
            self.tally.close()
        if "triage" in self.__dict__:
            self.triage.close()
        if "matcher" in self.__dict__:
            self.matcher.close()
        if "reporting" in self.__dict__:
            self.reporting.close()
        if "db" in self.__dict__:
            self.db.close()


def _id_text(value: object) -> str | None:
    """A platform's content or user id as kept (text, at most 200 characters)."""
    if value is None or value == "":
        return None
    return str(value)[:200]
