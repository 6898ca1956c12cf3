"""What CLI commands share: resolved settings, and the pipeline (`bastion.pipeline.Bastion`)
built only when a command needs it."""

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
    from bastion.hashing import HashedContent
    from bastion.pipeline import Bastion
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
    def bastion(self) -> Bastion:
        """The composition root every door builds (`bastion.pipeline`), as the operator's
        own command line: exchanges may name files (see `exchange_files_dir`), and the audit
        log names the user running the command."""
        from bastion.audit import cli_actor
        from bastion.pipeline import Bastion

        return Bastion(self.settings, operator=True, actor=cli_actor(), door="cli")

    @property
    def db(self) -> Database:
        return self.bastion.db

    @property
    def box(self) -> CredentialBox:
        """Seals and opens exchange credentials and webhook secrets (see `secret_key`)."""
        return self.bastion.box

    @property
    def actions(self) -> ActionStore:
        """The action rules; webhook secrets an older version kept in clear are sealed."""
        return self.bastion.actions

    @property
    def store(self) -> BankStore:
        return self.bastion.store

    @property
    def exchanges(self) -> ExchangeStore:
        return self.bastion.exchanges

    @property
    def feedback(self) -> FeedbackQueue:
        return self.bastion.feedback

    @property
    def syncer(self) -> Syncer:
        return self.bastion.syncer

    def hash_each(
        self,
        files: Iterable[Path],
        *,
        for_matching: bool = False,
        options: MatchOptions | None = None,
        variants: bool = False,
    ) -> Iterator[tuple[Path, HashedContent | None]]:
        """Hash each file (`Bastion.hash_file`: with the lookups the enabled banks use when
        `for_matching`, those of a bank with `options`, else none); a failure is reported
        on stderr (one line) and yields None."""
        for path in files:
            try:
                yield (
                    path,
                    self.bastion.hash_file(
                        path, for_matching=for_matching, options=options, variants=variants
                    ),
                )
            except BastionError as e:
                self.err.print(f"error: {e.message}", markup=False)
                yield path, None

    def close(self) -> None:
        if "bastion" in self.__dict__:
            self.bastion.close()
