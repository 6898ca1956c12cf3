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
    "es": {
        "juegos": (
            [
                "gg esa partida estuvo buenisima",
                "que rango tienes ahora",
                "ya tienes el mapa nuevo",
                "tu build esta muy bien",
                "jugamos otra mas tarde",
                "ese jefe me costo un monton",
            ],
            [
                "jaja si",
                "solo plata",
                "todavia no",
                "la copie de un video",
                "despues de cenar",
                "a mi tmb",
            ],
        ),
        "musica": (
            [
                "escuchaste el disco nuevo",
                "cual es tu cancion favorita",
                "yo tambien toco la guitarra",
                "tu cover estuvo genial",
                "te puedo pasar unas tablaturas",
                "viste el videoclip",
            ],
            ["si es buenisimo", "la segunda creo", "que guay desde cuando", "gracias", "ok", "no"],
        ),
        "dibujo": (
            [
                "tu dibujo del zorro es increible",
                "que pinceles usas",
                "me encantan los colores",
                "aceptas pedidos",
                "probaste dibujar en digital",
                "sube mas dibujos",
            ],
            ["graciasss", "los normales", "los mezclo yo", "a veces", "quiero una tableta", "vale"],
        ),
        "deportes": (
            [
                "que buen partido el sabado",
                "en que posicion juegas",
                "tu equipo se veia fuerte",
                "entrenas todas las semanas",
                "yo entrene un equipo hace años",
                "sigue practicando ese tiro",
            ],
            [
                "ganamos 3 a 1",
                "de medio",
                "entrenamos mucho",
                "dos veces por semana",
                "que bien",
                "dale",
            ],
        ),
        "mascotas": (
            [
                "tu perrito es muy lindo",
                "de que raza es",
                "cuantos años tiene",
                "sabe hacer trucos",
                "yo tenia un perro asi",
                "sube mas fotos de ella",
            ],
            [
                "se llama galleta",
                "es mezcla de beagle",
                "casi dos",
                "se sienta y da la pata",
                "aww",
                "ok",
            ],
        ),
        "tareas": (
            [
                "terminaste la hoja de mate",
                "las fracciones son mas faciles de lo que parecen",
                "te lo puedo explicar",
                "cual es el siguiente tema",
                "te salio muy bien ese",
                "lee bien el enunciado",
            ],
            ["todavia no", "odio las fracciones", "ok gracias", "decimales creo", "bien", "ok"],
        ),
    },
    "pt": {
        "jogos": (
            [
                "gg essa partida foi insana",
                "qual teu rank agora",
                "ja pegou o mapa novo",
                "tua build ta muito boa",
                "bora jogar mais tarde",
                "esse chefao demorou demais",
            ],
            [
                "kkk sim",
                "so prata",
                "ainda nao",
                "copiei de um video",
                "depois da janta",
                "pra mim tb",
            ],
        ),
        "musica": (
            [
                "ouviu o album novo",
                "qual tua musica preferida",
                "eu tambem toco violao",
                "teu cover ficou incrivel",
                "posso te passar umas cifras",
                "viu o clipe",
            ],
            ["sim e mt bom", "a segunda acho", "que legal desde quando", "obg", "ok", "nao"],
        ),
        "desenho": (
            [
                "teu desenho da raposa ta lindo",
                "que pinceis vc usa",
                "amei as cores",
                "vc aceita encomendas",
                "ja tentou desenhar no digital",
                "posta mais desenhos",
            ],
            [
                "brigadaaa",
                "os normais",
                "eu misturo",
                "as vezes",
                "quero uma mesa digitalizadora",
                "ok",
            ],
        ),
        "esportes": (
            [
                "que jogo bom no sabado",
                "vc joga em que posicao",
                "teu time tava forte",
                "vc treina toda semana",
                "eu treinei um time faz tempo",
                "continua treinando esse chute",
            ],
            [
                "ganhamos de 3 a 1",
                "meio campo",
                "a gente treina muito",
                "duas vezes",
                "legal",
                "blz",
            ],
        ),
        "animais": (
            [
                "teu cachorrinho e muito fofo",
                "qual a raca dela",
                "quantos anos ela tem",
                "ela faz truques",
                "eu tinha um cachorro assim",
                "posta mais fotos dela",
            ],
            [
                "o nome dela e bolacha",
                "mistura de beagle",
                "quase dois",
                "ela senta e da a pata",
                "own",
                "ok",
            ],
        ),
        "licao": (
            [
                "terminou a lista de matematica",
                "fracao e mais facil do que parece",
                "posso te explicar",
                "qual e a proxima materia",
                "vc foi bem nessa",
                "le o enunciado com calma",
            ],
            ["ainda nao", "odeio fracao", "ok valeu", "decimais acho", "eba", "ok"],
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
    "es": {
        Indicator.AGE: [
            "cuantos años tienes?",
            "y vos cuantos años tenes",
            "en que curso estas",
            "q edad tienes",
            "tas en secundaria?",
            "tienes 13?",
        ],
        Indicator.SCHOOL: [
            "a que cole vas",
            "en q escuela estudias",
            "como se llama tu colegio",
            "donde estudias",
            "a que insti vas",
            "cual es tu escuela",
        ],
        Indicator.LOCATION: [
            "donde vives",
            "en que barrio vivis",
            "pasame tu ubicacion",
            "cual es tu direccion",
            "dnd vives exactamente",
            "comparte tu ubicacion",
        ],
        Indicator.SUPERVISION: [
            "estas sola en casa?",
            "hay alguien en tu casa",
            "tus papas te revisan el celu?",
            "a que hora llegan tus papas",
            "tas solita ahora?",
            "donde estan tus padres",
        ],
        Indicator.SECRECY: [
            "no le digas a nadie",
            "es nuestro secreto",
            "borra los mensajes despues",
            "no se lo cuentes a tus papas",
            "esto queda entre tu y yo",
            "nadie tiene que saberlo",
        ],
        Indicator.CHANNEL: [
            "agregame en insta",
            "tenes wsp?",
            "hablemos por privado",
            "pasame tu numero",
            "tienes discord?",
            "sigamos por telegram",
        ],
        Indicator.ISOLATION: [
            "solo yo te entiendo",
            "tus papas no te entienden",
            "puedes confiar en mi",
            "nadie te entiende como yo",
            "soy el unico que te entiende",
            "confia en mi",
        ],
        Indicator.GIFTS: [
            "te compro robux",
            "te puedo regalar una tarjeta de regalo",
            "te paso plata si quieres",
            "te regalo la skin nueva",
            "te mando 1000 pavos",
            "te recargo el saldo",
        ],
        Indicator.IMAGES: [
            "mandame una foto",
            "prende la camara",
            "pasame una selfie",
            "hacemos videollamada?",
            "q llevas puesto",
            "enviame una foto tuya",
        ],
        Indicator.MEETING: [
            "podriamos vernos",
            "te paso a buscar a la salida",
            "donde quedamos",
            "nos juntamos este finde?",
            "vente a mi casa",
            "quieres que nos veamos? podemos vernos el sabado",
        ],
        Indicator.FLATTERY: [
            "eres muy madura para tu edad",
            "pareces mucho mayor",
            "no sos como las otras",
            "no hablas como una nena",
            "sos re madura para tu edad",
            "aparentas mas edad",
        ],
    },
    "pt": {
        Indicator.AGE: [
            "quantos anos vc tem?",
            "tu tens quantos anos",
            "qual a sua idade",
            "em que ano vc ta",
            "ta no 7 ano?",
            "vc tem 13?",
        ],
        Indicator.SCHOOL: [
            "em qual escola vc estuda",
            "onde vc estuda",
            "como chama sua escola",
            "qual e o teu colegio",
            "tu andas em que escola",
            "vc estuda onde",
        ],
        Indicator.LOCATION: [
            "onde vc mora",
            "onde moras",
            "me passa seu endereco",
            "compartilha sua localizacao",
            "vc mora em que bairro",
            "qual a tua morada",
        ],
        Indicator.SUPERVISION: [
            "vc ta sozinha em casa?",
            "tem alguem em casa",
            "seus pais olham seu celular?",
            "que horas teus pais chegam",
            "tas sozinha agora?",
            "cade seus pais",
        ],
        Indicator.SECRECY: [
            "n conta pra ngm",
            "e o nosso segredinho",
            "apaga as mensagens depois",
            "nao contes aos teus pais",
            "fica so entre a gente",
            "ninguem pode saber",
        ],
        Indicator.CHANNEL: [
            "me chama no zap",
            "vc tem insta?",
            "bora conversar no pv",
            "me passa teu numero",
            "tens discord?",
            "adiciona-me no snap",
        ],
        Indicator.ISOLATION: [
            "so eu te entendo",
            "teus pais nao te entendem",
            "pode confiar em mim",
            "ninguem te entende como eu",
            "sou o unico que te entende",
            "confia em mim",
        ],
        Indicator.GIFTS: [
            "te compro robux",
            "posso te dar um cartao presente",
            "te faco um pix",
            "te dou a skin nova",
            "te mando 1000 v-bucks",
            "posso te recarregar o saldo",
        ],
        Indicator.IMAGES: [
            "me manda uma foto",
            "liga a camera",
            "manda uma selfie",
            "bora fazer chamada de video?",
            "oq vc ta vestindo",
            "envia-me uma foto tua",
        ],
        Indicator.MEETING: [
            "a gente podia se encontrar",
            "posso te buscar na saida",
            "onde a gente se encontra",
            "vamos nos ver pessoalmente",
            "vem pra minha casa",
            "que tal a gente se conhecer ao vivo",
        ],
        Indicator.FLATTERY: [
            "vc e muito madura pra sua idade",
            "vc parece bem mais velha",
            "vc nao e igual as outras",
            "vc nao fala como uma crianca",
            "tu es tao madura para a tua idade",
            "tu pareces mais velha",
        ],
    },
}

#: What the child says back: neutral, whatever was asked.
REPLIES: dict[str, list[str]] = {
    "en": ["idk", "ok", "maybe", "haha", "why", "sure", "i guess", "lol ok", "hmm", "yeah",
           "i dont know", "k"],
    "fr": ["jsp", "ok", "peut-etre", "mdr", "pourquoi", "d'accord", "bof", "ah ok", "hmm", "oui",
           "je sais pas", "ouais"],
    "es": ["nose", "ok", "puede ser", "jaja", "por?", "vale", "supongo", "jaja ok", "mmm", "si",
           "no se", "dale"],
    "pt": ["sei la", "ok", "talvez", "kkk", "pq?", "blz", "acho que sim", "kkk ok", "hmm", "sim",
           "nao sei", "ata"],
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
    "es": [
        (
            [
                (
                    "le hacemos una fiesta sorpresa a mama, no le digas a nadie",
                    "vale",
                    Indicator.SECRECY,
                ),
                (
                    "quedamos el sabado en el centro para comprarle el regalo",
                    "ok",
                    Indicator.MEETING,
                ),
            ],
            ("minor", "minor"),
        ),
        (
            [
                ("en que curso estas este año?", "en 2 de la eso", Indicator.AGE),
                ("mandame una foto del ejercicio y lo corrijo", "ok", Indicator.IMAGES),
            ],
            ("teacher", "minor"),
        ),
        (
            [
                ("estas sola en casa? llego a las 6", "si", Indicator.SUPERVISION),
                ("cierra bien la puerta", "ok ma", None),
            ],
            ("parent", "minor"),
        ),
        (
            [
                ("te doy 500 robux por tu skin de dragon", "trato", Indicator.GIFTS),
                ("agregame en discord para el cambio", "ok", Indicator.CHANNEL),
            ],
            ("minor", "minor"),
        ),
        (
            [
                (
                    "nos juntamos despues de clase en la biblioteca para estudiar?",
                    "si",
                    Indicator.MEETING,
                ),
                ("cuantos años tienes? 13?", "14", Indicator.AGE),
            ],
            ("minor", "minor"),
        ),
        (
            [("donde vives? te llevo la chaqueta", "al lado de la panaderia", Indicator.LOCATION)],
            ("parent", "minor"),
        ),
    ],
    "pt": [
        (
            [
                (
                    "vamos fazer uma festa surpresa pra mae, nao conta pra ninguem",
                    "prometo",
                    Indicator.SECRECY,
                ),
                (
                    "a gente se encontra no shopping pra comprar o presente",
                    "ok depois da aula",
                    Indicator.MEETING,
                ),
            ],
            ("minor", "minor"),
        ),
        (
            [
                ("em que ano vc ta esse ano?", "no 8 ano", Indicator.AGE),
                ("me manda uma foto da tua redacao que eu corrijo", "ok", Indicator.IMAGES),
            ],
            ("teacher", "minor"),
        ),
        (
            [
                ("ta sozinha em casa? chego as 6", "sim", Indicator.SUPERVISION),
                ("tranca bem a porta", "ok mae", None),
            ],
            ("parent", "minor"),
        ),
        (
            [
                ("te dou 500 robux pela tua skin de dragao", "fechado", Indicator.GIFTS),
                ("me add no discord pra gente trocar", "ok", Indicator.CHANNEL),
            ],
            ("minor", "minor"),
        ),
        (
            [
                ("onde a gente se encontra pra estudar? na biblioteca?", "sim", Indicator.MEETING),
                ("quantos anos vc tem mesmo? 13?", "14", Indicator.AGE),
            ],
            ("minor", "minor"),
        ),
        (
            [("onde vc mora? levo teu casaco", "do lado da padaria", Indicator.LOCATION)],
            ("parent", "minor"),
        ),
    ],
}
