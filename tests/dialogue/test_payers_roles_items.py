"""Who pays, who the asker is, and how many items: each a class of phrasings, not one sentence."""

from __future__ import annotations

import pytest
from reply_checks import POLICY, amounts, assert_contract


@pytest.mark.parametrize("text, expected", [
    ("旗里投了400万建新型研发机构，市里给多少", (26, 4000000, "computed")),
    ("我们旗重点建设的新型研发机构，旗财政投入300万，市里补多少", (26, 3000000, "computed")),
])
def test_the_city_matching_a_banners_money_is_this_policys(engine, text, expected):
    assert expected in amounts(engine.turn("s", text))


@pytest.mark.parametrize("text, article", [
    ("市级的技术创新中心有没有一次性科研经费？还是只有国家级、自治区级的才有", 2),
    ("我们的软件拿到的是自治区认定的首版次软件，这种有奖补吗？还是只有国家认定的才有", 19),
    ("市级众创空间算不算？是不是只给国家级和自治区级的", 5),
])
def test_a_question_about_which_levels_are_paid_is_answered_by_the_article(engine, text, article):
    reply = engine.turn("s", text)
    assert reply.covered is True and reply.benefits == []
    assert reply.citations[0].article == article
    assert reply.citations[0].quote in POLICY.text
    assert "只支持" in reply.reply


@pytest.mark.parametrize("text", [
    "我们是使用单位，去年采购了一台自治区首台（套）装备，单价500万，我们能拿奖补吗",
    "我们公司买了一台国家认定的首台套设备，单价300万，作为采购方有奖补吗",
    "作为用户单位，我们购置了首批次新材料，货值200万，能补多少",
])
def test_the_buyer_of_a_first_set_is_not_its_maker(engine, text):
    reply = engine.turn("s", text)
    assert not any(b.article == 19 for b in reply.benefits)
    assert "只给研制企业" in reply.reply


def test_the_maker_of_a_first_set_is_still_paid(engine):
    assert (19, 450000, "computed") in amounts(engine.turn("s", "我们研制的首台套通过了自治区认定，单价150万"))


@pytest.mark.parametrize("text, expected", [
    # "单个项目最高30万元": each deal capped, then summed (BAD_INPUTS 32); each asked: one by one
    ("我们技术转移机构今年促成3个项目在鄂尔多斯落地，实际成交额分别是500万、1,200万、2,000万，每个项目奖多少",
     [(27, 150000, "computed"), (27, 300000, "computed"), (27, 300000, "computed")]),
    ("我们是技术转移机构，促成两笔交易在本市落地，成交额分别为600万和800万，各能拿多少",
     [(27, 180000, "computed"), (27, 240000, "computed")]),
    ("我们是技术转移服务机构，今年促成两个项目在市里落地转化，成交额分别为400万和1200万，能奖多少",
     [(27, 420000, "computed")]),
    # asked for the year's total: one sum
    ("我们是技术转移服务机构，今年促成4笔技术交易在鄂尔多斯落地转化，成交额分别为200万、1500万、800万、3000万元，今年能拿多少奖补？",
     [(27, 900000, "computed")]),
    # a binding yearly cap is one sum even when asked per deal
    ("技术转移机构促成5笔交易在鄂尔多斯落地，成交额分别为1000万、1000万、1000万、1000万、1000万，每笔奖多少",
     [(27, 1000000, "computed")]),
])
def test_deals_are_summed_unless_each_is_asked(engine, text, expected):
    assert amounts(engine.turn("s", text)) == expected


def test_a_deal_landing_in_another_city_is_not_counted(engine):
    reply = engine.turn("s", "我们技术转移机构促成了一项成果在包头落地转化，成交额900万，能奖多少")
    assert all(b.basis != "computed" for b in reply.benefits)


def test_each_carrier_has_its_own_operating_subsidy(engine):
    reply = engine.turn("s", "我们公司今年新认定了一个国家级科技企业孵化器，另外旗下的众创空间被认定为自治区级，市里分别给多少")
    got = amounts(reply)
    assert (5, 2000000, "fixed") in got and (5, 200000, "fixed") in got
    assert got.count((5, 500000, "up_to")) == 2


@pytest.mark.parametrize("second", ["还有一款也是自治区首台套，单价260万", "另外一款自治区首台套产品，单价260万"])
def test_another_product_of_the_same_kind_adds_an_item(engine, second):
    engine.turn("two", "我们有款产品新获认定自治区首台（套）技术装备，单价80万")
    reply = engine.turn("two", second)
    assert sorted(amounts(reply)) == [(19, 240000, "computed"), (19, 500000, "computed")]
    total = engine.turn("two", "两款加起来能拿多少")
    assert sorted(amounts(total)) == [(19, 240000, "computed"), (19, 500000, "computed")]


def test_a_new_price_without_another_item_still_replaces_the_old(engine):
    engine.turn("one", "我们有款产品新获认定自治区首台（套）技术装备，单价80万")
    reply = engine.turn("one", "不对，单价是100万")
    assert amounts(reply) == [(19, 300000, "computed")]


@pytest.mark.parametrize("text, expected", [
    ("我们在上海、深圳各弄了一个人才科创飞地，一个孵化类一个研发类，都是首次认定，分别给多少",
     [(6, 2000000, "fixed"), (6, 1000000, "fixed")]),
])
def test_places_listed_after_in_are_where_things_are(engine, text, expected):
    reply = engine.turn("s", text)
    assert reply.covered is True
    assert sorted(amounts(reply)) == sorted(expected)


@pytest.mark.parametrize("text, article", [
    ("研发费用加计扣除后还能拿研发补助吗", 16),
    ("技术转移机构按成交额拿奖补，一家机构一年有没有封顶", 27),
    ("技术转移机构促成成果落地的奖补，单个项目和每家每年分别封顶多少？", 27),
])
def test_the_policys_money_asked_beside_a_foreign_benefit_or_a_near_article(engine, text, article):
    reply = engine.turn("s", text)
    assert reply.covered is True and reply.citations[0].article == article


def test_others_counted_in_a_long_message_are_not_the_askers_recognitions(engine):
    reply = engine.turn("s", "您好！我们园区2021年成立，入驻企业60多家，园区里有国家高企23家、科技型中小企业40多家。"
                             "去年园区获批了自治区级科技成果转移转化示范区，请问市里一次性奖补多少？")
    assert reply.citations[0].article == 13
    assert all(b.article == 13 for b in reply.benefits)


@pytest.mark.parametrize("text, figure_said", [
    ("我们技术转移机构促成了一项煤化工技术交易，成交额900万元，但技术最后是在陕西榆林的企业那边落地转化的。能拿多少？", "900万元"),
    ("技术转移机构促成两笔交易，成交额分别为800万和600万，其中600万那笔在包头落地，能奖多少", "600万元"),
    ("仪器共享收入300万，其中300万来自关联单位，我们评价优良，能补多少", "300万元"),
])
def test_an_amount_the_text_rules_out_is_said_not_counted_never_offered_for_a_yes(engine, text, figure_said):
    reply = engine.turn("s", text)
    assert f"{figure_said}按您说的情况不符合原文的条件" in reply.reply
    assert "是的话我按它计算" not in reply.reply and not any(b.amount_yuan == 0 for b in reply.benefits)


def test_a_deal_list_keeps_the_deals_that_count(engine):
    reply = engine.turn("s", "技术转移机构促成两笔交易，成交额分别为800万和600万，其中600万那笔在包头落地，能奖多少")
    assert amounts(reply) == [(27, 240000, "computed")]


def test_a_total_less_its_affiliated_part_is_the_input(engine):
    reply = engine.turn("s", "我们大学分析测试中心是科学仪器设备管理单位，去年评价为优良。上年度开放共享服务总收入520万元，"
                             "其中180万元来自我们学校下属的关联单位，其余来自非关联企业和创业团队。市里补助多少？")
    assert amounts(reply) == [(21, 340000, "computed")]


def test_a_new_question_with_an_amount_does_not_answer_the_pending_yes(engine):
    engine.turn("pend", "我们技术转移机构促成了一项技术交易，900万元，能拿多少？")
    reply = engine.turn("pend", "我们是大学，把专利卖给本地企业拿了200万，学校能得多少配套")
    assert reply.citations[0].article == 11 and not any(b.article == 27 for b in reply.benefits)


def test_a_figure_is_asked_once(engine):
    reply = engine.turn("s", "我们是大学，把专利卖给本地企业拿了200万，学校能得多少配套")
    assert reply.asks and len(reply.asks) == len(set(reply.asks))


@pytest.mark.parametrize("first, second, expected", [
    ("我们实验室批了国家重点实验室，给多少", "搞错了，其实批的是自治区重点实验室", (2, 2000000, "fixed")),
    ("国家级孵化器给多少", "不对，是自治区级孵化器", (5, 1000000, "fixed")),
])
def test_a_thing_named_again_at_another_level_corrects_the_level(engine, first, second, expected):
    engine.turn("lv", first)
    assert expected in amounts(engine.turn("lv", second))


@pytest.mark.parametrize("first, follow", [
    ("高企认定了能拿多少", "找谁"),
    ("高企认定了能拿多少", "去哪办"),
    ("We were recognised as a high-tech enterprise, how much can we get?", "Which department should we contact?"),
])
def test_a_bare_who_question_follows_the_topic(engine, first, follow):
    engine.turn("who", first)
    reply = engine.turn("who", follow)
    assert reply.covered is True and reply.citations[0].article == 15


def test_the_thing_applied_for_leads_over_background_facts(engine):
    reply = engine.turn("s", "我们在做煤制烯烃催化剂的国产化替代，公司去年营收18亿、研发投入1.1亿，联合了5家单位，"
                             "想申报市里的科技重大专项，一个项目最多能支持多少？")
    assert reply.citations[0].article == 9


def test_the_region_having_paid_its_part_the_city_match_is_still_asked(engine):
    reply = engine.turn("s", "我们把自己的稀土萃取分离技术转让给了江西一家企业，自治区那边已经给了技术交易的后补助，市里还能再给一份吗？")
    assert reply.covered is True and reply.citations[0].article == 11


@pytest.mark.parametrize("turns", [
    ["我们获得自治区科技进步奖一等奖，第一完成单位，奖金20万", "那市科技进步奖呢？奖金5万，市里也给等额吗"],
    ["我们得了市科技进步奖二等奖，市里发了3万块奖金。听说自治区和国家的科技奖市里会给等额奖励，那市级这个奖按这个政策还能再配一份吗？"],
    ["我们是自治区级众创空间，能拿多少", "那市级的呢，刚认定的，市里奖了10万"],
])
def test_the_money_of_a_thing_at_an_unpaid_level_is_never_an_input(engine, turns):
    for text in turns:
        reply = engine.turn("unpaid", text)
    small = {50000, 30000, 100000}
    assert not any(b.basis == "computed" and b.amount_yuan in small for b in reply.benefits)


def test_deals_told_one_message_at_a_time_stay_items(engine):
    engine.turn("apart", "我们是技术转移服务机构，促成一个成果在鄂尔多斯落地转化，成交额600万")
    reply = engine.turn("apart", "还有一个项目，成交额1500万")
    assert amounts(reply) == [(27, 180000, "computed"), (27, 300000, "computed")]
    assert amounts(engine.turn("apart", "两个加起来多少")) == [(27, 480000, "computed")]  # the total asked


@pytest.mark.parametrize("text", [
    "我们研究所的仪器纳入了自治区共享平台，去年评价结果为合格（不是优良），给非关联单位的开放共享服务收入200万，能补多少？",
    "仪器开放共享评价结果是基本合格，共享服务收入300万，补多少",
])
def test_another_rating_than_the_one_required_rules_the_item_out(engine, text):
    reply = engine.turn("s", text)
    assert not any(b.article == 21 for b in reply.benefits)
    assert "只给" in reply.reply


@pytest.mark.parametrize("text", ["仪器开放共享评价良好，给非关联单位的共享服务收入300万，补多少",
                                  "仪器开放共享今年评价结果是优秀，非关联单位的共享服务收入300万，补多少"])
def test_a_rating_within_the_one_required_meets_it(engine, text):
    # 优良 is 优 (优秀) and 良 (良好): either meets "评价优良"
    assert (21, 300000, "computed") in amounts(engine.turn("s", text))


@pytest.mark.parametrize("text, expected", [
    ("我们公司办的新型研发机构去年研发投入1.5个亿，按上年研发投入算能拿多少？", (17, 5000000, "computed")),
    ("我们学校有台质谱仪对社会开放，去年评价优良，给非关联单位的服务收入是1,300万", (21, 1000000, "computed")),
])
def test_everyday_wording_of_figures_and_things(engine, text, expected):
    assert expected in amounts(engine.turn("s", text))


@pytest.mark.parametrize("text, article", [
    ("我们是市里出资设立的新型研发机构，今年预算3,000万，财务总说每一项开支都要逐项报批。市属的新型研发机构，经费到底是怎么管的？", 23),
    ("我们是做光伏组件的，营收去年突破了50亿，研发投入2.3亿。刚被评为自治区科技领军企业，市里一次性奖多少？", 15),
])
def test_what_is_asked_leads_over_the_facts_around_it(engine, text, article):
    assert engine.turn("s", text).citations[0].article == article


@pytest.mark.parametrize("text, article", [
    ("自治区级产业创新中心获批了，是不是也跟自治区重点实验室一样有200万", 2),  # the lab is only compared
    ("我们被评为国家技术转移示范机构，是不是有20万奖补", 27),  # the level inside the matched words
])
def test_a_thing_compared_with_or_named_with_its_level_inside(engine, text, article):
    reply = engine.turn("s", text)
    assert reply.covered is False and reply.benefits == [] and reply.citations[0].article == article


def test_an_institutions_total_spending_is_not_the_banners_investment(engine):
    reply = engine.turn("s", "我们旗政府和园区重点建设了一家新型研发机构（事业单位性质，不是企业办的），今年旗财政投入资金350万，"
                             "机构总投入1200万，上年度研发投入900万。市里能按政策补多少？")
    assert (26, 3500000, "computed") in amounts(reply)


def test_a_place_named_as_a_location_stays_one_when_named_again(engine):
    reply = engine.turn("s", "我们在上海和北京各建了一个人才科创飞地，今年首次认定为市级：上海的是孵化类，北京的是研发类。一共能拿多少？")
    assert sorted(amounts(reply)) == [(6, 1000000, "fixed"), (6, 2000000, "fixed")]


@pytest.mark.parametrize("turns, article", [
    (["新批准成立了院士专家工作站，一次给多少", "以后每年还有运行补贴吗"], 24),
    (["高企认定条件是什么，研发费用比例要多少", "那认定下来以后市里给多少"], 15),
    (["How much one-off funding for a newly approved national key laboratory (全国重点实验室)?",
      "What about an autonomous-region key laboratory?"], 2),
])
def test_follow_ups_after_an_answer_or_an_out_of_scope_reply(engine, turns, article):
    for text in turns:
        reply = engine.turn("fu", text)
    assert reply.covered is True and reply.citations[0].article == article


def test_pinyin_initials_of_things(engine):
    reply = engine.turn("s", "国家级zckj刚认定下来 能拿多少")
    assert (5, 500000, "fixed") in amounts(reply)


@pytest.mark.parametrize("text, expected", [
    ("学校分析测试中心上年度评价优良，服务总收入1500万，其中给非关联单位和创业团队提供开放共享服务的收入620万，给关联单位的300万，能补多少",
     [(21, 620000, "computed")]),
    ("仪器共享服务收入800万，其中300万来自非关联单位，500万来自关联单位，评价优良，补多少", [(21, 300000, "computed")]),
    ('Pasting from our annual report: "In 2024 the Analytical Center provided open-access testing services; total '
     'revenue RMB 9.8 million, of which RMB 3.1 million came from unaffiliated companies and startup teams, RMB 6.7 '
     'million from affiliated units." The center was rated excellent. How much can we get?', [(21, 310000, "computed")]),
])
def test_the_qualifying_part_of_a_total_is_the_input(engine, text, expected):
    assert amounts(engine.turn("s", text)) == expected


def test_one_item_said_without_its_figure_is_capped_per_item(engine):
    reply = engine.turn("s", "我们是技术转移服务机构，促成了一个技术成果在鄂尔多斯落地转化，能奖多少？")
    assert amounts(reply) == [(27, 300000, "up_to")]
    assert reply.asks  # the deal amount is still asked for


@pytest.mark.parametrize("turns, expected", [
    (["We manage the university's shared instruments, rated excellent. Last year income from open-sharing services "
      "to unaffiliated units was 4.2 million yuan. How much can the city give?",
      "Sorry, my mistake — it was 12 million, not 4.2 million."], (21, 1000000, "computed")),
    (["新型研发机构研发投入500万", "不对，是1200万，不是500万"], (17, 2400000, "computed")),
    (["我们的人才科创飞地是研发类的，今年首次认定为市级，给多少", "三年期满考核优秀的话还有吗"], (6, 1000000, "fixed")),
])
def test_denied_amounts_and_hypothetical_follow_ups(engine, turns, expected):
    for text in turns:
        reply = engine.turn("dn", text)
    assert expected in amounts(reply)


def test_english_leading_enterprise(engine):
    reply = engine.turn("s", "And if we are also recognised as an Autonomous Region S&T leading enterprise?")
    assert (15, 1000000, "fixed") in amounts(reply)


@pytest.mark.parametrize("text, expected", [
    ("集团3家子公司：两家今年新认定国家高新技术企业，另一家被认定为自治区科技领军企业。按30条分别拿多少",
     [(15, 300000, "fixed"), (15, 300000, "fixed"), (15, 1000000, "fixed")]),
    ("学校今年新获批两个自治区重点实验室，还有一个自治区级野外科学观测研究站，科研经费一共能拿几笔",
     [(2, 2000000, "fixed"), (2, 2000000, "fixed"), (2, 200000, "fixed")]),
])
def test_several_of_one_recognition_are_paid_each(engine, text, expected):
    assert amounts(engine.turn("s", text)) == expected


@pytest.mark.parametrize("text", [
    "我们企业和医院今年各有一个院士专家工作站新批准成立，共2个站，每个一次性补助多少",
    "客户原话: We set up 2 academician expert workstations in Ordos this year, both newly approved. What's the one-off grant?",
])
def test_a_count_said_after_or_in_english(engine, text):
    assert amounts(engine.turn("s", text)).count((24, 1000000, "fixed")) == 2


@pytest.mark.parametrize("text, expected", [
    ("园区里有国家高企23家，我们也刚认定为高企，奖多少", [(15, 300000, "fixed")]),
    ("我们有3家企业入驻的孵化器新认定为国家级，奖多少", [(5, 2000000, "fixed"), (5, 500000, "up_to")]),  # counts firms
])
def test_others_counted_are_still_not_the_askers(engine, text, expected):
    assert amounts(engine.turn("s", text)) == expected


def test_equal_items_less_the_ones_that_landed_elsewhere(engine):
    reply = engine.turn("s", "技术转移机构，今年撮合了4个技术交易项目，每个成交额900万，其中一个是在包头落地的，其余3个都落在我市。奖补怎么算")
    assert amounts(reply) == [(27, 810000, "computed")]


@pytest.mark.parametrize("text, article", [
    ("承担国家项目的单位按拨款多少比例补", 10),
    ("我们公司出资办了个新型研发机构，补助按研发投入的百分之几算", 17),
    ("我们是做技术转移服务的中介公司 去年帮区外一个大学的成果在鄂尔多斯落地转化 促成的技术交易成交额大概几百万 "
     "请问这种技术转移服务机构 市里按成交额奖补多少 有没有上限", 27),
])
def test_this_policys_rate_on_an_input_is_this_policys(engine, text, article):
    reply = engine.turn("s", text)
    assert reply.covered is True and reply.citations[0].article == article


def test_the_part_taken_off_counts_after_all(engine):
    engine.turn("part", "学校仪器共享评价优良，去年共享服务收入300万，其中100万是关联单位的，补多少")
    reply = engine.turn("part", "财务说搞错了 那100万其实也是外单位的 全是非关联")
    assert amounts(reply) == [(21, 300000, "computed")]


@pytest.mark.parametrize("text, expected", [
    ("我们机构今年促成了三笔技术交易，实际成交额分别是500万、1200万和80万，前两个成果落在鄂尔多斯，80万那个落在包头了，能奖补多少",
     [(27, 450000, "computed")]),
    # the year's total asked: one sum
    ("我们技术转移机构今年促成了5笔交易，其中3笔在鄂尔多斯落地转化，实际成交额500万、1200万、200万，另外2笔落在外省，各800万，今年奖补多少？",
     [(27, 510000, "computed")]),
])
def test_an_item_named_again_as_landed_elsewhere_leaves_the_list(engine, text, expected):
    assert amounts(engine.turn("s", text)) == expected


def test_a_banner_amount_said_with_bare_tou_in_a_follow_up(engine):
    engine.turn("tou", "旗里重点建设的新型研发机构，今年旗财政投了300万，市里补多少")
    assert (26, 5000000, "computed") in amounts(engine.turn("tou", "明年旗里要是投800万呢"))


def test_english_technology_transfer_agencies(engine):
    reply = engine.turn("s", "Who do I contact about the subsidy for technology transfer agencies?")
    assert reply.covered is True and reply.citations[0].article == 27


# Not covered, one class per row (the reply says why; covered false means no benefits, by contract)
NOT_COVERED = [
    ('another_payer', '康巴什区自己对高企还有额外奖励吗？区里给多少'),
    ('another_payer', '自治区本级财政对新认定的自治区重点实验室拨多少运行经费'),
    ('another_payer', '准格尔旗自己对新型研发机构有没有另外的补贴，旗里给多少'),
    ('another_payer', '旗财政对科技型中小企业奖励多少'),
    ('foreign_benefit', '公司今年授权了6件发明专利，每件有没有资助'),
    ('foreign_benefit', '授权专利有奖励吗，一件给多少'),
    ('another_payer', '国家自然科学基金青年项目一般资助多少科研经费，资助几年'),
    ('another_payer', '自治区重点研发计划一个项目一般给多少钱'),
    ('foreign_benefit', '高校老师拿到的职务成果转化奖励，缴个人所得税有没有减免优惠？'),
    ('foreign_benefit', '职务成果转化奖励的个税能减免吗'),
    ('foreign_benefit', '全职引进的博士能申请人才公寓吗？安家费一次给多少'),
    ('foreign_benefit', '企业职工参加职业技能培训有没有补贴？一个人补多少？'),
    ('another_bodys_matter', '对了，进口科研仪器能不能免关税？'),
    ('another_bodys_matter', '园区一家企业去年在农行贷了1500万流动资金，能不能申请市财政的贷款贴息？贴息比例多少？'),
    ('another_bodys_matter', '我们厂的首席技师想建技能大师工作室，建成以后有没有补助？'),
    ('another_bodys_matter', '我在一家稀土企业当工程师，想评正高级工程师，内蒙古这边需要几篇核心期刊论文、几年任职年限？'),
    ('another_bodys_matter', '科技成果登记怎么办理？是在哪个系统里登记，要多长时间？'),
    ('another_bodys_matter', '我是市中心医院的医生，第一次申请国家自然科学基金地区科学基金项目，申请人必须要有副高职称吗？'),
    ('another_bodys_matter', '鄂尔多斯市科学技术奖一等奖的奖金是多少？今年什么时候评？'),
    ('another_bodys_matter', '新获批的自治区重点实验室，自治区科技厅那边自己会拨多少经费？我问的是自治区本级，不是市里'),
    ('another_payer', '陕西榆林对新型研发机构是按研发投入的多少比例给补助的？想和鄂尔多斯对比一下。'),
    ('another_payer', '除了市里的研发投入奖补，自治区层面是不是还有研发投入后补助？自治区那个补助的比例是多少？'),
    ('another_payer', '我们的重点实验室刚被认定为自治区重点实验室。我知道市里一次性给一笔，但自治区科技厅那边，自治区本级财政自己给多少？'),
    ('another_payer', '我们那个众创空间去年被市科技局认定为市级众创空间，今年入驻率挺高。按这个30条，市级的能拿多少奖补？'),
    ('not_this_prize_or_fee', '拿了中国专利金奖（国知局评的），能按奖金给等额奖励吗'),
    ('not_this_prize_or_fee', '行业协会说参编团体标准要先交5万块会费，这个合理吗，有规定吗'),
    ('another_payer', '我们在包头和鄂尔多斯都有公司。听说包头市对新认定的国家高新技术企业奖得比鄂尔多斯多，包头那边具体奖多少？'),
    ('not_this_prize_or_fee', '我们获得鄂尔多斯市科学技术进步奖一等奖，奖金10万，政策里能等额再奖吗'),
    ('not_this_prize_or_fee', '拿了鄂尔多斯市科学技术进步奖二等奖，奖金是多少'),
    ('another_bodys_matter', '医院申报自治区卫健委的临床重点专科，有建设补助吗'),
    ('another_bodys_matter', '自治区技术交易后补助是按合同额的百分之几给的'),
    ('another_bodys_matter', '国家高新技术企业复审是几年一次？到期没复审会怎样'),
]


@pytest.mark.parametrize("kind, text", NOT_COVERED, ids=[f"{k}-{i}" for i, (k, _t) in enumerate(NOT_COVERED)])
def test_not_covered(engine, kind, text):
    reply = engine.turn("s", text)
    assert_contract(reply)
    assert reply.covered is False, kind


def test_a_reply_profile_is_a_profile_the_calculators_read():
    import json

    from bot.dialogue.state import SessionState
    from calculators.catalogue import load_catalogue
    from calculators.evaluate import evaluate, profile_from_json

    CAT = load_catalogue()
    state = SessionState(triggers=("region_makerspace", "first_set_region", "tech_transfer_deals"),
                         figures={"deal_amounts": (5_000_000, 8_000_000)},
                         trigger_figures={"first_set_region": {"unit_price": 1_000_000}},
                         trigger_counts={"region_makerspace": 2})
    data = json.loads(json.dumps(state.profile_dict()))
    assert {"trigger_figures", "counts"} <= set(data)
    report = evaluate(profile_from_json(data, CAT), CAT)
    assert [b.amount_yuan for b in report.benefits if b.id == "tech_transfer_deal_award"] == [390_000]  # summed
    assert [b.amount_yuan for b in report.benefits if b.id == "first_set_region_award"] == [300_000]
    assert SessionState().profile_dict().keys() == {"org_type", "triggers", "figures"}
