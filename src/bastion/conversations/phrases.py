"""The phrases synthetic conversations are built from, per language (never explicit).

Each indicator has a pool of paraphrases, one per template family (a family is a setting
and the paraphrase of each cue it uses), so that families held out for evaluation speak
in words the training families never used. Small talk is per setting; the child's replies
are neutral. Cues stop at the pattern reviewers need to see ("send me a pic", "turn on your
cam").
"""

from __future__ import annotations

from bastion.conversations.cues import Indicator

#: Settings (template families) per language, each with what its two sides talk about.
SETTINGS: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "en": {
        "gaming": (
            [
                "gg that last round was wild",
                "what rank are you now",
                "did you get the new map",
                "your build is really good",
                "want to queue again later",
                "that boss took me forever",
            ],
            [
                "lol yeah",
                "im only silver",
                "not yet",
                "thanks i copied it from a video",
                "maybe after dinner",
                "same it was so hard",
            ],
        ),
        "music": (
            [
                "have you heard their new album",
                "which song is your favourite",
                "i play guitar too",
                "did you see the concert clip",
                "that cover you posted was great",
                "i can send you some tabs",
            ],
            [
                "yes its so good",
                "probably the second one",
                "cool how long have you played",
                "no link?",
                "thank you!!",
                "ok",
            ],
        ),
        "drawing": (
            [
                "your sketch of the fox is amazing",
                "what brushes do you use",
                "i love the colours",
                "do you take requests",
                "have you tried digital yet",
                "post more of your work",
            ],
            [
                "thank youu",
                "just the default ones",
                "i mixed them myself",
                "sometimes",
                "i want a tablet",
                "i will",
            ],
        ),
        "sports": (
            [
                "great match on saturday",
                "what position do you play",
                "your team looked strong",
                "do you train every week",
                "i coached a bit years ago",
                "keep working on that shot",
            ],
            ["we won 3-1", "midfield", "we practise a lot", "twice a week", "cool", "i will"],
        ),
        "pets": (
            [
                "your puppy is so cute",
                "what breed is she",
                "how old is she",
                "does she do tricks",
                "i had a dog like that",
                "post more pictures of her",
            ],
            [
                "her name is biscuit",
                "a beagle mix",
                "almost two",
                "she can sit and roll",
                "aww",
                "ok i will",
            ],
        ),
        "anime": (
            [
                "did you watch the new episode",
                "who is your favourite character",
                "the ending was crazy",
                "have you read the manga",
                "your fan art is really good",
                "season two comes out soon",
            ],
            [
                "yes!!",
                "probably the captain",
                "i cried",
                "only the first volume",
                "thanks",
                "i cant wait",
            ],
        ),
        "streaming": (
            [
                "loved your stream today",
                "how long have you been streaming",
                "your chat is so fun",
                "what camera do you use for streams",
                "you should stream more often",
                "that was a funny clip",
            ],
            [
                "thanks for watching",
                "a few months",
                "haha they are",
                "just my laptop one",
                "i have school",
                "lol",
            ],
        ),
        "homework": (
            [
                "did you finish the maths sheet",
                "fractions are easier than they look",
                "i can explain it",
                "what topic is next",
                "you did well on that one",
                "read the question twice",
            ],
            ["not yet", "i hate fractions", "ok thanks", "decimals i think", "yay", "ok"],
        ),
    },
    "fr": {
        "jeux": (
            [
                "bien joue pour la partie",
                "t'es quel rang maintenant",
                "t'as eu la nouvelle carte",
                "ton equipement est trop bien",
                "on refait une partie plus tard",
                "ce boss etait dur",
            ],
            [
                "mdr merci",
                "argent seulement",
                "pas encore",
                "je l'ai vu dans une video",
                "apres manger peut-etre",
                "trop dur",
            ],
        ),
        "musique": (
            [
                "t'as ecoute le nouvel album",
                "c'est quoi ta chanson preferee",
                "je joue de la guitare aussi",
                "ta reprise etait super",
                "je peux t'envoyer des partitions",
                "t'as vu le clip",
            ],
            [
                "oui trop bien",
                "la deuxieme je crois",
                "cool depuis quand",
                "merci",
                "ok",
                "pas encore",
            ],
        ),
        "dessin": (
            [
                "ton dessin du renard est genial",
                "tu utilises quels pinceaux",
                "j'adore les couleurs",
                "tu prends des commandes",
                "t'as essaye le numerique",
                "poste plus de dessins",
            ],
            ["merciii", "ceux de base", "je les melange", "parfois", "je veux une tablette", "ok"],
        ),
        "sport": (
            [
                "beau match samedi",
                "tu joues a quel poste",
                "ton equipe avait l'air forte",
                "tu t'entraines chaque semaine",
                "j'ai entraine un peu avant",
                "continue comme ca",
            ],
            [
                "on a gagne",
                "milieu",
                "on s'entraine beaucoup",
                "deux fois par semaine",
                "cool",
                "ok",
            ],
        ),
        "animaux": (
            [
                "ton chiot est trop mignon",
                "c'est quelle race",
                "elle a quel age",
                "elle fait des tours",
                "j'avais un chien comme ca",
                "poste d'autres photos d'elle",
            ],
            [
                "elle s'appelle biscotte",
                "un croise beagle",
                "bientot deux ans",
                "elle sait s'asseoir",
                "trop bien",
                "ok",
            ],
        ),
        "devoirs": (
            [
                "t'as fini l'exercice de maths",
                "les fractions c'est pas si dur",
                "je peux t'expliquer",
                "c'est quoi le prochain chapitre",
                "t'as bien reussi celui-la",
                "relis bien la consigne",
            ],
            ["pas encore", "je deteste les fractions", "ok merci", "les decimales", "youpi", "ok"],
        ),
    },
    "de": {
        "spiele": (
            [
                "gg die runde war krass",
                "welchen rang hast du jetzt",
                "hast du die neue map schon",
                "dein build ist echt gut",
                "noch eine runde später",
                "der boss hat ewig gedauert",
            ],
            [
                "lol ja",
                "nur silber",
                "noch nicht",
                "danke hab ich aus nem video",
                "vielleicht nach dem essen",
                "ja der war schwer",
            ],
        ),
        "musik": (
            [
                "hast du das neue album gehört",
                "welcher song ist dein liebster",
                "ich spiel auch gitarre",
                "dein cover war mega",
                "ich kann dir die noten schicken",
                "hast du das musikvideo gesehen",
            ],
            [
                "ja voll gut",
                "der zweite glaub ich",
                "cool seit wann",
                "danke!!",
                "ok",
                "noch nicht",
            ],
        ),
        "zeichnen": (
            [
                "deine fuchs zeichnung ist der hammer",
                "welche pinsel benutzt du",
                "ich liebe die farben",
                "nimmst du auch wünsche an",
                "hast du schon mal digital probiert",
                "poste mehr von deinen bildern",
            ],
            [
                "dankeee",
                "die normalen",
                "selbst gemischt",
                "manchmal",
                "ich will ein tablet",
                "mach ich",
            ],
        ),
        "sport": (
            [
                "starkes spiel am samstag",
                "auf welcher position spielst du",
                "euer team war stark",
                "trainierst du jede woche",
                "ich hab früher mal trainiert",
                "bleib dran an deinem schuss",
            ],
            [
                "wir haben 3:1 gewonnen",
                "mittelfeld",
                "wir trainieren viel",
                "zweimal die woche",
                "cool",
                "mach ich",
            ],
        ),
        "haustiere": (
            [
                "dein welpe ist so süß",
                "was für eine rasse ist das",
                "wie alt ist sie",
                "kann sie tricks",
                "ich hatte auch so einen hund",
                "poste mehr bilder von ihr",
            ],
            [
                "sie heißt keks",
                "ein beagle mix",
                "fast zwei",
                "sitz und rolle",
                "aww",
                "ok mach ich",
            ],
        ),
        "hausaufgaben": (
            [
                "hast du das matheblatt fertig",
                "brüche sind leichter als sie aussehen",
                "ich kann es dir erklären",
                "was ist das nächste thema",
                "das hast du gut gemacht",
                "lies die aufgabe zweimal",
            ],
            ["noch nicht", "ich hasse brüche", "ok danke", "dezimalzahlen glaub ich", "yay", "ok"],
        ),
    },
    "it": {
        "giochi": (
            [
                "gg quel round era assurdo",
                "che rank sei adesso",
                "hai gia la mappa nuova",
                "la tua build e fortissima",
                "rifacciamo una partita dopo",
                "quel boss mi ha fatto impazzire",
            ],
            [
                "ahah si",
                "solo argento",
                "non ancora",
                "grazie l'ho vista in un video",
                "forse dopo cena",
                "uguale era difficilissimo",
            ],
        ),
        "musica": (
            [
                "hai sentito il loro nuovo album",
                "qual e la tua canzone preferita",
                "anche io suono la chitarra",
                "la tua cover era bellissima",
                "posso mandarti gli accordi",
                "hai visto il video del concerto",
            ],
            ["si bellissimo", "la seconda credo", "figo da quanto", "grazie!!", "ok", "non ancora"],
        ),
        "disegno": (
            [
                "il tuo disegno della volpe e stupendo",
                "che pennelli usi",
                "adoro i colori",
                "accetti richieste",
                "hai mai provato in digitale",
                "posta altri lavori",
            ],
            [
                "graziee",
                "quelli base",
                "li ho mischiati io",
                "a volte",
                "vorrei una tavoletta",
                "ok",
            ],
        ),
        "sport": (
            [
                "bella partita sabato",
                "in che ruolo giochi",
                "la tua squadra era forte",
                "ti alleni ogni settimana",
                "anni fa facevo l'allenatore",
                "continua a lavorare sul tiro",
            ],
            [
                "abbiamo vinto 3-1",
                "centrocampo",
                "ci alleniamo tanto",
                "due volte a settimana",
                "ok",
            ],
        ),
        "animali": (
            [
                "il tuo cucciolo e troppo carino",
                "che razza e",
                "quanti anni ha",
                "sa fare qualche trucco",
                "avevo un cane cosi",
                "posta altre foto di lei",
            ],
            ["si chiama biscotto", "un incrocio beagle", "quasi due", "sa sedersi", "aww", "ok"],
        ),
        "compiti": (
            [
                "hai finito la scheda di mate",
                "le frazioni sono piu facili di come sembrano",
                "te lo posso spiegare",
                "qual e il prossimo argomento",
                "quello ti e venuto benissimo",
                "rileggi bene la consegna",
            ],
            ["non ancora", "odio le frazioni", "ok grazie", "i decimali credo", "evvai", "ok"],
        ),
    },
}

#: Paraphrases of each cue, one per family (index = the family's position in SETTINGS).
CUES: dict[str, dict[Indicator, list[str]]] = {
    "en": {
        Indicator.AGE: [
            "how old are you btw",
            "wait what grade are you in",
            "r u in middle school?",
            "so how old r u",
            "whats your age",
            "are you like 13?",
            "how old are u anyway",
            "you seem young, what grade are you in now",
        ],
        Indicator.SCHOOL: [
            "what school do you go to",
            "which school do u go to",
            "where do you go to school",
            "whats ur school called",
            "what school are you at",
            "which school do you attend",
            "where do u go to school",
            "whats your school",
        ],
        Indicator.LOCATION: [
            "where do you live",
            "what city do you live in",
            "where do u live exactly",
            "whats your address",
            "send me your location",
            "where do you stay",
            "tell me your address",
            "share your location with me",
        ],
        Indicator.SUPERVISION: [
            "are you home alone right now",
            "are your parents home",
            "is anyone else around",
            "do your parents check your phone",
            "r u alone rn",
            "when do your parents go to bed",
            "is your door locked",
            "where are your parents right now",
        ],
        Indicator.SECRECY: [
            "dont tell anyone about this ok",
            "keep this between us",
            "this is our little secret",
            "delete these messages after",
            "dont tell your mom we talk",
            "just between you and me ok",
            "your parents cant know",
            "delete the chat when we're done",
        ],
        Indicator.CHANNEL: [
            "add me on snap",
            "do you have discord",
            "lets talk on telegram instead",
            "whats your insta",
            "text me on whatsapp",
            "can we talk somewhere private",
            "dm me",
            "give me your number",
        ],
        Indicator.ISOLATION: [
            "only i really understand you",
            "your parents dont understand you",
            "you can trust me",
            "nobody gets you like i do",
            "your friends dont really care",
            "im all you need",
            "no one cares about you like me",
            "i'm the only one who gets you",
        ],
        Indicator.GIFTS: [
            "i'll buy you robux",
            "i can get you a gift card",
            "want me to send you some money",
            "i'll get you the new skin",
            "i can pay you on cash app",
            "let me buy you something nice",
            "free vbucks for you if you want",
            "i could send you nitro",
        ],
        Indicator.IMAGES: [
            "send me a pic",
            "can you turn on your cam",
            "send me a selfie",
            "show me a picture of yourself",
            "lets video call",
            "turn your camera on",
            "send a photo of you",
            "what are you wearing",
        ],
        Indicator.MEETING: [
            "we should meet up sometime",
            "i can pick you up after school",
            "lets meet this weekend",
            "where can we meet",
            "meet me at the park tomorrow",
            "wanna hang out irl",
            "i could come to your place",
            "when are you free to meet",
        ],
        Indicator.FLATTERY: [
            "you're so mature for your age",
            "you seem way older than 13",
            "you dont act like a kid",
            "ur not like other kids",
            "you seem so mature",
            "you act older than you are",
            "you are really mature for your age",
            "you sound older",
        ],
    },
    "fr": {
        Indicator.AGE: [
            "t'as quel age au fait",
            "tu as quel age",
            "t'es en quelle classe",
            "quel age as-tu",
            "tu es au college ?",
            "t'as quel age toi",
        ],
        Indicator.SCHOOL: [
            "tu vas dans quel college",
            "c'est quoi ton ecole",
            "tu vas a quel lycee",
            "t'es dans quelle ecole ?",
            "tu vas dans quelle ecole",
            "c'est quoi ton college",
        ],
        Indicator.LOCATION: [
            "tu habites ou",
            "t'habites dans quelle ville",
            "ou est-ce que tu habites",
            "c'est quoi ton adresse",
            "partage ta position",
            "tu vis ou exactement",
        ],
        Indicator.SUPERVISION: [
            "t'es seule chez toi ?",
            "tes parents sont la ?",
            "il y a quelqu'un chez toi",
            "tes parents regardent ton telephone ?",
            "tu es toute seule la",
            "quand tes parents rentrent",
        ],
        Indicator.SECRECY: [
            "dis le a personne",
            "c'est notre petit secret",
            "efface nos messages apres",
            "ne dis rien a tes parents",
            "garde ca pour toi",
            "ca reste entre nous",
        ],
        Indicator.CHANNEL: [
            "ajoute-moi sur snap",
            "t'as discord ?",
            "on continue sur telegram",
            "viens en prive",
            "ecris-moi sur whatsapp",
            "donne-moi ton numero",
        ],
        Indicator.ISOLATION: [
            "personne ne te comprend comme moi",
            "tes parents ne te comprennent pas",
            "tu peux me faire confiance",
            "je suis le seul qui te comprend",
            "tes amis s'en fichent",
            "moi seul te comprends",
        ],
        Indicator.GIFTS: [
            "je peux t'acheter des robux",
            "je t'offre une carte cadeau",
            "je t'envoie de l'argent",
            "je vais t'offrir le nouveau skin",
            "je peux te payer un truc",
            "des v-bucks pour toi",
        ],
        Indicator.IMAGES: [
            "envoie-moi une photo",
            "allume ta camera",
            "montre-toi",
            "envoie une photo de toi",
            "on fait un appel video ?",
            "tu portes quoi",
        ],
        Indicator.MEETING: [
            "on pourrait se voir",
            "je viens te chercher apres les cours",
            "on se voit ce week-end ?",
            "on se retrouve ou ?",
            "viens chez moi",
            "on se rejoint demain",
        ],
        Indicator.FLATTERY: [
            "t'es tres mature pour ton age",
            "tu fais plus vieille que ton age",
            "t'es pas comme les autres de ton age",
            "tu parles pas comme une enfant",
            "tu es si mature pour ton age",
            "t'es vraiment mature pour ton age",
        ],
    },
    "de": {
        Indicator.AGE: [
            "wie alt bist du eigentlich",
            "in welche klasse gehst du",
            "wie alt biste",
            "biste 13?",
            "was ist dein alter",
            "sag mal wie alt du bist",
        ],
        Indicator.SCHOOL: [
            "auf welche schule gehst du",
            "wo gehst du zur schule",
            "wie heißt deine schule",
            "welche schule besuchst du",
            "auf welches gymnasium gehste",
            "wo gehste zur schule",
        ],
        Indicator.LOCATION: [
            "wo wohnst du",
            "in welcher stadt wohnst du",
            "wo wohnste eigentlich",
            "was ist deine adresse",
            "schick mir deinen standort",
            "woher kommst du genau",
        ],
        Indicator.SUPERVISION: [
            "bist du gerade allein zu hause",
            "sind deine eltern da",
            "haste heute sturmfrei",
            "checken deine eltern dein handy",
            "ist jemand zu hause",
            "wann kommen deine eltern nach hause",
        ],
        Indicator.SECRECY: [
            "sag es niemandem",
            "das ist unser kleines geheimnis",
            "lösch den chat danach",
            "erzähl deinen eltern nichts davon",
            "das bleibt unter uns",
            "deine eltern dürfen das nicht wissen",
        ],
        Indicator.CHANNEL: [
            "adde mich auf snap",
            "haste discord?",
            "lass uns auf telegram weiterschreiben",
            "schreib mir ne pn",
            "was ist dein insta",
            "gib mir mal deine nummer",
        ],
        Indicator.ISOLATION: [
            "nur ich verstehe dich",
            "deine eltern verstehen dich einfach nicht",
            "du kannst mir vertrauen",
            "keiner versteht dich so wie ich",
            "du brauchst nur mich",
            "ich bin der einzige der dich wirklich versteht",
        ],
        Indicator.GIFTS: [
            "ich kauf dir robux",
            "ich kann dir eine geschenkkarte kaufen",
            "ich schick dir geld",
            "ich schenk dir den neuen skin",
            "vbucks gratis für dich",
            "ich überweis dir 20 euro",
        ],
        Indicator.IMAGES: [
            "schick mir ein bild",
            "mach mal deine kamera an",
            "zeig mal ein foto von dir",
            "lass uns videochatten",
            "schick mal ein selfie",
            "was hast du gerade an",
        ],
        Indicator.MEETING: [
            "lass uns mal treffen",
            "ich kann dich nach der schule abholen",
            "wollen wir uns am wochenende treffen",
            "komm doch zu mir",
            "treffen wir uns morgen im park?",
            "ich komm bei dir vorbei",
        ],
        Indicator.FLATTERY: [
            "du bist so reif für dein alter",
            "du wirkst viel älter",
            "du bist nicht wie die anderen in deinem alter",
            "du redest nicht wie ein kind",
            "du bist echt reif für dein alter",
            "du klingst so erwachsen",
        ],
    },
    "it": {
        Indicator.AGE: [
            "quanti anni hai?",
            "qnt anni c'hai",
            "ke classe fai",
            "fai le medie?",
            "in che classe sei",
            "hai tipo 13 anni?",
        ],
        Indicator.SCHOOL: [
            "a che scuola vai",
            "che scuola fai",
            "dove vai a scuola",
            "come si chiama la tua scuola",
            "che liceo frequenti",
            "qual e la tua scuola",
        ],
        Indicator.LOCATION: [
            "dove abiti",
            "in che citta vivi",
            "dv abiti di preciso",
            "dimmi il tuo indirizzo",
            "mandami la tua posizione",
            "di dove sei precisamente",
        ],
        Indicator.SUPERVISION: [
            "sei da sola a casa?",
            "i tuoi sono a casa?",
            "c'e qualcuno con te",
            "i tuoi ti controllano il telefono?",
            "quando tornano i tuoi",
            "dove sono i tuoi genitori",
        ],
        Indicator.SECRECY: [
            "nn dirlo a nessuno",
            "e il nostro piccolo segreto",
            "cancella la chat dopo",
            "non dire niente ai tuoi",
            "resta tra noi ok",
            "i tuoi non devono saperlo",
        ],
        Indicator.CHANNEL: [
            "aggiungimi su snap",
            "hai telegram?",
            "passiamo su whatsapp",
            "scrivimi in privato",
            "qual e il tuo insta",
            "dammi il tuo numero",
        ],
        Indicator.ISOLATION: [
            "solo io ti capisco",
            "i tuoi non ti capiscono",
            "puoi fidarti di me",
            "nessuno ti capisce come me",
            "ti basto io",
            "sono l'unico che ti capisce",
        ],
        Indicator.GIFTS: [
            "ti compro i robux",
            "ti regalo una gift card",
            "ti mando dei soldi",
            "posso regalarti la skin nuova",
            "vbucks gratis per te",
            "ti faccio una ricarica, ti ricarico io",
        ],
        Indicator.IMAGES: [
            "mandami una foto",
            "accendi la cam",
            "fammi vedere una foto di te",
            "facciamo una videochiamata",
            "mandami un selfie",
            "cosa hai addosso",
        ],
        Indicator.MEETING: [
            "vediamoci sabato",
            "ti vengo a prendere dopo scuola",
            "dovremmo vederci",
            "quando ci vediamo?",
            "vieni da me",
            "usciamo insieme noi due",
        ],
        Indicator.FLATTERY: [
            "sei cosi matura per la tua eta",
            "sembri piu grande",
            "non sei come le altre della tua eta",
            "nn sembri una ragazzina",
            "sei davvero matura per la tua eta",
            "dimostri molto piu grande",
        ],
    },
}

#: What the child says back: neutral, whatever was asked.
REPLIES: dict[str, list[str]] = {
    "en": ["idk", "ok", "maybe", "haha", "why", "sure", "i guess", "lol ok", "hmm", "yeah",
           "i dont know", "k"],
    "fr": ["jsp", "ok", "peut-etre", "mdr", "pourquoi", "d'accord", "bof", "ah ok", "hmm", "oui",
           "je sais pas", "ouais"],
    "de": ["weiß nicht", "ok", "vielleicht", "haha", "warum", "klar", "keine ahnung", "lol ok",
           "hmm", "ja", "kp", "jo"],
    "it": ["boh", "ok", "forse", "ahah", "perche", "certo", "nn so", "lol ok", "mmh", "si",
           "non lo so", "vabbe"],
}  # fmt: skip

#: Everyday exchanges that hold one or two cues in an innocent setting: ([(line, reply, the
#: indicator the line shows)], roles). Roles name who says the line and who answers, as
#: declared to bastion (when the platform knows).
HARD_NEGATIVES: dict[
    str, list[tuple[list[tuple[str, str, Indicator | None]], tuple[str | None, str | None]]]
] = {
    "en": [
        (
            [
                (
                    "we're throwing mom a surprise party, dont tell her!",
                    "i wont",
                    Indicator.SECRECY,
                ),
                ("lets meet at the mall to buy her a gift", "ok after school", Indicator.MEETING),
            ],
            ("minor", "minor"),
        ),
        (
            [
                ("what grade are you in now?", "year 8", Indicator.AGE),
                ("send me a photo of your worksheet and i'll check it", "ok", Indicator.IMAGES),
            ],
            ("teacher", "minor"),
        ),
        (
            [
                ("are you home alone? i'll be back at 6", "yes", Indicator.SUPERVISION),
                ("dont forget to lock the door", "ok mum", None),
            ],
            ("parent", "minor"),
        ),
        (
            [
                ("i'll give you 500 robux for your dragon skin", "deal", Indicator.GIFTS),
                ("add me on discord so we can trade", "ok", Indicator.CHANNEL),
            ],
            ("minor", "minor"),
        ),
        (
            [
                ("lets meet at the library after class to study", "sure", Indicator.MEETING),
                (
                    "which school do you go to again? the quiz is at mine",
                    "north high",
                    Indicator.SCHOOL,
                ),
            ],
            ("minor", "minor"),
        ),
        (
            [("how old are you?", "14, you?", Indicator.AGE), ("same!", "cool", None)],
            ("minor", "minor"),
        ),
        (
            [
                (
                    "where do you live? i'll drop off your jacket",
                    "next to the bakery",
                    Indicator.LOCATION,
                )
            ],
            ("parent", "minor"),
        ),
        ([("keep it a secret, the gift is for dad", "ok", Indicator.SECRECY)], (None, None)),
    ],
    "fr": [
        (
            [
                (
                    "on prepare une fete surprise pour maman, dis le a personne",
                    "promis",
                    Indicator.SECRECY,
                ),
                (
                    "on se voit au centre commercial pour le cadeau",
                    "ok apres les cours",
                    Indicator.MEETING,
                ),
            ],
            ("minor", "minor"),
        ),
        (
            [
                ("t'es en quelle classe cette annee ?", "en 4e", Indicator.AGE),
                ("envoie-moi une photo de ton exercice, je corrige", "ok", Indicator.IMAGES),
            ],
            ("teacher", "minor"),
        ),
        (
            [
                ("t'es seule a la maison ? je rentre a 18h", "oui", Indicator.SUPERVISION),
                ("ferme bien la porte", "ok maman", None),
            ],
            ("parent", "minor"),
        ),
        (
            [
                ("je t'offre 500 robux pour ton skin dragon", "ok", Indicator.GIFTS),
                ("ajoute-moi sur discord pour l'echange", "ok", Indicator.CHANNEL),
            ],
            ("minor", "minor"),
        ),
        (
            [
                ("on se retrouve a la bibliotheque apres les cours ?", "oui", Indicator.MEETING),
                ("tu as quel age deja ? 13 ?", "14", Indicator.AGE),
            ],
            ("minor", "minor"),
        ),
    ],
    "de": [
        (
            [
                (
                    "wir machen ne überraschungsparty für mama, sag es niemandem",
                    "versprochen",
                    Indicator.SECRECY,
                ),
                (
                    "lass uns im einkaufszentrum treffen wegen dem geschenk",
                    "ok nach der schule",
                    Indicator.MEETING,
                ),
            ],
            ("minor", "minor"),
        ),
        (
            [
                ("in welche klasse gehst du dieses jahr?", "in die 8.", Indicator.AGE),
                (
                    "schick mir ein foto von deinem arbeitsblatt, ich schau drüber",
                    "ok",
                    Indicator.IMAGES,
                ),
            ],
            ("teacher", "minor"),
        ),
        (
            [
                ("bist du allein zu hause? ich bin um 18 uhr da", "ja", Indicator.SUPERVISION),
                ("schließ die tür ab", "ok mama", None),
            ],
            ("parent", "minor"),
        ),
        (
            [
                ("ich geb dir 500 robux für deinen drachenskin", "deal", Indicator.GIFTS),
                ("adde mich auf discord zum tauschen", "ok", Indicator.CHANNEL),
            ],
            ("minor", "minor"),
        ),
        (
            [
                (
                    "wollen wir uns nach dem unterricht in der bibliothek treffen?",
                    "klar",
                    Indicator.MEETING,
                ),
                (
                    "auf welche schule gehst du nochmal? das quiz ist bei uns",
                    "gesamtschule nord",
                    Indicator.SCHOOL,
                ),
            ],
            ("minor", "minor"),
        ),
        (
            [("wie alt bist du?", "14, und du?", Indicator.AGE), ("gleich!", "cool", None)],
            ("minor", "minor"),
        ),
    ],
    "it": [
        (
            [
                (
                    "facciamo una festa a sorpresa per la mamma, non dirlo a nessuno",
                    "promesso",
                    Indicator.SECRECY,
                ),
                (
                    "vediamoci al centro commerciale per il regalo",
                    "ok dopo scuola",
                    Indicator.MEETING,
                ),
            ],
            ("minor", "minor"),
        ),
        (
            [
                ("in che classe sei quest'anno?", "in seconda", Indicator.AGE),
                ("mandami una foto della scheda e te la correggo", "ok", Indicator.IMAGES),
            ],
            ("teacher", "minor"),
        ),
        (
            [
                ("sei da sola a casa? torno alle sei", "si", Indicator.SUPERVISION),
                ("chiudi bene la porta", "ok mamma", None),
            ],
            ("parent", "minor"),
        ),
        (
            [
                ("ti do 500 robux per la tua skin del drago", "affare", Indicator.GIFTS),
                ("aggiungimi su discord per lo scambio", "ok", Indicator.CHANNEL),
            ],
            ("minor", "minor"),
        ),
        (
            [
                ("dove ci vediamo per studiare, in biblioteca?", "si", Indicator.MEETING),
                ("a che scuola vai tu? la gara e da noi", "al volta", Indicator.SCHOOL),
            ],
            ("minor", "minor"),
        ),
        (
            [("quanti anni hai?", "14, tu?", Indicator.AGE), ("uguale!", "figo", None)],
            ("minor", "minor"),
        ),
    ],
}
