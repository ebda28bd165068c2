"""Who recognised, awarded, ran or appointed a thing, when that is not the body the policy means.

The policy pays for recognitions by the state, the region or the city ("获国家认定", "自治区首台
（套）", "市政府科技顾问", "鄂尔多斯杯"). The same thing from another province or city, a trade
association, a foundation, an investor or a banner/county government ("陕西省首台套", "中国煤炭工业
协会科学技术奖", "投资机构办的创业大赛", "旗政府聘我当科技顾问") is not that recognition, whatever
its level is called. The issuing body is bound to a mention the way a level is (nlu/levels.py):
in the mention's own clause, right before it (with an issuing verb between, or directly: "陕西省
首台套"), or right after it ("首台套是陕西省认定的"). A place after 在/到/去 is where something is,
not who recognised it; nor is a place named with a thing that is by definition elsewhere (飞地).
"""

from __future__ import annotations

from bot.dialogue.nlu import levels
from calculators.grammar import lexicon

_LEX = lexicon()
# how far before a mention the issuer may stand: "中国煤炭工业协会颁发的科学技术进步" fits
ISSUER_WINDOW = 20


def foreign_issuer(text: str, start: int, end: int, *, places: bool = True) -> str | None:
    """The body not meant by the policy that issued the thing mentioned at text[start:end], as
    written, or None. `places=False` ignores other provinces and cities (the thing is elsewhere
    by nature, or only the state recognises it, so a province's name says where it was done)."""
    lo = levels.clause_start(text, start, ISSUER_WINDOW)
    found = _LEX.search("issuer_before", text[lo:start])
    if found is None:
        found = _LEX.search("issuer_after", text[end:])
    if found is None:
        return None
    said = next(g for g in found.groups() if g)  # the body, in whichever pattern of the class matched
    if not places and _LEX.search("issuer.place", said) and not _LEX.search("issuer.private", said) \
            and not _LEX.search("issuer.lower", said):
        return None
    return said
