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
    # asking for a call, an appointment, or to be put through, in any words
    (r"\b(?:can|could|would|will|pls|please)(?: you| someone| somebody| one of you| a \w+| an \w+)?"
    r"(?: please| pls| just)? (?:call|ring|phone) (?:me|us)\b"),
    r"\b(?:want|need|like|prefer) (?:you |someone |somebody )?to (?:call|ring|phone) (?:me|us)\b",
    r"\b(?:a |your |the )?(?:phone |telephone )?number (?:i|we) (?:can|could) (?:ring|call|phone)\b",
    r"\bwith one of your (?:advis[oe]rs|staff|team|colleagues|agents|people)\b",
    (r"\bis there (?:a|an|any) (?:real |actual |live )?(?:human|person|agent|advis[oe]r|someone|somebody|anyone|"
    r"anybody|member of staff)\b (?:around|there|available|about|on|i can|i could|who)"),
    r"\b(?:get|have) (?:an? )?(?:actual|real|live) (?:person|human|agent|advis[oe]r)\b",
    (r"\b(?:can|could|would) (?:a |an |one of your |your )?(?:real |actual )?(?:staff member|member of staff|"
    r"advis[oe]r|agent|person|human|someone|somebody)\b[^.?!]{0,12}\b(?:check|look|call|ring|help|review|sort|"
    r"deal|go)\b"),
    r"\bgive (?:me|us) a (?:call|ring|bell)\b",
    (r"\b(?:book|arrange|request|get|have|want|need|like|schedule|prefer) (?:a|an)\b (?:video |phone |telephone )?"
    r"(?:call ?back|call|phone call|telephone call|appointment)\b"),
    r"\b(?:call|ring|phone) (?:me|us) back\b",
    r"\b(?:put|get|transfer|connect|pass) (?:me |us )?(?:thru|through) to\b",
    (rf"\bis there (?:a |an |any )?(?:real |actual )?(?:one|someone|somebody|anyone|anybody|{_WHO})[^.?!]{{0,30}}"
    r"\b(?:i|we) (?:can|could|might|may) (?:talk|speak|chat|message|ring|call|phone|contact|email|see)\b"),
    (r"\b(?:speak|talk|chat|discuss\w*|go(?:ing)? through (?:it|this|that|the options)|deal|do (?:it|this|that))\b"
    r"[^.?!]{0,40}\bwith (?:one of your|someone|somebody|anyone|a person|a human|a real|an actual|an? advis[oe]r|"
    r"a member of staff|your staff|staff|an? agent|a manager|a specialist)\b"),
    r"(?<!to )(?<!with )\b(?:someone|somebody|anyone) from (?:your|ur|the) (?:team|staff|bank)\b",
    r"\bsomeone (?:with a pulse|real|human)\b",
    (r"\b(?:have|get) (?:a member of staff|someone|somebody|an? advis[oe]r|an? agent|a person|a human)\b"
    r"[^.?!]{0,15}\b(?:look|check|call|ring|help)\b"),
    (r"\b(?:don't|dont|do not|won't|wont|rather not|not)\b (?:really )?(?:want|wish|do|go through|talk|deal|"
    r"speak)\b[^.?!,]{0,30}\b(?:bots?|chatbots?|robots?|machines?|automated|computers?)\b"),
    r"\bnot (?:really )?a (?:chat ?)?bot person\b",
    r"\b(?:please |pls |plz |kindly |i want (?:this |it )?|i'd like (?:this |it )?|can you )escalat\w*\b",
    r"\bescalate (?:this|it|my (?:case|complaint|issue))\b",
    (r"\b(?:need|want|like|prefer|rather have)\b[^.?!,]{0,15}\b(?:someone|somebody|a person|a human|an actual person)"
    r"\b (?:who|that|to|with|from)\b"),
    (r"\b(?:raise|discuss|go through|sort|take up)\b (?:this|it|that)\b[^.?!]{0,20}\bwith (?:someone|somebody|"
    r"a person|a human|an? \w+ person)\b"),
])
_NEGATED_REQUEST = _any([
    (r"\b(?:don't|dont|do not|no need to|never|won't|wont)\b[^.?!,]{0,25}\b(?:speak|talk|chat|need|want)\b"
    r"[^.?!,]{0,20}\b(?:anyone|anybody|someone|somebody|person|human|agent|people)\b"),
    r"\b(?:don't|dont|do not|no need to)\b[^.?!,]{0,10}\b(?:call|ring|phone) (?:me|us)\b",
    r"\bno need for (?:a |an )?(?:person|human|agent|anyone)\b",
    r"\bthe bot is (?:fine|ok|okay|good|great)\b",
])
_PAST_CONTACT = _any([
    r"\b(?:spoke|talked|chatted|was talking|was speaking) (?:to|with)\b",
    (r"\b(?:someone|somebody|a person|an agent|your (?:colleague|agent|staff)|the (?:lady|man|guy|person|agent|"
    r"woman|advis[oe]r))\b[^.?!]{0,30}\b(?:told|said|mentioned|advised|explained)\b"),
])


def asks_for_person(text: str) -> bool:
    """The message itself asks for a person ("can I talk to someone?", "agent", "get me a human", "can the
    collections team call me"), in a clause that is not a question about the bank or a report."""
    for clause in clauses(_strip_punct(text)) or [""]:
        if _NOT_A_REQUEST.search(clause):
            continue
        if _EXPLICIT.search(clause) or _requests_person(clause):
            return True
    return False


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
    r"\b(?:going|go|goes|went|run(?:ning)?) (?:a?round )?in circles\b",
    r"\bround and round\b",
    (r"\byou(?:'re| are)? (?:still )?(?:not|don't|do not|dont|doesn't|never) (?:get(?:ting)?|understand\w*|"
    r"listen\w*|read\w*|help\w*)\b"),
    r"\b(?:not|doesn't|does not|didn't) (?:understand|get) (?:what|my|the) (?:i|question|problem|point)\b",
    r"\b(?:wrong|irrelevant|useless|same|generic|automated|canned) (?:answer|reply|response|info\w*)\b",
    r"\bthat(?:'s| is|s)? not (?:it|what i|my question|the (?:question|problem|issue))\b",
    r"\b(?:not|nothing to do with) what i (?:asked|need|wanted|said)\b",
    r"\bi (?:said|asked|wrote|typed)\b[^.?!]{0,40}\bnot\b",
    r"\bread (?:what i|my) (?:wrote|said|message|question)\b",
    r"\b(?:again|same) (?:the )?(?:same )?(?:link|page|faq|thing|message)\b",
    r"\bthis (?:bot|chat|thing) (?:is|isn't|doesn't)\b[^.?!]{0,20}\b(?:help|understand|work)\w*",
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


_ACK_EXTRA = _any([
    (r"^(?:ok(?:ay)?|k|cool|sweet|great|nice|perfect|right|alright|fine|brilliant|lovely|awesome|ah|oh|done)\b"
    r"[^?]{0,60}$"),  # "ok I'll wait until tomorrow then", "sweet, doing it now"
    r"^(?:all )?(?:sorted|good|done|fixed|working|sound)(?: now)?\b[^?]{0,30}$",  # "all sorted, cheers"
    r"^(?:that|it)(?:'s| is| has| worked)\b[^?]{0,40}\b(?:now|sorted|fixed|working|fine|through|arrived)\b[^?]*$",
    r"^(?:nvm|never mind|no worries|no problem|np|found it|got it|ta|ty|thx|tysm|cheers)\b[^?]*$",
    r"^(?:i'?ll|will|gonna|going to) (?:wait|try|do|check|give|have|leave|contact|call|ring|sort|pop)\b[^?]{0,60}$",
    r"^(?:doing|trying|checking|on) (?:it|that|this)(?: now)?\b[^?]*$",
])
_FOLLOW_UP = re.compile(
    r"^(?:and|also|so|but|what about|how about|then|ok(?:ay)?,? (?:and|so|but)?)?\s*"
    r"[^?]{0,60}\b(?:that|it|this|those|these|them|they|one|there)\b[^?]{0,30}\?+\s*$"
)


def follows_up(text: str) -> bool:
    """A short question about what was just answered ("does that cost anything?", "can I use my
    passport for that?", "and how long does it take?"): context the NLU cannot see, not a failure."""
    t = normalise(text)
    return len(t.split()) <= 12 and bool(_FOLLOW_UP.match(t)) and not complains_of_failure(t)


_ASKS_INSIDE = re.compile(r"\b(?:how|what|why|when|where|which|who) (?:do|does|did|can|could|is|are|will|should|much|"
                          r"long|many)\b")


def acknowledges(text: str) -> bool:
    """A closing or acknowledgement ("ok thanks", "got it", "I'll contact the shop then, thank you"):
    nothing was asked, so an NLU fallback on it is not a failure to answer."""
    t = normalise(text)
    if _ACKNOWLEDGEMENT.match(t.strip(" !.?")):
        return True
    if (len(t.split()) <= 12 and _ACK_EXTRA.search(t) and not _ASKS.search(t) and not _ASKS_INSIDE.search(t)
            and not complains_of_failure(t) and not _STRONG.search(t)):
        return True
    return bool(_THANKS.search(t)) and not _ASKS.search(t)


_CIRCLES = _any([
    r"\b(?:same|identical) (?:\w+ )?(?:answer|reply|response|message|link|page|thing)\b",
    r"\bkeep (?:telling|giving|saying|sending|repeating|showing)\b",
    r"\bi(?:'ve| have)? (?:already|just) (?:asked|said|told you|explained)\b",
    r"\b(?:going|go|goes|went|run(?:ning)?) (?:a?round )?in circles\b",
    r"\bround and round\b",
    r"\b(?:for the|that'?s the|this is the|its the|it's the) (?:second|third|fourth|fifth|2nd|3rd|4th|5th|\w+th) time\b",
    r"\b(?:third|3rd|fourth|4th) time (?:i'?ve|i have|i'?m|im|asking|lucky)\b",
    (r"\b(?:answered|told me|said|gave|sent|showed|that'?s|thats|this is|you'?re|ur)\b[^.?!]{0,30}"
    r"\b(?:again|same)\b"),
    r"\b(?:still|again) (?:not|isn't|isnt|doesn't|doesnt) (?:it|that|what i|answer\w*|the (?:answer|right|one))\b",
    r"\bagain,? (?:not|it'?s not|that'?s not|wrong)\b",
    r"\bhow many times (?:do|must|have|should|will) i\b",
    r"\b(?:told|asked) you (?:twice|three times|already|before)\b",
])


def says_going_in_circles(text: str) -> bool:
    """The customer says the bot missed *again* ("same answer again", "that's the card limit again",
    "we're going in circles", "for the third time"): the second miss, in one message."""
    return bool(_CIRCLES.search(normalise(text)))


def complains_of_failure(text: str) -> bool:
    """The customer says the bot missed the point ("that's not what I asked", "you're not listening")."""
    return bool(_COMPLAINT.search(normalise(text)))


_CORRECTS_BOT = _any([
    r"^(?:no|nope|nah|not|wrong)\b[ ,.!-]",
    r"\bi (?:mean|meant)\b",
    r"\bi'?m asking\b|\bi am asking\b|\bim asking\b",
    r"\bi asked\b",
    r"\b(?:that|this)(?:'s| is|s) (?:about|for) [^.?!]{1,30}\b(?:not|but i)\b",
])


def corrects_bot(text: str) -> bool:
    """The customer puts the bot right ("no, I mean my surname", "I'm asking about transfers"): one
    missed answer."""
    return bool(_CORRECTS_BOT.search(normalise(text)))


def corrects(text: str) -> bool:
    """A correction or restatement marker ("no, I mean ...", "again")."""
    return bool(_CORRECTION.search(normalise(text)))


# --- sensitive topics ----------------------------------------------------------------------------

_PAYMENT = r"(?:payments?|transactions?|withdrawals?|charges?|purchases?|debits?|transfers?|money|£|\$|€)"
# Words that name fraud without saying it happened to this customer ("the shop is a scam", "a phishing text
# I didn't click", "held for a fraud check"): left to the act head, which reads whether anyone is hurt.
_FRAUD_WORDS = re.compile(
    r"\b(?:scam\w*|fraud\w*|phish\w*|hack(?:ed|er|ers)|con ?artists?|swindl\w*|safe account|impersonat\w*|"
    r"pretend(?:ed|ing) to be)\b"
)
# Fraud that happened to the customer: a bank hands these over even when typed calmly.
_FRAUD = _any([
    (r"\b(?:i(?:'ve| have)?|we(?:'ve| have)?|my (?:mum|mom|dad|gran\w*|husband|wife|partner)(?: has)?) (?:been|got|was|were) "
    r"(?:scammed|defrauded|conned|hacked|swindled)\b"),
    r"\b(?:account|card|phone|email|app)\b[^.?!]{0,20}\b(?:hacked|taken over|compromised)\b",
    r"\bidentity theft\b",
    (r"\b(?:i|we|my \w+) (?:have |has |just |already )?(?:sent|transferred|moved|paid|gave)\b[^.?!]{0,60}"
    r"\b(?:safe account|scammer|fraudster|to (?:them|him|her) (?:and|but) (?:it was|they were) (?:a )?(?:scam|fake))"),
    (rf"{_PAYMENT}[^.?!]{{0,30}}\b(?:i |we )?(?:didn't|did not|never) (?:make|made|authori[sz]e|authori[sz]ed|"
    r"set up|agree to|do)\b"),
    rf"\b(?:i |we )(?:didn't|did not|never) (?:make|authori[sz]e|set up)\b[^.?!]{{0,30}}{_PAYMENT}",
    r"\b(?:it )?(?:wasn't|was not|weren't|were not) (?:me|us)\b",
    (r"\bsomeone\b[^.?!]{0,25}\b(?:has taken|took|stole|has spent|spent|has used|used|is using|withdrew|"
    r"emptied|accessed|got into)\b"),
    (r"\b(?:gave|given|told|sent|shared|read out)\b (?:them|him|her|someone|a stranger|the (?:caller|man|woman|"
    r"guy|person|bloke|lady)) (?:my |the |all my )?(?:card |bank |account |security |one[- ]time |verification |"
    r"sms |text )?(?:details|pin|number|password|passcode|code|otp)s?\b"),
    (r"\b(?:gave|told|shared|read out|typed in|entered|sent)\b (?:my |the |all my )?(?:card |bank |account |"
    r"security |one[- ]time |verification |sms |text )?(?:details|pin|password|passcode|code|otp)s?\b"
    r"[^.?!]{0,40}\b(?:fraud|scam|caller|rang|him|them|he|she|they)\b"),
    (r"\b(?:he|she|they|the caller|the man|the woman|someone|a guy|a man|a woman)\b[^.?!]{0,40}"
    r"\b(?:from|pretending to be from|claiming to be from|said (?:he|she|they) (?:was|were|is|are) from) "
    r"(?:your|ur|the bank'?s?|the) (?:fraud|security)\b[^.?!]{0,80}\b(?:i (?:already |just )?(?:gave|sent|"
    r"moved|transferred|told|read)|i've (?:given|sent|moved|transferred))"),
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
    r"\bfeel(?:ing)? (?:physically )?(?:sick|ill)\b",
    r"\bsick to my stomach\b",
    r"\b(?:beside myself|freaking out|in bits|falling apart|can'?t breathe|can'?t stop crying)\b",
    r"\b(?:don'?t|dont) know what (?:to do|i'?ll do)\b",
    r"\bnowhere (?:else )?to go\b",
    r"\b(?:lost|gone|took) everything\b",
])
_MONEY_LOST = _any([
    (r"\b(?:savings|money|everything|life savings|my (?:rent|wages|salary|pension|deposit)|all (?:of )?(?:it|my \w+))"
    r"\b[^.?!]{0,30}\b(?:gone|taken|stolen|lost|disappeared|missing|wiped|emptied|vanished)\b"),
    r"\b(?:sent|transferred|gave|paid|moved)\b (?:him |them |her )?(?:everything|all (?:of )?(?:my|it)|my (?:life )?savings)\b",
    r"\b(?:someone|somebody|they|he|she)\b[^.?!]{0,20}\b(?:emptied|drained|cleared out|took all)\b",
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


def money_lost(text: str) -> bool:
    """Money gone or handed over ("the savings are gone", "I sent everything to that advisor")."""
    return bool(_MONEY_LOST.search(normalise(text)))


def mentions_fraud(text: str) -> bool:
    """Fraud named in words, whoever it happened to (a feature for the act head, not a rule)."""
    return bool(_FRAUD_WORDS.search(normalise(text)))


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


# --- a request for a person, read structurally -------------------------------------------------------
# The phrase list above misses most of the ways people ask ("can the collections team call me", "pass
# this to a member of staff", "end bot. start human"); a person named *and* a request made, in one
# clause, catches them. Questions about how the bank works ("do your advisers work weekends?") and
# reports ("I had a callback yesterday") are left out.

_PERSON = (
    r"(?:person|human|humans|hooman|hmn|agent|agents|agant|advis[oe]rs?|staff|member of staff|employee|worker|"
    r"rep|reps|representative|manager|supervisor|team leader|operator|officer|sum1|some1|lady or gentleman|banker|"
    r"underwriter|customer (?:service|servis|support|care)s?|(?:\w+ )?(?:team|department|dept)|human (?:support|being)|"
    r"real one|live chat)"
)
_ASKING = (
    r"(?:(?:can|could|may|would|will|can't|cannot)\s+(?:i|we|you|u|someone|somebody|a|an|the|one|your|my|this)\b|"
    r"(?:i|we|i'd|we'd|id)\s+(?:really\s+|just\s+)?(?:want|wanna|need|would like|'d like|d like|prefer|"
    r"'d prefer|'d rather|would rather|rather|like to|wish|demand|insist)\b|"
    r"^(?:\W*(?:please|pls|plz|just|ok|okay|so|then|now|right|righto|hi|hello|hey|halo|ngl|smh|omg)\W*)*"
    r"(?:get|give|put|pass|send|connect|transfer|forward|escalate|flag|hand|let|bypass|have|find|arrange|book|"
    r"ring|call|phone|contact|take)\b|"
    r"\b(?:is|are) there\b|\bgot an?\b|\bwho (?:do|can|should) i\b|\bwhere can i\b|"
    r"\bhow (?:do|can) i (?:speak|talk|reach|contact|get hold of|get through)\b|\bplease\b|\bpls\b|\bplz\b|"
    r"\bkindly\b)"
)
_PERSON_REQUEST = re.compile(
    rf"{_ASKING}[^.?!]{{0,50}}\b{_PERSON}\b|"
    r"\b(?:staff|employee|advis[oe]r|agent|manager|supervisor|team|department|person|human|colleague|banker)s?"
    r"\b[^.?!]{0,20}\b(?:call|ring|phone|contact|reach out|get in touch|get back to|take over|look (?:at|into)|"
    r"check|verify|review|sort)\b"
)
_NOT_A_REQUEST = re.compile(
    r"\b(?:am i|are you|is this|is it) (?:talking|chatting|speaking)? ?(?:to|with)? ?(?:a )?(?:real )?"
    r"(?:person|human|bot|robot|ai)\b|\bi'?m (?:a )?(?:real )?(?:person|human|not a robot)\b|"
    r"\b(?:had|booked|have|got|i've got) (?:a |an )?(?:callback|call|appointment)\b|\bthe callback\b|\bcancel (?:the|my) (?:callback|call)\b|"
    r"\bskip the (?:callback|call)\b|\bdo (?:your|the) \w+ work\b|\bcall this number\b|"
    r"\b(?:didn'?t|don'?t|dont|do not|not|no need to|never)\b (?:\w+ )?(?:want|need|looking|transfer|put|connect|"
    r"call|ring|pass)\b[^.?!,]{0,30}\b(?:human|person|someone|call|anyone|callback|phone|agent)\b|"
    r"\bthan (?:phone|call|ring|speak|talk)\b|\b(?:does|do) (?:a|the|any|your) [\w ]{0,25}\b(?:ever|usually|"
    r"normally|have to|need to)\b|\bfor (?:my|our) (?:staff|employees?|workers?|team)\b|"
    r"\bgives? me anxiety\b|\bno time for\b|\bdon'?t have time for\b|\bdo i (?:need|have) to\b|"
    r"\bcall cent(?:re|er)\b|\bi'?m not a (?:robot|bot)\b|"
    r"\b(?:send|sending|transfer|pay|paying|give|lend|add|adding)\b[^.?!]{0,25}\b(?:to|for) (?:a|an|another|the|my|this|"
    r"that) (?:person|human|staff|employee|worker)\b|\b(?:a|third|another|second) person (?:be )?added\b|\b(?:give|tell|send) (?:my|the|our) [\w ]{0,20}\bto (?:a|the|this|that)\b"
)
_WHOLE_MESSAGE = re.compile(rf"^(?:\W*(?:omg|pls|plz|please|ok|now|just|real|reel|live|a|an|the|end bot|start|"
                            rf"{_PERSON})\W*)+$")


def _requests_person(clause: str) -> bool:
    """A person named and a request made in one clause (already screened by `_NOT_A_REQUEST`), or a clause
    that is only asking for one."""
    if _PAST_CONTACT.search(clause):
        return False
    if _WHOLE_MESSAGE.match(clause) and re.search(rf"\b{_PERSON}\b", clause):
        return True
    return bool(_PERSON_REQUEST.search(clause))
