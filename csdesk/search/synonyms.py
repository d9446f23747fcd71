"""Banking vocabulary folded to one token per meaning (written for csdesk).

Customers say the same thing many ways: "top up", "top-up", "topup", "add
money", "load my account". The index and the queries pass through the same
table, so each group below becomes one index token and any variant finds
articles written with any other variant.

Each entry maps a canonical token to its variants. A variant is one or more
English words; words are matched after Snowball stemming, so "topping up",
"topped up" and "top ups" all match ``"top up"``. Matching is greedy, longest
phrase first, and only across spaces, hyphens, slashes and underscores (not
across sentence punctuation). The canonical token is what gets indexed (it is
never stemmed again); keep canonical tokens lower-case ASCII letters without
spaces, distinct from any ordinary English stem.

Only general banking wording belongs here, not sentences from any data set.
"""

from __future__ import annotations

#: canonical token → variants (plain English; stemmed when the table is loaded)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "topup": ("top up", "topup", "top-up", "add money", "add funds", "adding money", "load money",
              "load funds", "put money", "reload", "recharge", "fund my account", "deposit money"),
    "atm": ("atm", "atms", "cash machine", "cashpoint", "cash point", "cash dispenser", "hole in the wall"),
    "withdraw": ("withdraw", "withdrawal", "withdrawing", "take out cash", "taking out cash", "get cash",
                 "got cash", "cash out", "took out cash"),
    "declin": ("declined", "decline", "rejected", "reject", "refused", "refuse", "denied", "deny",
               "bounced", "not accepted", "not go through", "didnt go through", "wont go through",
               "doesnt go through", "did not go through", "will not go through"),
    "broken": ("not working", "doesnt work", "dont work", "didnt work", "isnt working", "stopped working",
               "stop working", "does not work", "did not work", "wont work", "will not work", "broken",
               "faulty", "malfunction", "not functioning"),
    "lost": ("lost", "lose", "stolen", "stole", "misplaced", "misplace", "cant find", "can not find",
             "cannot find", "was robbed", "got robbed", "pickpocketed"),
    "fee": ("fee", "fees", "charge", "charges", "charged", "commission", "surcharge", "service charge"),
    "refund": ("refund", "refunds", "refunded", "money back", "reimburse", "reimbursement", "chargeback"),
    "transfer": ("transfer", "transfers", "send money", "sending money", "sent money", "wire", "wired",
                 "remittance", "remit", "bank transfer", "money transfer"),
    "cancel": ("cancel", "cancellation", "cancelled", "canceled", "revoke", "call off", "stop the payment",
               "stop a payment", "undo"),
    "revert": ("reverted", "revert", "reversed", "reversal", "returned", "bounced back", "sent back",
               "came back", "money back to"),
    "pending": ("pending", "processing", "still processing", "on hold", "in progress", "not cleared",
                "not yet cleared", "hasnt cleared", "not completed yet"),
    "verifi": ("verify", "verification", "verified", "verifying", "kyc", "identity check", "id check",
               "confirm my identity", "prove my identity", "proof of identity"),
    "identiti": ("identity", "id", "identification", "id card", "identity card", "id document",
                 "identity document", "passport", "driving licence", "driving license", "drivers license"),
    "phone": ("phone", "mobile", "mobile phone", "smartphone", "cellphone", "cell phone", "handset", "iphone"),
    "app": ("app", "mobile app", "banking app", "mobile banking", "the application"),
    "walletpay": ("apple pay", "google pay", "applepay", "googlepay", "android pay", "gpay", "huawei pay",
                  "samsung pay", "apple watch", "mobile wallet", "phone wallet"),
    "contactless": ("contactless", "tap to pay", "tap and pay", "tap payment", "nfc", "paywave", "tapping"),
    "dispos": ("disposable", "single use", "single-use", "one time", "one-time", "one off", "one-off",
               "burner", "temporary card number"),
    "virtual": ("virtual", "digital card", "online card", "virtual card"),
    "physic": ("physical", "plastic card", "real card", "actual card"),
    "spare": ("spare", "extra card", "additional card", "second card", "another card", "supplementary",
              "more cards", "backup card"),
    "salari": ("salary", "wage", "wages", "paycheck", "pay check", "payslip", "payroll", "pay cheque"),
    "crypto": ("crypto", "cryptocurrency", "bitcoin", "btc", "ethereum"),
    "block": ("blocked", "block", "locked", "lock", "locked out", "frozen", "freeze", "suspended"),
    "unblock": ("unblock", "unlock", "unfreeze", "unblocked", "unlocked"),
    "close": ("close", "closing", "closure", "terminate", "termination", "delete my account",
              "shut down my account", "deactivate", "delete account"),
    "abroad": ("abroad", "overseas", "foreign country", "another country", "other country",
               "internationally", "outside the country", "travelling", "traveling"),
    "payee": ("beneficiary", "beneficiaries", "payee", "recipient", "receiver"),
    "directdebit": ("direct debit", "direct debits", "standing order", "automatic deduction",
                    "auto debit", "recurring payment", "subscription payment"),
    "exchang": ("exchange", "exchanging", "convert", "conversion", "converting", "fx", "forex"),
    "currenc": ("currency", "currencies", "fiat", "foreign money", "foreign currency"),
    "arriv": ("arrive", "arrived", "arrival", "arriving", "come in the mail", "came in the mail",
              "show up in the mail", "received my card", "receive my card", "get my card", "got my card"),
    "deliveri": ("delivery", "deliver", "delivered", "shipping", "shipped", "ship", "mail", "mailed",
                 "post", "posted", "courier", "dispatch", "dispatched"),
    "activ": ("activate", "activation", "activating", "enable my card", "turn on my card",
              "start using my card"),
    "passcod": ("passcode", "password", "pass code", "login code", "log in code", "security code for the app"),
    "pin": ("pin", "pin code", "pin number", "personal identification number"),
    "unrecogn": ("unrecognised", "unrecognized", "dont recognise", "dont recognize", "do not recognise",
                 "do not recognize", "didnt make", "did not make", "not mine", "unknown", "unauthorised",
                 "unauthorized", "strange", "suspicious", "weird", "never made", "didnt authorize",
                 "didnt authorise"),
    "twice": ("twice", "two times", "double", "duplicate", "duplicated", "charged double", "double charged",
              "same payment two", "same transaction two"),
    "swallow": ("swallowed", "swallow", "kept my card", "ate my card", "retained", "eaten", "took my card",
                "stuck in the atm", "atm kept", "machine kept", "machine ate"),
    "compromis": ("compromised", "hacked", "leaked", "skimmed", "cloned", "fraud", "fraudulent",
                  "someone used my card", "someone else used", "scam", "scammed"),
    "expir": ("expire", "expiry", "expires", "expiring", "expired", "expiration", "run out", "about to expire"),
    "limit": ("limit", "limits", "maximum", "max", "cap", "restriction", "restrictions", "how much can"),
    "statement": ("statement", "bank statement", "transaction history", "account history"),
    "balanc": ("balance", "balances", "available funds", "account total"),
    "cheque": ("cheque", "cheques", "check deposit", "checks", "paper check"),
    "cash": ("cash", "banknote", "banknotes", "money in hand"),
    "countri": ("country", "countries", "region", "nation", "nationality", "resident", "residency"),
    "age": ("age", "old enough", "years old", "minimum age", "underage", "under 18", "teenager", "minor",
            "child", "kid", "kids", "children", "son", "daughter"),
    "person": ("personal details", "personal information", "personal info", "my details", "my address",
               "my name", "my surname", "address", "surname"),
    "sourcefund": ("source of funds", "source of my funds", "where my money comes from",
                   "where the money came from", "proof of funds", "origin of funds"),
    "rate": ("rate", "rates", "conversion rate", "fx rate"),
    "receiv": ("receive", "receiving", "received", "incoming", "get paid", "getting paid", "accept money"),
    "link": ("link", "linking", "linked", "connect", "connected", "bind", "binding", "add my card",
             "add a card"),
}

#: English words that carry no topic on their own (plain words, matched before stemming).
STOPWORDS: frozenset[str] = frozenset(
    """a about above after again against all am an and any are aren as at be because been before being
    below between both but by can could couldn did didn do does doesn doing don down during each few for
    from further had hadn has hasn have haven having he her here hers herself him himself his how i if
    in into is isn it its itself just let ll me might more most must mustn my myself need no nor not now
    of off on once only or other ought our ours ourselves out over own please re same shall she should
    shouldn so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was wasn we were weren what when where which while who whom why
    will with won would wouldn you your yours yourself yourselves hi hello hey thanks thank thx pls
    still yet also already ve d s t m y ok okay im ive id dont cant wont isnt doesnt didnt wasnt
    hasnt havent arent werent wouldnt couldnt shouldnt i'm i've i'd yes get got""".split()
)

#: Chinese function words and question words dropped from queries (never from the index).
ZH_STOPWORDS: frozenset[str] = frozenset(
    """的 了 吗 呢 吧 啊 呀 嘛 哦 么 我 你 您 他 她 它 我们 你们 是 在 有 和 与 及 或 就 都 也 还 又
    把 被 给 让 从 到 对 为 要 想 会 能 可以 可不可以 能不能 能否 怎么 怎么办 怎样 如何 什么 为什么
    哪里 哪儿 哪个 多少 请问 请 一下 一个 这个 那个 这 那 个 现在 已经 但是 可是 因为 所以 如果
    然后 时候 没有 不 没 谢谢 你好 您好
    用 办 做 弄 搞 行 好 啥 咋 些 哪些 这样 那样 自己 帮 帮忙 帮我 知道 问 问问 问一下 咨询""".split()
)
