"""How a message is written, and at whom: the tone cues of the escalation.

Upset customers rarely use the words `cues` looks for. They mask their swearing ("f**k"), shout in
capitals, send strings of angry emoji, praise sarcastically ("great, third failed payment"), insult the
bot, or threaten to leave; and calm customers use the same strong words about someone else ("my
housemate is livid"). These checks read that. Emoji are read by their CLDR names from the maintained
`emoji` package, so a new emoji needs no code. All functions take raw customer text and are pure.
"""

from __future__ import annotations

import re
from functools import lru_cache

import emoji

from bot.escalation.cues import _any, normalise

_MASKED_SWEAR = re.compile(
    r"\b(?:f[\*#@$%!]+(?:k|ck|king|kin|ked|ing|in)?|f[\*#@$%!]*c?k(?:ing|in|ed)?\b|s[\*#@$%!]+t|sh[\*#@$%!]+t?|"
    r"b[\*#@$%!]+(?:t|ch|s)|a[\*#@$%!]{2,}|wtf|ffs|stfu|fml|effing|f'?ing|fkn|fking|fcking|fckin|"
    r"fuck\w*|shit\w*|bs|bullsh\w*|crap|bloody hell|pissed|damn it|goddamn\w*)"
)
_SARCASM = _any([
    (r"\b(?:great|wonderful|brilliant|fantastic|amazing|lovely|perfect|superb|excellent|awesome|outstanding|"
    r"stellar|top[- ]notch|fab|marvell?ous|cheers|thanks)\b[^.?!]{0,40}\b(?:again|as always|as usual|"
    r"(?:second|third|fourth|fifth|another) (?:time|failed|declined|day|week)|once again|still|yet again|"
    r"nothing|for nothing)\b"),
    r"\bthanks? for nothing\b",
    r"\b(?:oh |just )?(?:great|perfect|brilliant|wonderful|fantastic),? (?:just )?(?:what i needed|another)\b",
    r"\bwell done\b[^.?!]{0,30}\b(?:again|guys|harbour|bank|really)\b",
    r"\bslow clap\b",
    r"\bso (?:helpful|useful)\b[^.?!]{0,10}(?:not|/s|🙄)",
    r"\b(?:great|excellent|amazing|fantastic|wonderful|top) ['\"“‘](?:service|help|support|customer \w+)['\"”’]",
    r"['\"“‘](?:service|help|helpful|support|customer service|security|advisor|adviser|bank|assistant)['\"”’]",
    r"\bclearly\b[^.?!]{0,30}\b(?:too much to ask|can't be bothered)\b",
    r"\bwhat a (?:joke|shambles|farce|circus)\b",
    r"\bnice one\b[^.?!]{0,20}\b(?:again|guys|harbour|bank)\b",
])
_LEAVING = _any([
    (r"\b(?:take|taking|move|moving|put|putting)\b[^.?!]{0,20}\b(?:business|money|custom|account|savings)\b[^.?!]{0,15}"
    r"\belsewhere\b"),
    r"\b(?:switch|switching|move|moving|go|going) (?:to )?(?:another|a different|a proper|a real) bank\b",
    r"\b(?:switch|switching|change|changing) banks\b",
    r"\b(?:find|finding|look for|looking for) (?:a )?(?:new|another|different) bank\b",
    r"\b(?:last straw|i'?m done with (?:you|this|your)|done with this bank|never (?:again|using you again))\b",
    (r"\b(?:clos(?:e|ing)|cancel(?:l?ing)?) (?:my|our|the) accounts?\b[^.?!]{0,40}\b(?:if|unless|because of this|"
    r"after this|over this|this is the|enough)\b"),
])


_AT_US = re.compile(
    r"\b(?:you|your|you'?re|yours|u|ur|ya|yall|y'all|this bank|the bank|your bank|this app|the app|your app|"
    r"the bot|this bot|this chat|chatbot|harbour|your staff|your team|customer service)\b"
)
_SOMEONE_ELSE = re.compile(
    r"\b(?:husband|wife|partner|boyfriend|girlfriend|ex|flatmate|housemate|roommate|landlord|landlady|letting agent|"
    r"mum|mom|dad|brother|sister|son|daughter|kids?|neighbou?r|boss|employer|colleague|mate|friend|airline|shop|"
    r"store|seller|merchant|website|retailer|restaurant|hotel|garage|builder|plumber|council|company|firm|courier|"
    r"delivery|uber|amazon|ebay|ryanair|easyjet|netflix|gym|taxi|cashier|shopkeeper|woman|man|guy|lady|bloke)s?\b"
)


def aims_at_us(text: str) -> bool:
    """The message addresses the bank, the bot or the app ("you", "your staff", "this bank")."""
    return bool(_AT_US.search(normalise(text)))


def blames_someone_else(text: str) -> bool:
    """The strong words are about someone else ("my housemate is livid", "the airline are clowns") and
    nothing in the message is aimed at the bank or the bot: their anger, not the customer's with us."""
    t = normalise(text)
    return bool(_SOMEONE_ELSE.search(t)) and not _AT_US.search(t)


def threatens_to_leave(text: str) -> bool:
    """"I'll be taking my business elsewhere", "I'm switching banks": frustration the guide names."""
    return bool(_LEAVING.search(normalise(text)))


_INSULT = _any([
    (r"\b(?:useless|stupid|dumb|pointless|worthless|brainless|idiotic|hopeless|rubbish|crap|shit|garbage|"
    r"trash)\s+(?:bot|machine|robot|thing|app|chatbot|ai|computer|system|service|bank|company|lot|people)\b"),
    (r"\byou(?:'re| are) (?:a |an |so |completely |totally |utterly )?(?:useless|stupid|dumb|pointless|hopeless|"
    r"an idiot|a joke|a disgrace|clowns?|thieves|crooks|a scam|incompetent|worthless|garbage|trash)\b"),
    r"\b(?:clowns?|crooks|cowboys|thieves|scammers|robbers|morons|idiots)\b",
    r"\bappall(?:ed|ing)\b",
    r"\b(?:shambles|shambolic|farce|disgusting|outrageous|scandalous|criminal|daylight robbery)\b",
    r"\bhow dare you\b",
    (r"\b(?:close|closing|leaving|switch(?:ing)?|move|moving) (?:my|our) (?:account|accounts|money|business)\b"
    r"[^.?!]{0,40}\b(?:elsewhere|another bank|other bank|after this|if this|unless|because|this is)\b"),
    r"\b(?:ombudsman|solicitor|lawyer|legal action|sue you|report you|formal complaint|trading standards)\b",
])
_ANGRY_EMOJI = re.compile(
    r"(?:face_with_symbols_on_mouth|enraged_face|pouting_face|angry_face|face_with_steam_from_nose|"
    r"middle_finger|thumbs_down|face_with_rolling_eyes|unamused_face|angry_face_with_horns|"
    r"clown_face|pile_of_poo|nauseated_face|face_vomiting|exploding_head)"
)
_DISTRESS_EMOJI = re.compile(
    r"(?:loudly_crying_face|crying_face|face_screaming_in_fear|anxious_face_with_sweat|fearful_face|"
    r"sad_but_relieved_face|pleading_face|broken_heart|weary_face|tired_face|persevering_face|"
    r"confounded_face|downcast_face_with_sweat|worried_face|frowning_face|disappointed_face)"
)
_HAPPY_EMOJI = re.compile(
    r"(?:smil|grin|joy|laugh|heart_eyes|thumbs_up|party|clapping|red_heart|hugging|star-struck|"
    r"ok_hand|raising_hands|sparkles|folded_hands|winking|relieved_face|sunglasses|rolling_on_the_floor)"
)


@lru_cache(maxsize=1024)
def emoji_names(text: str) -> tuple[str, ...]:
    """CLDR names of the emoji in `text` (the `emoji` library's table, so new emoji are covered). Cached:
    the act head and the policy each count angry, distressed and happy emoji of the same message."""
    return tuple(emoji.demojize(item["emoji"]).strip(":") for item in emoji.emoji_list(text))


def masked_swearing(text: str) -> bool:
    """Swearing, spelled out or masked ("f**k", "sh*t", "wtf", "ffs")."""
    return bool(_MASKED_SWEAR.search(normalise(text)))


def shouts(text: str) -> bool:
    """Most of a message of several words written in capitals ("WHY IS MY MONEY STILL NOT THERE")."""
    words = re.findall(r"[A-Za-z]{2,}", text)
    upper = [w for w in words if w.isupper() and w not in ("ATM", "PIN", "UK", "US", "EU", "ID", "IBAN", "OK")]
    return len(upper) >= 3 and len(upper) >= 0.6 * len(words)


def angry_emoji(text: str) -> int:
    return sum(1 for name in emoji_names(text) if _ANGRY_EMOJI.search(name))


def distress_emoji(text: str) -> int:
    return sum(1 for name in emoji_names(text) if _DISTRESS_EMOJI.search(name))


def happy_emoji(text: str) -> int:
    return sum(1 for name in emoji_names(text) if _HAPPY_EMOJI.search(name))


def sarcastic(text: str) -> bool:
    """Praise that means the opposite ("great, third failed payment", "thanks for nothing", "'service'")."""
    return bool(_SARCASM.search(normalise(text)))


def insults(text: str) -> bool:
    """Hostility aimed at the bank or the bot: insults, "appalled", threats to leave or complain."""
    return bool(_INSULT.search(normalise(text)))
