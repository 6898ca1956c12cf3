"""Roles of the people who use the review console, and what each may do.

Least privilege: an analyst only reads; reviewers decide and may reveal the media of their
queues, except child-safety queues, whose media only the child-safety reviewer role may
reveal (not a lead, not an admin: seeing such media is a job, not a privilege of rank). A
bank's contents change only through child-safety reviewers, leads and admins, who may add a
confirmed item's hashes to a bank, and send reports to a hotline; a lead or an admin
approves a report someone else asked to send. Leads also manage queues and the team's
wellness settings; admins manage people and the reporting profile (who reports, with which
credentials) and write preservation packages.
"""

from __future__ import annotations

from enum import StrEnum

from bastion.errors import ValidationError


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    REVIEWER = "reviewer"
    CHILD_SAFETY_REVIEWER = "child_safety_reviewer"
    ANALYST = "analyst"


class Permission(StrEnum):
    VIEW = "view"  # queues, jobs, cases, evidence (never media)
    DECIDE = "decide"  # claim and decide jobs, comment
    REVEAL = "reveal"  # reveal the media of a job in a queue that is not child safety
    REVEAL_CHILD_SAFETY = "reveal_child_safety"  # reveal media in child-safety queues
    ADD_TO_BANK = "add_to_bank"  # a confirmation adds the content's hashes to a bank
    MANAGE_QUEUES = "manage_queues"  # queues, their reviewers, daily caps, wellness defaults
    MANAGE_USERS = "manage_users"  # people and their roles
    REPORT = "report"  # edit report drafts, send them (or ask for approval), retract them
    APPROVE_REPORTS = "approve_reports"  # approve a report someone else asked to send
    MANAGE_REPORTING = "manage_reporting"  # the reporting profile, credentials, packages
    TRANSPARENCY = "transparency"  # read the transparency report (counts, never content)


_DECIDING = frozenset({Permission.VIEW, Permission.DECIDE, Permission.REVEAL})
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ANALYST: frozenset({Permission.VIEW, Permission.TRANSPARENCY}),
    Role.REVIEWER: _DECIDING,
    Role.CHILD_SAFETY_REVIEWER: _DECIDING
    | {Permission.REVEAL_CHILD_SAFETY, Permission.ADD_TO_BANK, Permission.REPORT},
    Role.LEAD: _DECIDING
    | {
        Permission.MANAGE_QUEUES,
        Permission.ADD_TO_BANK,
        Permission.REPORT,
        Permission.APPROVE_REPORTS,
        Permission.TRANSPARENCY,
    },
    Role.ADMIN: _DECIDING
    | {
        Permission.MANAGE_QUEUES,
        Permission.MANAGE_USERS,
        Permission.ADD_TO_BANK,
        Permission.REPORT,
        Permission.APPROVE_REPORTS,
        Permission.MANAGE_REPORTING,
        Permission.TRANSPARENCY,
    },
}


def role(value: str) -> Role:
    """The role named `value`; a `ValidationError` listing the roles otherwise."""
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValidationError(f"unknown role {value!r} (one of {names})") from None


def allows(who: Role, permission: Permission) -> bool:
    return permission in GRANTS[who]
