"""Pattern tables for fraud and account-takeover reports told in the customer's own words.

``lexicon.PRIORITY_KEYWORDS`` takes these into its "unauthorized" and "account takeover" keys (the
one place the keywords live); here they are grouped by what the customer reports, each in the six
languages (en, es, fr, de, pt, it):

- a money movement they disown: "a purchase I didn't make", "un cargo que no reconozco", "une
  opération que je n'ai pas faite", "eine Abbuchung, die ich nicht kenne", "uma compra que não fui
  eu que fiz", "un prelievo che non ho fatto";
- someone else using their card: "somebody used my card", "clonaron mi tarjeta";
- an account changed or entered by someone else: a password, e-mail or phone number they did not
  change, a log-in or device they do not recognise, a break-in attempt, a SIM swap.

Like the rest of the lexicon, every regex runs on normalised text (casefolded, accents stripped)
after ``TYPO_VOCABULARY`` has put misspelt key words right (see ``livechat.ai.typos``).
"""

from __future__ import annotations

# --- Typo tolerance (see livechat.ai.typos) ------------------------------------------------------
# Words that carry a fraud or takeover report. A word of 5+ letters one edit (a letter added,
# dropped, changed, or two neighbours swapped) from exactly one of these is read as it:
# "sombody" -> "somebody", "unathorized" -> "unauthorized", "withdrawl" -> "withdrawal".
# Left out on purpose: words one edit from a common word, where a correction would invent a
# report: "hacked" (backed, packed, tacked), "betrug" (German "Betrag", an amount), "estafa"
# (Spanish "estaba"), "robado" (rodado), "passwort" (passport), "gehackt" (gepackt), "geklaut"
# ("geklärt", resolved).
TYPO_VOCABULARY: tuple[str, ...] = tuple(
    """
    someone somebody stolen fraud fraudulent fraudster unauthorized unauthorised recognise
    recognize recognised recognized unrecognised unrecognized password passcode account payment
    payments purchase purchases transaction transactions withdrawal withdrawals permission changed
    alguien tarjeta reconozco contrasena desconocido desconocida
    reconnais piratage inconnu inconnue arnaque
    jemand gestohlen kennwort unbekannt
    alguem roubado roubada roubaram cartao reconheco clonado clonada desconhecido
    qualcuno rubato rubata truffa riconosco clonata sconosciuto
    """.split()
)
# Real words one edit from a vocabulary word: never "corrected".
TYPO_KEEP: frozenset[str] = frozenset(
    """
    stole stoles stollen frauds fraude freud fraudsters recognises recognizes passwords
    passcodes accounts purchased purchaser transaktion charged change changes changer hanged
    robado robada tarjetas contrasenas desconocidos desconocidas
    reconnait inconnus inconnues arnaques
    passwort demand unbekannte unbenannt
    algum carta cartas clonados clonadas reconhece reconheci roubados roubadas desconhecidos
    clonato truffe tuffa rubati rubate riconosce riconosci sconosciuta sconosciuti
    """.split()
)

# Someone who is not the customer (lexicon's takeover patterns use it too).
INTRUDER = (
    r"(someone|somebody|a\s+stranger|a\s+hacker|hackers|a\s+third\s+party|an\s+unknown\s+person)"
    r"(\s+else)?"
)

# --- A money movement the customer disowns ("unauthorized") --------------------------------------

# Payments, purchases, charges, withdrawals, debits, transfers: what money leaves an account by.
_TXN = (
    r"(payments?|purchases?|charges?|transactions?|withdrawals?|debits?|transfers?|deductions?"
    r"|subscriptions?"
    r"|compras?|cargos?|pagos?|cobros?|transacci(on|ones)|retiradas?|retiros?|reintegros?|adeudos?"
    r"|domiciliaci(on|ones)|transferencias?|movimientos?|operaci(on|ones)"
    r"|achats?|paiements?|prelevements?|retraits?|virements?|operations?|depenses?"
    r"|\w{0,15}(zahlung|buchung|abhebung|lastschrift|uberweisung)(en)?|transaktion(en)?"
    r"|belastung(en)?|einkauf\w{0,2}|kauf"
    r"|pagamentos?|cobrancas?|transac(ao|oes)|levantamentos?|saques?|debitos?|movimentac(ao|oes)"
    r"|acquist[oi]|pagament[oi]|addebit[oi]|transazion[ei]|preliev[oi]|bonifici?)"
)
# "I didn't make any mistake" disowns nothing: said after "make"/"made" wherever a disowning
# "didn't make" is looked for.
NOT_A_MISTAKE = r"(?!\s+(any\s+|a\s+|an\s+|the\s+)?(mistakes?|errors?|typos?|changes?)\b)"
# Said after the money movement: "... I didn't make", "... que no hice", "... that wasn't me". In
# es/fr/de/pt/it only as a relative clause or with an object pronoun ("que je n'ai pas faite", "die
# ich nicht gemacht habe", "non l'ho fatto"): a bare "non ho fatto niente" or "wurde nicht
# durchgeführt" is said of failed transfers too.
_DISOWNED = (
    r"((i|we)\s+)?((have|has)\s+)?(didn'?t|did\s+not|never|haven'?t|have\s+not)\s+((make|made)"
    rf"{NOT_A_MISTAKE}|authori[sz]e|authori[sz]ed|approve|approved|buy|bought|sign(ed)?\s+up"
    r"|agree|agreed|book|booked|order|ordered|subscribe[ds]?|subscribed)"
    r"|(don'?t|do\s+not|didn'?t|did\s+not)\s+recogni[sz]e"
    r"|(wasn'?t|was\s+not|weren'?t|were\s+not|isn'?t|is\s+not|not)\s+(me|mine|by\s+me)\b"
    r"|not\s+(made|done|authori[sz]ed)\s+by\s+me"
    # es
    r"|(que\s+(yo\s+)?no|yo\s+no|no\s+(la|lo|las|los))\s+(hice|hicimos|he\s+hecho|autorice"
    r"|he\s+autorizado|realice|he\s+realizado|conozco)|no\s+((la|lo|las|los)\s+)?reconozco"
    r"|no\s+(fui|he\s+sido|hemos\s+sido)\s+yo|yo\s+no\s+(fui|he\s+sido)"
    # fr
    r"|(que\s+(je\s+|nous\s+)?n'|ne\s+l'|ne\s+les\s+)(ai|avons)\s+(pas|jamais)\s+(fait|effectue"
    r"|autorise|realise)|ne\s+(le\s+|la\s+|les\s+)?reconnais\s+pas"
    r"|que\s+je\s+ne\s+(le\s+|la\s+|les\s+)?connais\s+pas"
    r"|(ce\s+n'etait|ce\s+n'est|c'etait|c'est)\s+pas\s+moi"
    # de
    r"|(die|den|das)\s+(ich|wir)\s+(\w+\s+)?(nicht|nie)\s+(gemacht|getatigt|autorisiert"
    r"|veranlasst|beauftragt|kenne|erkenne)"
    r"|(ich|wir)\s+(habe|haben)\s+(sie|es|das|die|den|diese\w*)\s+(nicht|nie)\s+(gemacht|getatigt"
    r"|autorisiert|veranlasst)"
    r"|(das|es)\s+war(en)?\s+(ich|wir)\s+nicht|(ich|wir)\s+war(en)?\s+(das|es)\s+nicht"
    r"|nicht\s+von\s+mir"
    # pt
    r"|(que\s+(eu\s+)?nao|eu\s+nao|nao\s+(a|o|as|os))\s+(fiz|fizemos|autorizei|realizei|efetuei"
    r"|conheco)|nao\s+((a|o|as|os)\s+)?reconheco|nao\s+(fui|foi)\s+eu"
    # it
    r"|(che\s+non|non\s+(l'|la\s+|lo\s+|le\s+|li\s+))\s*(ho|abbiamo)\s+(mai\s+)?(fatt|autorizzat"
    r"|effettuat)\w*|(che\s+)?non\s+((la|lo|li|le)\s+)?riconosco|che\s+non\s+conosco"
    r"|non\s+sono\s+stat[oai]\s+io|non\s+(ero|eravamo)\s+io"
)
# Said before it: "I don't recognise this payment", "no reconozco este cargo", "an unknown debit".
_DISOWNING = (
    r"(don'?t|do\s+not|didn'?t|did\s+not)\s+recogni[sz]e|unrecogni[sz]ed|no\s+reconozco"
    r"|ne\s+reconnais\s+pas|nao\s+reconheco|non\s+riconosco"
)
_UNKNOWN = (
    r"(unknown|strange|suspicious|unfamiliar|desconocid[oa]s?|sospechos[oa]s?|inconnue?s?"
    r"|suspecte?s?|unbekannt\w{0,2}|verdachtig\w{0,2}|desconhecid[oa]s?|suspeit[oa]s?|sconosciut[oaie]"
    r"|sospett[oaie])"
)
# Money that left, in the words of a customer who did not send it: a _TXN, cash taken out.
_MONEY_OUT = (
    rf"({_TXN}|withdr[ae]w\w*|taken\s+out|took\s+out|spent|charged|cash|atms?|cash\s*(machines?"
    r"|points?)|orders?|sacad[oa]s?|saco|retire|retir[eo]|abgehoben|levantad[oa]s?|sacad[oa]"
    r"|prelevat[oi])"
)
# An amount of money as customers write it: "£1,800", "€40", "$1,340", "300 euros", "50 quid".
# A number is tried from its first digit only: tried from each of its digits, a long run of
# digits cost time quadratic in its length (4,000 nines: 0.4 s of CPU in one message).
_AMOUNT = (
    r"([£€$]\s?\d[\d.,]*|(?<![\d.,])\d[\d.,]*\s?(€|eur|euros?|quid|pounds?|dollars?|usd|gbp|chf"
    r"|francs?|reais|pln|zloty))"
)
# An alibi: where the customer was when the money went ("at 3am, I was asleep", "I've never been
# to Lagos", "I haven't been near a cash machine"). Said with money leaving, it disowns it.
_ALIBI = (
    r"((i|we)\s+(was|were)|i'?m|i\s+am|we'?re|(i|we)\s+(had|have)\s+been|i'?ve\s+been)\s+"
    r"(fast\s+|sound\s+)?(asleep|sleeping|in\s+bed|at\s+(home|work)\s+all\s+(day|night))\b"
    r"|\b(i|we)('?ve|\s+have)?\s+never\s+been\s+(to|in)\b(?!\s+(a|an|any|your|our|the\s+(bank"
    r"|branch|office|app|website))\b)"
    r"|\b(i|we)\s+(haven'?t|have\s+not)\s+been\s+(anywhere\s+)?near\b"
    r"|\b(estaba|estabamos)\s+(durmiendo|dormid[oa]|en\s+la\s+cama)\b|\bnunca\s+he\s+estado\s+en\b"
    r"|\bje\s+dormais\b|\bje\s+n'?ai\s+jamais\s+ete\s+(a|en|au)\b"
    r"|\bich\s+(habe|hab)\s+(\w+\s+)?geschlafen\b|\bich\s+war\s+(noch\s+)?nie\s+in\b"
    r"|\b(eu\s+)?(estava|estavamos)\s+(a\s+dormir|dormindo|na\s+cama)\b"
    r"|\bnunca\s+estive\s+(em|no|na)\b"
    r"|\bstavo\s+dormendo\b|\bdormivo\b|\bnon\s+sono\s+mai\s+stat[oa]\s+(a|in)\b"
)
# "Who took £200 out of my account?": asking who moved the customer's money is disowning it.
_WHO_TOOK = (
    r"\bwho\s+(has\s+)?(withdr[ae]w\w*|took|taken|spent|charged|transferred|sent|paid|used)\b"
    r"[^.?!]{0,60}\b(my|me)\b"
    r"|\bquien\s+(ha\s+)?(sac|retir|gast|us|transfiri)\w*|\bqui\s+a\s+(retire|depense|utilise"
    r"|vire|preleve)\b|\bwer\s+hat\b[^.?!]{0,60}\b(abgehoben|ausgegeben|benutzt|uberwiesen)\b"
    r"|\bquem\s+(levantou|sacou|gastou|usou|transferiu)\b|\bchi\s+ha\s+(prelevato|speso|usato"
    r"|trasferito)\b"
)
DISOWNED_TRANSACTION: tuple[str, ...] = (
    rf"\b{_TXN}\b[^.?!]{{0,80}}\b({_DISOWNED})",
    rf"\b({_DISOWNING})\b[^.?!]{{0,50}}\b{_TXN}\b",
    rf"\b{_UNKNOWN}\s+(\w+\s+)?{_TXN}\b|\b{_TXN}\s+(\w+\s+)?{_UNKNOWN}\b",
    rf"\berkenne\s+(\w+\s+){{0,3}}?{_TXN}\s+(\w+\s+)?nicht\b",
    rf"\b{_MONEY_OUT}\b[\s\S]{{0,160}}\b({_ALIBI})|\b({_ALIBI})[\s\S]{{0,160}}\b{_MONEY_OUT}\b",
    # "€1,800 at a jewellery shop in Milan?!?! that's not me": an amount, then disowned.
    rf"{_AMOUNT}[^\n]{{0,80}}?\b({_DISOWNED})",
    _WHO_TOOK,
)

# --- Someone else used the card ("unauthorized") -------------------------------------------------

_SOMEONE = (
    r"(someone|somebody|a\s+stranger|a\s+thief|the\s+thief|a\s+hacker|hackers|a\s+third\s+party"
    r"|an\s+unknown\s+person)(\s+else)?"
)
_CARD_DATA = (
    r"(card|cards|card\s+details|card\s+number|card\s+data|details|tarjeta|tarjetas|datos|carte"
    r"|cartes|coordonnees\s+bancaires|donnees|\w{0,12}karte|kartendaten|cartao|cartoes|dados|carta"
    r"|dati)"
)
CARD_MISUSE: tuple[str, ...] = (
    # en
    rf"\b{_SOMEONE}\s+(has\s+|had\s+|just\s+|must\s+have\s+|somehow\s+|is\s+|has\s+been\s+)?(used"
    r"|using|cloned|copied|skimmed|charged|paid\s+with|shopping\s+with|spending\s+on)\s+(my|our)"
    rf"\s+(\w+\s+)?{_CARD_DATA}\b",
    r"\bcards?(\s+details|\s+number|\s+data)?\s+(was|were|has\s+been|have\s+been|got|may\s+have\s+been"
    r"|must\s+have\s+been)\s+(cloned|skimmed|copied|compromised|used\s+by\s+(someone|somebody"
    r"|a\s+stranger|another\s+person|other\s+people))\b",
    # es
    r"\b(alguien|otra\s+persona|un\s+desconocido)\s+(\w+\s+)?(uso|ha\s+usado|usa|esta\s+usando"
    r"|utilizo|ha\s+utilizado|clono|ha\s+clonado)\s+(mi|mis)\s+(\w+\s+)?(tarjeta|datos)\b",
    r"\b(me\s+)?(han\s+usado|usaron|han\s+utilizado|utilizaron|clonaron|han\s+clonado)\s+(mi|mis|la)"
    r"\s+(\w+\s+)?(tarjeta|datos)\b",
    r"\btarjeta\s+(\w+\s+)?(fue\s+|ha\s+sido\s+|esta\s+)?(clonada|duplicada|copiada)\b",
    # fr
    r"\b(quelqu'?un|on)\s+(d'autre\s+)?(a\s+|m'a\s+)(utilise|clone|copie|pirate)\s+(ma|mes)\s+"
    r"(\w+\s+)?(carte|coordonnees\s+bancaires|donnees)\b",
    r"\bcarte\s+(\w+\s+)?(a\s+ete\s+|est\s+)(clonee|copiee|piratee|utilisee\s+par)\b",
    # de
    r"\bjemand\s+(\w+\s+){0,2}?(hat|hatte)\s+(\w+\s+){0,2}?(meine|mein|meinen)\s+(\w+\s+)?"
    r"\w{0,12}(karte|kartendaten)\s+(\w+\s+){0,2}?(benutzt|verwendet|genutzt|missbraucht|kopiert|geklont)\b",
    r"\b\w{0,12}(karte|kartendaten)\s+(wurde|wurden|ist|sind)\s+(\w+\s+){0,3}?(geklont|kopiert"
    r"|missbraucht|ausgespaht)\b",
    # pt
    r"\balguem\s+(\w+\s+)?(usou|utilizou|esta\s+usando|clonou)\s+(o\s+|a\s+|os\s+)?(meu|minha|meus)"
    r"\s+(\w+\s+)?(cartao|dados)\b",
    r"\b(usaram|utilizaram|clonaram)\s+(o\s+|a\s+|os\s+)?(meu|minha|meus)\s+(\w+\s+)?(cartao|dados)\b",
    r"\bcartao\s+(\w+\s+)?(foi\s+)?(clonado|copiado)\b",
    # it
    r"\bqualcuno\s+(\w+\s+)?(ha\s+)?(usato|utilizzato|clonato)\s+(la\s+|i\s+)?(mia|miei)\s+"
    r"(\w+\s+)?(carta|dati)\b",
    r"\bhanno\s+(usato|utilizzato|clonato)\s+(la\s+|i\s+)?(mia|miei)\s+(\w+\s+)?(carta|dati)\b",
    r"\bcarta\s+(\w+\s+)?(e\s+stata\s+)?(clonata|copiata)\b",
)

# --- Someone else changed or entered the account ("account takeover") ---------------------------

_CREDENTIAL_EN = (
    r"(password|passcode|pin|e-?mail(\s+address)?|phone\s+number|mobile(\s+number)?|number|sim"
    r"|security\s+(questions?|details)|log-?in\s+details|2fa|two[-\s]factor\w*|address"
    r"|contact\s+details)"
)
_CREDENTIAL_ES = (
    r"(contrasena|clave|pin|correo(\s+electronico)?|e-?mail|numero(\s+de\s+(telefono|movil))?"
    r"|telefono|movil|sim|direccion)"
)
_CREDENTIAL_FR = (
    r"(mot\s+de\s+passe|code(\s+secret|\s+pin)?|pin|e-?mail|adresse(\s+e-?mail|\s+mail)?"
    r"|numero(\s+de\s+(telephone|portable))?|telephone|sim)"
)
_CREDENTIAL_DE = (
    r"(passwort|kennwort|pin|e-?mail(-?adresse)?|\w{0,12}nummer|sim(-?karte)?|adresse|zugangsdaten)"
)
_CREDENTIAL_PT = (
    r"(senha|palavra-?\s?passe|pin|e-?mail|numero(\s+de\s+(telefone|telemovel|celular))?|telefone"
    r"|telemovel|celular|chip|sim|morada|endereco)"
)
_CREDENTIAL_IT = (
    r"(password|pin|e-?mail|numero(\s+di\s+(telefono|cellulare))?|telefono|cellulare|sim"
    r"|indirizzo)"
)
# "... but I didn't change anything", "... and it wasn't me", "... without my permission".
_NOT_BY_ME = (
    r"((i|we)\s+)?(didn'?t|did\s+not|never|haven'?t|have\s+not)\s+(change|changed|do|did|request"
    r"|requested|ask|asked|authori[sz]e|make|made|touch|touched|reset|add|added|link|linked)\b"
    r"|(wasn'?t|was\s+not|it's\s+not|not)\s+me\b|not\s+by\s+me|without\s+(my|me)\b"
    r"|by\s+(someone|somebody|a\s+stranger)"
    r"|no\s+(fui|he\s+sido)\s+yo|yo\s+no\s+((la|lo)\s+)?(cambie|he\s+cambiado|fui|he\s+sido)"
    r"|no\s+((la|lo)\s+)?(cambie|he\s+cambiado|pedi|he\s+pedido)|sin\s+mi\s+(permiso|autorizacion"
    r"|consentimiento)"
    r"|(ce\s+n'etait|ce\s+n'est|c'etait|c'est)\s+pas\s+moi|sans\s+(mon\s+)?(accord|autorisation"
    r"|consentement)|je\s+n'ai\s+(rien|pas|jamais)\s+(\w+\s+)?(change|modifie|demande|fait)"
    r"|(das|es)\s+war(en)?\s+(ich|wir)\s+nicht|(ich|wir)\s+war(en)?\s+(das|es)\s+nicht"
    r"|nicht\s+von\s+mir|nicht\s+ich|ohne\s+(mein\w*\s+)?(wissen|zustimmung|erlaubnis)"
    r"|(habe|hab)\s+(\w+\s+)?(nichts|nicht|nie)\s+(\w+\s+)?(geandert|gemacht|beantragt)"
    r"|nao\s+(fui|foi)\s+eu|sem\s+(a\s+)?(minha\s+)?(autorizacao|permissao|consentimento)"
    r"|(eu\s+)?nao\s+((a|o)\s+)?(mudei|alterei|troquei|pedi)"
    r"|non\s+sono\s+stat[oa]\s+io|senza\s+(il\s+)?(mio\s+)?(consenso|permesso)"
    r"|non\s+(l'|la\s+|lo\s+)?ho\s+(cambiat|modificat|richiest|fatt)[oa]"
    r"|non\s+ho\s+(cambiato|fatto|modificato)\s+(nulla|niente)"
)
# "the e-mail on my account", "la contraseña de mi cuenta", "il numero del mio conto".
_OF_ACCOUNT = (
    r"(\s+(on|for|of|in|linked\s+to|de|da|do|del|della|dell'|di|du)\s+(my|our|the|mi|mon|ma|minha"
    r"|meu|a|o|la|il|mio|mia)\s+(\w+\s+)?(account|app|profile|cuenta|compte|conta|conto|appli))?"
)
# A device or payee the customer did not add: "a new device was added to my account, wasn't me".
_ADDED = (
    r"(device|phone|computer|laptop|payee|beneficiary|dispositivo|telefono|movil|beneficiario"
    r"|appareil|beneficiaire|gerat|handy|empfanger|aparelho|telemovel|celular)\s+(\w+\s+){0,4}?"
    r"(added|linked|registered|connected|paired|anadido|agregado|vinculado|registrado|ajoute"
    r"|associe|enregistre|hinzugefugt|registriert|verknupft|adicionado|associado|registado"
    r"|aggiunto|associato|registrato)"
)
_CHANGED_EN = (
    r"(was\s+|were\s+|has\s+been\s+|have\s+been\s+|had\s+been\s+|got\s+)?(changed|reset|updated"
    r"|modified|removed|replaced)"
)
_LOGIN = r"(log-?ins?|sign-?ins?|sessions?|access|login\s+attempts?|devices?)"

ACCOUNT_TAKEOVER: tuple[str, ...] = (
    # en: someone else changed a password, e-mail, phone number...
    rf"\b{INTRUDER}\s+(has\s+|had\s+|just\s+|must\s+have\s+)?(changed|reset|updated|modified"
    rf"|removed|replaced)\s+(my|our|the)\s+(\w+\s+){{0,2}}?{_CREDENTIAL_EN}\b",
    rf"\b{_CREDENTIAL_EN}{_OF_ACCOUNT}\s+{_CHANGED_EN}\b[^.?!]{{0,80}}\b({_NOT_BY_ME})",
    rf"\b{_ADDED}\w?\b[^.?!]{{0,80}}\b({_NOT_BY_ME})",
    rf"\b(i|we)\s+(didn'?t|did\s+not|never)\s+(change|reset)\s+(my|our|the)\s+{_CREDENTIAL_EN}\b"
    r"[^.?!]{0,60}\b(changed|reset|updated)\b",
    # en: a log-in, device or session nobody owns up to; a break-in attempt; locked out by one
    rf"\b(unrecogni[sz]ed|unknown|unfamiliar|strange|suspicious)\s+(new\s+)?{_LOGIN}\b",
    rf"\b{_LOGIN}\s+(attempts?\s+)?(that\s+|which\s+)?(i|we)\s+(don'?t|do\s+not|didn'?t|did\s+not)"
    r"\s+(recogni[sz]e|make|own|know)\b",
    rf"\b{_LOGIN}\s+(attempts?\s+)?from\s+(a|an|another|some)\s+(unknown|strange|unrecogni[sz]ed"
    r"|unfamiliar|suspicious)\s+(\w+\s+)?(device|phone|computer|location|country|city|ip)\b",
    rf"\b{INTRUDER}\s+(has\s+been\s+|is\s+|keeps\s+|kept\s+|has\s+)?(tried|trying|tries|attempted"
    r"|attempting)\s+to\s+(log|sign|get|break)\s+(in|into|on)\b",
    rf"\blocked\s+out\b[^.?!]{{0,80}}\b({INTRUDER}\s+(\w+\s+)?(tried|changed|logged|got|accessed"
    rf"|reset)|{_NOT_BY_ME})",
    # en: a SIM swap
    r"\bsim[-\s]?(card\s+)?(swap\w*|hijack\w*)\b|\bsim\s+(card\s+)?(was|has\s+been|got|had\s+been)"
    r"\s+(swapped|ported|hijacked|cloned|duplicated)\b",
    # es
    rf"\b(alguien|un\s+desconocido|otra\s+persona)\s+(\w+\s+){{0,2}}?(cambio|ha\s+cambiado|modifico"
    rf"|ha\s+modificado|restablecio|ha\s+restablecido)\s+(mi|la|el)\s+(\w+\s+)?{_CREDENTIAL_ES}\b",
    rf"\b(me\s+)?(han\s+cambiado|cambiaron|han\s+modificado|modificaron)\s+(mi|la|el)\s+"
    rf"{_CREDENTIAL_ES}\b",
    rf"\b{_CREDENTIAL_ES}{_OF_ACCOUNT}\s+(fue\s+|ha\s+sido\s+|se\s+ha\s+|se\s+)?(cambiad[oa]|cambio|modificad[oa]"
    rf"|modifico)\b[^.?!]{{0,80}}\b({_NOT_BY_ME})",
    r"\b(inicios?\s+de\s+sesion|accesos?|dispositivos?|conexion\w*)\s+(\w+\s+)?(desconocid[oa]s?"
    r"|sospechos[oa]s?|que\s+no\s+(reconozco|conozco|es\s+mio|he\s+hecho|hice))\b",
    r"\balguien\s+(\w+\s+)?(ha\s+intentado|intento|esta\s+intentando)\s+(entrar|acceder"
    r"|iniciar\s+sesion|meterse)\b",
    r"\b(duplicado|duplicacion|clonacion)\s+de\s+(la\s+|mi\s+)?(tarjeta\s+)?sim\b"
    r"|\b(duplicaron|clonaron|han\s+duplicado|han\s+clonado)\s+(la\s+|mi\s+)?(tarjeta\s+)?sim\b"
    r"|\bsim\s+(fue\s+|ha\s+sido\s+)?(duplicada|clonada)\b",
    # fr
    rf"\bquelqu'?un\s+(d'autre\s+)?(\w+\s+){{0,2}}?(a\s+)?(change|modifie|reinitialise)\s+(mon|ma"
    rf"|mes|le|la|l')\s*(\w+\s+)?{_CREDENTIAL_FR}\b",
    rf"\bon\s+(m'a|a)\s+(change|modifie)\s+(mon|ma|le|la|l')\s*{_CREDENTIAL_FR}\b",
    rf"\b{_CREDENTIAL_FR}{_OF_ACCOUNT}\s+(a\s+ete\s+)?(change|modifie|reinitialise)e?s?\b[^.?!]{{0,80}}"
    rf"\b({_NOT_BY_ME})",
    r"\b(connexions?|appareils?|acces|sessions?)\s+(\w+\s+)?(inconnue?s?|suspecte?s?"
    r"|que\s+je\s+ne\s+(reconnais|connais)\s+pas)\b",
    r"\bquelqu'?un\s+(\w+\s+)?(a\s+essaye|essaie|a\s+tente|tente)\s+de\s+(se\s+connecter|acceder"
    r"|entrer)\b",
    r"\b(echange|duplication|clonage)\s+de\s+(ma\s+|la\s+)?(carte\s+)?sim\b"
    r"|\b(carte\s+)?sim\s+(a\s+ete\s+)?(dupliquee|clonee|piratee)\b",
    # de
    rf"\bjemand\s+(anderes?\s+|fremdes?\s+)?(hat|hatte)\s+(\w+\s+){{0,2}}?(mein|meine|meinen)\s+"
    rf"(\w+\s+)?{_CREDENTIAL_DE}\s+(\w+\s+)?(geandert|zuruckgesetzt|ausgetauscht)\b",
    rf"\b{_CREDENTIAL_DE}\s+(wurde|ist)\s+(\w+\s+){{0,4}}?(geandert|zuruckgesetzt)\b[^.?!]{{0,80}}"
    rf"\b({_NOT_BY_ME})",
    rf"\b{_CREDENTIAL_DE}\s+(wurde|ist)\s+ohne\s+(mein\w*\s+)?(wissen|zustimmung|erlaubnis)\b",
    r"\b\w{0,12}(anmeldung|login|zugriff|gerat)\w{0,4},?\s+(die|das|den)\s+ich\s+nicht\s+(kenne|erkenne"
    r"|war|gemacht\s+habe)\b|\bverdachtig\w{0,2}\s+\w{0,12}(anmeldung|login|zugriff|gerat)\b",
    r"\bjemand\s+(\w+\s+){0,3}?(hat\s+)?versucht\w*\b[^.?!]{0,30}\b(einzuloggen|anzumelden"
    r"|zuzugreifen)\b",
    r"\bsim[-\s]?(karten[-\s]?)?(tausch|swap)\w*|\bsim(-?karte)?\s+(wurde|ist)\s+(\w+\s+){0,3}?"
    r"(dupliziert|geklont)\b",
    # pt
    rf"\balguem\s+(\w+\s+){{0,2}}?(mudou|alterou|trocou|redefiniu)\s+(a\s+|o\s+)?(minha|meu|a|o)\s+"
    rf"(\w+\s+)?{_CREDENTIAL_PT}\b",
    rf"\b(mudaram|alteraram|trocaram|redefiniram)\s+(a\s+|o\s+)?(minha|meu|a|o)\s+{_CREDENTIAL_PT}\b",
    rf"\b{_CREDENTIAL_PT}{_OF_ACCOUNT}\s+(foi|tinha\s+sido)\s+(alterad|mudad|trocad|redefinid)[oa]\b[^.?!]{{0,80}}"
    rf"\b({_NOT_BY_ME})",
    r"\b(acessos?|logins?|dispositivos?|aparelhos?|sess(ao|oes))\s+(\w+\s+)?(desconhecid[oa]s?"
    r"|suspeit[oa]s?|que\s+nao\s+(reconheco|conheco|fiz))\b",
    r"\balguem\s+(\w+\s+)?(tentou|esta\s+tentando|anda\s+a\s+tentar)\s+(entrar|acessar|aceder"
    r"|fazer\s+login|logar)\b",
    r"\b(troca|clonagem|duplicacao)\s+(de|do)\s+(meu\s+)?(chip|sim)\b|\b(chip|sim)\s+(foi\s+)?"
    r"(clonado|duplicado)\b|\bclonaram\s+(o\s+)?(meu\s+)?(chip|sim|numero)\b",
    # it
    rf"\bqualcuno\s+(\w+\s+){{0,2}}?(ha\s+)?(cambiato|modificato|reimpostato|resettato)\s+(la\s+"
    rf"|il\s+|l')?(mia\s+|mio\s+)?(\w+\s+)?{_CREDENTIAL_IT}\b",
    rf"\bhanno\s+(cambiato|modificato|reimpostato)\s+(la\s+|il\s+|l')?(mia\s+|mio\s+)?"
    rf"{_CREDENTIAL_IT}\b",
    rf"\b{_CREDENTIAL_IT}{_OF_ACCOUNT}\s+(e\s+stat[oa])\s+(cambiat|modificat|reimpostat)[oa]\b[^.?!]{{0,80}}"
    rf"\b({_NOT_BY_ME})",
    r"\b(accessi|accesso|login|dispositivi|dispositivo|sessione)\s+(\w+\s+)?(sconosciut[oia]"
    r"|sospett[oia]|che\s+non\s+(riconosco|conosco|ho\s+fatto))\b",
    r"\bqualcuno\s+(\w+\s+)?(ha\s+provato|ha\s+tentato|sta\s+provando|sta\s+cercando)\s+(ad?\s+"
    r"|di\s+)?(accedere|entrare)\b",
    r"\b(scambio|clonazione|duplicazione)\s+(della\s+|di\s+)?(mia\s+)?sim\b|\bsim\s+(e\s+stata\s+)?"
    r"(clonata|duplicata)\b|\bhanno\s+clonato\s+(la\s+)?(mia\s+)?sim\b",
)

# A question about the card's own controls (freeze, lock, block, pause, and undoing them) is a
# how-to, not a report: BANKING77 asks it under its fraud labels ("Should I order a new card before
# I freeze my original one?"), so the model's guard reads fraud in "how do I freeze my card?". With
# no report keyword and little else in the message (CARD_CONTROL_REST words), analysis reads no
# report in such a question. "Can you freeze my card?" is a request to act, not a how-to.
CARD_CONTROL_QUESTION = (
    r"\b(how|where|can\s+i|could\s+i|is\s+there|do\s+i|should\s+i|como|donde|puedo|se\s+puede|comment"
    r"|ou|est-ce|puis-je|peux|wie|wo|kann|onde|consigo|posso|dove|come|si\s+puo)\b[^.!?\n]{0,60}"
    r"\b(un)?(freez\w*|froze\w*|lock\w*|block\w*|paus\w*|congel\w*|bloque\w*|desbloque\w*"
    r"|gel(er|e|ez)|degel\w*|bloqu\w*|debloqu\w*|sperr\w*|entsperr\w*|einfrier\w*|bloc\w*"
    r"|sbloc\w*|congela\w*)\b[^.!?\n]*\?"
)
CARD_CONTROL_REST = 4  # words allowed beside the question: "And unfreeze it later?"
