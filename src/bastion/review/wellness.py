"""Care for reviewers: how media is shown, and how much of it a person sees.

The organisation sets defaults (a lead or an admin): how strongly previews are blurred,
whether they are greyscale, whether video plays by itself, a daily cap of reveals, and after
how many reveals in a stretch a break is suggested. Each person may make previews gentler or
plainer for themselves (blur, greyscale, autoplay); only a lead changes their cap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from bastion.errors import ValidationError
from bastion.store.database import Database
from bastion.store.models import PreferenceRow

_KEY = "wellness"
#: What a person may choose for themselves.
PERSONAL = frozenset({"blur", "greyscale", "autoplay"})
_RANGES = {
    "blur": (10, 100),
    "daily_cap": (0, 10_000),
    "break_after": (1, 1_000),
    "break_minutes": (1, 240),
}


@dataclass(frozen=True)
class Wellness:
    #: 10 (a light blur: a preview is never sharp) to 100 (shapes only).
    blur: int = 70
    greyscale: bool = True
    autoplay: bool = False
    #: Reveals a person may make a day.
    daily_cap: int = 40
    #: Reveals within `break_minutes` after which a break is suggested.
    break_after: int = 10
    break_minutes: int = 30

    def personal(self, overrides: dict[str, Any], cap: int | None) -> Wellness:
        """These defaults with a person's own choices and the cap a lead set for them."""
        chosen = {k: v for k, v in overrides.items() if k in PERSONAL}
        merged = replace(self, **checked(chosen))
        return merged if cap is None else replace(merged, daily_cap=cap)


def checked(values: dict[str, Any]) -> dict[str, Any]:
    """`values` if each names a wellness setting with a value in its range."""
    known = {f.name: f.type for f in fields(Wellness)}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in known:
            raise ValidationError(f"unknown wellness setting {name!r}")
        if name in _RANGES:
            low, high = _RANGES[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValidationError(f"{name} must be a whole number {low}-{high}")
        elif not isinstance(value, bool):
            raise ValidationError(f"{name} must be true or false")
        out[name] = value
    return out


class WellnessSettings:
    """The organisation's defaults, kept in the database so a lead changes them live."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def organisation(self) -> Wellness:
        with self.db.session() as s:
            row = s.get(PreferenceRow, _KEY)
            stored = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
        known = {f.name for f in fields(Wellness)}
        return replace(Wellness(), **checked({k: v for k, v in stored.items() if k in known}))

    def set_organisation(self, **changes: Any) -> Wellness:
        updated = replace(self.organisation(), **checked(changes))
        with self.db.session() as s:
            row = s.get(PreferenceRow, _KEY)
            if row is None:
                s.add(PreferenceRow(key=_KEY, value=asdict(updated)))
            else:
                row.value = asdict(updated)
        return updated
