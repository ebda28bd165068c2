"""Scope rules: whether a question asks about this policy at all, read off the keywords.

    masked, foreign = blank_out_of_scope(lexicon, text)   # programmes and benefit kinds the policy lacks
    place = other_place(lexicon, text)                    # another city's / a higher body's own programme
    in_scope, confidence = decide(text, masked != text, evidence, cosine)

The rules and their calibration are described in retrieval/search.py's docstring; the word lists
are aliases.yaml's ``本政策未涉及``, ``本政策不提供的待遇`` and ``其他地区和上级部门``.
"""

from __future__ import annotations

import re

from retrieval.textproc import STOPWORDS, split_numbers

EVIDENCE_MIN = 2.0  # keyword evidence (generic words excluded) of the best article
EVIDENCE_MIN_MASKED = 4.0  # the same when the question also names a programme the policy lacks
COSINE_MIN = 0.30  # for questions without Chinese characters

GENERIC = frozenset(
    """
    支持 资金 经费 科研经费 补贴 补助 奖励 奖补 资助 扶持 一次性 最高 企业 单位 项目 认定 获批 新获批
    批准 申请 申报 鄂尔多斯 我市 本市 全市 市里 市级 国家 国家级 自治区 自治区级 建设 给予 政策 每年
    年度 运行 绩效 开展 实施 鼓励
    """.split()
)

BENEFIT_WORDS = frozenset("政策 奖补 补贴 补助 奖励 资助 扶持 支持 资金 经费".split())
# The field the whole policy is about, and the asker in general terms: "你好，我们是一家科技公司，
# 想了解下科技方面都有哪些补贴" asks about this policy in general.
POLICY_FIELD_WORDS = frozenset("科技 科创 创新 科研 方面 领域 了解 想 下 都 你好 您好 一家 公司 单位 我司".split())

# A benefit kind the policy never gives (``本政策不提供的待遇``: 所得税, 房租, 人才公寓…) is blanked
# together with the benefit words attached to it, so "房租补贴", "税收优惠政策", "所得税减免",
# "减免房租", "能拿多少房租补贴", "rent subsidy" leave nothing that asks for money. A chain of
# these words, with only connecting words between them, right after the benefit kind (before it:
# the verbs and how-much phrases only: "减免房租", but "认定奖励多少税收" keeps its 奖励).
# corpus/lexicon.yaml's how_much class, spelled out so the query path reads no YAML;
# tests/retrieval/test_retrieval_scope.py fails if the two ever differ.
HOW_MUCH = r"多少钱|(?:拿|领|补|奖|给|得)(?:到|了)?多少|(?:能|可以)(?:拿|领)(?:到|取)?|how much"
_HOW_MUCH = HOW_MUCH
_ATTACHED_EN = (
    r"subsid(?:y|ies)|allowances?|incentives?|relief|breaks?|credits?|deductions?|exemptions?|rebates?"
    r"|refunds?|support|polic(?:y|ies)|benefits?"
)
_VERBS = "补贴 补助 减免 减征 免征 减半 返还 抵扣 抵免 补偿 补 减 免 退".split()
_AFTER_WORDS = sorted(BENEFIT_WORDS | {"优惠", "待遇", "费用", "比例", *_VERBS}, key=len, reverse=True)
_BEFORE_WORDS = sorted({"资助", "扶持", "支持", *_VERBS}, key=len, reverse=True)
_ATTACHED_AFTER = "|".join([_HOW_MUCH, *_AFTER_WORDS, "多少", _ATTACHED_EN])
_ATTACHED_BEFORE = "|".join([_HOW_MUCH, *_BEFORE_WORDS, "多少", _ATTACHED_EN])
_CONNECT = (
    r"有没有|能不能|可不可以|可以|能否|是否|怎么|如何|给予|享受|哪些|什么|方面|之类"
    # who would pay: "社保能不能由政府补贴一部分", "保费市里能补多少", "补不补"
    r"|政府|市里|市政府|国家|一部分|部分|[由帮不]"
    # how much of it: "安家费一次给多少", "培训补贴一个人补多少", "社保每月补多少"
    r"|一次|每次|每人|一个人|每个人|每月|一个月|每年|一年|标准|一般|大概|大约|最多|最高"
    # its elliptical next sentence: "职业技能培训有没有补贴？一个人补多少？"
    r"|[，,？?]"
    r"|[的有能可会给咋还都也啥上等到\s]|(?:for|on|of|to|the|a|an|any|is|are|there)\b"
)
_ATTACHED_AFTER_RE = re.compile(rf"(?:(?:{_CONNECT})*(?:{_ATTACHED_AFTER}))+")
_ATTACHED_BEFORE_RE = re.compile(rf"(?:(?:{_ATTACHED_BEFORE})(?:{_CONNECT})*)+$")
ATTACHED_WINDOW = 24  # characters looked at on either side of the benefit kind
# What still asks for this policy's money once the foreign benefit is blanked: a benefit word
# (not 政策 alone: "高新技术企业税收减免政策" asks about a tax policy; 科研经费 is money the
# policy gives, 研发经费 a firm's own spending), a policy word ending in a grant word (后补助,
# 运行补贴), or a how-much phrase.
ASKED_BENEFITS = (BENEFIT_WORDS - {"政策"}) | frozenset(
    "科研经费 subsidy subsidies award awards grant grants funding reward rewards bonus".split()
)
_GRANT_ENDINGS = ("补贴", "补助", "奖补", "奖励", "资助")
_ASKS_HOW_MUCH = re.compile(_HOW_MUCH)

CJK = re.compile(r"[\u4e00-\u9fff]")

# Another city or a higher government's department (``其他地区和上级部门``) named as the owner of
# what is asked ("包头市高企奖励多少", "自治区科技厅对高企奖多少", "does baotou give awards") puts
# the question outside this city's policy. Named as the place of an activity, a partner, a source
# or the recognising body it does not: "在北京设研发飞地", "和上海的高校合作", "买外省的技术",
# "科技部认定的孵化器", "科技厅立项的项目市里配套吗"; nor when this city is named too.
_OTHER_PLACE_BEFORE = re.compile(
    r"(?:在|到|去|赴|从|和|与|跟|同|向|来自|引进|引入|对接|联合|落户|买|购买|卖给|卖到|给|为|帮|面向|于"
    r"|获批|被|经|由|取得|获得|拿到|申报|承担|通过了?|经过|让|请"
    r"|\b(?:in|to|from|with|at|into|and)\s)\s*"
    # the later places of a list after such a word: "在上海、深圳各设一个飞地"
    r"(?:[^\s，。；？！,.;?!、和与及]{2,8}[、和与及])*$"
)
_OTHER_PLACE_AFTER = re.compile(
    r"\s*(?:市|省|地区|那边|那里|当地|方面)?\s*(?:的)?\s*(?:一个|一家|一所|一位|一支|某个?|几个|几家|两个|两家)?(?:高校|大学|院校|科研院所|院所|研究院|研究所|实验室"
    r"|团队|专家|教授|企业|公司|客户|机构|医院|技术|成果|专利|飞地|研发中心|分公司|总部|来的|过来|联合|合作|共建"
    r"|(?:universit|compan|enterpris|firm|team|expert|partner|lab|institut|technolog|patent))"
    # an institution named after its city: "北京理工大学", "西安交大", "上海某研究院"
    r"|[^，。；？！,.;?!\s]{0,6}?(?:大学|学院|交大|研究院|研究所|分院|医院|集团)"
    # the recognising or funding body: "科技部认定的", "自治区科技厅刚认定我们为…", "科技厅立项的项目"
    r"|(?:刚刚?|才|新|已经?|正式|今年|去年)?(?:认定|批准|批了|批下|评定|评审|备案|公布|颁发|授予|授牌|挂牌|立项|下达|拨|给的|支持的|资助的)"
    # "科技部给我们挂了一个国家层面的…牌子": the body gave the recognition
    r"|给(?:我们|我单位|我司|我们单位)?(?:挂|批|授|颁|发)"
    r"|(?:也|都|还|已经?)?给了?(?:我们)?(?:认可|认定|批复|牌子)"
    # "工信部也认可了", "科技部都确认过": the body's recognition, told
    r"|(?:也|都|还|已经?|正式)(?:认可|确认|认定|批准|批复|鉴定|核定)"
    # a level right after: the body's own recognition ("获批科技部的国家级国际科技合作基地")
    r"|的?(?:国家级|自治区级|国家|自治区)"
)
# The place as the payer: "包头市对新认定的…奖励多少", "自治区那边的…按多少比例补"
_OTHER_PLACE_OWNER = re.compile(r"\s*(?:市|那边|那里|当地|层面)?\s*(?:对|给|的)?\s*(?:新认定的?|认定的?)?(?:[^，。；？！,.;?!]{0,16}"
                                r"(?:奖励|奖补|补贴|补助|奖|补|资助)(?:多少|标准|比例|几)"
                                # "陕西榆林对新型研发机构是按研发投入的多少比例给补助的"
                                r"|[^，。；？！,.;?!]{0,24}(?:多少|什么|几成)(?:比例|标准)[^，。；？！,.;?!]{0,6}"
                                r"(?:奖励|奖补|补贴|补助|资助|支持))")
# "包头那边…", "包头市政府…": the place as a body that acts or pays
_PLACE_AS_BODY = re.compile(r"\s*市?(?:那边|那里|当地|层面|方面|政府|财政)")
# this city named: the lexicon's city_named class, spelled out (the query path reads no YAML)
HOME_NAMED = r"鄂尔多斯|我市|本市|咱们?市|(?<!不是)(?<!而非)(?<!不问)(?:市里|市本级|市财政|市级财政)|本政策|这个政策|配套|ordos"
_HOME = re.compile(HOME_NAMED)


def blank_out_of_scope(lexicon, text: str, cuts: frozenset[int] | None = None) -> tuple[str, bool]:
    """(`text` with the out-of-scope phrases blanked, whether it names a foreign benefit kind).

    A foreign benefit kind takes the benefit words attached to it along (see _ATTACHED_*); with
    the word `cuts` of the text a kind is not matched across two words (水电 in 抽水|电站).
    """
    masked = lexicon.mask_out_of_scope(text, cuts)
    spans = lexicon.foreign_benefit_spans(text, cuts)
    if not spans:
        return masked, False
    merged: list[list[int]] = []
    for start, end in spans:  # sorted; overlapping ones (用电|电价 in 用电价格) are one
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    chars = list(masked)
    for start, end in merged:
        before = _ATTACHED_BEFORE_RE.search(text[max(0, start - ATTACHED_WINDOW) : start])
        after = _ATTACHED_AFTER_RE.match(text[end : end + ATTACHED_WINDOW])
        start -= len(before.group()) if before else 0
        end += len(after.group()) if after else 0
        chars[start:end] = " " * (end - start)
    return "".join(chars), True


def other_place(lexicon, text: str) -> str | None:
    """The other place or department whose own programme `text` asks about, if any.

    A mention counts unless the question also names this city, or the place is where
    something happens, a partner, a source or the body that recognised it (see
    _OTHER_PLACE_BEFORE / _OTHER_PLACE_AFTER).
    """
    home = bool(_HOME.search(text))
    located: set[str] = set()  # places already named as where something is ("在上海和北京各建了一个飞地")
    for start, end in lexicon.other_place_mentions(text):
        if text.startswith("门", end):  # 科技部门, 财政部门: a city's own department, not the ministry
            continue
        if _OTHER_PLACE_BEFORE.search(text, 0, start) or _OTHER_PLACE_AFTER.match(text, end):
            located.add(text[start:end])
            continue
        if text[start:end] in located and not _OTHER_PLACE_OWNER.match(text, end) and not _PLACE_AS_BODY.match(
                text, end):
            continue  # "…：上海的是孵化类": the same place again, not asked as a payer
        # with this city named too, only a place named as the payer still counts ("包头市对新认定的
        # 高企奖励多少？我们在包头和鄂尔多斯之间选址"): it is compared, not this city's own question
        if home and not _OTHER_PLACE_OWNER.match(text, end):
            continue
        return text[start:end]
    return None


def asks_for_benefit(tokenizer, masked: str) -> bool:
    """Whether `masked` (foreign benefits blanked) still asks for money: a benefit word other
    than 政策 ("高企认定奖励和所得税优惠") or a how-much phrase ("…还能拿多少")."""
    if _ASKS_HOW_MUCH.search(masked):
        return True
    stripped, _ = split_numbers(masked)
    words = tokenizer.words(stripped)
    return any(w in ASKED_BENEFITS or w.endswith(_GRANT_ENDINGS) for w in words)


# The asking words of _ASKS without punctuation and sentence-final particles: where the question
# itself stands.
ASK_WORDS = (r"请问|能不能|能否|可不可以|是否|多少|多久|多长时间|怎么|如何|哪|什么|啥|咋|几|有没有"
             r"|(?:能|可以|会|给|补|奖|算|行)不(?:能|可以|会|给|补|奖|算|行)"
             # "每年还有运营补贴没": 有…没 at the end asks
             r"|(?:有|给|补|奖)[^，,。；;]{1,12}(?:没|没有)[。!！.\s]*$"
             r"|是[^，,。；;]{1,10}还是"  # "是一次性的还是每年都有": one or the other
             r"|是[^，,。；;]{1,10}的吧[。!！.\s]*$|对吧|是不是|对不对")  # "那100万是一次性的吧": asking to confirm
_ASK_WORDS = re.compile(ASK_WORDS)
_PARTICLE = re.compile(r"[吗呢么]")
FOREIGN_LEAD_MAX = 12  # characters from an asking word to the foreign benefit it asks about


def asks_only_the_foreign(text: str, masked: str) -> bool:
    """Every asking word of `text` stands inside a blanked foreign benefit and its attached words
    ("职务成果转化奖励，缴个人所得税有没有减免优惠"): the question is about the foreign benefit, and
    the policy's words elsewhere (奖励) are only what it is about. A particle right after a blank
    ("个税能减免吗") belongs to it."""
    def blank(i: int) -> bool:
        return masked[i] == " " and text[i] != " "

    def leads_to_blank(m) -> bool:  # "能不能申请市财政的贷款贴息": the question's verb phrase ends in it
        gap = text[m.end():m.end() + FOREIGN_LEAD_MAX]
        for i, ch in enumerate(gap):
            if blank(m.end() + i):
                return not any(w in gap[:i] for w in ASKED_BENEFITS)
            if ch in "，,。；;？?！!":
                return False
        return False

    words = list(_ASK_WORDS.finditer(text))
    particles = list(_PARTICLE.finditer(text))
    if not words and not particles:
        return False
    return (all(all(blank(i) for i in range(m.start(), m.end())) or leads_to_blank(m) for m in words)
            and all(m.start() > 0 and blank(m.start() - 1) for m in particles))


def about_the_policy(tokenizer, text: str) -> bool:
    """A general question about this policy's benefits ("对企业有哪些奖补政策"): nothing but
    benefit words and function words, so no other topic it could be about."""
    stripped, _ = split_numbers(text)
    words = [w for w in tokenizer.words(stripped) if w not in STOPWORDS]
    return bool(words) and all(w in GENERIC or w in POLICY_FIELD_WORDS for w in words) and any(
        w in BENEFIT_WORDS for w in words
    )


def decide(text: str, masked: bool, evidence: float, cosine: float) -> tuple[bool, float]:
    """(in scope, confidence): confidence is 0.5 exactly at the threshold that applies."""
    threshold = EVIDENCE_MIN_MASKED if masked else EVIDENCE_MIN
    by_keywords = evidence / (evidence + threshold) if evidence > 0 else 0.0
    if any(ch not in STOPWORDS for ch in CJK.findall(text)):
        return evidence >= threshold, round(by_keywords, 4)
    # no Chinese: the keyword side only sees English aliases; the embedding reads English.
    # A question naming another programme ("subsidy for restaurants") needs keyword evidence:
    # the embedding alone rates any subsidy question close to the policy.
    if masked:
        return by_keywords >= 0.5, round(by_keywords, 4)
    cosine = max(0.0, cosine)
    by_vector = cosine / (cosine + COSINE_MIN)
    return max(by_keywords, by_vector) >= 0.5, round(max(by_keywords, by_vector), 4)


# A long pasted message (minutes, a company profile, a chat log) asks in one or two of its
# sentences; the rest is context. Whether it asks for a benefit the policy never gives or about
# another place's programme is read off the asking sentences only: "4. 工会组织员工体检…" in the
# minutes does not make "两份文件能不能都申请" a question about health checks.
LONG_MESSAGE = 80  # characters from which a message is read as context plus question
# a forwarded notice ends its part with …… / ...... / --- as often as with 。
_SENTENCE = re.compile(r"(?:(?!……|\.{3}|---)[^。！？!?；;\n])*(?:[。！？!?；;\n]|……+|\.{3,}|-{3,})?")
# the asking words of corpus/lexicon.yaml's question class that mark a sentence as the question,
# spelled out so the query path reads no YAML; tests/retrieval/test_situations.py checks that
# every example of that class is read as asking (ASK_WORDS, plus the question mark, sentence-final
# particles and English question words)
_ASKS = re.compile(rf"[?？]|吗|呢$|不$|{ASK_WORDS}|\bhow\b|\bwhat\b|\bwhich\b|\bcan\b|\bwhen\b|\bwho\b")


def asking_spans(text: str) -> list[tuple[int, int]]:
    """Where the sentences of a long message that ask something stand, or the whole text (short,
    or no sentence asks, or every sentence does)."""
    whole = [(0, len(text))]
    if len(text) < LONG_MESSAGE:
        return whole
    sentences = [m for m in _SENTENCE.finditer(text) if m.group().strip()]
    asking = [m.span() for m in sentences if _ASKS.search(m.group())]
    return asking if asking and len(asking) < len(sentences) else whole


def asking_part(text: str) -> str:
    """The sentences of a long message that ask something (asking_spans), joined; the text itself
    when that is all of it."""
    spans = asking_spans(text)
    return text if spans == [(0, len(text))] else "".join(text[s:e] for s, e in spans)
