"""Hand-made pattern tables for the local analysers (en, es, fr, de, pt, it).

Every regex runs on *normalised* text (see ``analysis._normalise``): casefolded, accents stripped
and curly apostrophes straightened, so "é"/"e", "ü"/"u" and "ß"/"ss" need no variants here.
"""

from __future__ import annotations

from livechat.ai import lexicon_security


def _pairs(spec: str) -> dict[str, str]:
    return dict(item.split(":") for item in spec.split())


# --- Asking for a person ------------------------------------------------------------------------

_PERSON = (
    r"(human|person|agent|someone|somebody|representative|rep|operator|staff|manager|supervisor"
    r"|advis[oe]r|employee|people|consultant)"
)
HUMAN_REQUEST: tuple[str, ...] = (
    # en
    r"\b(talk|speak|chat)(ing)?\s+(to|with)\s+(a\s+|an\s+|some\s+|your\s+|the\s+|one\s+of\s+your\s+)?"
    rf"(real\s+|live\s+|actual\s+|human\s+)?{_PERSON}\b",
    r"\b(someone|somebody|anyone|staff|person|agent)\b[^.?!]{0,40}\bi\s+(can|could)\s+(talk|speak)\b",
    r"\breal\s+(person|human|people)\b|\b(live|human)\s+(agent|person|support|operator)\b",
    r"\bcustomer\s+(service|support|care)\s+(rep|representative|agent|team)\b",
    r"\b(want|need|get|give\s+me|like|request|prefer)\s+(a\s+|an\s+|some\s+)?"
    r"(human|agent|operator|representative|real\s+person|person)\b",
    r"\b(connect|transfer|put|pass)\s+me\s+(through\s+)?(to|with)\s+(a|an|the|your|someone|somebody"
    r"|anyone|anybody)\b",
    r"\bget\s+me\s+(a\s+|an\s+|some\s+|the\s+|your\s+)?(real\s+|live\s+)?(human|agent|person|operator"
    r"|representative|manager|supervisor|someone|somebody)\b",
    r"\bask(s|ed|ing)?\s+for\s+(a\s+|an\s+|the\s+|some\s+|your\s+)?(real\s+|live\s+)?(human|person"
    r"|agent|operator|representative|manager|supervisor)\b",
    r"^\W*(operator|agent|human|representative)\W*(please|pls|now)?\W*$",
    r"\b(operator|agent|human)\s*,?\s*(please|pls)\b|\bescalate\s+(this|my|me)\b",
    r"\b(deal|work)\s+with\s+(a\s+|an\s+)?(real\s+|actual\s+)?(human|person)\b",
    r"\brather\b[^.?!]{0,30}\b(human|real\s+person|agent)\b",
    # es
    r"\bhablar\s+con\s+(una?\s+|algun[oa]?\s+|el\s+|la\s+)?(persona|agente|humano|alguien|operador"
    r"|asesor|representante|empleado)",
    r"\bpersona\s+real\b|\batencion\s+humana\b|\bpasame\s+con\b",
    r"\b(quiero|necesito)\s+(una?\s+)?(agente|persona|humano|operador|asesor)\b",
    r"\b(contacto|comunicarme)\s+con\s+(una?\s+)?(agente|persona|humano|operador|asesor)\b",
    # fr
    r"\bparler\s+(a|avec)\s+(un\s+|une\s+|le\s+|la\s+)?(vrai\s+|vraie\s+)?(conseill|humain|agent"
    r"|personne|operat|quelqu'?un)",
    r"\b(vrai\s+humain|vraie\s+personne|personne\s+reelle)\b",
    r"\b(je\s+veux|je\s+voudrais|en\s+relation\s+avec|me\s+passer|joindre|contacter)\s+(un|une)\s+"
    r"(conseill|humain|agent|operat)",
    r"\bbesoin\s+d'\s*(un|une)\s+(vrai\w*\s+)?(conseill|humain|agent|operat|personne)",
    # de
    r"\bmit\s+(einem|einer|einen)\s+(echten\s+|richtigen\s+)?(mensch|mitarbeiter|berater|person"
    r"|agent|kundenberater|sachbearbeiter)",
    r"\b(echten|richtigen)\s+(menschen|person|mitarbeiter)\b",
    r"\b(einen|eine)\s+(mitarbeiter\w*|berater\w*|menschen)\s+sprechen\b",
    r"\b(brauche|will|mochte|hatte|verlange)\s+(gerne?\s+)?(einen|eine)\s+(echten\s+|richtigen\s+)?"
    r"(menschen|mitarbeiter\w*|berater\w*|person)\b",
    r"\bsondern\s+(mit\s+)?(einem|einen|einer|eine)\s+(echten\s+|richtigen\s+)?(menschen|mitarbeiter\w*"
    r"|berater\w*|person)\b",
    # pt
    r"\bfalar\s+com\s+(um\s+|uma\s+|algum\s+|o\s+|a\s+)?(atendente|humano|pessoa|agente|operador"
    r"|assistente|alguem|funcionari)",
    r"\b(pessoa\s+real|atendente\s+humano|atendimento\s+humano)\b",
    r"\b(transferir|passar)\s+(para|me\s+para)\s+(um|uma)\s+(atendente|humano|pessoa|agente)\b",
    r"\b(quero|preciso)\s+(de\s+)?(um|uma)\s+(atendente|humano|pessoa|agente|operador)\b",
    # it
    r"\bparlare\s+con\s+(un\s+|una\s+|un'|l'|il\s+)?(operator|persona|umano|agente|consulente"
    r"|qualcuno)",
    r"\b(persona\s+(reale|vera)|operatore\s+umano)\b",
    r"\bin\s+contatto\s+con\s+(un|una)\s+(operator|persona|consulente)",
    r"\b(voglio|vorrei|(mi\s+)?serve|ho\s+bisogno\s+di)\s+(un\s+|una\s+|un')(operat\w*|persona"
    r"|umano|consulente)\b",
)

# --- Is an ask for a person meant? (see analysis._request_turned_around) ------------------------
# A HUMAN_REQUEST match is dropped when, in its own clause and at most a few words before it, one
# of these turns it around: "I don't need a human", "no quiero hablar con una persona", "pas
# besoin d'un conseiller", "you don't have to transfer me to anyone", "without an agent".
# LEGAL_THREAT reads its negations with the same cues ("I'm not going to sue").
CLAUSE_NEGATION = (
    r"\b(don'?t|do\s+not|doesn'?t|does\s+not|didn'?t|did\s+not|not|never|won'?t|will\s+not"
    r"|needn'?t|without|instead\s+of|rather\s+than"
    r"|no|nunca|jamas|tampoco|ni|sin|en\s+lugar\s+de|en\s+vez\s+de"
    r"|pas|ne|n'|jamais|sans|au\s+lieu\s+de"
    r"|nicht|kein\w*|nie|niemals|ohne|statt|anstatt"
    r"|nao|nem|sem|em\s+vez\s+de"
    r"|non|mai|senza|invece\s+di)\b"
)
# Where a clause ends: a negation before one of these does not reach past it ("I don't want the
# bot, I need a human"; "no, I want a human"). Not "e"/"o"/"y": in pt/it/es they are also "is",
# "the" and so on once accents are stripped.
CLAUSE_BREAK = (
    r"[.?!;:,()\[\]\n]|\s[-\u2013\u2014]+\s"
    r"|\b(but|and|so|then|pero|sino|mais|et|donc|aber|sondern|und|mas|porem|quindi)\b"
)
# A negated *ability* is a complaint about not reaching anyone, i.e. still a request: "why can't I
# talk to a person?", "no puedo hablar con nadie", "ich kann nicht mit einem Mitarbeiter sprechen".
REQUEST_ABILITY = (
    r"\b(can|cannot|can't|could|couldn'?t|able|possible|allowed|let|reach|manage"
    r"|puedo|puede|pueden|podemos|posible|consigo|logro|dejan"
    r"|peux|peut|pouvez|arrive|moyen"
    r"|kann|konnen|darf|moglich|lasst"
    r"|posso|pode|podem|possivel|consegui|deixam"
    r"|riesco|possibile|potete|puo)\b"
)
REQUEST_WHY = r"\b(why|how\s+come|por\s+que|porque\s+e\s+que|pourquoi|warum|wieso|weshalb|perche)\b"
# After a negation, a *second* wanting verb starts a new request the negation does not reach:
# "no I want a human", "I don't want the bot I need a human", "no quiero esperar quiero hablar...".
# (Only wanting verbs: in "you don't have to transfer me to anyone" the negation does reach.)
REQUEST_VERB = (
    r"(want|wanna|need|like|prefer|quiero|necesito|veux|voudrais|besoin|mochte|brauche|quero"
    r"|preciso|gostaria|voglio|vorrei|serve)"
)
# ... except after a verb of opinion, which passes the negation on: "I don't think I need a human".
REQUEST_RAISING = r"(think|believe|suppose|reckon|creo|pienso|crois|pense|glaube|denke|acho|credo)"
# "I would talk to a human if this didn't work (but it did)", "I would have asked for an agent":
# a would-clause (not "would like"/"'d rather") with a real condition, or any would-have.
REQUEST_WOULD = (
    r"\b(would|wouldn'?t|wurde)\b(?!\s+(like|love|prefer|rather|appreciate|gerne?|lieber))"
    r"|'d\b(?!\s+(like|love|prefer|rather|appreciate))"
)
REQUEST_WOULD_HAVE = r"\b(would|could|wouldn'?t)\s+have\b|\bwould'?ve\b|'d\s+have\b|\bwhy\s+would\b"
REQUEST_IF = r"\b(if|unless|wenn|falls)\b"
REQUEST_POLITE_IF = (
    r"\b(if|wenn|falls)\s+(possible|you\s+(can\b(?!')|could|don'?t\s+mind|have\s+(one|any|time))"
    r"|i\s+(can\b(?!')|could|may)|that'?s\s+(ok|okay|possible|alright|fine)|available|there\s+(is|are)"
    r"|any|moglich|es\s+geht)"
)
# A clause that opens with "if I ..." and asks for a person inside it is a condition, not a
# request: "if I need a human I'll say so", "si necesito hablar con una persona te aviso". Only
# when the condition's own subject is the customer: "if this fails I want a human" asks.
REQUEST_IF_CLAUSE = (
    r"^\W*(and\s+)?(if|si|wenn|falls|se|caso)\s+(i|we|i'?ll|yo|je|j'|ich|wir|eu|io|noi"
    r"|need|want|necesito|quiero|besoin|brauche|preciso|quero|serve|voglio)\b"
)

# Blanked out before HUMAN_REQUEST runs: they mention people without asking for one.
HUMAN_REQUEST_EXCLUSIONS: tuple[str, ...] = (
    r"\bhuman\s+(resources|error|rights|being|nature)\b",
    r"\b(are|r)\s+(you|u)\s+(a\s+|an\s+)?(real\s+)?(human|person|bot|robot|ai|machine|agent)\b",
    r"\b(is|am)\s+(this|that|it|i)\s+(chat\w*\s+|conversation\s+|talking\s+|speaking\s+)?"
    r"(with\s+|to\s+)?(a\s+|an\s+)?(real\s+)?(human|person|bot|robot|machine|ai)\b",
    r"\bi'?\s*a?m\s+(only\s+|just\s+)?human\b",
    r"\b(eres|es|sind\s+sie|bist\s+du|e|sei|voce\s+e)\s+(un|una|ein|uma|um)\s+(robot|bot|humano"
    r"|humain|mensch|umano|persona)\b",
)

# --- High-priority keywords: normalised English key -> patterns ----------------------------------

# Someone who is not the customer, and the customer's account ("my Acme account", "my bank app").
_INTRUDER = lexicon_security.INTRUDER
_MY_ACCOUNT = r"(my|our)\s+(\w+\s+)?(account|app|profile|online\s+banking)"
# (?<![\d.,]): see AMOUNT.
_MONEY = (
    r"(\b(money|funds|savings|balance)|[$€£]\s?\d"
    r"|(?<![\d.,])\d[\d.,]*\s?(€|\$|£|eur|euros?|usd|gbp|dollars?|pounds?))"
)

PRIORITY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "fraud": (r"\b(fraud|defraud|fraude|betrug|betrueg|truffa)\w*|\bfrode\b",),
    "unauthorized": (
        r"\bunauthori[sz]ed\b|\bnot\s+authori[sz]ed\b",
        # Disowning a transaction is reporting an unauthorised one.
        r"\b(didn'?t|did\s+not|never)\s+(make|made|authori[sz]e|approve)\b"
        + lexicon_security.NOT_A_MISTAKE,
        r"\bwithout\s+my\s+(permission|consent|authori[sz]ation|knowledge)\b",
        # "... que no hice", "que je n'ai pas fait", "die ich nicht gemacht habe", "que eu nao fiz",
        # "che non ho fatto": the other languages' "a payment I didn't make", and "I don't
        # recognise it" said of a charge, payment or withdrawal.
        r"\bque\s+(yo\s+)?no\s+(hice|he\s+hecho|autorice|reconozco)\b",
        r"\bque\s+je\s+n'?ai\s+pas\s+(fait|effectue|autorise)\b|\bque\s+je\s+ne\s+reconnais\s+pas\b",
        r"\b(die|den|das)\s+ich\s+nicht\s+(gemacht|getatigt|autorisiert|veranlasst)\b",
        r"\bque\s+(eu\s+)?nao\s+(fiz|autorizei|reconheco)\b",
        r"\bche\s+non\s+(ho\s+(fatto|autorizzato|effettuato)|riconosco)\b",
        r"\bno\s+autorizad[oa]s?\b|\bsin\s+(mi\s+)?autorizacion\b",
        r"\bsans\s+(mon\s+)?autorisation\b|\bnon\s+autorise\w*",
        r"\bnicht\s+autorisiert\w*|\bohne\s+(meine\s+)?(zustimmung|erlaubnis|autorisierung)\b",
        r"\bnao\s+autorizad[oa]s?\b|\bsem\s+(a\s+)?(minha\s+)?autorizacao\b",
        r"\bnon\s+autorizzat[oaie]\b|\bsenza\s+(la\s+)?(mia\s+)?autorizzazione\b",
        # "a purchase I don't recognise", "somebody used my card": see lexicon_security.
        *lexicon_security.DISOWNED_TRANSACTION,
        *lexicon_security.CARD_MISUSE,
    ),
    "stolen": (
        r"\bstolen\b|\bstole\s+my\s+(?!identity)|\b(someone|somebody|thief|they)\s+stole\s+(it|them)\b",
        r"\b(robad[oa]s?|robaron|gestohlen|geklaut|roubad[oa]s?|roubou|roubaram|furtad[oa])\b",
        r"\b(on\s+m'a\s+)?vole(e|s|es)?\s+(ma|mon|mes)\b"
        r"|\b(carte|portefeuille|telephone|portable|sac)\s+(a\s+ete\s+)?volee?\b",
        r"\b(rubat[oaie]|furto)\b",
        # Theft in other words: "my wallet got nicked", "phone got taken from my hand", "mugged".
        r"\b(got|was|been|i\s+was)\s+(pick-?pocketed|mugged)\b(?!\s+(off\s+)?by\s+(you|your|the"
        r"\s+bank|these|those|this))",
        r"\b(wallet|purse|bag|handbag|phone|card)\s+(got|was|has\s+been)\s+(nicked|snatched"
        r"|pinched)\b|\b(nicked|snatched|pinched)\s+my\s+(wallet|purse|bag|handbag|phone|card)\b",
        r"\b(wallet|purse|bag|handbag|phone)\s+(got|was|has\s+been)\s+taken\s+(from|out\s+of|off)\b",
        # ... and in the other five languages' everyday words for it: snatched, pickpocketed,
        # robbed in the street, taken in a break-in. Verbs and "theft of my ...", never the bare
        # noun: "esto es un robo", "c'est du vol" and "è un furto" are said of our prices.
        r"\b(i\s+(was|got)|we\s+(were|got))\s+(robbed|burgled)\b|\bburglars?\s+took\b",
        r"\b(hurtad[oa]s?|hurtaron|me\s+(asaltaron|atracaron|birlaron|mangaron)|carterista)\b",
        r"\bme\s+(quitaron|arrancaron)\s+(la|el|mi|mis)\s+(\w+\s+)?(cartera|billetera|bolso"
        r"|movil|celular|telefono|tarjetas?|mochila)\b",
        r"\b(on\s+m'a\s+)?(pique|derobe|choure|arrache|subtilise)(e|s|es)?\s+(ma|mon|mes)\b"
        r"|\bpickpocket\w*|\b(j'ai\s+ete|je\s+me\s+suis\s+fait)\s+(agresse|cambriole|voler)\w*"
        r"|\bvol\s+de\s+(ma|mon|mes)\s+(carte|portefeuille|sac|telephone|portable|cb)\b",
        r"\b(entwendet|geraubt|beklaut|bestohlen|ausgeraubt|taschendieb\w*)\b"
        r"|\b(wurde|wurden|bin|sind)\s+(\w+\s+){0,2}uberfallen\b|\bdiebstahl\s+(meiner|meines)\b",
        r"\b(furtaram|furtou|assaltad[oa]|me\s+assaltaram|levaram\s+(o\s+|a\s+)?(meu|minha)"
        r"|batedor\s+de\s+carteira|carteirista)\b|\broubo\s+d[oa]s?\s+(meu|minha|meus|minhas)\b",
        r"\b(scippat[oaie]|scippo|borseggiat[oaie]|borseggio|borseggiator\w*|rapinat[oaie]"
        r"|sottratt[oaie])\b|\bmi\s+hanno\s+fregato\s+(il|la|i|le)\s+(\w+\s+)?(portafoglio|borsa"
        r"|telefono|cellulare|carta|carte|zaino)\b",
    ),
    "hacked": (
        r"\b(hack(ed|er|ers)?|hackead[oa]|pirat(e|ee|age)|gehackt|invadid[oa]|hackerat[oa])\b",
    ),
    "chargeback": (r"\bcharge-?backs?\b|\bcontracargos?\b",),
    "lost card": (
        r"\b(lost|lose|misplaced)\s+(my\s+|the\s+|our\s+)?(\w+\s+)?card\b",
        r"\bcard\s+(is|was|has\s+been|got)\s+(lost|missing)\b",
        r"\b(perdi|he\s+perdido|extravie)\s+(mi\s+)?tarjeta\b|\btarjeta\s+perdida\b",
        r"\b(perdu|egare)\s+(ma\s+)?carte\b|\bcarte\s+perdue\b",
        r"karte\s+(\w+\s+){0,2}verloren\b|\bverlorene\w*\s+karte\b",
        r"\bperdi\s+(o\s+)?(meu\s+)?cartao\b|\bcartao\s+perdido\b",
        r"\b(perso|smarrito)\s+(la\s+)?(mia\s+)?carta\b|\bcarta\s+(persa|smarrita)\b",
    ),
    "scam": (r"\b(scam(s|med|mer|mers|ming)?|estafa\w*|arnaque\w*|escroquerie|golpe)\b",),
    "phishing": (r"\b(phishing|smishing|vishing)\b",),
    "identity theft": (
        r"\bidentity\s+theft\b|\bstole\s+my\s+identity\b|\bidentity\s+(was|has\s+been)\s+stolen\b",
        r"\b(robo\s+de\s+identidad|usurpation\s+d'?identite|identitatsdiebstahl)\b",
        r"\b(roubo\s+de\s+identidade|furto\s+d'?identita)\b",
    ),
    # Someone else is in the account, reported in the customer's words rather than as "fraud":
    # a stranger got in, the account was accessed by someone else, a login the customer disowns,
    # money moved that "wasn't me". Past or ongoing only: "if someone logs in..." is no report.
    "account takeover": (
        r"\baccount\s+takeover\b|\btook\s+over\s+my\s+account\b",
        # en
        rf"\b{_INTRUDER}\s+(has\s+|had\s+|have\s+|just\s+|somehow\s+)?(got|gotten|broke|broken|logged"
        r"|signed|accessed|used|took\s+over|taken\s+over|emptied|drained|cleaned\s+out|hijacked"
        r"|(is|was|has\s+been)\s+(logging|logged|signed|using|accessing|in)|(has|had|got|gained|now\s+has)"
        rf"\s+access)\s+((into|in\s+to|in|onto|on|to)\s+)?{_MY_ACCOUNT}\b",
        rf"\b{_INTRUDER}\s+(has\s+|had\s+|just\s+)?(moved|transferred|sent|took|taken|withdrew|withdrawn"
        rf"|stole|spent)\b[^.?!]{{0,40}}\b(from|out\s+of)\s+{_MY_ACCOUNT}\b",
        rf"\b{_MY_ACCOUNT}\s+(was|has\s+been|had\s+been|got|is\s+being|seems\s+to\s+have\s+been"
        r"|may\s+have\s+been)\s+(compromised|breached|broken\s+into|taken\s+over|hijacked|emptied"
        r"|drained|cleaned\s+out|(accessed|used|logged\s+into|opened)\s+(by\s+(someone|somebody"
        r"|a\s+stranger|a\s+third\s+party|an?\s+unknown|other\s+people)|from\s+(a|an|another)\s+"
        r"(\w+\s+){0,2}?(device|phone|computer|location|country|ip)|without\s+my))",
        r"\b(device|phone|computer|laptop|tablet|browser|location|ip(\s+address)?|log-?in|sign-?in)"
        r"\s+(that\s+|which\s+)?((isn'?t|is\s+not|wasn'?t|was\s+not|aren'?t)\s+(mine|me|my\s+own)"
        r"|i\s+(don'?t|do\s+not)\s+(recogni[sz]e|own))\b",
        # "a new phone logged into my account": a device the customer did not add, signing in.
        r"\b(a|an|some)\s+(new|unknown|strange|different)\s+(device|phone|iphone|computer|laptop"
        r"|tablet)\s+(has\s+|had\s+)?(logged|signed)\s+(in|into|on)(\s+to)?\s+my\s+(account|app)\b",
        r"\b(log-?in|sign-?in|security)\s+(alert|notification|warning|email|message|attempt)\b"
        r"[^.?!]{0,60}\b(unknown|unrecogni[sz]ed|wasn'?t\s+me|not\s+me|not\s+mine|isn'?t\s+mine)\b",
        rf"{_MONEY}[^.?!]{{0,40}}\b(transferred|moved|sent|taken|withdrawn|gone|disappeared|drained)"
        r"\b[^.?!]{0,60}\b(wasn'?t|was\s+not)\s+me\b",
        # es
        r"\b(alguien|un\s+desconocido|un\s+hacker|otra\s+persona)\s+(\w+\s+){0,2}?(entro|ha\s+entrado"
        r"|accedio|ha\s+accedido|se\s+metio|se\s+ha\s+metido|inicio\s+sesion|ha\s+iniciado\s+sesion"
        r"|uso|ha\s+usado|esta\s+usando|tiene\s+acceso|vacio|ha\s+vaciado|tomo\s+el\s+control)\s+"
        r"((en|a|de|con)\s+)?(mi|la)\s+cuenta\b",
        r"\b(alguien|un\s+desconocido|otra\s+persona)\s+(\w+\s+){0,2}?(saco|ha\s+sacado|transfirio"
        r"|ha\s+transferido|retiro|ha\s+retirado|movio|ha\s+movido|se\s+llevo)\b[^.?!]{0,40}"
        r"\b(de|desde)\s+mi\s+cuenta\b",
        r"\bmi\s+cuenta\s+(fue|ha\s+sido|esta)\s+(accedida|vulnerada|comprometida|usurpada|vaciada)\b",
        r"\b(dispositivo|telefono|movil|ordenador)\s+que\s+no\s+(es\s+mio|reconozco)\b",
        r"\b(dinero|fondos|saldo)\b[^.?!]{0,60}\bno\s+(fui|he\s+sido)\s+yo\b",
        # fr
        r"\bquelqu'?un\s+(d'autre\s+)?(\w+\s+){0,2}?(s'est\s+connecte|est\s+entre|a\s+eu\s+acces"
        r"|a\s+acces|a\s+accede|a\s+pris\s+le\s+controle|a\s+utilise|utilise|a\s+vide"
        r"|s'est\s+introduit)\s+((a|au|dans|sur|de)\s+)?(mon|ma)\s+(compte|espace|appli\w*)\b",
        r"\bquelqu'?un\s+(\w+\s+){0,2}?(a\s+)?(vire|transfere|retire|pris|preleve)\b[^.?!]{0,40}"
        r"\b(de|depuis|sur)\s+mon\s+compte\b",
        r"\bmon\s+compte\s+(a\s+ete|est)\s+(compromis|vide|usurpe|utilise\s+par)\b",
        r"\b(appareil|telephone|ordinateur|connexion)\s+(qui\s+)?(n'est\s+pas\s+(le\s+mien|a\s+moi)"
        r"|inconnue?|que\s+je\s+ne\s+reconnais\s+pas)\b",
        r"\b(argent|fonds|solde)\b[^.?!]{0,60}\b(ce\s+n'etait|c'etait)\s+pas\s+moi\b",
        # de
        r"\bjemand\s+(anderes?\s+|fremdes?\s+)?(hat|ist|war|hatte)\s+(sich\s+)?(\w+\s+){0,3}?(in|auf"
        r"|bei)\s+(mein|meinem|meine|meinen)\s+\w*konto\s+(eingeloggt|angemeldet|eingedrungen"
        r"|zugegriffen|gelangt)\b",
        r"\bjemand\s+(anderes?\s+|fremdes?\s+)?(hat|hatte)\s+(\w+\s+){0,2}?zugriff\s+auf\s+mein\w*"
        r"\s+\w*konto\b",
        r"\bjemand\s+(anderes?\s+|fremdes?\s+)?(hat|hatte)\s+(\w+\s+){0,2}?mein\s+\w*konto\s+"
        r"(ubernommen|leergeraumt|leer\s+geraumt|geplundert|benutzt|genutzt|missbraucht)\b",
        r"\bjemand\s+(hat|hatte)\b[^.?!]{0,40}\b(von|aus)\s+(meinem|mein)\s+\w*konto\b[^.?!]{0,30}"
        r"\b(uberwiesen|abgebucht|abgehoben|genommen)\b",
        r"\bmein\s+\w*konto\s+(wurde|ist)\s+(\w+\s+){0,2}?(ubernommen|kompromittiert|geplundert"
        r"|leergeraumt|missbraucht)\b",
        r"\b(unbekannt\w*|fremd\w*)\s+(gerat|handy|login|anmeldung)\b|\bgerat,?\s+das\s+nicht\s+mir\b",
        r"\b(geld|betrag)\b[^.?!]{0,60}\b(das\s+war\s+ich\s+nicht|ich\s+war\s+das\s+nicht"
        r"|nicht\s+von\s+mir)\b",
        # pt
        r"\balguem\s+(\w+\s+){0,2}?(entrou|acessou|invadiu|usou|mexeu|logou|fez\s+login|tem\s+acesso"
        r"|teve\s+acesso|esvaziou|tomou\s+conta)\s+((na|a|em|com|no|da)\s+)?(a\s+)?minha\s+conta\b",
        r"\balguem\s+(\w+\s+){0,2}?(tirou|transferiu|sacou|retirou|levou|movimentou)\b[^.?!]{0,40}"
        r"\b(da|de)\s+minha\s+conta\b",
        r"\bminha\s+conta\s+(foi|esta|tem\s+sido)\s+(comprometida|(acessada|usada)\s+por\s+(outra"
        r"\s+pessoa|alguem|terceiros|um\s+estranho))\b",
        r"\b(dispositivo|aparelho|celular|telemovel)\s+que\s+nao\s+(e\s+(o\s+)?meu|reconheco)\b",
        r"\b(dinheiro|saldo)\b[^.?!]{0,60}\bnao\s+fui\s+eu\b",
        # it
        r"\bqualcuno\s+(\w+\s+){0,2}?(e\s+entrat[oa]|ha\s+avuto\s+accesso|ha\s+accesso|ha\s+acceduto"
        r"|si\s+e\s+collegat[oa]|si\s+e\s+conness[oa]|ha\s+fatto\s+l'?accesso|ha\s+usato|sta\s+usando"
        r"|ha\s+svuotato|ha\s+preso\s+il\s+controllo)\s+((a|al|nel|in|sul|del|con|all')\s*)?"
        r"(il\s+)?mio\s+(conto|account|profilo)\b",
        r"\bqualcuno\s+(\w+\s+){0,2}?(ha\s+)?(prelevato|trasferito|spostato|preso|sottratto)\b"
        r"[^.?!]{0,40}\b(dal|da)\s+(mio\s+)?conto\b",
        r"\b(il\s+)?mio\s+(conto|account)\s+(e\s+stato)\s+(violato|compromesso|svuotato|usato\s+da)\b",
        r"\b(dispositivo|telefono|cellulare)\s+che\s+non\s+(e\s+(il\s+)?mio|riconosco)\b",
        r"\b(soldi|denaro|saldo)\b[^.?!]{0,60}\bnon\s+sono\s+stat[oa]\s+io\b",
        # A password, e-mail or phone number changed by someone else, a log-in the customer does
        # not recognise, a break-in attempt, a SIM swap: see lexicon_security.
        *lexicon_security.ACCOUNT_TAKEOVER,
    ),
}

# A threat's word used as an insult about our prices is a complaint, not a report: "your fees are
# a scam", "a scam-like rate", "questo tasso è un furto". Blanked before that keyword is looked for.
_PRICE = r"(rates?|fees?|prices?|pricing|charges?|markups?|commissions?|exchange)"
KEYWORD_COMPLAINTS: dict[str, tuple[str, ...]] = {
    "scam": (
        r"\bscam-?like\b",
        rf"\b{_PRICE}\s+(is|are|was|were)\s+(a\s+|an\s+|such\s+a\s+|just\s+a\s+)?(total\s+"
        r"|complete\s+|absolute\s+|real\s+)?scam\b",
        rf"\bscam\s+{_PRICE}\b",
    ),
    "stolen": (
        r"\b(tasso|cambio|commission\w*|tariff\w*|cost[oi]|prezz[oi]|spese)\b[^.?!]{0,30}"
        r"\b(e|sono)\s+(un\s+)?(vero\s+)?furto\b",
    ),
}

# A keyword right after a negation ("not fraud", "it wasn't stolen") does not count. A second word
# between them only when it is a pronoun or an auxiliary ("non mi hanno rubato niente", "no me han
# robado"): "someone I don't know has stolen my card" is still a report.
# "No es ningún fraude", "non è una truffa", "não é nenhum golpe", "ce n'est aucunement une
# arnaque", "not a scam": "no"/"none" words of the other languages, and an article right after
# the negation or after "is". Only there: "I have no idea a hacker got in" is a report.
_ARTICLE = (
    r"(un|una|uno|uma|um|une|ein|eine|einen|a|an|ningun[oa]?|nenhum(a)?|nessun[oa]?|aucun(e)?)"
)
KEYWORD_NEGATION = (
    r"\b(not|no|isn'?t|wasn'?t|haven'?t|hasn'?t|didn'?t|don'?t|never|nicht|kein\w*|pas|nao|non"
    r"|ningun[oa]?|nenhum(a)?|nessun[oa]?|aucun(e)?|aucunement)"
    r"\s+((\w+\s+)?((me|mi|m'|te|ti|ci|lo|la|le|se|han|hanno|ha|hat|wurde|ist|foi|been|be|was"
    r"|got|sido|stato|stata)\s+)?"
    rf"|((e|es|est|is|ist|era|foi|fue|was|c'est)\s+)?{_ARTICLE}\s+)$"
)
# A keyword the customer denies ("I'm not saying it's fraud", "no es que me hayan robado", "nobody
# stole it") or only supposes ("what happens if my card is stolen?", "if it ever gets hacked", "en
# cas de fraude") is no report of one: the frame, then at most KEYWORD_DENIAL_WORDS (or
# KEYWORD_NOBODY_WORDS, KEYWORD_SUPPOSED_WORDS) words of the same clause, then the keyword. "I'm
# not sure if it's fraud" and "check if these are fraud" stay reports (a doubt is no denial, a
# past "if" no supposition); the model still reads the rest of the message either way.
KEYWORD_DENIAL = (
    r"\b(not|never)\s+(saying|claiming|suggesting|accusing|implying|that|like)\b"
    r"|\b(don'?t|do\s+not)\s+(think|believe)\b"
    r"|\bno\s+es\s+que\b|\bno\s+(digo|creo|pienso)\s+que\b"
    r"|\b(ce\s+n'?est|c'?est)\s+pas\s+que\b|\bje\s+(ne\s+)?(dis|pense|crois)\s+pas\s+que\b"
    r"|\bnicht,?\s+dass\b|\b(sage|glaube|denke)\s+nicht,?\s+dass\b"
    r"|\bnao\s+e\s+que\b|\bnao\s+(digo|acho|creio)\s+que\b"
    r"|\bnon\s+e\s+che\b|\bnon\s+(dico|credo|penso)\s+che\b"
)
KEYWORD_DENIAL_WORDS = 4
# "Nobody stole it", "niemand hat meine Karte gestohlen": nobody as the subject of the keyword's
# verb, so closer ("nobody else has made these fraudulent payments" is a report).
KEYWORD_NOBODY = r"\b(nobody|no\s*-?\s*one|nadie|personne\s+ne|niemand|ninguem|nessuno)\b"
KEYWORD_NOBODY_WORDS = 3
KEYWORD_SUPPOSED = (
    r"\b(what\s+(happens|would\s+happen|do\s+i\s+do|should\s+i\s+do|to\s+do|can\s+i\s+do)"
    r"|how\s+(do|can|should|would)\s+i\s+\w+)\s+if\b"
    r"|\bif\s+([\w']+\s+){0,3}(ever|gets?|getting|were|should|happens?\s+to)\b"
    r"|\b(just\s+)?in\s+case\b|\bhypothetic\w*|\bsuppos(e|ing)\b|\bimagine\b"
    r"|\bque\s+(pasa|hago|debo\s+hacer|hay\s+que\s+hacer)\s+si\b|\ben\s+caso\s+de\b"
    r"|\bsi\s+(alguna\s+vez|algun\s+dia|jamais|un\s+jour)\b|\bsupongamos\b"
    r"|\b(que\s+(se\s+passe-t-il|faire|dois-je\s+faire|faut-il\s+faire)|qu'est-ce\s+qui\s+se"
    r"\s+passe)\s+si\b|\ben\s+cas\s+de\b|\bau\s+cas\s+ou\b|\bimaginons\b"
    r"|\bwas\s+(passiert|mache\s+ich|soll\s+ich\s+tun|tue\s+ich),?\s+(wenn|falls)\b"
    r"|\bfalls\s+(meine?[nrs]?|die|der|das|ich|jemand|man|sie|er|es|wir|mir|mich)\b|\bim\s+falle?\b|\bwenn\s+(\w+\s+){0,3}(mal|jemals|je|einmal)\b|\bangenommen\b"
    r"|\bo\s+que\s+(acontece|faco|devo\s+fazer)\s+se\b|\bem\s+caso\s+de\b"
    r"|\bcaso\s+(eu|me|alguem|minha|meu)\b|\bse\s+(algum\s+dia|um\s+dia|mai|un\s+giorno)\b"
    r"|\b(cosa|che)\s+(succede|faccio|devo\s+fare)\s+se\b|\bin\s+caso\s+di\b|\bnel\s+caso\b"
    r"|\bqualora\b"
)
KEYWORD_SUPPOSED_WORDS = 6
# A keyword the customer feared and then took back in the same sentence: "I thought it was fraud
# but it was my gym", "pensaba que era un fraude pero era Netflix", "je croyais à une arnaque
# mais c'était mon abonnement", "ich dachte an Betrug, aber es war mein Fitnessstudio", "achei
# que era golpe mas era a assinatura", "pensavo fosse una truffa ma era la palestra". Both halves
# are needed: "I thought it was fraud, so I froze the card" is a report. The past belief comes at
# most KEYWORD_FEARED_WORDS words before the keyword; the taking back follows it in the same
# sentence (matched from the keyword's end).
KEYWORD_FEARED = (
    r"\b(thought|worried|feared|assumed|was\s+(afraid|scared|sure|convinced)|panicked"
    r"|pensaba|pense|creia|crei|temia|me\s+temia|estaba\s+segur[oa]"
    r"|croyais|pensais|ai\s+cru|ai\s+pense|craignais|etais\s+sur\w*"
    r"|dachte|glaubte|befurchtete|hatte\s+angst|war\s+sicher"
    r"|achei|achava|pensei|pensava|tive\s+medo|estava\s+cert[oa]"
    r"|pensavo|credevo|temevo|ho\s+pensato|ho\s+creduto|ero\s+sicur[oa])\b"
)
KEYWORD_FEARED_WORDS = 5
KEYWORD_TAKEN_BACK = (
    r"[^.?!\n]{0,60}?\b(but|pero|mais|aber|mas|ma)\b[^.?!\n]{0,25}?\b(it\s+was|it'?s|that\s+was"
    r"|turned\s+out|era|fue|c'?etait|c'?est|war|ist|foi|e|si\s+trattava|it\s+had\s+been)"
    r"\b[^.?!\n]{0,30}?(\b(my|mine|me|just|only|actually|mi|mio|mia|mon|ma|mes|mein|meine|meu"
    r"|minha|solo|seulement|juste|nur|so|apenas|la|el|le|il|lo|a|o|das|der|die)\b|\bl')"
)
# Sentences asking *about* a threat ("how do I spot phishing?") are not reports of one.
INFORMATIONAL = (
    r"\bhow\s+(do|can|could|should|to)\s+(i\s+|we\s+|you\s+|one\s+)?(recogni[sz]e|spot|avoid"
    r"|identify|protect|prevent|detect|tell)\b|\bwhat\s+(is|are)\s+(a\s+|an\s+)?(chargeback|phishing"
    r"|scam|fraud)\w*\s*\?|\btips\b"
)

# --- Legal and regulatory threats (see analysis._legal_threat) -----------------------------------
# A customer who threatens to sue, to bring in a lawyer or to go to a regulator or ombudsman is a
# complaint for a person however calmly it is written. Lawyers, courts and regulators count only
# in a threatening frame ("my lawyer will...", "report you to the FCA", "take you to court"):
# "is Acme Pay regulated by the FCA?" is a question, and "my lawyer asked for a statement, how do
# I download one?" is a document request (a lawyer named as a third party who wants something
# routine), not a threat: handing every such request to an agent would teach nobody anything,
# and a customer who means a threat says so ("my lawyer will be in touch").
_REGULATOR_EN = (
    r"(the\s+)?((financial\s+)?ombudsm[ae]n(\s+service)?|fos|fca|financial\s+conduct\s+authority"
    r"|cfpb|consumer\s+financial\s+protection\s+bureau|bafin|regulators?|central\s+bank"
    r"|trading\s+standards|ftc|occ|attorney\s+general|better\s+business\s+bureau|bbb"
    r"|bank\s+of\s+(spain|france|italy|portugal))"
)
_REGULATOR_ES = (
    r"(el\s+|la\s+)?(banco\s+de\s+espana|banco\s+central|cnmv|omic|consumo|defensor\s+del\s+cliente"
    r"|defensor\s+del\s+pueblo|regulador|profeco|condusef)"
)
_REGULATOR_FR = (
    r"(le\s+|la\s+|l')?(mediateur|acpr|banque\s+de\s+france|amf|dgccrf|autorite\s+de\s+controle)"
)
_REGULATOR_DE = (
    r"(bafin|schlichtungsstelle|ombudsmann|ombudsstelle|bundesbank|verbraucherzentrale"
    r"|finanzaufsicht|bankenaufsicht)"
)
_REGULATOR_PT = (
    r"(o\s+|a\s+)?(procon|banco\s+de\s+portugal|banco\s+central|bacen|reclame\s+aqui"
    r"|consumidor\.?gov(\.br)?|cmvm|ouvidoria)"
)
_REGULATOR_IT = (
    r"(l'|all'|la\s+|alla\s+)?(arbitro\s+bancario(\s+finanziario)?|abf|banca\s+d'italia|bankitalia"
    r"|ivass|consob|antitrust|agcm)"
)
_LAWYER_EN = r"(lawyers?|solicitors?|attorneys?|legal\s+(team|counsel|adviser|advisor|department))"

LEGAL_THREAT: tuple[str, ...] = (
    # en: suing (not "sue my landlord"), courts, legal action
    r"\b(sue|suing)\b(?!\s+(my|his|her|their|him|them)\b)",
    r"\b(lawsuit|litigation|class[-\s]action|small[-\s]claims)\b",
    r"\blegal\s+(action|proceedings|steps|case|claim|route|advice)\b",
    r"\b(take|taking|took|bring|bringing|see|seeing)\s+(you|you\s+guys|this|it|acme(\s+pay)?"
    r"|the\s+bank|your\s+(company|bank))\s+(to|in)\s+court\b",
    r"\bcourt\s+(action|case|claim|proceedings)\b",
    # en: lawyers, in a threatening frame only
    rf"\b(my|our)\s+(own\s+)?{_LAWYER_EN}\s+(will(?!\s+(need|want|ask|request|require|like))|'ll"
    r"|is\s+going\s+to|are\s+going\s+to|shall|has\s+been\s+informed|have\s+been\s+informed"
    r"|is\s+(aware|involved|on\s+it|already)|are\s+(aware|involved))\b",
    r"\b(contact|contacted|contacting|call|called|calling|speak|spoke|spoken|speaking|talk|talked"
    r"|talking|consult|consulted|consulting|get|getting|got|involve|involved|involving|instruct"
    r"|instructed|instructing|hire|hired|hiring|engage|engaged|ring|rang|hand|handed|handing|go"
    r"|going|went|gone|see|seeing|seek|seeking|refer|referred|referring)\s+(this\s+|it\s+"
    r"|the\s+matter\s+|everything\s+|my\s+case\s+)?((on\s+|over\s+)?(to|with)\s+)?(my|a|an|our)"
    rf"\s+(own\s+)?{_LAWYER_EN}\b",
    rf"\b{_LAWYER_EN}\s+(involved|on\s+(this|it|to\s+you))\b",
    # en: regulators and ombudsmen, when the customer goes to them
    r"\b(report|reporting|reported|complain|complaining|complained|complaint|complaints|escalate"
    r"|escalating|escalated|take|taking|took|go|going|went|write|writing|wrote|file|filing|filed"
    r"|lodge|lodging|lodged|raise|raising|raised|contact|contacting|contacted|inform|informing"
    r"|informed|notify|notifying|notified|refer|referring|referred)\s+((this|it|you|you\s+guys"
    r"|acme(\s+pay)?|the\s+matter|everything|my\s+case|a\s+complaint|a\s+case)\s+)?"
    rf"((on\s+|up\s+)?(to|with)\s+)?{_REGULATOR_EN}\b",
    rf"\b{_REGULATOR_EN}\s+(complaint|case|claim|referral)\b",
    # es
    r"\b(demandar\w*|demandare|una\s+demanda|acciones?\s+legal(es)?|medidas\s+legales"
    r"|via\s+judicial|(a|ante)\s+los\s+tribunales|al\s+juzgado|a\s+juicio)\b",
    r"\b(os|les|los|te)\s+(voy\s+a\s+|vamos\s+a\s+)?denunci\w*|\bdenunciar(os|les|los|te)\b"
    r"|\bdenuncia\s+contra\b",
    r"\b(mi|mis|nuestro)\s+abogad[oa]s?\s+(se\s+pondra|va\s+a|les\s+va|os\s+va|ya\s+esta"
    r"|se\s+encargara|tomara)\b",
    r"\b(hablar|hablare|hablado|consultar|consultare|consultado|contactar|contactare|contactado"
    r"|llamar|llamare|contratar|contratare|contratado|acudir|acudire)\s+(con\s+|a\s+)?(mi|un)"
    r"\s+abogad[oa]\b",
    r"\b(denunci\w*|report\w*|reclam\w*|quej\w*|acud\w*|ir|ire|llev\w*|escrib\w*)\s+(esto\s+"
    rf"|lo\s+|el\s+caso\s+)?(ante|al|a\s+la|en\s+el|en\s+la|con\s+el|a)\s+{_REGULATOR_ES}\b",
    # fr
    r"\b(poursuivre|poursuites?)\s+(en\s+justice|judiciaires?)\b|\bvous\s+poursuivre\b",
    r"\b(en\s+justice|au\s+tribunal|devant\s+les\s+tribunaux|devant\s+le\s+juge"
    r"|action\s+judiciaire|procedure\s+judiciaire|porter\s+plainte|plainte\s+contre)\b",
    r"\b(mon|notre)\s+avocat\s+(va|vous|se\s+chargera|prendra|est\s+au\s+courant)\b",
    r"\b(contacter|contacte|consulter|consulte|appeler|appelle|prendre|pris|voir|saisir"
    r"|parler\s+a)\s+(mon|un)\s+avocat\b",
    r"\b(saisir|saisirai|saisi|contacter|contacterai|ecrire|ecrirai|signaler|signalerai|plainte"
    r"|reclamation|recours|aller|irai)\s+(\w+\s+){0,2}?((a|au|aupres\s+de|aupres\s+du|a\s+la)\s+)?"
    rf"{_REGULATOR_FR}\b",
    # de
    r"\b(verklag\w*|klage\s+(gegen|einreichen|erheben)|gerichtlich\w*|vor\s+gericht"
    r"|rechtliche\s+schritte|rechtsweg|anwaltlich\w*)\b",
    r"\b(mein|meine|unser)\s+(rechts)?anwalt(in)?\s+(wird|ist\s+informiert|kummert|meldet"
    r"|schreibt)\b",
    r"\b(meinen|einen|einem|meinem)\s+(rechts)?anwalt\w*\s+(einschalten|nehmen|beauftragen"
    r"|kontaktieren|sprechen|gehen|informieren)\b|\bzum\s+(rechts)?anwalt\b"
    r"|\bmit\s+(meinem|einem)\s+(rechts)?anwalt\b",
    # the separable "einschalten": "schalte ich meinen Anwalt (und die BaFin) ein"
    rf"\bschalte\w*\s+(ich\s+|wir\s+)?((meinen|einen)\s+(rechts)?anwalt\w*|(die|den)\s+{_REGULATOR_DE})"
    r"|\bnehme\s+(ich\s+)?mir\s+(jetzt\s+)?einen\s+(rechts)?anwalt\b",
    rf"\b(an\s+die|bei\s+der|beim|bei\s+dem|zur|zum|die|den)\s+{_REGULATOR_DE}\s+(wenden|melden"
    r"|beschweren|einschalten|gehen|informieren|schreiben|kontaktieren|anrufen)\b",
    rf"\b(wende|melde|beschwere)\s+mich\s+(\w+\s+){{0,3}}?(bei|an)\s+((der|die|den|dem)\s+)?"
    rf"{_REGULATOR_DE}\b",
    rf"\bbeschwerde\s+(bei|an)\s+((der|die|den|dem)\s+)?{_REGULATOR_DE}\b",
    # pt
    r"\bprocessar\s+(voces|vcs|voce|vc|a\s+empresa|o\s+banco|essa\s+empresa|esta\s+empresa"
    r"|a\s+acme)\b|\bprocessa-?(los|las)\b",
    r"\b(acao\s+judicial|processo\s+judicial|entrar\s+na\s+justica|ir\s+a\s+justica"
    r"|juizado\s+especial|pequenas\s+causas|livro\s+de\s+reclamacoes)\b",
    r"\b(levar|levarei|vou\s+levar)\s+(\w+\s+){0,2}?(ao|a|para\s+o)\s+tribunal\b"
    r"|\b(ir|vou)\s+(a|ao|para\s+o)\s+tribunal\b",
    r"\b(meu|nosso)\s+advogad[oa]\s+(vai|ira|entrara|ja\s+esta)\b",
    r"\b(falar|falei|consultar|consultei|contratar|contratei|chamar|procurar|procurei|acionar"
    r"|acionei)\s+(com\s+)?(o\s+)?(meu|um)\s+advogad[oa]\b",
    r"\b(reclam\w*|queixa\w*|denunci\w*|ir|vou|acion\w*|recorr\w*|abrir|registrar|fazer|levar)"
    rf"\s+(\w+\s+){{0,3}}?(no|ao|na|a|para\s+o|junto\s+(do|ao|da))\s+{_REGULATOR_PT}\b",
    # it
    r"\b(vi|ti)\s+(denuncio|denuncero|faccio\s+causa|porto\s+in\s+tribunale|querelo)\b"
    r"|\bdenunciar(vi|ti)\b|\b(fare|faro|faccio)\s+causa\b",
    r"\b(vie|azione|azioni)\s+legal[ie]\b|\b(in|al|davanti\s+al)\s+tribunale\b"
    r"|\b(sporgere|sporgero|presentare|presentero)\s+(una\s+)?(denuncia|querela)\s+contro\b"
    r"|\bdenuncia\s+contro\b|\b(fare|faro|presentare|presentero)\s+(un\s+)?esposto\b",
    r"\b(il\s+)?mio\s+avvocato\s+(vi|ti|si\s+mettera|contattera|procedera|e\s+gia)\b",
    r"\b(contattare|contattero|sentire|sentiro|chiamare|chiamero|consultare|consultero"
    r"|rivolgermi|rivolgero|parlare|parlero)\s+((a|ad|al|con|col|il|un|allo)\s+)?(mio\s+|un\s+"
    r"|il\s+mio\s+)?avvocato\b",
    r"\b(ricorso|ricorrere|ricorrero|rivolgermi|rivolgero|segnalare|segnalero|segnalazione|reclamo"
    r"|esposto|denuncia|scrivere|scrivero|andare|andro)\s+(\w+\s+){0,2}?((a|al|alla|presso\s+la"
    rf"|presso\s+il)\s+)?{_REGULATOR_IT}\b",
)
# "If you don't refund me I'll sue": a negation after "if" is the condition, not a retraction.
CONDITION_WORD = r"\b(if|unless|si|wenn|falls|se|caso)\b"
FIRST_PERSON = r"(i|i'll|i'm|i've|we|we'll|yo|je|j'|ich|wir|eu|io|noi)"

# --- Intents (human_request comes from HUMAN_REQUEST) --------------------------------------------

# "Card" alone is not a card issue ("I paid by card and want a refund"): it needs a card word
# near a card-problem or card-lifecycle word.
_CARD = r"(cards?|tarjetas?|cartes?|\w*karten?|cartao|cartoes|carta)"
_CARD_CONTEXT = (
    r"(declin\w*|block\w*|frozen|freez\w*|lock\w*|not\s+working|doesn'?t\s+work|stopped\s+working"
    r"|won'?t\s+work|reject\w*|refus\w*|expir\w*|damaged|broken|swallowed|retained|stuck|arriv\w*"
    r"|deliver\w*|shipped|activat\w*|pin|contactless|abroad|replace\w*|lost|stolen|limit|atm|new"
    r"|bloque\w*|gesperrt|sperr\w*|bloccat\w*|recusad\w*|rechazad\w*|abgelehnt|rifiutat\w*"
    r"|funciona|fonctionne|funktioniert|funziona|llega\w*|kommt|chegou|arrivat\w*|activ\w*"
    r"|aktivier\w*|ativ\w*|attiv\w*|extranjero|etranger|ausland|exterior|estero|perdid\w*|perdu"
    r"|verloren|pers[ao]|smarrit\w*|neue|nueva|nouvelle|nova|nuova|cajero|distributeur"
    r"|geldautomat|bancomat|volee?|rubat\w*|robad\w*|gestohlen|roubad\w*)"
)
_PAY_NOUN = (
    r"(transfers?|payments?|transactions?|deposits?|withdrawals?|money|funds|salary|direct\s+debit"
    r"|wire|top[-\s]?up|remittance|transferencias?|pagos?|dinero|depositos?|virements?|paiements?"
    r"|argent|uberweisung\w*|zahlung\w*|lastschrift|geld|abbuchung\w*|pagamentos?|dinheiro"
    r"|bonifico|soldi|addebit\w*)"
)
# Not a bare "still"/"todavia"/"ancora": they ride along with any topic ("still restricted").
_PAY_PROBLEM = (
    r"(fail\w*|pending|stuck|missing|delayed|bounced|reversed|disappeared|hasn'?t\s+(arrived|come)"
    r"|never\s+(arrived|came)|not\s+(arrived|received|showing|there)|isn'?t\s+(showing|there)"
    r"|still\s+(hasn'?t|isn'?t|not|no)|taking\s+(so\s+|too\s+)?long|twice|double|duplicate"
    r"|waiting\s+for|no\s+ha\s+llegado|pendiente|fallid\w*|esperando|en\s+attente|pas\s+arrive"
    r"|j'attends|verschwunden|noch\s+nicht|nicht\s+angekommen|ausstehend|fehlgeschlagen"
    r"|warte\s+auf|pendente|nao\s+chegou|falhou|aguardando|non\s+e\s+(ancora\s+)?arrivat\w*"
    r"|in\s+sospeso|fallit\w*|aspetto)"
)

INTENT_PATTERNS: dict[str, tuple[str, ...]] = {
    "fraud_report": (
        r"\b(didn'?t|did\s+not|never)\s+(make|made|authori[sz]e|approve)\b"
        + lexicon_security.NOT_A_MISTAKE,
        r"\b(don'?t|do\s+not|didn'?t)\s+recogni[sz]e\b|\bunrecogni[sz]ed\b",
        r"\b(no\s+reconozco|ne\s+reconnais\s+pas|nao\s+reconheco|non\s+riconosco)\b",
        r"\b(someone|somebody)\s+(used|is\s+using|has\s+used|accessed|got\s+into)\s+my\b",
        r"\b(alguien\s+(uso|ha\s+usado)|quelqu'?un\s+a\s+utilise|alguem\s+(usou|roubou)"
        r"|qualcuno\s+ha\s+usato|jemand\s+hat\s+meine)\b",
    ),
    "account_access": (
        r"\b(can'?t|cannot|can\s+not|unable\s+to|couldn'?t|won'?t\s+let\s+me)\s+(log\s*-?\s*in"
        r"|login|sign\s*-?\s*in|access|get\s+into)\b",
        r"\blocked\s+out\b|\b(password|passcode|sign\s*-?\s*in|log\s*-?\s*in|login)\b",
        r"\b(2fa|two[-\s]factor|otp|one[-\s]time\s+(code|password)|verification\s+code"
        r"|security\s+code|sms\s+code|login\s+code)\b",
        # Not "frozen"/"suspended": those are holds by the bank (usually KYC), not log-in trouble.
        r"\baccount\s+(is\s+|was\s+|has\s+been\s+|got\s+)?(locked|blocked|disabled)\b",
        r"\bcontrasena\b|\b(no\s+puedo|no\s+consigo)\s+(entrar|acceder|iniciar\s+sesion)\b",
        r"\b(mot\s+de\s+passe|me\s+connecter|connexion)\b",
        r"\b(passwort|einloggen|anmelden|anmeldung)\b|\bkonto\s+(ist\s+)?gesperrt\b",
        r"\bsenha\b|\bnao\s+consigo\s+(entrar|acessar|aceder)\b",
        r"\bnon\s+riesco\s+(ad?\s+)?(accedere|entrare)\b",
    ),
    "card_issue": (
        rf"\b{_CARD}\b[^.?!]{{0,50}}\b{_CARD_CONTEXT}\b",
        rf"\b{_CARD_CONTEXT}\b[^.?!]{{0,40}}\b{_CARD}\b",
        r"\border\w*\s+(a\s+|my\s+)?(new\s+|replacement\s+|virtual\s+)?card\b",
    ),
    "payment_issue": (
        rf"\b{_PAY_NOUN}\b[^.?!]{{0,40}}\b{_PAY_PROBLEM}\b",
        rf"\b{_PAY_PROBLEM}\b[^.?!]{{0,40}}\b{_PAY_NOUN}\b",
        r"\b(charged\s+(me\s+)?(twice|double|two\s+times)|double[-\s]charged|paid\s+twice)\b",
        r"\bwhere\s+is\s+my\s+money\b|\bsent\b[^.?!]{0,40}\bwrong\s+(iban|account|person|recipient)\b",
        r"\b(pagato|pague|paye|bezahlt|paguei)\b[^.?!]{0,40}\b(due\s+volte|dos\s+veces"
        r"|deux\s+fois|zweimal|duas\s+vezes)\b",
    ),
    "refund": (
        r"\b(refund(s|ed|ing)?|money\s+back|charge-?backs?|dispute|geld\s+zuruck)\b|\breimburs\w*",
        r"\b(reembols\w*|devolucion|devolver|rembours\w*|ruckerstatt\w*|erstatt\w*|estorno"
        r"|rimbors\w*|storno)\b",
    ),
    "kyc": (
        r"\bkyc\b|\bverif\w*\b(?!\s+(code|codigo))",
        r"\b(documents?|passport|selfie|identity\s+check|(id|identity)\s+card)\b",
        r"\bproof\s+of\s+(address|identity|income|funds)\b|\bsource\s+of\s+(funds|wealth)\b",
        r"\bdriv(er'?s|ing)\s+licen[cs]e\b|\bpiece\s+d'?identite\b",
        r"\b(document\w*|identidad|identidade|identita|pasaporte|justificatif\w*|ausweis\w*"
        r"|identitat\w*|verifizier\w*)\b",
    ),
    "fees": (
        r"\b(fees?|commissions?|exchange\s+rates?|pricing|prices?|costs?|markup)\b",
        r"\bmonthly\s+(plan|subscription|charge)\b",
        r"\b(comision\w*|tarifa\w*|cuotas?|frais|tarif\w*|commission\w*|taux\s+de\s+change)\b",
        r"\b(gebuhr\w*|kosten|wechselkurs|taxas?|comiss\w*|commission\w*|cost[oi]|tariff\w*)\b",
        r"\b(tipo|taxa|tasso)\s+de?i?\s*cambio\b|\b(cuesta|coute|kostet|custa|costa)\b",
        r"\b(how\s+much|cuanto|combien|wie\s+viel|quanto)\b[^.?!]{0,30}\b(cost\w*|charge\w*"
        r"|cobra\w*)\b",
    ),
}

# "..., not my card": what the customer says it is *not* about is taken out of the text the
# intent model reads (it would otherwise hear "card" and answer a card intent).
NEGATED_OBJECT = (
    r"\b(not|nicht|pas|no|nao|non)\s+(my|the|a|your|mein\w*|ma|mon|mi|meu|minha|mio|mia)\s+\w+"
)

# Blanked before card_issue runs: cards that are not payment cards, and "not my card".
CARD_EXCLUSIONS: tuple[str, ...] = (
    r"\b(id|identity|sim|gift|loyalty|residence|business|national\s+id)\s+cards?\b",
    r"\bnot\s+(my|the|a)\s+card\b",
)

# --- Complexity signals (see analysis._complexity) ------------------------------------------------

# (?<![\d.,]) starts a number only at its first digit: a long run ("1,1,1,...") is then read
# once, not again from every digit (quadratic: 20 KB of it took 8 s).
AMOUNT = (
    r"[$€£]\s?\d"
    r"|(?<![\d.,])\d[\d.,]*\s?(€|\$|£|eur|euros?|usd|gbp|dollars?|pounds?|reais|francs?)\b"
)
DATE = (
    r"\b\d{1,2}[/.-]\d{1,2}([/.-]\d{2,4})?\b|\b(yesterday|today|tonight|tomorrow|last\s+(night|week"
    r"|month)|since|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march"
    r"|april|june|july|august|september|october|november|december|days?|weeks?|months?"
    r"|ayer|hoy|lunes|semana|hier|depuis|semaine|gestern|heute|seit|montag|woche|wochen|ontem|hoje"
    r"|dias|ieri|oggi|settimana|lunedi)\b"
)
# Several issues, repeated attempts, or earlier contact that went nowhere.
MORE_ISSUES = (
    r"\b(also|as\s+well|on\s+top\s+of\s+that|another|second(ly)?|plus|ademas|tambien|aussi"
    r"|en\s+plus|auch|ausserdem|alem\s+disso|anche|inoltre|nobody|no\s+one|nadie|personne\s+ne"
    r"|niemand|ninguem|nessuno|again|(\d+|two|three|four|five|several|many|multiple)\s+times"
    r"|(second|third|fourth)\s+time|keeps?\s+(failing|happening|getting))\b"
)
# A complaint that accuses: "rip-off", "daylight robbery", "c'est du vol", "Abzocke", "è una
# rapina". Not plain dislike ("terrible", "awful"): on its own a vent still scores one point, low.
COMPLAINT = (
    r"\b(rip-?\s?offs?|ripping\s+(me|us|people|customers)\s+off|robbery|daylight\s+robbery"
    r"|scam-?like|scammy|extortion(ate)?|ridiculous|outrageous|ludicrous|disgrace(ful)?"
    r"|shameful|criminal|theft|thieves|crooks?"
    r"|un\s+robo|atraco|abusiv[oa]s?|vergonzos[oa]|ridicul[oa]|indignante|timo|ladrones"
    r"|sinverguenzas|du\s+vol|abusi(f|fs|ve|ves)|honteu(x|se)|scandaleu(x|se)|ridicule|voleurs"
    r"|escrocs?|inadmissible|abzocke\w*|wucher\w*|diebstahl|frechheit|unverschamt|lacherlich"
    r"|halsabschneider|skandal\w*|um\s+roubo|assalto|abusiv[oa]s?|vergonhos[oa]|absurd[oa]"
    r"|ladroes|extorsao|rapina|ladri|vergognos[oa]|ridicol[oa]|assurd[oa]|scandalos[oa]"
    r"|strozzin[oi]|usura)\b"
)
# The customer says the money is gone or was too much: "I lost 40 euros", "way worse than the
# real rate", "overcharged", "hidden fees".
MONEY_LOST = (
    r"\b(lost|losing|lose|cost\s+me)\s+(over\s+|about\s+|almost\s+|nearly\s+|a\s+lot\s+of\s+"
    r"|so\s+much\s+|more\s+than\s+)?([$€£]|\d|money|cash)"
    r"|\b(worse|lower|higher)\s+than\s+(the\s+)?(real|actual|market|mid-?market|official|google"
    r"|interbank|going)\s+(exchange\s+)?rate\b|\bovercharg\w*|\bcharged\s+me\s+(too\s+much|more"
    r"|extra|double)\b|\bhidden\s+(fees?|charges?|costs?|markups?)\b"
    r"|\b(perdi|he\s+perdido|me\s+costo)\s+(mas\s+de\s+|casi\s+)?(\d|dinero)"
    r"|\bcobra\w*\s+de\s+mas\b|\bpeor\s+que\s+el\s+(tipo\s+de\s+cambio|cambio)\s+real\b"
    r"|\bj'ai\s+perdu\s+(plus\s+de\s+|pres\s+de\s+)?(\d|de\s+l'argent)|\bfactur\w+\s+trop\b"
    r"|\btrop\s+factur\w+|\bfrais\s+caches\b"
    r"|(?<![\d.,])\d[\d.,]*\s?(€|euro|eur)\s+verloren\b|\bgeld\s+verloren\b"
    r"|\bzu\s+viel\s+berechnet\b"
    r"|\bversteckte\s+(gebuhren|kosten)\b"
    r"|\bperdi\s+(mais\s+de\s+|quase\s+)?(\d|dinheiro)|\bcobra\w*\s+a\s+mais\b"
    r"|\btaxas\s+escondidas\b"
    r"|\bho\s+perso\s+(piu\s+di\s+|quasi\s+)?(\d|soldi|denaro)|\baddebitato\s+troppo\b"
    r"|\bcosti\s+nascosti\b"
)
# ... and wants it back, now: "I want my money back", "devuélvanme mi dinero", "rendez-moi mon
# argent", "ich will mein Geld zurück", "quero o meu dinheiro de volta", "rivoglio i miei soldi".
MONEY_BACK = (
    r"\b(want|need|demand|expect)\s+(my|the|our)\s+money\s+back\b|\bgive\s+(me\s+)?(my|the)\s+money"
    r"\s+back\b|\brefund\s+me\b|\bpay\s+me\s+back\b"
    r"|\bquiero\s+(mi|que\s+me\s+devuelvan\s+(mi|el))\s+dinero\b|\bdevuelv\w*\s+(mi|el)\s+dinero\b"
    r"|\brendez-?moi\s+mon\s+argent\b|\bje\s+veux\s+(etre\s+rembourse|mon\s+argent"
    r"|recuperer\s+mon\s+argent)"
    r"|\b(will|mochte|verlange)\s+mein\s+geld\s+zuruck\b"
    r"|\bquero\s+(o\s+)?meu\s+dinheiro\b|\bdevolv\w*\s+(o\s+)?meu\s+dinheiro\b"
    r"|\brivoglio\s+i\s+miei\s+soldi\b|\b(voglio|ridatemi)\s+(indietro\s+)?i\s+miei\s+soldi\b"
)

# --- Sentiment gloss for VADER (English-only) ----------------------------------------------------
# Strong foreign words become an English word of similar strength that VADER knows, so VADER's own
# rules (intensifiers, negation, "!", CAPS) still apply. Small on purpose: it only has to tell a
# furious customer from a calm one, not grade nuance.

GLOSS_COMMON: dict[str, str] = _pairs(
    # es
    "pesimo:awful pesima:awful enfadado:angry enfadada:angry enojado:angry enojada:angry "
    "furioso:furious furiosa:furious harto:frustrated harta:frustrated inaceptable:unacceptable "
    "verguenza:disgrace vergonzoso:shameful ridiculo:ridiculous decepcionado:disappointed "
    "decepcionada:disappointed indignado:outraged molesto:annoyed inutil:useless desastre:disaster "
    "malo:bad fatal:awful estafa:scam fraude:fraud problema:problem gracias:thanks genial:great "
    "excelente:excellent perfecto:perfect contento:happy contenta:happy encantado:delighted "
    "feliz:happy robo:stealing atraco:stealing abusivo:outrageous abusiva:outrageous "
    "indignante:outrageous timo:scam ladrones:thieves sinverguenzas:disgrace "
    # fr
    "furieux:furious furieuse:furious enerve:annoyed enervee:annoyed inadmissible:unacceptable "
    "inacceptable:unacceptable honteux:shameful honte:shame scandaleux:scandalous nul:useless "
    "nulle:useless decu:disappointed decue:disappointed catastrophique:catastrophic "
    "inutile:useless mauvais:bad probleme:problem arnaque:scam moquez:mocking merci:thanks "
    "parfait:perfect super:great voleurs:thieves abusif:outrageous abusifs:outrageous "
    "abusive:outrageous abusives:outrageous escroc:thief escrocs:thieves ridicule:ridiculous "
    # de
    "wutend:furious sauer:angry verargert:annoyed unverschamt:outrageous frechheit:disgrace "
    "inakzeptabel:unacceptable schrecklich:terrible furchtbar:awful katastrophal:catastrophic "
    "enttauscht:disappointed argerlich:annoying nutzlos:useless schlecht:bad schlimm:bad "
    "betrug:fraud skandal:scandal danke:thanks perfekt:perfect zufrieden:satisfied "
    "abzocke:scam wucher:outrageous diebstahl:stealing halsabschneider:thieves "
    "lacherlich:ridiculous zumutung:outrageous unverschamtheit:outrageous sauerei:disgrace "
    "miserabel:awful mies:bad genervt:annoyed stinksauer:furious skandalos:scandalous "
    "inkompetent:incompetent unfahig:incompetent enttauschend:disappointing katastrophe:disaster "
    "beschissen:awful unmoglich:outrageous "
    # pt
    "inaceitavel:unacceptable pessimo:awful pessima:awful horrivel:horrible irritado:annoyed "
    "irritada:annoyed chateado:upset absurdo:ridiculous vergonha:shame ruim:bad golpe:scam "
    "obrigado:thanks obrigada:thanks otimo:great perfeito:perfect roubo:stealing "
    "assalto:stealing abusivos:outrageous ladroes:thieves extorsao:scam vergonhoso:shameful "
    "vergonhosa:shameful "
    # it
    "inaccettabile:unacceptable orribile:horrible arrabbiato:angry arrabbiata:angry vergogna:shame "
    "vergognoso:shameful assurdo:ridiculous deluso:disappointed delusa:disappointed "
    "schifo:disgusting terribile:terrible truffa:scam frode:fraud grazie:thanks perfetto:perfect "
    "ottimo:great felice:happy rapina:stealing ladri:thieves furto:stealing ridicolo:ridiculous "
    "scandaloso:scandalous strozzini:thieves usura:scam"
)
# Negators, "nobody" and intensifiers differ per language ("tres" is "very" in French, "three" in
# Spanish). VADER does not negate with "nobody" ("nobody helps" reads as praise); "never" does.
# The second line of each language: its everyday words that VADER's English lexicon scores as
# something else, glossed to what they mean: German "die" (the article) and "war" ("was") read as
# -2.9 each, so a fifth of calm German questions came out negative; Portuguese "no" is "in the",
# Italian "mia" is "my", Spanish "sin" is "without", French "tard" is "late".
GLOSS_BY_LANGUAGE: dict[str, dict[str, str]] = {
    "en": _pairs("nobody:never noone:never"),
    "es": _pairs(
        "nadie:never no:not nunca:never muy:very tan:so totalmente:totally "
        "sin:without ha:has hago:do favor:please"
    ),
    "fr": _pairs(
        "personne:never pas:not jamais:never rien:nothing tres:very vraiment:really "
        "totalement:totally "
        "dire:say tard:late l:the tout:all grand:big assurance:insurance"
    ),
    "de": _pairs(
        "niemand:never nicht:not kein:not keine:not keinen:not nie:never sehr:very "
        "wirklich:really total:totally absolut:absolutely "
        "die:the war:was wars:was lag:was fallen:apply kinder:children"
    ),
    "pt": _pairs(
        "ninguem:never nao:not nunca:never muito:very totalmente:totally realmente:really "
        "no:in favor:please"
    ),
    "it": _pairs(
        "nessuno:never non:not mai:never molto:very davvero:really veramente:really "
        "mia:my ha:has l:the fine:end"
    ),
}
# Complaint idioms VADER scores as neutral or even positive ("a joke" is +1.2 in its lexicon).
ENGLISH_IDIOMS: dict[str, str] = {
    r"\b(is|was|are)\s+a\s+(total\s+|complete\s+)?joke\b": r"\1 a disgrace",
    r"\brip-?\s?off\b": "scam",
    r"\bscam-?like\b|\bscammy\b|\bextortion(ate)?\b": "scam",
    r"\b(daylight\s+)?robbery\b|\btheft\b": "stealing",
    r"\bcrooks\b": "thieves",
    r"\bfed\s+up\b": "frustrated",
    r"\bwaste\s+of\s+(my\s+)?(time|money)\b": "useless",
}

# --- Language hints for texts too short (or too ambiguous) for langdetect ------------------------

LANGUAGE_HINT_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "hi hello hey thanks thank you please help my the is i want need can card account "
        "yes ok what how where why human agent operator hours bot are to with money good morning "
        "bye hacked stolen lost scam fraud refund",
        "es": "hola gracias por favor quiero necesito tarjeta cuenta ayuda mi el los estoy puedo "
        "hablar persona buenos dias eres adios como robada robado dinero reembolso",
        "fr": "bonjour bonsoir salut merci je vous mon ma mes est suis carte compte aide oui avec "
        "pour pas le les une des s'il plait c'est beaucoup conseiller parler au revoir combien "
        "pourquoi",
        "de": "hallo guten tag danke bitte ich bin mein meine ist nicht karte konto hilfe ja nein "
        "mit und der die das ein eine sie wie was warum kann mitarbeiter sprechen tschuss "
        "gestohlen",
        "pt": "ola obrigado obrigada quero preciso cartao conta ajuda sim nao meu minha voce estou "
        "bom tudo falar atendente roubado",
        "it": "ciao buongiorno buonasera grazie per favore voglio ho bisogno carta conto aiuto mio "
        "mia sono il della posso parlare operatore prego rubata rubato",
    }.items()
}
# Characters that point to a language even in one word ("¿", "ß", "ã").
LANGUAGE_HINT_CHARS = {"es": "ñ¿¡", "de": "ßäöü", "pt": "ãõêâç", "fr": "çêâîûœëè", "it": "òì"}
