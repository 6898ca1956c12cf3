"""Synthetic scenarios that need context to tell apart, for training and measuring (never
explicit; lines stop at what a reviewer needs to see).

The lexicon finds the same cues in a grandmother's "send me a photo of your costume" as in
a groomer's; what differs is who is who, who else is in the chat, how it unfolds in time.
These generators write those chats in en, fr, es, de, pt and it:

- look-alikes (negatives): family (a grandparent, parent or aunt asking for a photo or a
  video call, a secret about a present, a parent checking the child is home alone, with
  kinship address and signatures), a teacher or coach with the parents in the loop, two
  adults on a dating app (ages, another app, meeting), children planning a surprise, a
  benign group chat of classmates;
- grooming in a group chat (one adult among several children, turning to one of them);
- early-stage grooming: a long friendly chat (40-100 messages) with two or three mild cues.

Each pool of lines is split in two: the template families kept out of training
(`synthetic.held_out`) speak with one half, the training families with the other, so held
out families measure lines the model never saw. `timestamps` dates a chat: grooming late
and over days; everyday chats at ordinary hours, some teens' chats late at night too.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from bastion.conversations.cues import Indicator
from bastion.conversations.model import Conversation, Message, Participant
from bastion.conversations.phrases import CUES, REPLIES

#: Languages every scenario is written in.
LANGUAGES = ("en", "fr", "es", "de", "pt", "it")
#: Indicators an early-stage groomer shows in a long friendly chat.
MILD_CUES = (Indicator.AGE, Indicator.FLATTERY, Indicator.GIFTS, Indicator.SUPERVISION)
#: Children's names in group chats (ids double as the names others mention).
KIDS = ("lea", "sam", "noa", "eli", "mia", "tom", "zoe")


@dataclass(frozen=True)
class Scenario:
    messages: tuple[Message, ...]
    participants: tuple[Participant, ...]
    grooming: bool
    groomer: str | None
    cues: tuple[tuple[int, Indicator], ...]
    kind: str

    @property
    def conversation(self) -> Conversation:
        return Conversation(self.messages, {p.id: p for p in self.participants})


# Lines per scenario and language. Family: (elder's requests, secrets, home checks,
# signatures, the child's kinship replies).
_FAMILY: dict[str, dict[str, list[str]]] = {
    "en": {
        "ask": [
            "send grandma a photo of your new haircut",
            "can you send me a pic of your costume for the school play",
            "lets do a video call on sunday so i can see you",
            "turn on your camera when we call, grandpa wants to see you too",
            "send me a picture of your drawing, i want to put it on the fridge",
            "facetime me after dinner sweetheart",
        ],
        "secret": [
            "dont tell your mum about the present, its a surprise",
            "keep it a secret, we're getting dad a new bike for his birthday",
            "shh dont tell your sister what we bought her",
            "its our little secret until christmas ok",
        ],
        "home": [
            "are you home alone? dad will be back at 6",
            "is anyone home with you? lock the door please",
            "are you on your own? i'm stuck in traffic",
            "is your brother home with you or are you alone",
        ],
        "sign": ["love, grandma", "love you lots, dad", "see you sunday, nana", "xx auntie"],
        "reply": [
            "ok grandma", "thanks nana!", "love you grandma", "ok mum", "yes dad", "ok auntie",
        ],
    },
    "fr": {
        "ask": [
            "envoie une photo de ta nouvelle coupe a mamie",
            "tu peux m'envoyer une photo de ton deguisement pour le spectacle",
            "on fait un appel video dimanche pour que je te voie",
            "allume ta camera quand on appelle, papy veut te voir aussi",
            "envoie-moi une photo de ton dessin, je le mets sur le frigo",
            "appelle-moi en video apres le diner mon coeur",
        ],
        "secret": [
            "ne dis rien a ta mere pour le cadeau, c'est une surprise",
            "garde le secret, on offre un velo a papa pour son anniversaire",
            "chut, ne dis pas a ta soeur ce qu'on lui a achete",
            "c'est notre petit secret jusqu'a noel d'accord",
        ],
        "home": [
            "t'es seul a la maison ? papa rentre a 18h",
            "il y a quelqu'un avec toi ? ferme la porte a cle",
            "tu es tout seul ? je suis dans les bouchons",
            "ton frere est avec toi ou t'es seule",
        ],
        "sign": ["bisous mamie", "je t'aime, papa", "a dimanche, mamie", "gros bisous, tata"],
        "reply": [
            "oui mamie", "merci mamie !", "bisous papy", "d'accord maman", "oui papa", "merci tata",
        ],
    },
    "es": {
        "ask": [
            "mandale a la abuela una foto de tu corte de pelo nuevo",
            "me mandas una foto de tu disfraz para la obra del cole",
            "hacemos una videollamada el domingo asi te veo",
            "pon la camara cuando llamemos, el abuelo tambien quiere verte",
            "mandame una foto de tu dibujo, lo pongo en la nevera",
            "llamame por video despues de cenar carino",
        ],
        "secret": [
            "no le digas nada a tu madre del regalo, es sorpresa",
            "es un secreto, le regalamos una bici a papa por su cumple",
            "shh no le digas a tu hermana lo que le compramos",
            "es nuestro secretito hasta navidad vale",
        ],
        "home": [
            "estas solo en casa? papa llega a las 6",
            "hay alguien contigo? cierra la puerta con llave",
            "estas sola? estoy en un atasco",
            "tu hermano esta contigo o estas solo",
        ],
        "sign": ["besos, la abuela", "te quiero, papa", "hasta el domingo, abuela", "besitos, tia"],
        "reply": [
            "vale abuela", "gracias abuela!", "te quiero abuelo",
            "vale mama", "si papa", "gracias tia",
        ],
    },
    "de": {
        "ask": [
            "schick oma ein foto von deiner neuen frisur",
            "kannst du mir ein foto von deinem kostum fur das schultheater schicken",
            "lass uns am sonntag videotelefonieren, dann seh ich dich",
            "mach die kamera an wenn wir telefonieren, opa will dich auch sehen",
            "schick mir ein bild von deinem bild, ich hang es an den kuhlschrank",
            "ruf mich nach dem essen per video an schatz",
        ],
        "secret": [
            "sag deiner mutter nichts vom geschenk, das ist eine uberraschung",
            "das bleibt unser geheimnis, papa bekommt ein neues fahrrad zum geburtstag",
            "psst sag deiner schwester nicht was wir ihr gekauft haben",
            "unser kleines geheimnis bis weihnachten ok",
        ],
        "home": [
            "bist du allein zu hause? papa kommt um 6",
            "ist jemand bei dir? schliess bitte die tur ab",
            "bist du ganz allein? ich steh im stau",
            "ist dein bruder bei dir oder bist du allein",
        ],
        "sign": ["kuss, oma", "hab dich lieb, papa", "bis sonntag, oma", "liebe grusse, tante"],
        "reply": ["ok oma", "danke oma!", "hab dich lieb opa", "ok mama", "ja papa", "danke tante"],
    },
    "pt": {
        "ask": [
            "manda para a vo uma foto do teu corte de cabelo novo",
            "podes mandar-me uma foto da tua fantasia para a peca da escola",
            "vamos fazer uma videochamada no domingo para eu te ver",
            "liga a camera quando ligarmos, o avo tambem te quer ver",
            "manda-me uma foto do teu desenho, vou por no frigorifico",
            "liga-me por video depois do jantar querida",
        ],
        "secret": [
            "nao digas nada a tua mae sobre o presente, e surpresa",
            "e segredo, vamos dar uma bicicleta ao pai no aniversario",
            "shh nao contes a tua irma o que lhe compramos",
            "e o nosso segredinho ate ao natal ta bem",
        ],
        "home": [
            "estas sozinho em casa? o pai chega as 6",
            "ha alguem contigo? tranca a porta",
            "estas sozinha? estou no transito",
            "o teu irmao esta contigo ou estas sozinho",
        ],
        "sign": ["beijinhos, vo", "te amo, pai", "ate domingo, vovo", "beijos, tia"],
        "reply": [
            "ta bem vo", "obrigado vo!", "te amo vovo", "ta bem mae", "sim pai", "obrigada tia",
        ],
    },
    "it": {
        "ask": [
            "manda alla nonna una foto del tuo taglio nuovo",
            "mi mandi una foto del tuo costume per la recita",
            "facciamo una videochiamata domenica cosi ti vedo",
            "accendi la telecamera quando chiamiamo, anche il nonno ti vuole vedere",
            "mandami una foto del tuo disegno, lo metto sul frigo",
            "chiamami in video dopo cena tesoro",
        ],
        "secret": [
            "non dire niente a tua madre del regalo, e una sorpresa",
            "e un segreto, regaliamo una bici a papa per il compleanno",
            "shh non dire a tua sorella cosa le abbiamo comprato",
            "e il nostro segreto fino a natale ok",
        ],
        "home": [
            "sei a casa da solo? papa torna alle 6",
            "c'e qualcuno con te? chiudi la porta a chiave",
            "sei da sola? sono nel traffico",
            "tuo fratello e con te o sei solo",
        ],
        "sign": ["baci, nonna", "ti voglio bene, papa", "a domenica, nonna", "bacioni, zia"],
        "reply": [
            "ok nonna", "grazie nonna!", "ti voglio bene nonno",
            "ok mamma", "si papa", "grazie zia",
        ],
    },
}  # fmt: skip

#: A teacher or coach with the parents in the loop: (their lines, the child's replies).
_EDUCATOR: dict[str, tuple[list[str], list[str]]] = {
    "en": (
        [
            "ask your mum to sign the permission form for the trip",
            "i'll email your parents the match schedule tonight",
            "your dad is in this group too so he knows the times",
            "send me a photo of the signed form when you can",
            "we meet at the field at 9 on saturday, parents welcome",
            "what year are you in now? the under 14 team trains on tuesdays",
            "tell your parents the bus leaves at 7",
            "remind your mom about the parents meeting on thursday",
        ],
        ["ok coach", "ok miss", "will do", "thanks sir", "my mum said yes", "ok"],
    ),
    "fr": (
        [
            "demande a ta mere de signer l'autorisation pour la sortie",
            "j'enverrai un mail a tes parents avec le planning des matchs",
            "ton pere est dans le groupe aussi, il a les horaires",
            "envoie-moi une photo du formulaire signe",
            "rendez-vous au stade samedi a 9h, les parents sont les bienvenus",
            "tu es en quelle classe ? les moins de 14 ans s'entrainent le mardi",
            "previens tes parents que le car part a 7h",
            "dis a ta maman qu'il y a la reunion des parents jeudi",
        ],
        ["ok coach", "d'accord madame", "ok", "merci monsieur", "ma mere a dit oui", "oui"],
    ),
    "es": (
        [
            "pidele a tu madre que firme la autorizacion para la excursion",
            "les mandare un correo a tus padres con el calendario",
            "tu padre esta en el grupo tambien, ya sabe los horarios",
            "mandame una foto del papel firmado",
            "quedamos en el campo el sabado a las 9, los padres pueden venir",
            "en que curso estas? los sub 14 entrenan los martes",
            "avisa a tus padres que el autobus sale a las 7",
            "dile a tu mama que hay reunion de padres el jueves",
        ],
        ["vale entrenador", "vale profe", "ok", "gracias profe", "mi madre dijo que si", "si"],
    ),
    "de": (
        [
            "frag deine eltern ob sie die einverstandniserklarung unterschreiben",
            "ich schicke deinen eltern heute abend den spielplan per mail",
            "dein vater ist auch in der gruppe, er kennt die zeiten",
            "schick mir ein foto vom unterschriebenen zettel",
            "wir treffen uns samstag um 9 am platz, eltern sind willkommen",
            "in welcher klasse bist du jetzt? die u14 trainiert dienstags",
            "sag deinen eltern dass der bus um 7 fahrt",
            "erinnere deine mutter an den elternabend am donnerstag",
        ],
        ["ok trainer", "ok frau muller", "mach ich", "danke", "meine mutter hat ja gesagt", "ok"],
    ),
    "pt": (
        [
            "pede a tua mae para assinar a autorizacao da visita de estudo",
            "vou mandar um email aos teus pais com o calendario",
            "o teu pai esta no grupo tambem, ja sabe os horarios",
            "manda-me uma foto do papel assinado",
            "encontramo-nos no campo sabado as 9, os pais podem vir",
            "em que ano estas? os sub 14 treinam a terca",
            "avisa os teus pais que o autocarro sai as 7",
            "diz a tua mae que ha reuniao de pais na quinta",
        ],
        ["ok mister", "ok professora", "ta bem", "obrigado", "a minha mae disse que sim", "sim"],
    ),
    "it": (
        [
            "chiedi a tua madre di firmare l'autorizzazione per la gita",
            "mandero una mail ai tuoi genitori con il calendario",
            "tuo padre e nel gruppo anche lui, sa gli orari",
            "mandami una foto del modulo firmato",
            "ci vediamo al campo sabato alle 9, i genitori sono benvenuti",
            "che classe fai adesso? gli under 14 si allenano il martedi",
            "avvisa i tuoi genitori che il pullman parte alle 7",
            "di a tua mamma che c'e la riunione dei genitori giovedi",
        ],
        ["ok mister", "ok prof", "va bene", "grazie prof", "mia madre ha detto si", "si"],
    ),
}

#: Two adults on a dating app: lines either says.
_DATING: dict[str, list[str]] = {
    "en": [
        "how old are you? im 34", "i'm 31, you?", "lets move to whatsapp, this app is so slow",
        "want to meet for coffee on saturday?", "send me a pic of your dog haha",
        "which part of town do you live in?", "i work in accounting, you?",
        "add me on insta, easier to chat", "there's a nice bar near the station",
        "i'm 38 and yes i still play football on sundays",
    ],
    "fr": [
        "t'as quel age ? moi j'ai 34 ans", "j'ai 31 ans, et toi ?",
        "on passe sur whatsapp, l'appli rame", "un cafe samedi ca te dit ?",
        "envoie une photo de ton chien haha", "tu habites dans quel quartier ?",
        "je bosse dans la compta, et toi ?", "ajoute-moi sur insta, c'est plus simple",
        "il y a un bar sympa pres de la gare", "j'ai 38 ans et je joue encore au foot le dimanche",
    ],
    "es": [
        "cuantos anos tienes? yo tengo 34", "tengo 31, y tu?",
        "pasamos a whatsapp, esta app va lentisima", "te apetece un cafe el sabado?",
        "mandame una foto de tu perro jaja", "en que barrio vives?",
        "trabajo en contabilidad, y tu?", "agregame en insta, es mas facil",
        "hay un bar majo cerca de la estacion", "tengo 38 y sigo jugando al futbol los domingos",
    ],
    "de": [
        "wie alt bist du? ich bin 34", "ich bin 31, und du?",
        "lass uns zu whatsapp wechseln, die app ist so langsam",
        "lust auf einen kaffee am samstag?",
        "schick mal ein foto von deinem hund haha", "in welchem viertel wohnst du?",
        "ich arbeite in der buchhaltung, du?", "schreib mir auf insta, ist einfacher",
        "es gibt eine nette bar am bahnhof", "ich bin 38 und spiele sonntags noch fussball",
    ],
    "pt": [
        "quantos anos tens? eu tenho 34 anos", "tenho 31 anos, e tu?",
        "vamos para o whatsapp, esta app e lenta", "bora tomar um cafe no sabado?",
        "manda uma foto do teu cao haha", "em que zona moras?",
        "trabalho em contabilidade, e tu?", "adiciona-me no insta, e mais facil",
        "ha um bar giro perto da estacao", "tenho 38 anos e ainda jogo futebol ao domingo",
    ],
    "it": [
        "quanti anni hai? io ho 34 anni", "ho 31 anni, e tu?",
        "passiamo su whatsapp, questa app e lentissima", "ti va un caffe sabato?",
        "mandami una foto del tuo cane ahah", "in che zona abiti?",
        "lavoro in contabilita, tu?", "aggiungimi su insta, e piu facile",
        "c'e un bel bar vicino alla stazione", "ho 38 anni e gioco ancora a calcio la domenica",
    ],
}  # fmt: skip

#: Children planning a surprise (either says them).
_SURPRISE: dict[str, list[str]] = {
    "en": [
        "we're planning a surprise for mum's birthday, dont tell her", "keep it secret ok?",
        "lets meet at the mall after school to buy the present", "how much money do you have?",
        "i'm 12 so i cant take the bus alone lol", "my dad will drive us",
        "delete the group photo before she sees it haha", "we can hide the cake at your house",
    ],
    "fr": [
        "on prepare une surprise pour l'anniv de maman, dis-lui rien", "garde le secret ok ?",
        "on se retrouve au centre commercial apres les cours pour le cadeau",
        "t'as combien d'argent ?", "j'ai 12 ans donc je peux pas prendre le bus seul mdr",
        "mon pere nous emmene", "efface la photo avant qu'elle la voie haha",
        "on cache le gateau chez toi",
    ],
    "es": [
        "preparamos una sorpresa para el cumple de mama, no le digas nada",
        "guarda el secreto vale?",
        "quedamos en el centro comercial despues de clase para el regalo",
        "cuanto dinero tienes?", "tengo 12 anos asi que no puedo coger el bus solo jaja",
        "mi padre nos lleva", "borra la foto antes de que la vea jaja",
        "escondemos la tarta en tu casa",
    ],
    "de": [
        "wir planen eine uberraschung zu mamas geburtstag, sag ihr nichts",
        "bleibt geheim ok?", "treffen wir uns nach der schule im einkaufszentrum fur das geschenk",
        "wie viel geld hast du?", "ich bin 12 und darf nicht allein bus fahren lol",
        "mein vater fahrt uns", "losch das foto bevor sie es sieht haha",
        "wir verstecken den kuchen bei dir",
    ],
    "pt": [
        "estamos a preparar uma surpresa para os anos da mae, nao lhe digas nada",
        "guarda segredo ta?", "encontramo-nos no centro comercial depois das aulas para o presente",
        "quanto dinheiro tens?", "tenho 12 anos por isso nao posso ir de autocarro sozinho haha",
        "o meu pai leva-nos", "apaga a foto antes que ela veja haha",
        "escondemos o bolo na tua casa",
    ],
    "it": [
        "prepariamo una sorpresa per il compleanno della mamma, non dirle niente",
        "mantieni il segreto ok?", "ci vediamo al centro commerciale dopo scuola per il regalo",
        "quanti soldi hai?", "ho 12 anni quindi non posso prendere il bus da solo ahah",
        "mio padre ci accompagna", "cancella la foto prima che la veda ahah",
        "nascondiamo la torta a casa tua",
    ],
}  # fmt: skip

#: Classmates in a group chat.
_CLASSMATES: dict[str, list[str]] = {
    "en": [
        "did anyone do the maths homework", "page 42 right?", "lets all meet at the park saturday",
        "send a pic of the homework page pls", "lol the teacher was so mad", "who has the slides",
        "how old is your brother now", "is the test tomorrow or friday", "i forgot my pe kit again",
        "same", "haha", "ok see you tomorrow",
    ],
    "fr": [
        "quelqu'un a fait les devoirs de maths", "page 42 c'est ca ?",
        "on se retrouve tous au parc samedi", "envoyez une photo de la page des devoirs svp",
        "mdr le prof etait trop enerve", "qui a le diaporama", "ton frere il a quel age maintenant",
        "le controle c'est demain ou vendredi", "j'ai encore oublie mes affaires de sport",
        "pareil", "mdr", "ok a demain",
    ],
    "es": [
        "alguien hizo los deberes de mates",
        "pagina 42 no?", "quedamos todos en el parque el sabado",
        "mandad una foto de la pagina de deberes porfa", "jaja el profe estaba enfadadisimo",
        "quien tiene las diapositivas", "cuantos anos tiene tu hermano ya",
        "el examen es manana o el viernes", "otra vez se me olvido la ropa de gimnasia",
        "igual", "jaja", "vale hasta manana",
    ],
    "de": [
        "hat jemand die mathe hausaufgaben",
        "seite 42 oder?", "treffen wir uns alle samstag im park",
        "schickt mal ein foto von der hausaufgabenseite", "lol der lehrer war so sauer",
        "wer hat die folien", "wie alt ist dein bruder jetzt", "ist der test morgen oder freitag",
        "ich hab schon wieder mein sportzeug vergessen", "same", "haha", "ok bis morgen",
    ],
    "pt": [
        "alguem fez os trabalhos de mat",
        "pagina 42 certo?", "encontramo-nos todos no parque sabado",
        "mandem uma foto da pagina dos trabalhos pf", "haha o professor estava furioso",
        "quem tem os slides", "quantos anos tem o teu irmao agora", "o teste e amanha ou sexta",
        "esqueci-me outra vez da roupa de ed fisica", "igual", "haha", "ok ate amanha",
    ],
    "it": [
        "qualcuno ha fatto i compiti di mate",
        "pagina 42 giusto?", "ci vediamo tutti al parco sabato",
        "mandate una foto della pagina dei compiti pls", "ahah il prof era arrabbiatissimo",
        "chi ha le slide", "quanti anni ha tuo fratello adesso", "la verifica e domani o venerdi",
        "ho dimenticato di nuovo la roba di ginnastica", "uguale", "ahah", "ok a domani",
    ],
}  # fmt: skip


def _half(pool: Sequence[str], held: bool) -> list[str]:
    """The half of `pool` a family's side of the split speaks with."""
    return list(pool[1::2] if held else pool[0::2]) or list(pool)


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else "en"


def _mix(rng: random.Random, talk: tuple[list[str], list[str]], n: int) -> list[Message]:
    adult, child = talk
    pairs = ((Message("a", rng.choice(adult)), Message("c", rng.choice(child))) for _ in range(n))
    return [m for pair in pairs for m in pair]


def family(
    rng: random.Random, lang: str, talk: tuple[list[str], list[str]], held: bool
) -> Scenario:
    """A relative asks a child for a photo or a call, shares a secret about a present, or a
    parent checks the child is home alone: cues, but family."""
    lines = _FAMILY[_lang(lang)]
    messages = _mix(rng, talk, rng.randint(1, 4))
    cues: list[tuple[int, Indicator]] = []
    picks = [
        ("ask", Indicator.IMAGES),
        ("secret", Indicator.SECRECY),
        ("home", Indicator.SUPERVISION),
    ]
    for key, indicator in rng.sample(picks, rng.randint(1, 3)):
        cues.append((len(messages), indicator))
        messages.append(Message("a", rng.choice(_half(lines[key], held))))
        messages.append(Message("c", rng.choice(_half(lines["reply"], held))))
        messages += _mix(rng, talk, rng.randint(0, 2))
    if rng.random() < 0.6:
        messages.append(Message("a", rng.choice(_half(lines["sign"], held))))
    role = rng.choice(["grandparent", "parent", "aunt", None])
    people = _declared(rng, [("a", role, (30, 80)), ("c", "minor", (7, 15))])
    return Scenario(tuple(messages), people, False, None, tuple(cues), "family")


def educator(
    rng: random.Random, lang: str, talk: tuple[list[str], list[str]], held: bool
) -> Scenario:
    """A teacher or coach organising with the parents in the loop."""
    lines, replies = _EDUCATOR[_lang(lang)]
    chosen = rng.sample(_half(lines, held), rng.randint(2, 4))
    messages = _mix(rng, talk, rng.randint(0, 3))
    for line in chosen:
        messages.append(Message("a", line))
        messages.append(Message("c", rng.choice(replies)))
    role = rng.choice(["teacher", "coach", None])
    people = _declared(rng, [("a", role, (24, 60)), ("c", "minor", (9, 16))])
    return Scenario(tuple(messages), people, False, None, (), "educator")


def dating(rng: random.Random, lang: str, held: bool) -> Scenario:
    """Two adults on a dating app: ages, another app, a meeting."""
    pool = _half(_DATING[_lang(lang)], held)
    messages = [Message(("a", "c")[i % 2], rng.choice(pool)) for i in range(rng.randint(8, 24))]
    people = _declared(rng, [("a", "adult", (22, 55)), ("c", "adult", (22, 55))])
    return Scenario(tuple(messages), people, False, None, (), "dating")


def surprise(rng: random.Random, lang: str, held: bool) -> Scenario:
    """Children planning a surprise: secrets, money, a meeting at the mall."""
    pool = _half(_SURPRISE[_lang(lang)], held)
    replies = REPLIES.get(lang, REPLIES["en"])
    messages = []
    for line in rng.sample(pool, min(len(pool), rng.randint(3, 4))):
        messages.append(Message("a", line))
        messages.append(Message("c", rng.choice(replies)))
    people = _declared(rng, [("a", "minor", (10, 15)), ("c", "minor", (10, 15))])
    return Scenario(tuple(messages), people, False, None, (), "surprise")


def classmates(rng: random.Random, lang: str, held: bool) -> Scenario:
    """A benign group chat of four to six classmates."""
    kids = list(KIDS[: rng.randint(4, 6)])
    pool = _half(_CLASSMATES[_lang(lang)], held)
    messages = [Message(rng.choice(kids), rng.choice(pool)) for _ in range(rng.randint(12, 40))]
    people = _declared(rng, [(k, "minor", (11, 15)) for k in kids])
    return Scenario(tuple(messages), people, False, None, (), "group")


def group_grooming(
    rng: random.Random, lang: str, talk: tuple[list[str], list[str]], position: int, held: bool
) -> Scenario:
    """One adult among several children in a group chat, turning to one of them: @mentions
    or answering them, with three to six cues among the group's chatter."""
    kids = list(KIDS[: rng.randint(3, 5)])
    target = rng.choice(kids)
    pool = _half(_CLASSMATES[_lang(lang)], held)
    adult_talk = talk[0]
    messages: list[Message] = []
    cues: list[tuple[int, Indicator]] = []

    def chatter(n: int) -> None:
        for _ in range(n):
            messages.append(Message(rng.choice(kids), rng.choice(pool)))

    chatter(rng.randint(4, 10))
    for indicator in rng.sample(list(Indicator), rng.randint(3, 6)):
        messages.append(Message("a", rng.choice(adult_talk)))
        chatter(rng.randint(1, 4))
        phrases = CUES.get(lang, CUES["en"])[indicator]
        text = phrases[position % len(phrases)]
        if rng.random() < 0.5:
            text = f"@{target} {text}"
        else:
            messages.append(Message(target, rng.choice(pool)))
        cues.append((len(messages), indicator))
        messages.append(Message("a", text))
        messages.append(Message(target, rng.choice(REPLIES.get(lang, REPLIES["en"]))))
        chatter(rng.randint(1, 6))
    people = _declared(rng, [("a", "adult", (25, 60))] + [(k, "minor", (10, 15)) for k in kids])
    return Scenario(tuple(messages), people, True, "a", tuple(cues), "group_grooming")


def early(
    rng: random.Random, lang: str, talk: tuple[list[str], list[str]], position: int
) -> Scenario:
    """Early-stage grooming: a long friendly chat (40-100 messages) with two or three mild
    cues (age, flattery, a small gift, a question about the parents)."""
    total = rng.randint(20, 50)
    messages = _mix(rng, talk, total)
    cues: list[tuple[int, Indicator]] = []
    chosen = rng.sample(MILD_CUES, rng.randint(2, 3))
    slots = sorted(rng.sample(range(2, total), len(chosen)))
    for slot, indicator in zip(reversed(slots), reversed(chosen), strict=True):
        phrases = CUES.get(lang, CUES["en"])[indicator]
        messages[2 * slot] = Message("a", phrases[position % len(phrases)])
    for slot, indicator in zip(slots, chosen, strict=True):
        cues.append((2 * slot, indicator))
    people = _declared(rng, [("a", "adult", (20, 60)), ("c", "minor", (10, 15))])
    return Scenario(tuple(messages), people, True, "a", tuple(cues), "early")


def _declared(
    rng: random.Random, who: Sequence[tuple[str, str | None, tuple[int, int]]]
) -> tuple[Participant, ...]:
    """Roles and ages declared some of the time (platforms often know neither)."""
    if rng.random() < 0.5:
        return ()
    out = []
    for ident, role, (low, high) in who:
        if role is None:
            continue
        age = rng.randint(low, high) if rng.random() < 0.5 else None
        out.append(Participant(ident, age, role))
    return tuple(out)


def timestamps(rng: random.Random, messages: Sequence[Message], style: str) -> tuple[Message, ...]:
    """`messages` dated. ``late``: starting in the evening, going on into the night, over
    one to six days (grooming); ``day``: ordinary hours over a day or two; ``night``: an
    everyday chat late at night (teens do too, so the hour alone cannot decide)."""
    offset = timezone(timedelta(hours=rng.choice([-5, -3, 0, 1, 2])))
    day0 = datetime(2026, 1, 1, tzinfo=offset) + timedelta(days=rng.randint(0, 330))
    if style == "late":
        days, hours = rng.randint(1, 6), (20, 27)
    elif style == "night":
        days, hours = rng.randint(1, 2), (21, 26)
    else:
        days, hours = rng.randint(1, 2), (8, 20)
    per_day = max(1, -(-len(messages) // days))
    out = []
    for i, message in enumerate(messages):
        day = i // per_day
        share = (i % per_day) / per_day
        minutes = int((hours[0] + share * (hours[1] - hours[0])) * 60) + rng.randint(0, 9)
        at = day0 + timedelta(days=day, minutes=minutes)
        out.append(replace(message, at=at.astimezone(offset)))
    return tuple(out)
