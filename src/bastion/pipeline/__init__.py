"""The pipeline: one composition root (`Bastion`) and the use cases every door calls.

Layers point one way: the doors (`bastion.web`, `bastion.cli`) call the pipeline, and the
pipeline calls the domain (matching, hashing, exchange, actions, conversations); no domain
module imports it.
"""

from bastion.pipeline.bastion import Bastion, MatchHook
from bastion.pipeline.checks import Checked, signals_info
from bastion.pipeline.live import IndexStatus, LiveMatcher

__all__ = ["Bastion", "Checked", "IndexStatus", "LiveMatcher", "MatchHook", "signals_info"]
