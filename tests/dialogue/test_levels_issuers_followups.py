"""The city's own and lower bodies' recognitions, things named by their own name, counted
subsidiaries, corrections and elliptical follow-ups: each a class of phrasings."""

from __future__ import annotations

import itertools

import pytest
from reply_checks import amounts, assert_contract

_ids = itertools.count()


def _session() -> str:
    return f"lif-{next(_ids)}"


# the city's own (by name, by who recognised it), a thing by its own name at an unpaid level, another body's
UNPAID = [
    ("city-prize", "我们得了鄂尔多斯市科技进步一等奖，奖金5万，市里还能等额再奖一次吗", 25),
    ("city-issuer", "鄂尔多斯市自己评的科学技术奖，也能等额奖励吗", 25),
    ("city-issuer", "市里评的首台套装备，按单价30%给奖补吗", 19),
    ("city-name", "产品被认定为鄂尔多斯市首批次新材料，有奖补吗", 19),
    ("city-level", "我们是市级技术转移服务机构，市科技局备案的，新认定有没有奖补", 27),
    ("city-issuer", "我们的企业技术中心是市科学技术局认定的，能拿多少", 17),
    ("own-name-banner", "我们在达旗建的研发飞地，是旗里认定的人才科创飞地，能享受孵化类200万吗", 6),
    ("own-name-level", "自治区级的人才科创飞地认定了，市里奖吗", 6),
    ("own-name-level", "我们是国家级专业化技术研发与中试公共服务平台，市里一次性给多少", 27),
    ("region-contest", "我们参加的是自治区科技厅主办的创新创业大赛（不是鄂尔多斯杯），拿了一等奖，奖不奖", 11),
    ("region-contest", "拿了自治区的创新创业大赛二等奖，项目也落地了，奖多少", 11),
]


@pytest.mark.parametrize("text, article", [row[1:] for row in UNPAID], ids=[row[0] for row in UNPAID])
def test_a_recognition_the_policy_does_not_pay_is_not_covered(engine, text, article):
    reply = engine.turn(_session(), text)
    assert_contract(reply)
    assert reply.covered is False and reply.benefits == []
    assert reply.citations and reply.citations[0].article == article


def test_the_paid_thing_beside_another_bodys_one_is_still_paid(engine):
    reply = engine.turn(_session(), "参加过国家的创新创业大赛，还有鄂尔多斯杯拿了二等奖，项目已落地，奖多少")
    assert (11, 3000000, "up_to") in amounts(reply)
    reply = engine.turn(_session(), "市级人才科创飞地首次认定，孵化类的，奖多少")
    assert (6, 2000000, "fixed") in amounts(reply)


@pytest.mark.parametrize("text, expected", [
    ("集团下面两家子公司今年都通过了国家高新技术企业认定，一共能拿多少", [(15, 300000, "fixed")] * 2),
    ("我们有三家下属企业均被认定为自治区科技领军企业，奖多少", [(15, 1000000, "fixed")] * 3),
])
def test_subsidiaries_that_each_have_a_recognition_are_counted(engine, text, expected):
    assert amounts(engine.turn(_session(), text)) == expected


def test_firms_counted_elsewhere_are_not_the_askers(engine):
    assert amounts(engine.turn(_session(), "园区有3家企业都是国家高新技术企业，我们能拿多少")) == [(15, 300000, "fixed")]


@pytest.mark.parametrize("first, correction, expected", [
    ("首台套拿到国家认定了，单价260万", "说错了，单价是360万，260万是成本", (19, 1000000, "computed")),
    ("首台套拿到国家认定了，单价260万", "不对，不是260万，是300万", (19, 900000, "computed")),
])
def test_a_correction_never_takes_the_amount_told_before(engine, first, correction, expected):
    session = _session()
    engine.turn(session, first)
    assert amounts(engine.turn(session, correction)) == [expected]


@pytest.mark.parametrize("first, correction, expected", [
    ("我们研发中心是市级企业技术中心，按30条能拿多少", "不对不对，刚问了办公室，是自治区级的，今年新认定的", (17, 300000, "fixed")),
    ("我们是市级众创空间，有奖吗", "搞错了，应该是自治区级的", (5, 200000, "fixed")),
])
def test_after_an_unpaid_level_a_corrected_level_is_answered(engine, first, correction, expected):
    session = _session()
    assert engine.turn(session, first).covered is False
    reply = engine.turn(session, correction)
    assert reply.covered is True and expected in amounts(reply)


def test_an_elliptical_thing_takes_the_level_of_the_last_answer(engine):
    session = _session()
    engine.turn(session, "园区的孵化器今年新认定成国家级的了，一次性奖补多少")
    assert (5, 1000000, "fixed") in amounts(engine.turn(session, "换成自治区级呢"))
    got = amounts(engine.turn(session, "众创空间呢"))
    assert (5, 200000, "fixed") in got and (5, 500000, "fixed") not in got


@pytest.mark.parametrize("follow_up", ["每年还有运营补贴没", "运营补贴每年给了没有", "以后每年还有补贴没"])
def test_a_question_ending_in_mei_is_a_follow_up_on_the_topic(engine, follow_up):
    session = _session()
    engine.turn(session, "我们孵化器新认定为国家级，奖多少")
    reply = engine.turn(session, follow_up)
    assert reply.covered is True and reply.citations[0].article == 5


@pytest.mark.parametrize("text, expected", [
    ("我们是技术转移服务机构，帮一家企业把北京某高校的一项成果落到了鄂尔多斯。实际成交额650万，这一单奖多少",
     (27, 195000, "computed")),
    ("我们是一家技术转移服务机构，12个人。今年帮外省高校的一项技术在准格尔旗落地转化了，实际成交额600万，我们收了40万服务费，奖多少",
     (27, 180000, "computed")),
    ("帮一个成果在达拉特旗落地，技术交易实际成交额0.08亿，我们中介机构能拿多少奖", (27, 240000, "computed")),
])
def test_an_agency_saying_who_it_is_and_what_it_landed_apart_is_art_27(engine, text, expected):
    assert amounts(engine.turn(_session(), text)) == [expected]


def test_a_company_importing_technology_is_still_art_11(engine):
    reply = engine.turn(_session(), "我们公司从外地引进了一项技术落地，技术合同交易额300万，有补助吗")
    assert reply.citations[0].article == 11


@pytest.mark.parametrize("text", [
    "我们的矿用电机车拿到国家首台（套）重大技术装备认定了，单价260万",
    "用电设备拿到了自治区首台套认定，单价100万，奖多少",
])
def test_using_electricity_in_a_products_name_is_not_an_electricity_benefit(engine, text):
    reply = engine.turn(_session(), text)
    assert reply.covered is True and any(b.article == 19 and b.basis == "computed" for b in reply.benefits)


@pytest.mark.parametrize("text", ["企业用电有没有优惠", "我们工厂用电量大，电费有补贴吗"])
def test_electricity_prices_stay_out_of_scope(engine, text):
    assert engine.turn(_session(), text).covered is False


@pytest.mark.parametrize("text", [
    "我们做建材的，以前研发投入是0，没研发部门，也没有专利，今年三样都有了，有什么支持",
    "公司一直没投过研发，今年想建个研发部出点成果，这种从零到一的企业市里有啥扶持",
    "小厂一直没有研发投入，也没有研发机构，更没啥成果，听说有政策专门管这种的？",
])
def test_the_three_zeros_described_without_the_name_are_art_14(engine, text):
    reply = engine.turn(_session(), text)
    assert reply.citations[0].article == 14 and (14, 300000, "up_to") in amounts(reply)


def test_no_rd_spending_alone_is_still_art_16(engine):
    assert engine.turn(_session(), "我们研发投入一直没有，能不能申请研发投入奖补").citations[0].article == 16


@pytest.mark.parametrize("text, article", [
    ("拿市财政资助的项目，因为疫情封控没达到合同里的指标，还能不能结题", 29),
    ("政府引导基金投了几家种子期科技企业，有一家亏了，有没有亏损容忍的说法", 28),
])
def test_rules_asked_in_the_askers_own_words(engine, text, article):
    reply = engine.turn(_session(), text)
    assert reply.covered is True and reply.citations[0].article == article and reply.benefits == []


@pytest.mark.parametrize("text", ["民营企业自己办的新型研发机构，市里怎么补，按什么比例",
                                  "企业出资办的新型研发机构有啥支持"])
def test_how_it_is_paid_asked_in_other_words_is_the_money_article(engine, text):
    assert engine.turn(_session(), text).citations[0].article == 17


@pytest.mark.parametrize("denial", ["研发机构没有，首台套啥的都不是", "首台套也没有，高企都不是"])
def test_a_thing_denied_after_its_name_is_not_the_askers(engine, denial):
    reply = engine.turn(_session(), denial)
    assert not reply.benefits and not any("哪一级" in a for a in reply.asks)


@pytest.mark.parametrize("done", ["就这些，帮我汇总下", "行了，帮我合计一下"])
def test_the_check_ends_in_ordinary_words(engine, done):
    session = _session()
    for text in ("帮我们单位估算一下能拿哪些钱", "我们是企业", "去年拿了国家高企，科小也入库了"):
        engine.turn(session, text)
    got = amounts(engine.turn(session, done))
    assert (15, 300000, "fixed") in got and (15, 50000, "up_to") in got


def test_a_figure_in_ordinary_words_inside_the_check_is_used(engine):
    session = _session()
    for text in ("帮我们单位算算能享受哪些政策，我们是高校", "今年新获批了一个自治区重点实验室"):
        engine.turn(session, text)
    reply = engine.turn(session, "大型仪器对外共享也做了，评价优良，去年给外面非关联单位服务收了300万")
    assert (21, 300000, "computed") in amounts(reply)


@pytest.mark.parametrize("text", ["我们是做技术转移的中介，撮合了一项外地成果在鄂尔多斯落地转化，能奖多少",
                                  "技术转移机构促成一项高校的成果在本市转化，奖多少"])
def test_one_deal_without_its_amount_is_the_per_deal_cap(engine, text):
    assert (27, 300000, "up_to") in amounts(engine.turn(_session(), text))


def test_a_banners_money_raised_later_is_the_new_input(engine):
    session = _session()
    engine.turn(session, "我们旗重点建设的一个新型研发机构，旗财政今年投入300万，市里能补多少")
    assert amounts(engine.turn(session, "明年旗里打算加到600万，那市里补多少")) == [(26, 5000000, "computed")]


@pytest.mark.parametrize("follow_up", ["这个是一次性的还是每年都有", "是按年给还是只给一次"])
def test_an_either_or_question_is_a_follow_up(engine, follow_up):
    session = _session()
    engine.turn(session, "仪器开放共享评价优良，非关联单位服务收入200万，补多少")
    reply = engine.turn(session, follow_up)
    assert reply.covered is True and reply.citations[0].article == 21


def test_a_new_subject_after_then_is_not_the_last_topic(engine):
    session = _session()
    engine.turn(session, "财政资助的项目因为不可抗力没达到预期目标，还能结题吗")
    assert engine.turn(session, "那政府投资基金投早期科技企业亏了呢，容忍度有没有放宽").citations[0].article == 28
    assert engine.turn(session, "这块谁负责").citations[0].article == 28


@pytest.mark.parametrize("text, expected", [
    ("我们是学院的分析测试中心，评价优良，设备原值2.3亿，去年给校外非关联单位做测试收入650万，市里这块补贴能给多少",
     (21, 650000, "computed")),
    ("自治区首台套技术装备新认定了，我们是研制单位，单台货值RMB 2,300万，奖补多少", (19, 500000, "computed")),
])
def test_the_answering_items_figure_is_read_in_the_askers_words(engine, text, expected):
    assert expected in amounts(engine.turn(_session(), text))


@pytest.mark.parametrize("text", ["公司刚拿到自治区专业化技术研发与中试公共服务平台的批复，一次性给多少",
                                  "我们取得了自治区中试公共服务平台的认定，有奖补吗"])
def test_getting_the_platforms_approval_is_newly_approved(engine, text):
    assert (27, 1000000, "fixed") in amounts(engine.turn(_session(), text))


@pytest.mark.parametrize("text", [
    "【工信转发】关于组织开展专精特新“小巨人”企业培育工作的通知……请问这个小巨人申报今年啥时候截止，要准备哪些材料",
    "新上一条中试线要做环评，生态环境局审批一般要多长时间",
    "专精特新企业认定要交哪些材料，多久能批下来",
])
def test_another_programmes_dates_and_papers_are_not_this_policys(engine, text):
    assert engine.turn(_session(), text).covered is False


def test_a_forwarded_notice_is_context_the_question_after_it_decides(engine):
    text = ("【转发】各位好，XX大科学装置项目组近期来鄂考察选址，涉及用地、建安工程、设备采购及团队引进等事项……\n---\n"
            "请问像这种国家在咱们这布局的重大科技基础设施，市里在土地、设备、人才这些上面是啥政策，有没有上限")
    reply = engine.turn(_session(), text)
    assert reply.covered is True and reply.citations[0].article == 1


@pytest.mark.parametrize("text", ["同一件事市里另外一个政策也能补，两个都拿行不行", "两边都拿可以吗，另一个政策也补这个",
                                  "这个项目别的政策也给钱，两份都要行吗"])
def test_taking_two_policies_asked_in_other_words_is_art_30(engine, text):
    assert engine.turn(_session(), text).citations[0].article == 30


@pytest.mark.parametrize("text", ["行业协会给我们评了个“科技创新示范企业”称号，按市里政策有没有奖金",
                                  "一家投资机构评我们为年度最具潜力科技企业，市里奖不奖"])
def test_a_title_from_an_association_or_investor_is_not_this_policys(engine, text):
    reply = engine.turn(_session(), text)
    assert reply.covered is False and reply.benefits == []


@pytest.mark.parametrize("first, follow_up", [
    ("科技型企业可以申请科创贷吗", "那科创贷年利率现在是多少？哪家银行最低"),
    ("高企认定了能拿多少", "认定管理工作网的账号密码忘了，怎么重置"),
])
def test_another_bodys_matter_after_a_topic_is_not_the_topic(engine, first, follow_up):
    session = _session()
    engine.turn(session, first)
    assert engine.turn(session, follow_up).covered is False


def test_a_banners_own_document_is_not_this_policy(engine):
    assert engine.turn(_session(), "我们旗自己的配套奖励文件在哪查").covered is False


def test_the_citys_prize_after_a_regional_one_is_not_paid(engine):
    session = _session()
    assert (25, 100000, "computed") in amounts(engine.turn(session, "获得自治区科技进步二等奖，奖金10万，市里奖多少"))
    reply = engine.turn(session, "那市里的科技奖呢，我们另一个项目得了市一等奖")
    assert reply.covered is False and reply.benefits == []


def test_a_banners_key_research_institute_in_other_words_is_art_26(engine):
    reply = engine.turn(_session(), "旗里还给重点建设的研究院投了300万，市里怎么配")
    assert (26, 3000000, "computed") in amounts(reply)


@pytest.mark.parametrize("follow_up", ["那到底按多少比例补", "按什么标准给"])
def test_a_bare_rate_question_is_about_the_last_item(engine, follow_up):
    session = _session()
    engine.turn(session, "我们企业从外地引进了一项技术，合同交易额500万，补多少")
    reply = engine.turn(session, follow_up)
    assert reply.citations[0].article == 11 and (11, 10000000, "up_to") in amounts(reply)  # the text gives only a cap


def test_newly_approved_said_after_the_platforms_name(engine):
    session = _session()
    engine.turn(session, "新获批的自治区科研中试基地奖多少")
    assert (27, 1000000, "fixed") in amounts(engine.turn(session, "换成自治区专业化技术研发与中试公共服务平台呢，新获批那种"))
