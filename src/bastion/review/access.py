"""Who may see, work and reveal which queue's jobs.

A child-safety queue is closed to the plain reviewer role: its jobs are seen by analysts (read
only), leads and admins, and worked by child-safety reviewers, leads and admins; its media is
revealed by child-safety reviewers only. A queue with a reviewer list is worked by the people
on it (and by leads and admins, who manage queues).
"""

from __future__ import annotations

from bastion.auth.roles import Permission, Role, allows
from bastion.review.model import Queue

_MANAGERS = frozenset({Role.LEAD, Role.ADMIN})


def may_view(role: Role, queue: Queue) -> bool:
    if not allows(role, Permission.VIEW):
        return False
    return not queue.child_safety or role is not Role.REVIEWER


def may_work(role: Role, actor: str, queue: Queue) -> bool:
    """`actor`: the person as claims name them (``user:NAME``)."""
    if not allows(role, Permission.DECIDE) or not may_view(role, queue):
        return False
    return queue.worked_by(actor) or role in _MANAGERS


def may_reveal(role: Role, actor: str, queue: Queue) -> bool:
    needed = Permission.REVEAL_CHILD_SAFETY if queue.child_safety else Permission.REVEAL
    return allows(role, needed) and may_work(role, actor, queue)
