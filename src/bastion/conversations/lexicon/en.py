"""English indicator phrases, over normalised text (lower case, no accents, look-alikes read
as letters). ``U`` stands for the ways people write "you"; ``UR`` for "your"."""

from __future__ import annotations

from bastion.conversations.cues import Indicator

U = r"(?:you|u|ya|yu)"
UR = r"(?:your|ur|yur|you're|youre)"
#: "you are", however it is written.
U_ARE = r"(?:you'?re|youre|ur|u r|you are|u are|ya are)"
PARENTS = r"(?:parents?|mom|mum|mommy|dad|daddy|folks|family|mother|father)"
APPS = (
    r"(?:snap(?:chat)?|sc|insta(?:gram)?|ig|discord|telegram|whats ?app|wa|kik|signal|skype"
    r"|wickr|line|viber|facetime|teams|zoom)"
)

PATTERNS: dict[Indicator, list[str]] = {
    Indicator.AGE: [
        rf"\bhow old (?:are|r) {U}\b",
        rf"\bhow old {U} (?:are|r)\b",
        rf"\bwhat(?:'?s| is) {UR} age\b",
        rf"\b(?:what|which) grade (?:are|r) {U} in\b",
        rf"\b(?:are|r) {U} (?:in )?(?:middle|elementary|junior high|high) school\b",
        rf"\b(?:are|r) {U} (?:like )?(?:1[0-7]|ten|eleven|twelve|thirteen|fourteen|fifteen)\b",
        r"\basl\b",
        r"\bage\?\s*$",
    ],
    Indicator.SCHOOL: [
        rf"\b(?:what|which) school (?:do|d) {U} (?:go to|attend)\b",
        rf"\bwhere (?:do|d) {U} go to school\b",
        rf"\bwhat(?:'?s| is) {UR} school\b",
        rf"\bwhat school (?:are|r) {U} (?:at|in)\b",
    ],
    Indicator.LOCATION: [
        rf"\bwhere (?:do|d) {U} (?:live|stay)\b",
        rf"\bwhere (?:are|r) {U} from exactly\b",
        rf"\bwhat(?:'?s| is) {UR} (?:address|street|zip ?code|postcode)\b",
        rf"\b(?:send|give|tell) me {UR} (?:address|location)\b",
        rf"\bwhat (?:city|town|neighbou?rhood) (?:do|d) {U} live in\b",
        rf"\bshare {UR} location\b",
    ],
    Indicator.SUPERVISION: [
        rf"\b(?:are|r) {U} (?:home )?(?:alone|by {U}rself|by yourself|on {UR} own)\b",
        rf"\b(?:are|r) {U} alone (?:at home|rn|right now|now)\b",
        rf"\b(?:is|are|r) (?:any ?one|any ?body|any1|{UR} {PARENTS}) (?:else )?(?:home|around|there|awake|watching)\b",
        rf"\b(?:do|does|d) {UR} {PARENTS} (?:check|read|look at|go through|see) {UR} (?:phone|messages|texts|chats|dms)\b",
        rf"\bwhen (?:do|does|d) {UR} {PARENTS} (?:get home|come home|leave|go to (?:bed|sleep)|go out)\b",
        rf"\b(?:is|are) {UR} door (?:locked|closed)\b",
        rf"\bwhere (?:are|r) {UR} {PARENTS}\b",
    ],
    Indicator.SECRECY: [
        rf"\b(?:don'?t|do not|dont|never) tell (?:any ?one|any ?body|{UR} {PARENTS}|{PARENTS}|{UR} friends|her|him|them)\b",
        r"\b(?:keep (?:this|it|that) (?:between us|a secret|secret|to yourself)|our (?:little )?secret)\b",
        r"\bjust between (?:us|you and me|u and me)\b",
        r"\b(?:delete|erase|clear|wipe) (?:this|these|the|our|all the|all) (?:chat|messages?|texts?|convo|conversation|dms|pics?)\b",
        r"\bdelete (?:it|them) after\b",
        rf"\b{PARENTS} (?:can'?t|cannot|must not|mustn'?t|shouldn'?t) (?:know|find out|see this)\b",
        r"\bno one (?:can|has to|needs to) know\b",
    ],
    Indicator.CHANNEL: [
        rf"\b(?:add|text|message|msg|hit) me (?:up )?on {APPS}\b",
        rf"\b(?:do|d) {U} have {APPS}\b",
        rf"\bwhat(?:'?s| is) {UR} {APPS}\b",
        rf"\b(?:let'?s|lets|we should|can we) (?:talk|chat|move|continue|go) (?:on|to|over to) {APPS}\b",
        r"\b(?:let'?s|lets|can we) (?:talk|chat|go) (?:somewhere )?(?:private|privately|in private)\b",
        r"\b(?:dm|pm|private message) me\b",
        rf"\bgive me {UR} (?:number|phone number|cell)\b",
    ],
    Indicator.ISOLATION: [
        r"\b(?:only i|nobody but me|no one but me|i'?m the only one who) (?:really )?(?:understands?|gets?|cares? about) (?:you|u)\b",
        rf"\b{UR} {PARENTS} (?:don'?t|dont|never) (?:understand|get|care about|listen to) {U}\b",
        rf"\b(?:no one|nobody) (?:else )?(?:understands?|gets?|cares? about) {U} like (?:i do|me)\b",
        rf"\b{U} can (?:always )?trust me\b",
        rf"\b{UR} friends (?:don'?t|dont) (?:really )?(?:care|understand)\b",
        rf"\bi'?m (?:the only one|all) {U} need\b",
    ],
    Indicator.GIFTS: [
        rf"\b(?:i'?ll|i will|i can|let me|i could|want me to|ill) buy {U}\b",
        rf"\b(?:i'?ll|i will|i can|let me|i could|want me to|ill) (?:get|send|give) {U} (?:a |an |the |some |free )?(?:\d+ |new |more )?(?:gifts?|presents?|robux|v ?bucks|skins?|money|cash|gift ?cards?|phone|nitro|gems)\b",
        r"\b(?:gift ?cards?|robux|v ?bucks|vbucks|nitro|gems|skins?|coins|diamonds)\b.*\b(?:free|for you|for u|gift|buy|send)\b",
        r"\b(?:free|for you|for u|gift|buy|send)\b.*\b(?:gift ?cards?|robux|v ?bucks|vbucks|nitro)\b",
        rf"\b(?:i'?ll|i will|i can) (?:pay|venmo|cash ?app|paypal) {U}\b",
        rf"\bsend {U} (?:some )?money\b",
    ],
    Indicator.IMAGES: [
        r"\b(?:send|show|give) me (?:a |some |more )?(?:pics?|pictures?|photos?|selfies?|snaps?)\b",
        r"\b(?:send|show) me (?:a |some )?(?:pics?|pictures?|photos?|selfies?) of (?:you|u|yourself|urself)\b",
        r"\b(?:send|show) (?:a |some )?(?:pics?|pictures?|photos?|selfies?)\b",
        r"\b(?:turn|switch|put) (?:on )?(?:your|ur) (?:cam|camera|webcam|video)(?: on)?\b",
        r"\b(?:can|could) (?:you|u) (?:turn on|go on|get on) (?:cam|camera|webcam|video)\b",
        r"\b(?:let'?s|lets|can we|wanna|want to) (?:video ?call|video ?chat|facetime|cam)\b",
        rf"\bwhat (?:are|r) {U} wearing\b",
        rf"\bshow me {UR}(?:self)?\b",
    ],
    Indicator.MEETING: [
        r"\b(?:let'?s|lets|we should|can we|could we|wanna|want to) (?:meet|hang out|meet up|get together)(?: up)?\b",
        r"\b(?:i can|i could|i'?ll|let me) (?:pick (?:you|u) up|come (?:to|over to) (?:your|ur) (?:place|house)|come get (?:you|u))\b",
        r"\b(?:come|sneak) (?:over|out) (?:to my|tonight|later)\b",
        r"\bwhere (?:can|could|should) we meet\b",
        r"\bmeet (?:me|up) (?:at|after|tomorrow|tonight|this weekend|on)\b",
        rf"\b(?:when|where) (?:are|r) {U} free to meet\b",
    ],
    Indicator.FLATTERY: [
        rf"\b{U_ARE} (?:so |really |very |super )?mature for {UR} age\b",
        rf"\b{U} (?:seem|look|act|sound) (?:so |much |way )?(?:older|more mature) than\b",
        rf"\b{U} (?:seem|look|act|sound) (?:so |much |way )?(?:older|mature)\b",
        rf"\b{U} don'?t (?:act|seem|talk) like a (?:kid|child)\b",
        rf"\b{U_ARE} not like (?:other|the other) (?:kids|girls|boys)\b",
    ],
}
