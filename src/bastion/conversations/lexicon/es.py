"""Spanish indicator phrases (Spain and Latin America, with voseo), over normalised text
(lower case, accents removed: ``años`` is ``anos``, ``¿dónde?`` is ``¿donde?``). Chat
spellings are written in: ``q``/``k`` for "que", ``xq``, ``dnd``, ``tenes``/``tenis`` beside
``tienes``, ``celu``, ``wsp``."""

from __future__ import annotations

from bastion.conversations.cues import Indicator

Q = r"(?:que|q|k|ke)"
#: "you have", in tú, vos (Río de la Plata) and Chilean forms.
TIENES = r"(?:tienes|tenes|tenis|teni|tiene usted)"
#: "are you", in tú, vos and Chilean forms, and clipped as people type it.
ESTAS = r"(?:estas|tas|stas|estai|esta usted)"
PADRES = r"(?:padres|papas|papa|mama|mami|papi|madre|padre|jefes|viejos|vieja|viejo|familia)"
TUS = r"(?:tus|tu)"
SCHOOLS = r"(?:cole|colegio|escuela|insti|instituto|liceo|prepa|secundaria|secu)"
APPS = (
    r"(?:snap(?:chat)?|insta(?:gram)?|ig|discord|telegram|whats ?app|wasap|guasap|wsp|wpp|kik"
    r"|signal|skype|facetime)"
)
PHONE = r"(?:celu(?:lar)?|cel|movil|telefono|mensajes|msjs?|chats?|whats|wsp|conversaciones)"
#: What follows "a photo" when it is of schoolwork, not of the person.
NOT_HOMEWORK = (
    r"(?! de (?:la |el |los |las |tu |tus )?(?:tarea|deberes|ejercicio|examen|apuntes|libro"
    r"|cuaderno|trabajo|pizarra))"
)
MONEY = r"(?:dinero|plata|lana|pasta|guita|pesos|euros|bizum)"
ITEMS = (
    r"(?:robux|pavos|v[ -]?bucks|skins?|regalos?|regalitos?|tarjetas? (?:de )?regalo|gift ?cards?"
    r"|nitro|gemas|diamantes|monedas|recarga|saldo|lo (?:que|q) quieras)"
)

PATTERNS: dict[Indicator, list[str]] = {
    Indicator.AGE: [
        rf"\bcuantos anos {TIENES}\b",
        rf"\b{TIENES} cuantos anos\b",
        rf"\b{Q} edad {TIENES}\b",
        rf"\b(?:cual es tu edad|{Q} edad\s*\?)",
        rf"\ben {Q} (?:curso|grado|ano) (?:estas|vas|andas|estai)\b",
        rf"\b{ESTAS} en (?:la )?(?:primaria|secundaria|secu|prepa|la eso|(?:1|2|3|primero|segundo|tercero) de (?:la )?eso)\b",
        rf"\b{TIENES} (?:1[0-7]|diez|once|doce|trece|catorce|quince)(?: anos\b|\s*\?)",
        r"^\s*¿?\s*edad\s*\?",
    ],
    Indicator.SCHOOL: [
        rf"\b(?:a |en |de )?(?:{Q}|cual) {SCHOOLS} (?:vas|vais|asistes|andas|estudias|estas)\b",
        r"\b(?:donde|dnd) (?:estudias|vas al (?:cole|colegio|insti|instituto|liceo)|vas a la (?:escuela|secu|prepa|secundaria))\b",
        rf"\bcomo se llama tu {SCHOOLS}\b",
        rf"\bcual es tu {SCHOOLS}\b",
    ],
    Indicator.LOCATION: [
        r"\b(?:donde|dnd) (?:vives|vivis|vivi|estas viviendo|queda tu casa)\b",
        r"\bde (?:donde|dnd) (?:eres|sos) exactamente\b",
        rf"\ben {Q} (?:ciudad|barrio|pueblo|zona|colonia|comuna|calle) (?:vives|vivis|vivi)\b",
        r"\b(?:cual es|dame|pasame|mandame|dime|decime|enviame|pasa|manda) tu (?:direccion|ubicacion|ubi|calle|domicilio)\b",
        r"\b(?:comparte|compartime|comparteme|compartir) (?:tu|la) (?:ubicacion|ubi|localizacion)\b",
    ],
    Indicator.SUPERVISION: [
        rf"\b{ESTAS} (?:sol[oa]|solit[oa])\b",
        rf"\b(?:hay|esta|estan) (?:alguien|algn|alguien mas|{TUS} {PADRES}) (?:mas )?(?:en (?:tu |la )?casa|ahi|contigo|despiert[oa]s?|mirando)\b",
        rf"\b{TUS} {PADRES} (?:te )?(?:revisan?|miran?|leen?|ven|chequean?|checan?|controlan?) (?:el |tu |los |tus )?{PHONE}\b",
        rf"\b(?:a {Q} hora|cuando) (?:llegan?|vuelven?|regresan?|se van|salen|se duermen|se acuestan) {TUS} {PADRES}\b",
        rf"\b(?:a {Q} hora|cuando) {TUS} {PADRES} (?:llegan?|vuelven?|regresan?|se van|salen|se duermen|se acuestan)\b",
        rf"\b(?:donde|dnd) (?:estan|esta) {TUS} {PADRES}\b",
        r"\btu puerta (?:tiene|esta) (?:llave|cerrada|con llave|con seguro)\b",
    ],
    Indicator.SECRECY: [
        rf"\bno (?:se lo |se la |le |les |lo )?(?:digas|cuentes|comentes|menciones)(?: nada| esto| eso)? a (?:nadie|ninguno|ninguna|{TUS} {PADRES}|tus amig[oa]s|tu amig[oa])\b",
        r"\ba nadie (?:le )?(?:digas|cuentes)\b",
        r"\b(?:es|sera|este es) (?:nuestro|un) (?:pequeno |peque )?secreto\b",
        r"\bnuestro (?:pequeno |peque )?secreto\b",
        r"\b(?:queda|que quede|quede|sea) entre (?:nosotros|nosotras|tu y yo|vos y yo)\b",
        r"\bentre (?:tu y yo|vos y yo|nosotros dos)\b",
        r"\b(?:borra|borras|elimina|eliminas|borremos|borrar) (?:los|nuestros|estos|el|este|nuestro|la|esta|todos los|todo el|las|estas) (?:mensajes?|msjs?|mensajitos|chats?|conversacion|conver|historial|fotos?)\b",
        r"\bborr(?:a|alo|alos|ala|alas|emos) (?:todo )?(?:despues|luego|al terminar)\b",
        rf"\b{TUS} {PADRES} no (?:pueden|puede|tienen que|deben|debe) (?:saber(?:lo)?|enterarse|ver esto)\b",
        r"\bnadie (?:tiene que|puede|debe|se tiene que|se puede) (?:saber(?:lo)?|enterar(?:se)?)\b",
        r"\bguarda(?:me)? (?:el|este|nuestro) secreto\b",
    ],
    Indicator.CHANNEL: [
        rf"\b(?:agregame|anademe|sigueme|seguime|escribeme|escribime|hablame) (?:en|al|por) {APPS}\b",
        rf"\b{TIENES} {APPS}\b",
        rf"\b(?:cual es|pasame|dame|pasa|decime|dime) tu {APPS}\b",
        rf"\b(?:hablemos|sigamos|pasemos|vamos|mejor hablamos|podemos hablar|hablamos|seguimos) (?:mejor )?(?:por|en|a|al) (?:{APPS}|privado|priv|dm|md|inbox)\b",
        r"\b(?:mandame|escribeme|escribime|hablame) (?:un )?(?:al |por |en )?(?:md|dm|privado|inbox|priv)\b",
        r"\b(?:dame|pasame|pasa|mandame|decime|dime) tu (?:numero|num|cel|celu|celular|telefono|whats|wsp|wpp)\b",
    ],
    Indicator.ISOLATION: [
        r"\b(?:solo yo|nadie mas que yo|soy el unico (?:que|q)|soy la unica (?:que|q)) (?:de verdad |realmente )?te (?:entiendo|entiende|comprendo|comprende|cuido|cuida|valoro|valora)\b",
        rf"\b{TUS} {PADRES} no te (?:entienden?|comprenden?|escuchan?|valoran?|hacen caso)\b",
        r"\bnadie (?:mas )?te (?:entiende|comprende|quiere|cuida|escucha|valora) (?:como yo|tanto como yo|igual que yo)\b",
        r"\b(?:puedes|podes|podi) confiar en mi\b",
        r"\bconfia en mi\b",
        r"\b(?:tus amig[oa]s no (?:te )?(?:entienden|comprenden|valoran)|a tus amig[oa]s no les importas)\b",
        r"\b(?:solo me necesitas a mi|soy todo lo (?:que|q) necesitas|no necesitas a nadie mas)\b",
    ],
    Indicator.GIFTS: [
        rf"\bte (?:compro|comprare|regalo|regalare|mando|envio|paso|doy|recargo|consigo) (?:un |una |unos |unas |el |la |los |las |mas )?(?:\d+ )?{ITEMS}\b",
        rf"\bte (?:puedo|voy a|podria|quieres que te) (?:comprar|regalar|mandar|enviar|pasar|dar|pagar|recargar|conseguir) (?:un |una |unos |unas |el |la |los |las |mas )?(?:\d+ )?(?:{ITEMS}|{MONEY}|algo)\b",
        r"\b(?:robux|pavos|v[ -]?bucks|nitro|gemas|diamantes|tarjetas? de regalo|gift ?cards?)\b.*\b(?:gratis|para ti|pa ti|para vos|te (?:los|las|lo|la) (?:compro|regalo|doy|paso|mando))\b",
        r"\b(?:gratis|regalo)\b.*\b(?:robux|v[ -]?bucks|nitro|pavos)\b",
        rf"\bte (?:mando|envio|paso|deposito|transfiero|hago) (?:un poco de |algo de |un )?{MONEY}\b",
        rf"\b{Q} te compre (?:algo|lo (?:que|q) quieras)\b",
    ],
    Indicator.IMAGES: [
        rf"\b(?:(?:mandame|enviame|pasame|mostrame|muestrame|ensename) (?:una |un |unas |unos |otra |mas |tu |tus )?|(?:manda|envia) (?:una |un |unas |unos |otra |mas |tu |tus ))(?:fotos?|fotitos?|pics?|selfies?|snaps?|imagen(?:es)?)\b{NOT_HOMEWORK}",
        r"\b(?:prende|enciende|activa|pon|pone|abre|abri|prendes|enciendes|pones) (?:la|tu) (?:cam|camara|webcam|camarita)\b",
        r"\b(?:hacemos|hagamos|quieres hacer|queres hacer|te hago) (?:una )?(?:videollamada|video ?llamada|facetime|llamada de video)\b",
        rf"\b{Q} (?:llevas|tienes|tenes|traes) puesto\b",
        r"\b(?:muestrate|mostrate|dejame verte)\b",
    ],
    Indicator.MEETING: [
        r"\b(?:podriamos|podemos|deberiamos|quieres|queres|te gustaria|y si|cuando podemos|vamos a) (?:vernos|quedar|juntarnos|encontrarnos|conocernos)\b",
        r"\b(?:quedamos|nos juntamos|nos encontramos|nos vemos) (?:en persona|a solas|solos|este finde|este fin de semana|el finde|esta noche|el sabado|el domingo|en el parque|en el centro|despues de clase)\b",
        r"\b(?:donde|dnd|cuando) (?:quedamos|nos vemos|nos juntamos|nos encontramos|podemos vernos|nos podemos ver)\b",
        r"\bte (?:paso a buscar|paso a recoger|voy a buscar|voy a recoger|recojo|busco) (?:a la salida|al cole|a tu casa|despues|mas tarde|manana|en)?\b",
        r"\b(?:ven|veni|vente|venite|escapate) (?:a|pa|para) mi casa\b",
        r"\b(?:voy|paso|puedo ir|puedo pasar) (?:a|por) tu casa\b",
    ],
    Indicator.FLATTERY: [
        r"\b(?:eres|sos|estas|sos re) (?:muy |tan |re |super |bastante |mega |demasiado )?madur[oa] para tu edad\b",
        r"\b(?:pareces|aparentas|pareces de) (?:mucho |mas |re |muy )?(?:mayor|madur[oa]|mas grande|mas mayor|mas edad)\b",
        r"\bno (?:hablas|actuas|pareces|te comportas|escribes) como (?:una? )?(?:nin[oa]|nen[oa]|cri[oa]|chiquill[oa]|pibe|piba|mocos[oa])\b",
        r"\bno (?:eres|sos) como (?:las otras|los otros|otras|otros|las demas|los demas|el resto)(?: chic[oa]s| nin[oa]s| de tu edad)?\b",
    ],
}

#: Prototypes of each indicator for the meaning layer: the ways people really ask, mostly
#: in other words than the patterns use.
EXAMPLES: dict[Indicator, list[str]] = {
    Indicator.AGE: [
        "y tu de que año eres",
        "cuantos cumples este año?",
        "pareces chiquita, q edad tenes",
        "ya vas al instituto o todavia no",
        "en q año naciste",
        "sos menor no?",
        "todavia estas en primaria?",
        "cuantos añitos tienes",
        "eres de 6to o de 1ro de la eso?",
        "ya cumpliste los 13 o aun no",
        "que edad tenes vos",
    ],
    Indicator.SCHOOL: [
        "a q cole vas",
        "tu cole es el que esta cerca del parque?",
        "en que insti estudias tu",
        "como se llama tu escuela",
        "vas al colegio publico o al privado",
        "sales de clase a las 2 verdad, de que escuela?",
        "llevas uniforme en tu cole? cual es",
        "tu profe de mate es de tu mismo colegio?",
        "donde estudias",
        "a que secundaria vas",
    ],
    Indicator.LOCATION: [
        "de que parte de la ciudad eres",
        "por donde queda tu casa",
        "vives cerca del centro o lejos",
        "en que barrio vivis",
        "mandame tu ubi",
        "que calle es la tuya",
        "tu casa esta cerca de algun metro?",
        "dime la direccion y te lo mando",
        "de donde sos exactamente",
        "vives en un piso o en una casa, por que zona",
    ],
    Indicator.SUPERVISION: [
        "tu mama te revisa el telefono?",
        "hay alguien en tu casa ahora",
        "tus viejos estan despiertos?",
        "a que hora se duermen tus papas",
        "estas solita ahora?",
        "tus padres leen tus chats?",
        "tu cuarto tiene seguro?",
        "los moderadores leen los privados aqui?",
        "tu hermano esta cerca o puedes hablar tranquila",
        "tus papas trabajan hasta tarde?",
    ],
    Indicator.SECRECY: [
        "esto queda entre tu y yo",
        "borra el chat cuando terminemos ok",
        "no le cuentes a tu mama q hablamos",
        "que nadie se entere de esto",
        "si alguien pregunta no me conoces",
        "borralo despues",
        "sera nuestro secreto",
        "tus amigas no tienen por que saber",
        "elimina la conver despues de leerla",
        "ni se te ocurra decirle a tus papas",
    ],
    Indicator.CHANNEL: [
        "aqui no se puede hablar bien, pasate a otra app",
        "tenes insta?",
        "agregame en snap mejor",
        "sigamos por wsp",
        "pasame tu numero y te escribo",
        "mejor hablamos en un sitio mas privado",
        "tienes discord? ahi estamos mas tranquilos",
        "escribeme al privado",
        "cual es tu telegram",
        "vamonos a otro lado donde no nos lean",
    ],
    Indicator.ISOLATION: [
        "yo si te entiendo no como los demas",
        "tus papas no te escuchan nunca",
        "conmigo puedes ser tu misma",
        "nadie te quiere como yo",
        "tus amigas son unas falsas, yo no",
        "solo me tienes a mi",
        "puedes confiar en mi para todo",
        "tu familia no sabe lo que vales",
        "nadie mas te va a entender asi",
        "yo estoy para ti siempre, ellos no",
    ],
    Indicator.GIFTS: [
        "te compro pavos si quieres",
        "te puedo regalar una tarjeta de regalo",
        "si te portas bien te mando robux",
        "te paso plata para tu recarga",
        "quieres el pase de batalla? yo te lo pago",
        "te hago un bizum",
        "dime q skin quieres y es tuya",
        "te recargo el saldo del celu",
        "puedo conseguirte diamantes gratis",
        "te invito a lo que quieras cuando quieras",
    ],
    Indicator.IMAGES: [
        "mandame una foto tuya",
        "pasame una selfie",
        "prende la camara un rato",
        "hacemos videollamada?",
        "quiero ver como eres, manda foto",
        "dejame verte",
        "q tenes puesto ahora",
        "ponte en la cam",
        "sube una foto solo para mi",
        "muestrame como te ves hoy",
    ],
    Indicator.MEETING: [
        "deberiamos conocernos en persona",
        "te paso a buscar despues de clase",
        "donde quedamos?",
        "vente a mi casa el sabado",
        "nos juntamos este finde?",
        "puedo ir a tu casa cuando no esten",
        "te espero en la parada a la salida",
        "tomemos algo juntos algun dia",
        "escapate un rato esta noche",
        "cuando nos vemos en la vida real",
    ],
    Indicator.FLATTERY: [
        "eres muy madura para tu edad",
        "pareces mucho mayor",
        "no hablas como una nena",
        "no sos como las otras pibas",
        "hablas como alguien de veinte",
        "se nota que eres mas lista que los de tu clase",
        "tienes la mente de una adulta",
        "no pareces de tu edad para nada",
        "los chicos de tu edad no te merecen",
        "eres diferente a las demas, mas madura",
    ],
}

#: Everyday lines, near-misses included, that are no cue.
EVERYDAY: list[str] = [
    "hola que tal",
    "como te fue el examen",
    "jajaja q risa",
    "tqm amiga",
    "ntp ya lo hago yo",
    "xq no viniste hoy",
    "tmb me gusta esa cancion",
    "avisame cuando llegues a casa",
    "mandame la foto de los deberes",
    "cuantos años tiene tu perro",
    "quedamos en la biblioteca para el trabajo en grupo",
    "tu dibujo esta genial",
    "llama a la abuela por video esta noche",
    "nos vemos mañana en clase",
    "la profe dijo que el examen es el lunes",
    "ya hiciste la tarea de mate?",
    "que juegas hoy",
    "gg buena partida",
    "me encanta tu perrito",
    "mi mama hizo tortilla",
    "hoy llueve un monton",
    "el partido empieza a las 8",
    "te queda muy bien el corte de pelo",
    "cual es tu cancion favorita",
    "me bajo el nuevo mapa",
    "no tengo bateria",
    "tengo sueño",
    "vamos al cine con mis primos",
    "mi hermano se comio mi chocolate",
    "que serie estas viendo",
    "a que hora empieza la clase de musica",
    "me regalaron una bici por mi cumple",
    "feliz cumpleaños!!",
    "el perro de mi tia es enorme",
    "tu casa queda lejos del cole?",
    "no entiendo el ejercicio 4",
    "me prestas tus apuntes de historia",
    "mi abuela cumple 80 años",
    "a que edad empezaste a tocar la guitarra",
    "ese juego es re bueno",
    "mañana hay entrenamiento",
    "dale, che, nos hablamos",
    "la camara de mi celu se rompio",
    "la foto del grupo quedo linda",
    "mi papa me lleva al partido",
    "estoy haciendo la cena",
    "vos que pensas del final",
    "boludo no sabes lo que paso en clase",
    "que buena onda tu video",
    "ya llegue a casa ma",
    "cuantos capitulos tiene la serie",
    "mi gata tiene tres años",
    "buenas noches a todos",
    "el profe nos mando la lista de libros",
]
