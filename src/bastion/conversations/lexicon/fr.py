"""French indicator phrases, over normalised text (lower case, accents removed: ``âge`` is
``age``, ``ça`` is ``ca``). ``TU`` covers "tu", "t'" and "t"; apostrophes are optional."""

from __future__ import annotations

from bastion.conversations.cues import Indicator

A = r"['\s-]?"  # an apostrophe, a space or a hyphen, or nothing ("t'as", "t as", "dis-le")
TU = rf"(?:tu|t{A})"
PARENTS = r"(?:parents?|mere|pere|maman|papa|famille|daronne?s?|vieux)"
APPS = r"(?:snap(?:chat)?|insta(?:gram)?|discord|telegram|whats ?app|kik|signal|skype|facetime)"

PATTERNS: dict[Indicator, list[str]] = {
    Indicator.AGE: [
        rf"\bquel age (?:as{A}tu|{TU} ?as|{TU} ?a)\b",
        rf"\b{TU} ?(?:as|a) quel age\b",
        r"\btu as quel age\b",
        rf"\b{TU} ?(?:es|est) en quelle classe\b",
        rf"\b{TU} ?(?:es|est) (?:au college|en (?:6|5|4|3)e(?:me)?|en sixieme|en cinquieme|en quatrieme|en troisieme)\b",
    ],
    Indicator.SCHOOL: [
        rf"\b{TU} ?vas (?:dans|a) quel(?:le)? (?:ecole|college|lycee|bahut)\b",
        rf"\bc{A}est quoi ton (?:ecole|college|lycee|bahut)\b",
        r"\bquel(?:le)? (?:ecole|college|lycee)\b.*\?",
    ],
    Indicator.LOCATION: [
        rf"\b{TU} ?habites? (?:ou|dans quelle ville|quel quartier)\b",
        rf"\bou (?:est{A}ce que {TU} ?habites|{TU} ?habites|{TU} ?vis)\b",
        rf"\b{TU} ?vis ou\b",
        rf"\b(?:c{A}est quoi|donne{A}moi|envoie{A}moi) ton adresse\b",
        r"\bpartage ta (?:position|localisation)\b",
    ],
    Indicator.SUPERVISION: [
        rf"\b{TU} ?(?:es|est) (?:tout(?:e)? )?seul(?:e)?\b",
        rf"\b{TU} ?(?:es|est) seul(?:e)? (?:a la maison|chez toi)\b",
        rf"\b(?:tes|ta|ton) {PARENTS} (?:sont|est) (?:la|a la maison|chez toi|couches?|partis?)\b",
        rf"\b(?:il y a|y{A}a) quelqu{A}un (?:chez toi|a la maison|avec toi)\b",
        rf"\b(?:tes|ta|ton) {PARENTS} (?:regardent?|lisent?|checkent?|fouillent?) (?:ton telephone|tes messages|ton portable)\b",
        rf"\b(?:quand|a quelle heure) (?:tes|ta|ton) {PARENTS} (?:rentrent?|partent?|se couchent?)\b",
    ],
    Indicator.SECRECY: [
        r"\b(?:ne )?(?:le |la |lui )?dis (?:rien |ca |le )?a personne\b",
        r"\b(?:ne )?dis rien a (?:tes|ta|ton) (?:parents?|mere|pere|maman|papa|amis?|copines?)\b",
        rf"\bc{A}est (?:notre|un) (?:petit )?secret\b",
        r"\b(?:juste )?entre (?:nous|toi et moi)\b",
        r"\bgarde (?:ca|le) pour toi\b",
        r"\b(?:efface|supprime|supprimes|effaces) (?:nos|les|ces|tous les|la|notre) (?:messages?|conversation|discussion|conv|photos?)\b",
        rf"\b(?:tes|ta|ton) {PARENTS} (?:ne doivent|doit) pas (?:savoir|le savoir|voir)\b",
        r"\bpersonne (?:ne doit|doit) (?:le )?savoir\b",
    ],
    Indicator.CHANNEL: [
        rf"\b(?:ajoute{A}moi|ecris{A}moi|parle{A}moi|viens) sur {APPS}\b",
        rf"\b{TU} ?(?:as|a) {APPS}\b",
        rf"\b(?:on continue|on parle|parlons|on passe|continuons) (?:sur|en) (?:{APPS}|prive|mp|dm)\b",
        rf"\b(?:viens|ecris{A}moi|parle{A}moi) en (?:prive|mp|dm)\b",
        rf"\bdonne{A}moi ton (?:numero|06|07|portable)\b",
    ],
    Indicator.ISOLATION: [
        r"\b(?:personne ne te comprend|je suis le seul (?:qui|a) te comprend(?:re|s)?|moi seul te comprends?)\b",
        rf"\b(?:tes|ta|ton) {PARENTS} ne te comprennent? pas\b",
        rf"\b{TU} ?peux me faire confiance\b",
        rf"\bpersonne (?:d{A}autre )?ne (?:tient|fait attention) a toi comme moi\b",
        rf"\btes amis? (?:ne )?(?:s{A}en fichent?|te comprennent? pas)\b",
    ],
    Indicator.GIFTS: [
        rf"\bje (?:peux|vais) (?:t{A}|te )(?:acheter|offrir|payer)\b",
        rf"\bje t{A}(?:offre|achete) (?:un|une|des|de l{A}|\d+)\b",
        r"\b(?:carte cadeau|des robux|des v[ -]?bucks|du nitro|des gemmes|des skins?)\b",
        rf"\bje t{A}envoie de l{A}argent\b",
    ],
    Indicator.IMAGES: [
        rf"\b(?:envoie|envoi|montre){A}(?:moi )?(?:une|des|ta|tes) (?:photos?|pics?|selfies?|snaps?)\b",
        rf"\b(?:envoie|montre){A}moi (?:une |des )?(?:photos?|pics?|selfies?) de toi\b",
        rf"\bmontre{A}toi\b",
        r"\b(?:allume|active|mets) (?:ta|la) (?:cam|camera|webcam)\b",
        r"\b(?:on fait|tu veux faire|on se fait) (?:un )?(?:appel video|facetime|visio)\b",
        rf"\b{TU} ?portes? quoi\b",
    ],
    Indicator.MEETING: [
        r"\bon (?:pourrait |peut |devrait )?se (?:voir|voit|rencontrer|rencontre|retrouver|retrouve|rejoindre|rejoint)\b",
        rf"\bon se (?:voit|retrouve|rejoint) (?:ou|quand|demain|ce soir|ce week{A}end|apres)\b",
        r"\bje (?:peux |vais )?(?:viens|venir) te (?:chercher|prendre)\b",
        r"\bje viens te (?:chercher|prendre|voir)\b",
        rf"\brencontrons{A}nous\b",
        r"\b(?:viens|passe) chez moi\b",
    ],
    Indicator.FLATTERY: [
        rf"\b{TU} ?(?:es|est|fais) (?:tres |si |trop |vraiment )?mature pour ton age\b",
        rf"\b{TU} ?fais (?:beaucoup )?plus (?:vieux|vieille|grand|grande|age|agee) que ton age\b",
        rf"\b{TU} ?(?:es|est) pas comme (?:les autres|les filles|les garcons) de ton age\b",
        rf"\b{TU} ?parles? pas comme une? (?:enfant|gamine?)\b",
    ],
}
