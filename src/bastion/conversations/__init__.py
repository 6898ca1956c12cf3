"""Spotting grooming in conversations, early, with evidence a reviewer can check.

- `detect.find_cues`: the indicators a message shows (`cues.Indicator`, each in a
  `cues.Stage`), with the exact characters as evidence, through obfuscation, in every
  language of `lexicon`.
- `assess.assess` / `assess.Tracker`: a conversation's calibrated risk, per sender, with
  evidence and the message at which a warning would first have fired; whole or a message at
  a time.
- `scoring`: the learned layer (features, a calibrated logistic regression, the default
  model); `training`: fitting it on labelled conversations.
- `synthetic`: the never-explicit conversations it is trained and measured on.
- `store.ConversationStore`: streamed conversations in the database, and their alerts.

See docs/conversations.md.
"""

from bastion.conversations.assess import Assessment, Evidence, Tracker, assess
from bastion.conversations.cues import Indicator, Stage
from bastion.conversations.detect import Cue, find_cues
from bastion.conversations.model import Conversation, Message, Participant, from_json, from_jsonl

__all__ = [
    "Assessment",
    "Conversation",
    "Cue",
    "Evidence",
    "Indicator",
    "Message",
    "Participant",
    "Stage",
    "Tracker",
    "assess",
    "find_cues",
    "from_json",
    "from_jsonl",
]
