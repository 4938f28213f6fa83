"""The wording the escalation signals look for in a customer's message.

Why words at all when every message carries an emotion distribution: some reasons to hand over are
facts, not feelings. "My husband passed away", "I gave them my card details" or "that's not what I
asked" can be typed calmly, and a bank still wants a person on them. The lists are deliberately
narrow (phrases, not single loose words) and each one is checked against hard negatives in
tests/bot/test_escalation_signals.py: "I spoke to someone at the branch" is not a request for a
person, "my phone battery died" is not a bereavement.

All functions take raw customer text and are pure.
"""

from __future__ import annotations

import re

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def normalise(text: str) -> str:
    """Lower-case, straight apostrophes, single spaces: the form every pattern below expects."""
    return " ".join(text.translate(_APOSTROPHES).lower().split())


def clauses(text: str) -> list[str]:
    """Sentence-ish pieces, so a negation in one sentence does not cancel a request in the next."""
    return [c.strip() for c in re.split(r"[.?!;]+|\bbut\b", normalise(text)) if c.strip()]


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# --- an explicit request for a person --------------------------------------------------------------

_WHO = (
    r"(?:a |an |the |some |one of your |your |a real |an actual |a live )?(?:real |actual |live |proper )?"
    r"(?:human(?: being)?|person|people|someone|somebody|agent|advis[oe]r|representative|rep|manager|"
    r"supervisor|operator|colleague|member of (?:staff|(?:your|the) team)|staff(?: member)?|"
    r"customer (?:service|support|care)|support team|your team|consultant)s?\b"
)
_EXPLICIT = _any([
    rf"\b(?:speak|talk|chat|communicate)(?:ing)? (?:to|with) {_WHO}",
    rf"\b(?:connect|transfer|put|pass|hand|send|escalate) me (?:through |over |on )?(?:to|with) {_WHO}",
    rf"\bconnect (?:me )?(?:to|with) {_WHO}",
    (r"\b(?:get|give|find) me (?:a |an )?(?:real |actual |live )?(?:human|person|agent|operator|"
    r"representative|manager|supervisor|advis[oe]r|someone real)\b"),
    r"\b(?:want|need|prefer|like) (?:a |an )?(?:real |actual |live )(?:human|person|agent)\b",
    r"\b(?:want|need|like) (?:a |an )?(?:human|human being|manager|supervisor)\b",
    (r"\bcan (?:a |an )?(?:real |actual )?(?:person|human|agent|someone|somebody)\b[^.?!]{0,30}"
    r"\b(?:help|call|chat|contact|ring|talk|speak)\b"),
    (r"\bis there (?:a |an )?(?:real )?(?:someone|somebody|human|person|agent)\b[^.?!]{0,20}"
    r"\b(?:i can|to) (?:talk|speak|chat)"),
    r"\b(?:rather than|instead of|not) (?:a |the |this |your )?(?:bot|robot|machine|chatbot)\b",
    (r"^(?:hi |hello )?(?:a |an )?(?:human|agent|operator|representative|real person|live agent|person|"
    r"customer service|live chat|manager|advis[oe]r)s?(?: please| pls| now| asap)*$"),
])
_NEGATED_REQUEST = _any([
    (r"\b(?:don't|dont|do not|no need to|never|won't|wont)\b[^.?!]{0,25}\b(?:speak|talk|chat|need|want)\b"
    r"[^.?!]{0,20}\b(?:anyone|anybody|someone|somebody|person|human|agent|people)\b"),
    r"\bno need for (?:a |an )?(?:person|human|agent|anyone)\b",
    r"\bthe bot is (?:fine|ok|okay|good|great)\b",
])
_PAST_CONTACT = _any([
    r"\b(?:spoke|talked|chatted|was talking|was speaking) (?:to|with)\b",
    (r"\b(?:someone|somebody|a person|an agent|your (?:colleague|agent|staff)|the (?:lady|man|guy|person|agent|"
    r"woman|advis[oe]r))\b[^.?!]{0,30}\b(?:told|said|mentioned|advised|explained)\b"),
])


def asks_for_person(text: str) -> bool:
    """The message itself asks for a person ("can I talk to someone?", "agent", "get me a human")."""
    return any(_EXPLICIT.search(c) for c in clauses(_strip_punct(text)) or [""])


def declines_person(text: str) -> bool:
    """The message says a person is NOT wanted ("I don't want to speak to anyone, just ...")."""
    return bool(_NEGATED_REQUEST.search(normalise(text)))


def reports_past_contact(text: str) -> bool:
    """'I spoke to someone at the branch', 'someone told me ...': a person is mentioned, not requested."""
    return bool(_PAST_CONTACT.search(normalise(text)))


def _strip_punct(text: str) -> str:
    # "HUMAN!!" and "agent." are whole-message requests; keep sentence breaks inside longer text.
    return re.sub(r"[!?.,:;]+\s*$", "", text.strip())


# --- the bot failed: the customer says so ---------------------------------------------------------

_COMPLAINT = _any([
    r"\bnot what i (?:asked|meant|said|wanted|was asking)",
    (r"\byou(?:'re| are| aren't| are not| don't| do not| didn't| did not| never| still don't| still aren't)"
    r"\b[^.?!]{0,12}\b(?:understand|listen|read|answer)\w*"),
    r"\b(?:not|isn't|wasn't) (?:answering|listening|understanding)\b",
    r"\b(?:doesn't|does not|didn't|did not) (?:help|answer)\b",
    r"\b(?:same|identical) (?:\w+ )?(?:answer|reply|response|message)\b",
    r"\bkeep (?:telling|giving|saying|sending|repeating)\b",
    r"\b(?:already|just) (?:asked|said|told you|explained)\b",
    r"\bi asked (?:you )?(?:about|what|if|whether|how|why|when|where)\b",
    r"\bare you (?:even )?(?:reading|listening)\b",
    r"\bcan you (?:just )?answer\b",
    r"\b(?:answer|read) my (?:question|message)\b",
    r"^(?:hello+|hi|hey|anyone there|is anyone there)\s*\?{2,}",  # "Hello??": you did not answer me
    r"^\?{2,}$",
])
_CORRECTION = _any([r"^(?:no|nope|not)\b", r"\bi mean\b", r"\bi meant\b", r"\bi'm asking\b", r"\bagain\b"])


_ACK_PART = (
    r"(?:ok(?:ay)?|k|cool|great|perfect|lovely|brilliant|nice|sweet|awesome|fine|good|right|ah|oh|done|"
    r"thanks?(?: you)?(?: (?:so much|a lot|very much|again))?(?: for (?:the |your )?(?:help|checking|that))?|"
    r"thank you(?: so much| very much)?|cheers|ta|got it|understood|alright|all right|fair enough|"
    r"makes sense|that'?s (?:all|it|great|fine|helpful|everything)|no worries|bye|goodbye|"
    r"have a (?:good|nice|great) (?:day|evening|one)|that helps|good to know|sounds good|i see|will do|"
    r"i'?ll (?:try that|wait|check(?: again)?(?: tomorrow)?)(?: then| now)?|(?:i )?didn't know)"
)
_ACKNOWLEDGEMENT = re.compile(rf"^(?:{_ACK_PART}[\s,!.:)]*)+$")


_THANKS = re.compile(r"\b(?:thanks?|thank you|cheers)\b")
_ASKS = re.compile(r"\?|(?:^|[.!,;] *)(?:how|what|why|when|where|which|who|can|could|would|do|does|is|are|will|"
                   r"should|may|please)\b")


def acknowledges(text: str) -> bool:
    """A closing or acknowledgement ("ok thanks", "got it", "I'll contact the shop then, thank you"):
    nothing was asked, so an NLU fallback on it is not a failure to answer."""
    t = normalise(text)
    if _ACKNOWLEDGEMENT.match(t.strip(" !.?")):
        return True
    return bool(_THANKS.search(t)) and not _ASKS.search(t)


def complains_of_failure(text: str) -> bool:
    """The customer says the bot missed the point ("that's not what I asked", "you're not listening")."""
    return bool(_COMPLAINT.search(normalise(text)))


def corrects(text: str) -> bool:
    """A correction or restatement marker ("no, I mean ...", "again")."""
    return bool(_CORRECTION.search(normalise(text)))


# --- sensitive topics ----------------------------------------------------------------------------

_PAYMENT = r"(?:payments?|transactions?|withdrawals?|charges?|purchases?|debits?|transfers?|money|£|\$|€)"
_FRAUD = _any([
    r"\bscam(?:med|mer|mers|s)?\b",
    r"\bfraud\w*",
    r"\bhack(?:ed|er|ers)\b",
    r"\bphish\w*",
    r"\bidentity theft\b",
    r"\bsafe account\b",
    r"\bpretend(?:ed|ing) to be\b",
    r"\bimpersonat\w*",
    (rf"{_PAYMENT}[^.?!]{{0,30}}\b(?:i |we )?(?:didn't|did not|never) (?:make|made|authori[sz]e|authori[sz]ed|"
    r"set up|agree to|do)\b"),
    rf"\b(?:i |we )(?:didn't|did not|never) (?:make|authori[sz]e|set up)\b[^.?!]{{0,30}}{_PAYMENT}",
    r"\b(?:it )?(?:wasn't|was not|weren't|were not) (?:me|us)\b",
    (r"\bsomeone\b[^.?!]{0,25}\b(?:has taken|took|stole|has spent|spent|has used|used|is using|withdrew|"
    r"emptied|accessed|got into)\b"),
    (r"\bgave (?:them|him|her|someone|a stranger) my (?:card |bank |account )?(?:details|pin|number|"
    r"password|passcode|code)\b"),
    r"\bpayments? (?:are |is )?(?:still )?going out\b",
])
_BEREAVEMENT = _any([
    r"\bpassed away\b",
    r"\b(?:has |have |had |just |recently )?died\b",
    r"\bdeath of\b",
    r"\bdeceased\b",
    r"\bbereave\w*",
    r"\bfuneral\b",
    r"\blate (?:husband|wife|mother|father|mum|mom|dad|partner|son|daughter|brother|sister)\b",
    r"\bwidow(?:ed|er)?\b",
    r"\bexecutor\b",
    r"\bprobate\b",
])
_NOT_A_DEATH = re.compile(r"\b(?:battery|phone|app|card|laptop|car|signal|wifi|screen)\b[^.?!]{0,12}\bdied\b")
_HARDSHIP = _any([
    r"\blost my job\b",
    r"\b(?:been |got |was )?(?:made )?redundant\b",
    (r"\b(?:can't|cannot|can not|unable to|couldn't) (?:afford|pay (?:my|the|back|off|it back|rent|bills)|"
    r"make (?:my |the )?(?:re)?payments?|cope)\b"),
    r"\bfinancial(?:ly)? (?:hardship|difficult\w*|struggl\w*|trouble)\b",
    r"\bstruggling (?:financially|to pay|with (?:money|debt|bills|payments))\b",
    r"\bdebt collectors?\b",
    r"\bbailiffs?\b",
    r"\bin (?:serious |a lot of )?debt\b",
    r"\bevict\w*",
    r"\b(?:pause|freeze|stop) (?:my |the )?repayments\b",
])
_VULNERABLE = _any([
    r"\bcontrols? (?:all )?(?:of )?my (?:money|finances|account|card|bank)",
    r"\bfinancial(?:ly)? abus\w*",
    r"\bdomestic (?:abuse|violence)\b",
    r"\bcoerc\w*",
    r"\babusive\b",
    r"\bsuicid\w*",
    r"\bkill myself\b",
    r"\bend it all\b",
    r"\bself[- ]harm\w*",
])
_STOLEN = re.compile(r"\b(?:stolen|stole|nicked|pickpocket\w*|mugged|robbed|compromised)\b")
_DISTRESS = _any([
    r"\bpanic(?:king|ked)?\b",
    r"\bterrified\b",
    r"\bscared\b",
    r"\bfrightened\b",
    r"\bafraid\b",
    r"\bworried\b",
    r"\banxious\b",
    r"\bdesperate\b",
    r"\bshaking\b",
    r"\bin tears\b",
    r"\bcrying\b",
    r"\boh (?:my )?god\b",
    r"\bplease help\b",
    r"\bhelp me\b",
    r"\bemergency\b",
    r"\ball (?:of )?my money\b",
    r"\beverything i have\b",
    r"\bplease stop\b",
])


def sensitive_topic(text: str) -> str | None:
    """The sensitive topic a message discloses on its own: fraud, bereavement, hardship, vulnerability."""
    t = normalise(text)
    if _FRAUD.search(t):
        return "fraud"
    if _BEREAVEMENT.search(t) and not _NOT_A_DEATH.search(t):
        return "bereavement"
    if _HARDSHIP.search(t):
        return "hardship"
    if _VULNERABLE.search(t):
        return "vulnerability"
    return None


def mentions_theft(text: str) -> bool:
    """A card, phone or wallet stolen or compromised: sensitive only together with distress."""
    return bool(_STOLEN.search(normalise(text)))


_PAST_FEAR = re.compile(
    r"\b(?:was|were|had been|nearly|almost|not|wasn't|no need to be)\s+(?:a bit |so |really |very )?"
    r"(?:panic\w*|terrified|scared|frightened|afraid|worried|anxious)\b"
)


def sounds_distressed(text: str) -> bool:
    """Fear or panic in words ("I'm panicking", "oh god", "please help"), not fear that has passed
    ("I was worried it failed but it's there now")."""
    t = normalise(text)
    past_ends = {m.end() for m in _PAST_FEAR.finditer(t)}
    return any(m.end() not in past_ends for m in _DISTRESS.finditer(t))


# --- frustration in words, and what softens it --------------------------------------------------------

_STRONG = _any([
    r"\bfurious\b", r"\blivid\b", r"\bfuming\b", r"\boutrag\w*", r"\bdisgrac\w*", r"\bunacceptable\b",
    r"\bridiculous\b", r"\b(?:a|beyond a) joke\b", r"\buseless\b", r"\bpathetic\b", r"\bincompetent\b",
    r"\bthie(?:f|ves|ving)\b", r"\brobbery\b", r"\bripped off\b", r"\brip[- ]off\b", r"\binfuriat\w*",
    r"\bappalling\b", r"\bworst\b", r"\brubbish\b", r"\bsick (?:and tired )?of\b", r"\bfed up\b",
    r"\bpissed off\b", r"\bhad enough\b", r"\bi'm done\b", r"\bsort it out\b",
    r"\bwhat the (?:hell|fuck|heck)\b", r"\bwtf\b", r"\bhumiliat\w*", r"\bdriving me (?:mad|crazy)\b",
    r"\blosing my patience\b", r"\bso angry\b", r"\bangry\b", r"\bdishonest\b", r"\bsneaky\b",
])
_MILD = _any([
    r"\bannoy\w*", r"\bfrustrat\w*", r"\bstress\w*", r"\bupset\b", r"\bunhappy\b", r"\bdisappoint\w*",
    r"\bembarrass\w*", r"\bseriously\b", r"\bstill (?:not|hasn't|haven't|isn't|waiting)\b",
    r"\bhow (?:many times|long do i have)\b", r"\bnobody (?:cares|helps|tells)\b",
])
_SOFTENERS = _any([
    r"\bthanks?\b", r"\bthank you\b", r"\bcheers\b", r"\blol\b", r"\bhaha\w*", r"\bno (?:big )?deal\b",
    r"\bnot a complaint\b", r"\bno rush\b", r"\bnot (?:angry|upset|annoyed)\b", r"\bbrilliant\b",
    r"\bamazing\b", r"\blove\b", r"\bgreat\b", r"\bperfect\b", r"\bawesome\b", r"\bmy (?:bad|mistake)\b",
    r"\bnever mind\b", r"\bfair enough\b", r"\b(?:sorry|sorry to|hate to) (?:bother|be a pain)\b",
    r"\bsorted\b", r":\)|:-\)|😀|😊|🙂|👍",
])


def frustration_level(text: str) -> float:
    """0 (none), 0.5 (mild: "annoyed", "still not") or 0.9 (strong: "furious", "useless", "sick of")."""
    t = normalise(text)
    if _STRONG.search(t):
        return 0.9
    if _MILD.search(t):
        return 0.5
    return 0.0


def softened(text: str) -> bool:
    """Thanks, jokes, "no big deal": the negative words in the message are not aimed at us."""
    return bool(_SOFTENERS.search(normalise(text)))

