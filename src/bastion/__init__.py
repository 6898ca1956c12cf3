"""bastion: find, stop and report known harmful media."""

__version__ = "0.1.0"
