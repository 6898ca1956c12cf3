"""What CLI commands share: resolved settings, and the database opened only when needed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from bastion.errors import BastionError

if TYPE_CHECKING:
    from bastion.actions import ActionStore
    from bastion.banks import BankStore, MatchOptions
    from bastion.exchange.feedback import FeedbackQueue
    from bastion.exchange.secrets import CredentialBox
    from bastion.exchange.store import ExchangeStore
    from bastion.exchange.sync import Syncer
    from bastion.hashing import ContentHasher, HashedContent
    from bastion.matching import Matcher
    from bastion.settings import Settings
    from bastion.store import Database


@dataclass
class CliContext:
    """Each property imports what it opens when first used: `bastion --help` and a command
    that needs no database start without loading SQLAlchemy, NumPy or the hashers."""

    data_dir: Path | None = None
    database_url: str | None = None
    pdq_mode: str | None = None
    out: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))
    err: Console = field(
        default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True)
    )

    @cached_property
    def settings(self) -> Settings:
        from bastion.settings import Settings

        return Settings.load(
            data_dir=self.data_dir, database_url=self.database_url, pdq_mode=self.pdq_mode
        )

    @cached_property
    def db(self) -> Database:
        from bastion.store import Database
        from bastion.store.private_files import make_owner_only

        opened = Database.open(self.settings.database_url)
        make_owner_only(self.settings.data_dir)  # whatever an older version made it
        return opened

    @cached_property
    def box(self) -> CredentialBox:
        """Seals and opens exchange credentials and webhook secrets (see `secret_key`)."""
        return self.settings.credential_box()

    @cached_property
    def actions(self) -> ActionStore:
        """The action rules; webhook secrets an older version kept in clear are sealed."""
        from bastion.actions import ActionStore

        actions = ActionStore(self.db, self.box)
        actions.seal_clear_secrets()
        return actions

    @cached_property
    def store(self) -> BankStore:
        from bastion.banks import BankStore

        return BankStore(self.db)

    @cached_property
    def hasher(self) -> ContentHasher:
        from bastion.hashing import ContentHasher

        return ContentHasher(self.settings.hashing_options())

    def hash_each(
        self,
        files: Iterable[Path],
        *,
        options: MatchOptions | None = None,
        variants: bool = False,
    ) -> Iterator[tuple[Path, HashedContent | None]]:
        """Hash each file (`ContentHasher.hash_file`, with the lookups of `options`, none
        by default); a failure is reported on stderr (one line) and yields None."""
        from bastion.banks import ALL_OFF

        options = ALL_OFF if options is None else options
        for path in files:
            try:
                yield path, self.hasher.hash_file(path, options=options, variants=variants)
            except BastionError as e:
                self.err.print(f"error: {e.message}", markup=False)
                yield path, None

    @cached_property
    def exchanges(self) -> ExchangeStore:
        from bastion.exchange.store import ExchangeStore

        # The operator's own command line, on the server: it may name files (see
        # `exchange_files_dir`).
        return ExchangeStore(
            self.db,
            self.settings.credential_box(),
            access=self.settings.exchange_access(operator=True),
        )

    @cached_property
    def feedback(self) -> FeedbackQueue:
        from bastion.exchange.feedback import FeedbackQueue

        return FeedbackQueue(
            self.db,
            self.settings.credential_box(),
            access=self.settings.exchange_access(operator=True),
        )

    @cached_property
    def syncer(self) -> Syncer:
        from bastion.audit import cli_actor
        from bastion.exchange.sync import Syncer

        return Syncer(self.store, self.exchanges, actor=cli_actor())

    def matcher(self) -> Matcher:
        from bastion.matching import Matcher, SnapshotShelf

        settings = self.settings
        shelf = SnapshotShelf.for_database(
            settings.data_dir, settings.database_url, min_signals=settings.index_snapshot_min_signals
        )
        return Matcher(self.store, settings.matching_options(), shelf=shelf)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.close()
