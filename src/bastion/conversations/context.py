"""Who is who in a conversation: what the text says about the participants' relationship
and ages, and whom a message in a group chat is for.

Grooming cues ("send me a photo", "turn on your cam", "keep it a secret") are also what a
grandmother, a coach or a parent writes to a child. What tells them apart is context the
lexicon does not see:

- **kinship**: a message that calls someone "mum", "grandma", "oma", "nonna", "vó", or
  signs off "love, dad", "bisous mamie" (en, fr, es, de, pt, it), said as a form of address
  or a signature, not "your mum" (which is talk about someone else);
- **self-declared ages**: "i'm 13", "tengo 13 años", "ich bin 34", "tenho 13 anos",
  "ho 13 anni", "j'ai 13 ans", and a bare number answering an age question;
- **parents in the loop**: a teacher or coach who writes "ask your mum to sign the form" or
  "i'll email your parents" includes the parents a groomer keeps out (a request to hide
  something from them, "don't tell your mum", is not this);
- **addressees** in group chats: an @mention, or a participant named in the message.

All functions take text as `text.normalise` gives it (case folded, accents removed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bastion.conversations.model import EDUCATOR_ROLES, FAMILY_ROLES, Participant

#: Ages below this are a minor's.
ADULT_AGE = 18
#: Two minors at most this many years apart talk as peers.
PEER_GAP = 3

#: Kinship terms of address, to the role of the person they name. Words that are also
#: slang between strangers ("bro", "sis", "daddy", "papi") or another word elsewhere
#: (French "nan" is "no") are left out: a groomer could use them.
KIN_TERMS: dict[str, str] = {
    **dict.fromkeys(
        [
            "mum",
            "mom",
            "mummy",
            "mommy",
            "mama",
            "mamma",
            "maman",
            "mamae",
            "mae",
            "papa",
            "dad",
            "pai",
            "mutti",
            "vati",
        ],
        "parent",
    ),
    **dict.fromkeys(
        [
            "grandma",
            "granny",
            "nana",
            "gran",
            "grandpa",
            "grandad",
            "granddad",
            "gramps",
            "grandmother",
            "grandfather",
            "mamie",
            "mamy",
            "papy",
            "meme",
            "pepe",
            "grand-mere",
            "grand-pere",
            "abuela",
            "abuelo",
            "abuelita",
            "abuelito",
            "yaya",
            "oma",
            "opa",
            "vo",
            "vovo",
            "avo",
            "nonna",
            "nonno",
        ],
        "grandparent",
    ),
    **dict.fromkeys(
        [
            "aunt",
            "auntie",
            "aunty",
            "uncle",
            "tata",
            "tatie",
            "tonton",
            "tia",
            "tio",
            "tante",
            "onkel",
            "zia",
            "zio",
        ],
        "relative",
    ),
}
_KIN = "|".join(sorted(map(re.escape, KIN_TERMS), key=len, reverse=True))
#: Words after which a kinship term addresses or signs (thanks mum, love, dad, bisous mamie).
_ADDRESS_WORDS = (
    r"thanks|thank you|thx|ty|love you|love|luv|miss you|hi|hey|hello|morning|night|"
    r"goodnight|good night|ok|okay|yes|sure|sorry|bye|xx|xxx|"
    r"merci|bisous|gros bisous|coucou|salut|bonjour|bonne nuit|oui|d'accord|je t'aime|"
    r"gracias|hola|te quiero|buenas noches|si|vale|besos|besitos|un beso|adios|"
    r"danke|hallo|hab dich lieb|gute nacht|ja|tschuss|kuss|kusse|liebe grusse|"
    r"obrigado|obrigada|oi|ola|beijos|beijinhos|te amo|boa noite|sim|tchau|"
    r"grazie|ciao|ti voglio bene|buonanotte|baci|bacioni|un bacio"
)
_KIN_END = r"(?=\W*$|\s*[,!.?:;)])"
#: A kinship term alone, opening the message (grandma! ...), after a greeting or thanks
#: (thanks mum, love, dad), or closing it after a comma or dash (see you sunday, nana), and
#: then ending there or at punctuation. "ask mum", "my mom said" talk about someone.
_KIN_ADDRESS = re.compile(
    rf"^\W*(?:{_KIN}){_KIN_END}"
    rf"|\b(?:{_ADDRESS_WORDS})[\s,!.:-]+(?:{_KIN}){_KIN_END}"
    rf"|[,\-~]\s*(?:{_KIN})\W*$"
)
_KIN_WORD = re.compile(rf"\b(?:{_KIN})\b")

#: Self-declared ages: the number, then units that make it not an age (i'm 5 min away).
_SELF_AGE = re.compile(
    r"\b(?:i'?m|i am|im|j'?ai|tengo|ich bin|tenho|ho)\s+(\d{1,2})\b"
    r"(?!\s*(?:min|minute|hour|hr|h\b|sec|km|mile|meter|metre|level|lvl|point|pts|percent|%|"
    r"euro|eur|dollar|bucks|pound|st\b|th\b|nd\b|rd\b|am\b|pm\b|:|\.\d|/|minuten|stunden|"
    r"uhr|horas|minutos|ore\b|minuti|heures|h\d|km|x\b|vs))"
)
#: Where a language's "i have N" needs its word for years to be an age.
_YEARS_REQUIRED = re.compile(r"\b(?:j'?ai|tenho|ho)\s+\d{1,2}\s+(?:ans|anos|anni)\b")
_HAVE_YEARS = re.compile(r"\b(?:j'?ai|tenho|ho)\s+\d")
_BARE_AGE = re.compile(r"^\W*(\d{1,2})\b(?!\s*(?:min|h\b|pm|am|:|km|%|x\b))")

_PARENTS = (
    r"your (?:mum|mom|mummy|mommy|dad|parents?|guardians?|mother|father|family|folks)"
    r"|(?:tes parents|ta mere|ton pere|ta maman|ton papa|ta famille)"
    r"|(?:tus padres|tu madre|tu padre|tu mama|tu papa|tu familia)"
    r"|(?:deine eltern|deinen eltern|deine mutter|deiner mutter|dein vater|deinem vater|"
    r"deinen vater|deine mama|deiner mama|dein papa|deinem papa|deine familie)"
    r"|(?:teus pais|seus pais|tua mae|sua mae|teu pai|seu pai|tua familia|sua familia)"
    r"|(?:tuoi genitori|tua madre|tuo padre|tua mamma|tuo papa|tua famiglia)"
)
#: Verbs that include the parents when the sender does them to or through them.
_INCLUDE = (
    r"ask|tell|show|let|email|e-mail|mail|call|text|message|ring|contact|cc|copy|copied|"
    r"inform|update|remind|check with|talk to|write to|send|invite|"
    r"demande|dis|montre|previens|envoie|envoyer|enverrai|ecris|ecrire|ecrirai|appelle|"
    r"appeler|appellerai|informe|informer|prevenir|mets|"
    r"pregunta|preguntale|pide|pidele|dile|muestra|ensena|avisa|avisare|escribo|escribire|"
    r"llamo|llamare|mando|mandare|enviare|informo|informare|"
    r"frag|frage|sag|sage|zeig|zeige|schreibe|schreib|rufe|ruf|informiere|maile|schicke|"
    r"pergunta|pergunte|pede|peca|diz|diga|mostra|mostre|avisa|avise|escrevo|escrever|"
    r"ligo|ligar|mando|envio|informo|"
    r"chiedi|dillo|di|mostra|avvisa|avviso|scrivo|scrivero|chiamo|chiamero|mando|mandero|"
    r"informo|informero"
)
#: What the parents do or are that includes them (sign, consent, are in the group).
_PARENTS_ACT = (
    r"sign|signs|to sign|consent|permission|signature|(?:is|are) (?:also )?(?:in|on) "
    r"(?:this|the|our) (?:group|chat)|(?:is|are) cc|"
    r"signe|signer|autorisation|accord|(?:est|sont) (?:aussi )?dans (?:le|ce) groupe|"
    r"firme|firmen|firmar|firma|permiso|autorizacion|(?:esta|estan) (?:tambien )?en (?:el|este) "
    r"grupo|"
    r"unterschreiben|unterschreibt|unterschrift|erlaubnis|einverstandnis|"
    r"(?:ist|sind) (?:auch )?in (?:der|dieser) gruppe|"
    r"assinar|assine|assinem|autorizacao|(?:esta|estao) (?:tambem )?n(?:o|este) grupo|"
    r"firmare|firmi|firmino|autorizzazione|permesso|(?:e|sono) (?:anche )?nel gruppo"
)
_PARENTS_IN = re.compile(
    rf"\b(?:{_INCLUDE})\b(?:\s+\S+){{0,3}}?\s+(?:{_PARENTS})\b"
    rf"|\b(?:{_PARENTS})\b(?:\s+\S+){{0,3}}?\s+(?:{_PARENTS_ACT})\b"
    r"|\b(?:parents?|guardians?) (?:group|evening|meeting|consent|permission)\b"
    r"|\b(?:groupe|reunion) (?:des )?parents\b|\belternabend\b|\belterngruppe\b"
    r"|\b(?:reunion|grupo) de (?:padres|pais)\b|\b(?:riunione|gruppo) (?:dei )?genitori\b"
)
#: A match near one of these hides something from the parents instead ("don't tell your mum").
_NEGATION = re.compile(
    r"\b(?:dont|don't|do not|never|not|no need|ne|pas|rien|jamais|no|nunca|nada|nicht|"
    r"kein|keine|nie|nao|nem|nunca|non|mai|niente)\b"
)
_MENTION = re.compile(r"(?<![\w.])@([\w.\-]{1,64})")


def kinship(text: str) -> str | None:
    """The role ("parent", "grandparent", "relative") of a kinship term `text` addresses
    someone with or signs off with (thanks mum, love you grandma, love, dad), or None."""
    match = _KIN_ADDRESS.search(text)
    word = _KIN_WORD.search(match.group()) if match else None
    return KIN_TERMS[word.group()] if word else None


def self_declared_age(text: str) -> int | None:
    """The age a sender gives as their own (i'm 13, tengo 34 años, ich bin 13), if any."""
    for match in _SELF_AGE.finditer(text):
        if _HAVE_YEARS.match(text, match.start()) and not _YEARS_REQUIRED.match(
            text, match.start()
        ):
            continue  # "ho 3 gatti", "j'ai 2 chats": a count, not an age
        age = int(match.group(1))
        if 5 <= age <= 99:
            return age
    return None


def answered_age(text: str) -> int | None:
    """The age in a reply that starts with a number ("14, you?"), for a message answering an
    age question."""
    match = _BARE_AGE.match(text)
    if match is None:
        return self_declared_age(text)
    age = int(match.group(1))
    return age if 5 <= age <= 99 else None


def includes_parents(text: str) -> bool:
    """Whether the sender brings the other's parents in (ask your mum to sign the form, i'll
    email your parents, your dad is in this group too), not keeps them out."""
    for match in _PARENTS_IN.finditer(text):
        before = text[max(0, match.start() - 16) : match.start()]
        if not _NEGATION.search(before + " " + match.group()):
            return True
    return False


def addressees(text: str, sender: str, people: Iterable[str]) -> list[str]:
    """The participants (other than `sender`) a message names: @mentions (of anyone: the
    one mentioned may not have written yet), or a known id written as a word of the
    message. Ids are compared case-folded."""
    known = {p.casefold(): p for p in people if p != sender}
    mentioned = (known.get(m.casefold(), m) for m in _MENTION.findall(text))
    named = [m for m in mentioned if m.casefold() != sender.casefold()]
    if named:
        return list(dict.fromkeys(named))
    words = set(re.findall(r"[\w.\-]+", text.casefold()))
    return [p for key, p in known.items() if len(key) >= 3 and key in words]


@dataclass(frozen=True)
class Relationship:
    """What is declared or inferred about a sender and the person they write to."""

    #: They are family (a declared family role, or a kinship term between them).
    family: bool
    #: The sender is a declared teacher or coach, or anyone, who brings the parents in.
    parents_in_loop: bool
    educator: bool
    both_adults: bool
    #: Both minors, at most `PEER_GAP` years apart where the ages are known.
    peers: bool
    #: The sender's age minus the other's, when both are known.
    age_gap: int | None


def age_of(person: Participant, inferred: int | None) -> int | None:
    """A declared age, else a self-declared one."""
    return person.age if person.age is not None else inferred


def is_minor(person: Participant, age: int | None) -> bool:
    return person.declared_minor or (age is not None and age < ADULT_AGE)


def is_adult(person: Participant, age: int | None) -> bool:
    return person.declared_adult or (age is not None and age >= ADULT_AGE)


def relationship(
    sender: Participant,
    other: Participant,
    *,
    sender_age: int | None = None,
    other_age: int | None = None,
    kin: bool = False,
    parents_in_loop: bool = False,
) -> Relationship:
    """`sender`'s relationship to `other` from declared roles and ages, and what the text
    showed (`kin`: a kinship term between them; `parents_in_loop`: the sender brought the
    other's parents in; the ages: self-declared)."""
    mine, theirs = age_of(sender, sender_age), age_of(other, other_age)
    gap = mine - theirs if mine is not None and theirs is not None else None
    both_minors = is_minor(sender, mine) and is_minor(other, theirs)
    return Relationship(
        family=kin or sender.role in FAMILY_ROLES,
        parents_in_loop=parents_in_loop,
        educator=sender.role in EDUCATOR_ROLES,
        both_adults=is_adult(sender, mine) and is_adult(other, theirs),
        peers=both_minors and (gap is None or abs(gap) <= PEER_GAP),
        age_gap=gap,
    )
