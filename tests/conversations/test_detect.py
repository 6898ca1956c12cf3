"""Indicators found in messages, in every language bastion reads, through obfuscation, with
the exact characters as evidence."""

from __future__ import annotations

import pytest

from bastion.conversations.cues import Indicator, Stage
from bastion.conversations.detect import find_cues
from bastion.conversations.text import normalise

FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in "ARE YOU ALONE")


def shows(text: str) -> dict[str, str]:
    return {c.indicator.value: c.excerpt for c in find_cues(text)}


@pytest.mark.parametrize(
    ("text", "indicator", "excerpt"),
    [
        ("how old are you?", Indicator.AGE, "how old are you"),
        ("what school do you go to", Indicator.SCHOOL, "what school do you go to"),
        ("where do u live", Indicator.LOCATION, "where do u live"),
        ("are your parents home?", Indicator.SUPERVISION, "are your parents home"),
        ("keep this between us", Indicator.SECRECY, "keep this between us"),
        ("delete these messages after", Indicator.SECRECY, "delete these messages"),
        ("add me on snap", Indicator.CHANNEL, "add me on snap"),
        (
            "your parents dont understand you",
            Indicator.ISOLATION,
            "your parents dont understand you",
        ),
        ("i'll buy you robux", Indicator.GIFTS, "i'll buy you"),
        ("turn on your cam", Indicator.IMAGES, "turn on your cam"),
        ("lets meet this weekend", Indicator.MEETING, "lets meet"),
        ("you're so mature for your age", Indicator.FLATTERY, "you're so mature for your age"),
        ("t'as quel âge ?", Indicator.AGE, "t'as quel âge"),
        ("tu vas dans quel collège", Indicator.SCHOOL, "tu vas dans quel collège"),
        ("Tu es seule à la maison ?", Indicator.SUPERVISION, "Tu es seule"),
        ("efface nos messages", Indicator.SECRECY, "efface nos messages"),
        ("ajoute-moi sur snap", Indicator.CHANNEL, "ajoute-moi sur snap"),
        ("allume ta caméra", Indicator.IMAGES, "allume ta caméra"),
        ("on se voit demain ?", Indicator.MEETING, "on se voit"),
        ("t'es très mature pour ton âge", Indicator.FLATTERY, "t'es très mature pour ton âge"),
        ("wie alt biste eigentlich?", Indicator.AGE, "wie alt biste"),
        ("in welche Klasse gehst du", Indicator.AGE, "in welche Klasse gehst du"),
        ("auf welche Schule gehst du", Indicator.SCHOOL, "auf welche Schule gehst du"),
        ("wo wohnste so", Indicator.LOCATION, "wo wohnste"),
        ("haste heute sturmfrei?", Indicator.SUPERVISION, "haste heute sturmfrei"),
        ("bist du grad alleine?", Indicator.SUPERVISION, "bist du grad alleine"),
        ("Lösch den Chat danach", Indicator.SECRECY, "Lösch den Chat"),
        ("erzähl deinen eltern nix davon", Indicator.SECRECY, "erzähl deinen eltern nix"),
        ("adde mich auf snap", Indicator.CHANNEL, "adde mich auf snap"),
        ("kannste mir vertrauen", Indicator.ISOLATION, "kannste mir vertrauen"),
        ("ich kauf dir robux", Indicator.GIFTS, "ich kauf dir"),
        ("mach mal deine cam an", Indicator.IMAGES, "mach mal deine cam an"),
        (
            "wollen wir uns am wochenende treffen",
            Indicator.MEETING,
            "wollen wir uns am wochenende treffen",
        ),
        ("du bist so reif für dein Alter", Indicator.FLATTERY, "du bist so reif für dein Alter"),
        ("du wirkst viel älter", Indicator.FLATTERY, "du wirkst viel älter"),
        ("qnt anni c'hai?", Indicator.AGE, "qnt anni c'hai"),
        ("ke classe fai", Indicator.AGE, "ke classe fai"),
        ("a che scuola vai", Indicator.SCHOOL, "a che scuola vai"),
        ("dv abiti?", Indicator.LOCATION, "dv abiti"),
        ("sei da sola a casa?", Indicator.SUPERVISION, "sei da sola"),
        ("i tuoi ti controllano il cell?", Indicator.SUPERVISION, "i tuoi ti controllano il cell"),
        ("nn dirlo a nessuno", Indicator.SECRECY, "nn dirlo a nessuno"),
        ("è il nostro piccolo segreto", Indicator.SECRECY, "è il nostro piccolo segreto"),
        ("passiamo su telegram", Indicator.CHANNEL, "passiamo su telegram"),
        ("solo io ti capisco", Indicator.ISOLATION, "solo io ti capisco"),
        ("ti compro i robux", Indicator.GIFTS, "ti compro"),
        ("mandami un selfie", Indicator.IMAGES, "mandami un selfie"),
        ("quando ci vediamo?", Indicator.MEETING, "quando ci vediamo"),
        ("sei così matura per la tua età", Indicator.FLATTERY, "sei così matura per la tua età"),
        ("¿cuántos años tenés?", Indicator.AGE, "cuántos años tenés"),
        ("y q edad tienes", Indicator.AGE, "q edad tienes"),
        ("a qué cole vas", Indicator.SCHOOL, "a qué cole vas"),
        ("¿dónde vives?", Indicator.LOCATION, "dónde vives"),
        ("tas sola?", Indicator.SUPERVISION, "tas sola"),
        ("tus papás te revisan el celu?", Indicator.SUPERVISION, "tus papás te revisan el celu"),
        ("no le digas a nadie", Indicator.SECRECY, "no le digas a nadie"),
        ("borra los mensajes xfa", Indicator.SECRECY, "borra los mensajes"),
        ("tenes wsp?", Indicator.CHANNEL, "tenes wsp"),
        ("solo yo te entiendo", Indicator.ISOLATION, "solo yo te entiendo"),
        ("te compro robux", Indicator.GIFTS, "te compro robux"),
        ("mandame una foto", Indicator.IMAGES, "mandame una foto"),
        ("prendé la cámara", Indicator.IMAGES, "prendé la cámara"),
        ("te paso a buscar a la salida", Indicator.MEETING, "te paso a buscar a la salida"),
        ("sos re madura para tu edad", Indicator.FLATTERY, "sos re madura para tu edad"),
        ("quantos anos vc tem?", Indicator.AGE, "quantos anos vc tem"),
        ("tu tens quantos anos", Indicator.AGE, "tu tens quantos anos"),
        ("em qual escola vc estuda", Indicator.SCHOOL, "em qual escola vc estuda"),
        ("onde vc mora?", Indicator.LOCATION, "onde vc mora"),
        ("vc tá sozinha?", Indicator.SUPERVISION, "vc tá sozinha"),
        (
            "teus pais mexem no teu telemóvel?",
            Indicator.SUPERVISION,
            "teus pais mexem no teu telemóvel",
        ),
        ("n conta pra ngm", Indicator.SECRECY, "n conta pra ngm"),
        ("não contes a ninguém", Indicator.SECRECY, "não contes a ninguém"),
        ("me chama no zap", Indicator.CHANNEL, "me chama no zap"),
        ("adiciona-me no insta", Indicator.CHANNEL, "adiciona-me no insta"),
        ("só eu te entendo", Indicator.ISOLATION, "só eu te entendo"),
        ("te faço um pix", Indicator.GIFTS, "te faço um pix"),
        ("me manda uma foto", Indicator.IMAGES, "me manda uma foto"),
        ("liga a câmara", Indicator.IMAGES, "liga a câmara"),
        ("posso te buscar na saída", Indicator.MEETING, "posso te buscar"),
        ("vc é mt madura pra sua idade", Indicator.FLATTERY, "vc é mt madura pra sua idade"),
        ("vous avez quel âge les filles", Indicator.AGE, "vous avez quel âge"),
        ("les admins voient tout ici", Indicator.SUPERVISION, "les admins voient tout"),
        ("je te paye le pass de combat", Indicator.GIFTS, "je te paye le pass"),
        ("enregistre-moi comme Julie", Indicator.SECRECY, "enregistre-moi comme"),
        (
            "tu raisonnes pas comme une gamine",
            Indicator.FLATTERY,
            "tu raisonnes pas comme une gamine",
        ),
        ("grava o meu número como Tia Ana", Indicator.SECRECY, "grava o meu número como"),
        ("tua casa fica onde mesmo", Indicator.LOCATION, "tua casa fica onde"),
        ("liga-me por vídeo logo", Indicator.IMAGES, "liga-me por vídeo"),
        (
            "i tuoi controllano le ricariche?",
            Indicator.SUPERVISION,
            "i tuoi controllano le ricariche",
        ),
        ("installa telegram dai", Indicator.CHANNEL, "installa telegram"),
    ],
)
def test_each_indicator_in_each_language(text: str, indicator: Indicator, excerpt: str) -> None:
    assert shows(text)[indicator.value] == excerpt


@pytest.mark.parametrize(
    ("text", "indicator", "excerpt"),
    [
        ("so what grade r u in now", Indicator.AGE, "what grade r u in"),
        ("do the admins ever read our dms", Indicator.SUPERVISION, "do the admins ever read"),
        ("does ur dad check ur insta", Indicator.SUPERVISION, "ur dad check ur insta"),
        ("got the house to yourself tonight?", Indicator.SUPERVISION, "got the house to yourself"),
        ("no need to tell your mom", Indicator.SECRECY, "no need to tell your mom"),
        ("just keep it low key ok", Indicator.SECRECY, "keep it low key"),
        ("text me on my cell instead", Indicator.CHANNEL, "text me on my cell"),
        ("i could drive you there", Indicator.MEETING, "i could drive you"),
        (
            "can you sneak out without your parents noticing",
            Indicator.MEETING,
            "sneak out without your",
        ),
        ("jump on a video call with me", Indicator.IMAGES, "jump on a video call"),
        ("so clever for your age", Indicator.FLATTERY, "clever for your age"),
        ("most girls your age cant do that", Indicator.FLATTERY, "most girls your age"),
        ("tu padre revisa lo q escribes?", Indicator.SUPERVISION, "tu padre revisa lo q escribes"),
        ("los moderadores pueden leer esto?", Indicator.SUPERVISION, "los moderadores pueden leer"),
        ("no hace falta que lo sepan tus padres", Indicator.SECRECY, "no hace falta que lo sepan"),
        ("di que te vas con tu prima", Indicator.MEETING, "di que te vas con"),
        ("te pago el pase de batalla", Indicator.GIFTS, "te pago el pase de batalla"),
        ("eres lista para tener 12", Indicator.FLATTERY, "eres lista para tener 12"),
        (
            "liest deine mama eigentlich mit",
            Indicator.SUPERVISION,
            "liest deine mama eigentlich mit",
        ),
        ("schleich dich heute nacht raus", Indicator.MEETING, "schleich dich heute nacht raus"),
        ("morgen hol ich dich ab", Indicator.MEETING, "hol ich dich ab"),
        ("hab dir was schönes bestellt", Indicator.GIFTS, "hab dir was schönes bestellt"),
        ("du klingst echt wie 19", Indicator.FLATTERY, "klingst echt wie 19"),
    ],
)
def test_phrasing_families_seen_on_the_development_set(
    text: str, indicator: Indicator, excerpt: str
) -> None:
    assert shows(text)[indicator.value] == excerpt


@pytest.mark.parametrize(
    ("text", "indicator", "excerpt"),
    [
        ("r u h0me 4L0NE rn", Indicator.SUPERVISION, "r u h0me 4L0NE"),  # look-alikes
        ("are you a l o n e", Indicator.SUPERVISION, "are you a l o n e"),  # spaced out
        ("d.e.l.e.t.e the chat", Indicator.SECRECY, "d.e.l.e.t.e the chat"),
        ("send me a 📷", Indicator.IMAGES, "send me a 📷"),  # emoji
        ("what schol do you go to", Indicator.SCHOOL, "what schol do you go to"),  # typo
        ("lets talk on telegrm", Indicator.CHANNEL, "lets talk on telegrm"),
        ("pleeeease dont tell anyone", Indicator.SECRECY, "dont tell anyone"),
        (FULL_WIDTH, Indicator.SUPERVISION, FULL_WIDTH),  # full-width letters
        ("ajoute\u2019moi sur snap", Indicator.CHANNEL, "ajoute\u2019moi sur snap"),  # curly quote
    ],
)
def test_obfuscated_cues_are_found_and_point_at_what_was_typed(
    text: str, indicator: Indicator, excerpt: str
) -> None:
    (cue,) = [c for c in find_cues(text) if c.indicator is indicator]
    assert cue.excerpt == excerpt
    assert text[cue.start : cue.end] == excerpt


@pytest.mark.parametrize(
    "text",
    [
        "how was your day",
        "i can send you some tabs for that song",
        "je peux t'envoyer des partitions",
        "she is 13 weeks old now",
        "meet at 2pm for the bus",
        "my cam broke lol",
        "the old school building is closed",
        "wie alt ist dein hund",
        "schreib mir wenn du zuhause bist",
        "wir treffen uns in der bibliothek fürs gruppenprojekt",
        "bist du 10 minuten später da?",
        "du bist älter als ich",
        "quanti anni ha il tuo cane",
        "scrivimi quando arrivi a casa",
        "ci vediamo domani a scuola",
        "sei più grande di me",
        "cuántos años tiene tu perro",
        "nos vemos mañana en clase",
        "mandame la foto de la tarea",
        "avisame cuando llegues a casa",
        "¿a qué edad empezaste a tocar la guitarra?",
        "quantos anos tem seu cachorro?",
        "me manda a foto do dever de casa",
        "a gente se vê amanhã na aula",
        "vem pra casa que o almoço tá pronto",
        "que série vc tá vendo",
        "",
    ],
)
def test_everyday_lines_show_nothing(text: str) -> None:
    assert find_cues(text) == []


def test_one_message_can_show_several_indicators_and_every_indicator_has_a_stage() -> None:
    cues = find_cues("add me on snap and dont tell your mom")
    assert {c.indicator for c in cues} == {Indicator.CHANNEL, Indicator.SECRECY}
    assert {i.stage for i in Indicator} == set(Stage)


def test_school_years_written_as_ordinals_stay_numbers() -> None:
    assert normalise("t'es en 4e ? moi en 5eme, lui en 1er").text == (
        "t'es en 4e ? moi en 5eme, lui en 1er"
    )
    assert normalise("im in 7th grade").text == "im in 7th grade"
    assert normalise("r u 4lone").text == "r u alone"  # a letter in disguise still reads


def test_normalised_text_maps_back_to_the_original() -> None:
    original = "Ça va? r u 4lone 📷"
    normalised = normalise(original)
    assert normalised.text == "ca va? r u alone photo "
    assert len(normalised.origin) == len(normalised.text)
    start = normalised.text.index("alone")
    assert normalised.span(start, start + 5) == (11, 16)
    assert original[11:16] == "4lone"
