"""Fifth round: answers in the guided check that carry more than was asked, rule questions asked
beside a money thing (Art. 29), amounts whose role is said after them, another item added with a
verb, follow-ups to a level the policy does not pay, and places named as a source or a route.
Each a class of phrasings."""

from __future__ import annotations

import itertools

import pytest
from reply_checks import amounts, assert_contract

from bot.dialogue.nlu.moves import org_type_of

_ids = itertools.count()


def _session() -> str:
    return f"far-{next(_ids)}"


def _talk(engine, *messages):
    sid = _session()
    replies = [engine.turn(sid, m) for m in messages]
    for reply in replies:
        assert_contract(reply)
    return replies


# --- the organisation type: what the asker is, not what it set up -------------------------------

@pytest.mark.parametrize("text, org", [
    ("我们是一家民营公司，前年自己出钱办了个研究院", "enterprise"),
    ("我们集团去年成立了一家研究所，独立核算", "enterprise"),
    ("我们学校牵头组建了一个技术转移中心", "university"),
    ("我们是企业举办的新型研发机构", "new_rd_institution"),
    ("我们是企业，主要做技术转移服务", "tech_service"),
    ("研究院", "research_institute"),
])
def test_the_org_type_is_what_the_asker_is(knowledge, text, org):
    assert org_type_of(text, knowledge.catalogue) == org


@pytest.mark.parametrize("answer", [
    "我们是一家民营公司，前年自己出钱办了个研究院，单独注册的法人",
    "我们是私营企业，去年掏钱建了一个研发中心，独立法人",
    "公司自筹资金办了一个研究所，独立核算",
])
def test_an_org_answer_that_describes_a_social_rd_institution_records_it(engine, answer):
    _, reply = _talk(engine, "/check", answer)
    assert 17 in [c.article for c in reply.citations]
    assert reply.profile["triggers"] == ["social_new_rd_institution"]
    assert reply.asks  # the list stays open


@pytest.mark.parametrize("answer, org, article", [
    ("国家高企，去年刚认定的", "enterprise", 15),
    ("今年评上了自治区科技领军企业", "enterprise", 15),
    ("刚被认定为国家级科技企业孵化器", "incubator", 5),
])
def test_a_recognition_given_for_the_org_type_is_recorded(engine, answer, org, article):
    _, reply = _talk(engine, "/check", answer)
    assert reply.profile["org_type"] == org
    assert reply.profile["triggers"] and article in [b.article for b in reply.benefits]
    assert reply.asks


# --- figures and totals while the recognitions are asked ----------------------------------------

@pytest.mark.parametrize("figure", ["去年研发花了九百万", "研究院上年度研发投入900万元", "R&D投入900万"])
def test_a_figure_told_at_the_recognitions_step_is_recorded(engine, figure):
    *_, reply = _talk(engine, "/check", "企业", "社会力量办新型研发机构", figure)
    assert (17, 1800000, "computed") in amounts(reply)
    assert reply.asks and reply.profile["figures"] == {"rd_investment_last_year": 9000000}


def test_an_approximate_figure_at_the_recognitions_step_is_confirmed_first(engine):
    *_, approx, yes, done = _talk(engine, "/check", "企业", "社会力量办新型研发机构", "研发大概花了九百万左右", "是", "完成")
    assert approx.benefits == [] and approx.asks
    assert (17, 1800000, "computed") in amounts(yes) and yes.asks  # still on the list
    assert (17, 1800000, "computed") in amounts(done)


@pytest.mark.parametrize("total", ["那合计一下", "一共能拿多少", "总共多少钱"])
def test_a_total_asked_at_the_recognitions_step_ends_the_list(engine, total):
    *_, reply = _talk(engine, "/check", "企业", "国家高新技术企业", total)
    assert (15, 300000, "fixed") in amounts(reply)
    assert reply.profile["triggers"] == ["hitech_enterprise"]


def test_the_final_report_says_what_the_org_type_cannot_receive(engine):
    *_, reply = _talk(engine, "/check", "高校", "国家高新技术企业", "完成")
    assert reply.benefits == []
    assert "不面向高校" in reply.reply
    assert not reply.asks  # no figure asked for an item that will not count


# --- rule questions beside a money thing ----------------------------------------------------------

@pytest.mark.parametrize("text", [
    "我们承担的市科技重大专项没做出来，已经尽力了，会不会让退钱",
    "拿了财政资助的项目因为疫情指标没达到，会被追责吗",
    "研发项目失败了还能结题验收吗",
    "项目没完成，要不要退回资金",
    "揭榜挂帅的项目最后没搞成，会不会有负面评价",
])
def test_what_a_failed_funded_project_faces_is_art_29(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.covered and reply.citations[0].article == 29
    assert reply.benefits == []


@pytest.mark.parametrize("text", ["科技重大专项验收通过后还有钱吗", "重大专项一个项目最多支持多少"])
def test_a_money_question_on_a_project_is_not_the_failure_rule(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.citations[0].article == 9


@pytest.mark.parametrize("text", [
    "企业委托我们做的横向课题，非财政经费60万，验收后能按市级科技计划项目认吗（评职称要用）",
    "横向项目到账50万，结题了能不能算市级项目？评职称用的",
])
def test_what_the_answer_is_for_is_not_what_is_asked(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.covered and reply.citations[0].article == 22


# --- amounts and their roles ----------------------------------------------------------------------

@pytest.mark.parametrize("correction, expected", [
    ("哦不对，国家专项拨款是2500万，900万是自筹的", 10000000),
    ("说错了，国拨是1600万，900万是单位自有资金", 8000000),
])
def test_a_correction_keeps_an_amount_whose_role_follows_it_out(engine, correction, expected):
    *_, reply = _talk(engine, "我们承担了国家科技计划项目，市里能给多少科研经费", "国拨900万", correction)
    assert amounts(reply) == [(10, expected, "computed")]


@pytest.mark.parametrize("more, second", [
    ("那同一年我们还促成了一笔1200万的呢", 300000),
    ("另外又促成了一单600万的", 180000),
])
def test_another_deal_added_with_a_verb_is_a_second_item(engine, more, second):
    *_, reply = _talk(engine, "我们是技术转移服务机构，促成一个成果在鄂尔多斯落地转化了，成交额500万", more)
    assert amounts(reply) == [(27, 150000, "computed"), (27, second, "computed")]


@pytest.mark.parametrize("question", ["营收是1.5亿、员工300人，这些影响金额不", "我们营收2个亿，跟这个有关系吗"])
def test_amounts_no_told_item_uses_are_said_to_be_unused(engine, question):
    *_, reply = _talk(engine, "我们是企业举办的新型研发机构，上年度研发投入2000万", question)
    assert (17, 4000000, "computed") in amounts(reply)
    assert "不是本政策的计算依据" in reply.reply


# --- levels ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("follow_up", ["那市级的有没有", "市级的呢", "要是市里认定的呢"])
def test_a_level_follow_up_to_an_unpaid_level_is_not_covered(engine, follow_up):
    *_, reply = _talk(engine, "我们的技术中心被认定为国家企业技术中心，能拿多少", follow_up)
    assert reply.covered is False and reply.benefits == []
    assert reply.citations[0].article == 17


def test_after_an_unpaid_answer_a_follow_up_is_about_the_told_things(engine):
    *_, reply = _talk(engine, "我们孵化器被自治区认定了，新认定的，奖补多少", "那我们另一个是市级的孵化器呢", "每年运营还有补贴吗")
    assert (5, 500000, "up_to") in amounts(reply)


@pytest.mark.parametrize("text", ["我们被自治区认定为引才引智示范基地，市里奖多少", "自治区批的引才引智示范基地有奖补吗"])
def test_a_region_issued_title_the_policy_pays_only_nationally_is_unpaid(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.covered is False and reply.benefits == []


@pytest.mark.parametrize("text, article, amount", [
    ("我们是自治区认定的高新技术企业，能拿多少", 15, 300000),
    ("去年通过了自治区科技厅的科技型中小企业评价入库，有奖励吗", 15, 50000),
])
def test_titles_the_region_grants_for_the_nation_stay_paid(engine, text, article, amount):
    (reply,) = _talk(engine, text)
    assert reply.covered and amount in [b.amount_yuan for b in reply.benefits if b.article == article]


@pytest.mark.parametrize("rank, amount", [("要是排第三呢", 10000000), ("排第二的话呢", 10000000), ("那第9呢", 5000000)])
def test_a_rank_follow_up_without_its_measure_word(engine, rank, amount):
    *_, reply = _talk(engine, "今年全区高新区综合评价我们排第7名，市里支持多少", rank)
    assert (4, amount, "up_to") in amounts(reply)


# --- places named as a source or a route ----------------------------------------------------------

@pytest.mark.parametrize("text", [
    "我们是技术转移服务机构，牵线让包头一个团队的成果在准格尔旗一家企业落地了，成交800万，能拿奖补吗",
    "我们技术转移机构帮北京的一所高校把专利卖给了东胜区的企业，成交额500万，有奖补吗",
])
def test_another_city_as_the_source_of_a_deal_landing_here(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.covered and reply.benefits and reply.benefits[0].article == 27


# --- money asked, the check asked ----------------------------------------------------------------

@pytest.mark.parametrize("text", ["我们民营企业自己出钱办了一个研究院，算新型研发机构，市里按啥标准补",
                                  "企业办的新型研发机构，按什么标准给钱"])
def test_a_standard_asked_is_a_money_question(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.citations[0].article == 17 and (17, 5000000, "up_to") in amounts(reply)


@pytest.mark.parametrize("text", ["帮我们公司估一下能拿多少", "帮我们单位算算", "帮企业测算一下"])
def test_an_estimate_for_the_asker_starts_the_check(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.asks and reply.benefits == []
    assert reply.choices


@pytest.mark.parametrize("correction, amount", [
    ("哦不对，成交额是800万，1200万是合同总额含设备", 240000),
    ("说错了，实际成交额600万，1200万那是合同总价", 180000),
])
def test_a_correction_explaining_the_old_amount_away_keeps_the_new_one(engine, correction, amount):
    *_, reply = _talk(engine, "我们技术转移机构今年促成一项成果在鄂尔多斯落地，成交额1200万，能奖多少", correction)
    assert amounts(reply) == [(27, amount, "computed")]


def test_a_back_reference_naming_its_own_topic_asks_about_that_topic(engine):
    *_, reply = _talk(engine, "我们承担的市科技重大专项没做出来，会不会让退钱", "那这种重大专项当初单个项目最多能批多少")
    assert reply.citations[0].article == 9 and (9, 20000000, "up_to") in amounts(reply)


# --- sixth batch: amounts of one deal or one unit, a told item by its amount, what is not known -----

@pytest.mark.parametrize("text, expected", [
    ("我们研制的矿用卡车被国家认定为首台（套）重大技术装备，单价260万一台，今年卖了5台共1300万，能奖多少", 780000),
    ("国家认定的首台套，每台售价200万元，一共卖了4台合计800万", 600000),
])
def test_a_total_after_a_unit_amount_is_not_the_unit_price(engine, text, expected):
    (reply,) = _talk(engine, text)
    assert amounts(reply) == [(19, expected, "computed")]


@pytest.mark.parametrize("text, expected", [
    ("我们技术转移机构促成了一项技术在鄂尔多斯落地转化，合同标的额写的1200万，实际成交到账800万，能奖多少", 240000),
    ("技术转移服务机构促成一个成果在东胜落地，合同签的1000万，但实际成交600万，奖多少", 180000),
])
def test_what_really_happened_replaces_the_paper_amount_of_one_deal(engine, text, expected):
    (reply,) = _talk(engine, text)
    assert amounts(reply) == [(27, expected, "computed")]


def test_two_deals_with_their_actual_amounts_are_both_counted(engine):
    (reply,) = _talk(engine, "我们是技术转移服务机构，今年促成了两个成果在鄂尔多斯落地转化，实际成交额一个500万、一个1200万，能奖多少")
    assert amounts(reply) == [(27, 450000, "computed")]  # 15万 + 30万 (the second capped)
    assert "15万元 + 30万元" in reply.reply


def test_an_amount_pointed_at_names_the_told_item(engine):
    *_, reply = _talk(engine, "我们医院刚批了一个院士专家工作站，新成立的，市里有支持吗", "工作站那100万是一次性的吧")
    assert reply.benefits[0].amount_yuan == 1000000 and reply.benefits[0].period == "one_time"


def test_an_amount_of_something_new_is_not_a_told_items_amount(engine):
    *_, reply = _talk(engine, "我们是企业举办的新型研发机构，上年度研发投入1000万", "技术合同登记了500万，能补吗")
    assert reply.citations[0].article == 11


def test_a_what_if_whose_input_is_not_known_asks_for_it(engine):
    *_, what_if = _talk(engine, "我们作为第一完成单位拿了自治区科技进步一等奖，奖金是20万，市里还给奖励吗",
                        "要是换成国家科技进步二等奖呢？国家那边的奖金额度我记不清了")
    assert what_if.covered and what_if.benefits == [] and what_if.asks
    assert what_if.citations[0].article == 25


def test_a_new_item_with_its_own_amount_keeps_the_old_items_amount(engine):
    *_, reply = _talk(engine, "我们开发的工业软件被国家认定为首版次软件，能奖多少", "单价八十万",
                      "另外我们还有一批新材料，拿了自治区首批次新材料认定，货值一百二十万元")
    assert amounts(reply) == [(19, 240000, "computed"), (19, 360000, "computed")]


@pytest.mark.parametrize("text", ["旗财政今年给我们投了200万", "旗里财政给我们拨了200万"])
def test_money_given_to_the_asker_is_the_banners_investment(engine, text):
    *_, reply = _talk(engine, "我们是达拉特旗重点建设的新型研发机构", text)
    assert (26, 2000000, "computed") in amounts(reply)


@pytest.mark.parametrize("follow_up", ["这事归哪个部门管", "申报材料交给哪个部门", "谁牵头负责", "这些找哪个部门",
                                       "除了科技局，还有哪个部门管这个"])
def test_who_questions_in_many_words_are_about_the_last_answer(engine, follow_up):
    *_, reply = _talk(engine, "我们在深圳设了个飞地，主要做孵化，刚被市里首次认定为人才科创飞地", follow_up)
    assert reply.citations[0].article == 6 and "市委组织部" in reply.reply


def test_a_kind_corrected_by_its_own_word_replaces_the_told_kind(engine):
    *_, fixed, later = _talk(engine, "我们在深圳南山设了个飞地，主要做孵化，刚被市里首次认定为人才科创飞地",
                             "说错了，我们那个是研发类的，不是孵化类", "三年以后还有吗")
    assert amounts(fixed) == [(6, 1000000, "fixed")]
    assert "优秀" in later.reply


def test_a_level_corrected_at_the_recognitions_step_shows_the_corrected_item(engine):
    *_, reply = _talk(engine, "/check", "企业", "企业技术中心有一个，国家级的", "不对，技术中心是自治区级的")
    assert (17, 300000, "fixed") in amounts(reply) and reply.asks


@pytest.mark.parametrize("text", ["我们想全职引进一个院士团队，带着重大成果来鄂尔多斯转化，市里能给多少",
                                  "全职引进院士到我们研究院，有什么支持"])
def test_a_top_talent_described_without_the_word(engine, text):
    (reply,) = _talk(engine, text)
    assert (24, 100000000, "up_to") in amounts(reply)


def test_a_rule_clause_asked_about_is_quoted_with_the_money(engine):
    *_, reply = _talk(engine, "我们民营企业去年研发投入2300万", "那市属国有企业研发投入这块有啥特殊政策？")
    assert "150%" in reply.reply


@pytest.mark.parametrize("text", [
    "科技成果转化拿到的奖励，个人所得税怎么交？税务那边有啥规定",
    "国家自然科学基金青年项目资助强度是多少钱",
    "政府采购的时候，首台套产品能不能享受价格扣除",
    "顶尖人才的认定标准是啥？组织部哪个文件规定的",
])
def test_another_bodys_rules_and_money_are_not_covered(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.covered is False


def test_recognised_in_another_province_is_not_the_regions(engine):
    (reply,) = _talk(engine, "在陕西被认定的省级企业技术中心，公司现在搬到鄂尔多斯了，能按自治区级的30万拿吗")
    assert reply.covered is False and reply.benefits == []


def test_an_approximate_answer_computes_nothing_until_confirmed(engine):
    # BAD_INPUTS §3: ask for one figure, saying which one would be used (the blind p6_07/p6_08 writers
    # exclude every benefit of the article on that turn)
    *_, reply = _talk(engine, "我们承担了国家科技计划项目，市里能配套多少", "国拨经费大概六百多万吧")
    assert reply.benefits == [] and reply.asks
    assert "600万元" in reply.reply


@pytest.mark.parametrize("text, article", [
    ("第二十九条能给项目多少补贴？", 29),
    ("容错机制那条能给项目多少补贴？", 29),
    ("科技金融那条有什么具体支持", 28),
    ("孵化器那条讲的都是一次性的吗", 5),
])
def test_an_article_named_by_number_or_title_is_answered_from_it(engine, text, article):
    (reply,) = _talk(engine, text)
    assert reply.covered and reply.citations[0].article == article


@pytest.mark.parametrize("text, article, amount", [
    ("我们旗被国家评上了创新搞得好的县，市里有什么支持", 26, 10000000),
    ("我们单位接了中央部委下达的研究任务，中央拨了800万，市里会不会跟进给一些", 10, 4000000),
])
def test_recognitions_described_in_other_words(engine, text, article, amount):
    (reply,) = _talk(engine, text)
    assert amount in [b.amount_yuan for b in reply.benefits if b.article == article]


# --- seventh batch (probe26, probe27 measured untouched first) --------------------------------------

@pytest.mark.parametrize("text", ["认定材料第一批几号截止，交到自治区科技厅还是网上填", "上面那个绩效评价通知的材料截止到几号？"])
def test_an_errands_dates_are_another_bodys(engine, text):
    *_, reply = _talk(engine, "我们高企刚认定，市里奖多少", text)
    assert reply.covered is False


@pytest.mark.parametrize("text", ["政策啥时候截止", "这个政策什么时候到期"])
def test_the_policys_own_dates_are_art_30(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.covered and reply.citations[0].article == 30


def test_a_level_switch_asking_amounts_is_the_level_follow_up(engine):
    *_, reply = _talk(engine, "咱们这儿获批了国家科技成果转移转化示范区，市里一次性给多少", "换成自治区级呢，一次性和每年各多少")
    assert amounts(reply) == [(13, 2000000, "fixed"), (13, 1000000, "up_to")]


def test_a_what_if_with_de_hua_and_a_comma_is_a_follow_up(engine):
    *_, reply = _talk(engine, "我们在深圳南山搞了个人才科创飞地，主要做孵化，刚被市里首次认定", "三年期满考核优秀的话，孵化类的还能再拿一次吗")
    assert any(b.clause == "6.2" and b.amount_yuan == 2000000 for b in reply.benefits)


@pytest.mark.parametrize("text, amount", [
    ("我们是做技术转移服务的，帮一个外地高校的成果落到了达拉特旗一家企业，奖补怎么算？", 300000),
    ("我们是从事科技中介业务的，帮北京一家研究所的成果落地到了东胜的企业，能奖多少", 300000),
])
def test_a_broker_described_by_what_it_does_gets_the_single_deal_cap(engine, text, amount):
    (reply,) = _talk(engine, text)
    assert (27, amount, "up_to") in amounts(reply)


@pytest.mark.parametrize("text", ["我们在西安有子公司，陕西省对高企有什么奖励？主要想问陕西那边的标准",
                                  "山东那边对新型研发机构怎么补"])
def test_another_provinces_own_programme_is_not_covered(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.covered is False


@pytest.mark.parametrize("text", ["我们的装备进了市里的首台套目录（市工信局发的），按30%能奖多少？",
                                  "首台套是市工信局认定的，能奖吗"])
def test_the_citys_own_list_is_not_the_national_or_regional_one(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.covered is False and reply.benefits == []


@pytest.mark.parametrize("text", [
    "新获批了自治区专业化技术研发与中试公共服务平台，同时又拿到了自治区级科研中试基地的批复，一次性奖补各多少",
])
def test_new_approvals_said_as_receiving_the_approval(engine, text):
    (reply,) = _talk(engine, text)
    assert (27, 1000000, "fixed") in amounts(reply) and (13, 1000000, "fixed") in amounts(reply)


def test_a_hypothetical_new_platform_is_a_new_approval(engine):
    *_, reply = _talk(engine, "我们的中试基地刚被批为自治区级科研中试基地", "那我们要是再申报上自治区专业化技术研发与中试公共服务平台呢")
    assert (27, 1000000, "fixed") in amounts(reply)


@pytest.mark.parametrize("follow_up", ["找哪个部门报", "报给哪个部门"])
def test_which_department_to_report_to(engine, follow_up):
    *_, reply = _talk(engine, "我们是企业举办的新型研发机构，上年度研发投入1200万", follow_up)
    assert reply.citations[0].article == 17 and "市科学技术局" in reply.reply


# --- eighth batch (probe28, probe29 measured untouched first) ---------------------------------------

@pytest.mark.parametrize("text, amount", [
    ("我们研究所仪器对外开放，给非关联的外部单位和创业团队提供共享服务收入380万，给我们自己下属公司服务收了120万，评价优秀，补多少", 380000),
    ("仪器考核优良，上年度开放共享服务收入一共三百五十万，其中80万是校内自己课题组用的，剩下都是外单位企业，能补多少", 270000),
])
def test_income_from_the_askers_own_units_is_not_counted(engine, text, amount):
    (reply,) = _talk(engine, text)
    assert amounts(reply) == [(21, amount, "computed")]


def test_our_unit_is_the_asker_not_an_affiliate(engine):
    (reply,) = _talk(engine, "我们单位仪器设备管理评价优良，上年度开放共享服务收入共800万元，其中300万元来自关联单位，补助多少？")
    assert amounts(reply) == [(21, 500000, "computed")]


@pytest.mark.parametrize("text, amount", [("国家认定的首批次新材料，货值三百五十万一批，奖补是多少", 1000000),
                                          ("自治区首台套，单价120万一套", 360000)])
def test_an_amount_per_batch_or_set(engine, text, amount):
    (reply,) = _talk(engine, text)
    assert amount in [b.amount_yuan for b in reply.benefits if b.basis == "computed"]


@pytest.mark.parametrize("text, article, amount", [
    ("我们之前参与的国家重大专项出了成果，想拿到鄂尔多斯来做产业化示范，市里支持力度多大", 10, 10000000),
    ("我们企业准备申报院士专家工作站，要是市里批了有多少钱", 24, 1000000),
    ("我们园区的科研中试基地被自治区新批了，市里一次性给多少", 13, 1000000),
])
def test_approvals_said_plainly(engine, text, article, amount):
    (reply,) = _talk(engine, text)
    assert any(b.article == article and b.amount_yuan == amount for b in reply.benefits)


def test_a_hypothetical_rating_after_the_term_is_the_second_award(engine):
    *_, later, rd = _talk(engine, "我们在深圳设了个飞地主要做孵化，第一次被市里认定为人才科创飞地", "三年后考核要是优秀还能再拿吗",
                          "如果是研发类的呢")
    assert any(b.clause == "6.2" and b.amount_yuan == 2000000 for b in later.benefits)
    assert (6, 1000000, "fixed") in amounts(rd)


def test_a_high_level_talent_who_is_not_top(engine):
    *_, reply = _talk(engine, "我们想全职引进一个院士团队，带着重大成果来鄂尔多斯转化", "要是他够不上顶尖，只是搞自然科学研究的高层次人才呢")
    assert (24, 50000000, "up_to") in amounts(reply)


def test_the_standards_body_s_own_money_is_not_covered(engine):
    *_, reply = _talk(engine, "我们公司主导制定了一项国家标准，市里有钱吗", "标准立项的时候国家标准委给不给经费，怎么申请")
    assert reply.covered is False


# --- a told total taken apart later, and amounts kept only for the rules they were told for ---------

@pytest.mark.parametrize("follow_up", [
    "这65万里面有20万是我们校办企业做的",
    "65万当中有20万是自己下属公司用的",
    "其中20万是校内课题组用的",
])
def test_a_part_of_a_told_total_is_taken_off_in_a_later_turn(engine, follow_up):
    first, reply = _talk(engine, "我们大学仪器设备开放共享评价优良，上年度对外共享服务收入65万，能补多少", follow_up)
    assert (21, 65000, "computed") in amounts(first)
    assert (21, 45000, "computed") in amounts(reply)
    assert "20万" in reply.reply  # the deduction is shown, not silently applied


def test_an_amount_told_for_one_rule_is_not_the_input_of_a_rule_named_later(engine):
    first, reply = _talk(engine, "我们单位的仪器开放共享考核优良，财政资金买的200万电镜也对外开放了",
                         "另外我们跟旗区共建了一个新型研发机构，市里给多少")
    assert (26, 5000000, "up_to") in amounts(reply)  # Art. 26.3's cap: the 1:1 input is asked, not taken
    assert not [b for b in reply.benefits if b.basis == "computed"]


@pytest.mark.parametrize("text", ["政策需要调整的话谁来定", "以后要是想往这个政策里加条款，是谁来定、走什么程序？",
                                  "这个政策会不会修订"])
def test_amending_the_policy_is_art_30s_supplementary_policy(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.covered and reply.citations[0].article == 30
    assert "增补调整" in reply.reply


@pytest.mark.parametrize("text, article", [
    ("我们去年搞新技术开发花了不少钱，有补贴吗", 16),
    ("公司每年开发新产品投入两千多万，市里有支持吗", 16),
    ("旗里想建个中试基地，市里给不给钱", 26),
    ("我们县想搞个中试平台，市里支持吗", 26),
])
def test_a_situation_in_everyday_words_finds_its_article(engine, text, article):
    (reply,) = _talk(engine, text)
    assert reply.covered and reply.citations[0].article == article


# --- a follow-up about one side of the items shown: how often, why this much ---------------------

def test_a_period_follow_up_says_each_items_period_first(engine):
    _, reply = _talk(engine, "我们孵化器刚被认定为国家级的", "每年都有吗")
    first, second = reply.reply.splitlines()[:2]
    assert "一次性200万元" in first and "每年最高50万元" in second


def test_a_why_follow_up_gives_each_amounts_basis(engine):
    _, reply = _talk(engine, "我们孵化器刚被认定为国家级的", "为什么只有这么多")
    assert "定额" in reply.reply.splitlines()[0] and "只规定了上限" in reply.reply.splitlines()[1]


@pytest.mark.parametrize("follow_up", ["怎么才500万", "那50万是上限吗", "500万是每年都有吗", "为啥只给500万"])
def test_an_amount_asked_about_is_not_a_new_input(engine, follow_up):
    first, reply = _talk(engine, "我们是企业办的新型研发机构，上年度研发投入3000万", follow_up)
    assert (17, 5000000, "computed") in amounts(first)
    assert (17, 5000000, "computed") in amounts(reply)  # the 3000万 stands


def test_a_what_if_in_a_told_items_figure_words_is_that_items_input(engine):
    *_, reply = _talk(engine, "我们是企业办的新型研发机构，上年度研发投入3000万", "如果研发投入是800万呢")
    assert amounts(reply) == [(17, 1600000, "computed")]


# --- ninth batch (probe31 measured untouched first) ------------------------------------------------

@pytest.mark.parametrize("switch", ["换一家说，我们下属公司今年刚认定为国家高新技术企业",
                                    "再帮我们兄弟单位问问，他们被认定为国家高新技术企业了"])
def test_another_organisation_is_reported_on_its_own(engine, switch):
    first, reply = _talk(engine, "我们是企业办的新型研发机构，上年度研发投入1500万", switch)
    assert (17, 3000000, "computed") in amounts(first)
    assert amounts(reply) == [(15, 300000, "fixed")]


def test_a_range_is_asked_again_and_the_bare_amount_answers_it(engine):
    first, reply = _talk(engine, "公司去年研发投入四五百万的样子，有研发投入方面的支持吗", "财务说准确是4,380,000元")
    assert first.asks and (16, 5000000, "up_to") in amounts(first)
    assert reply.covered and (16, 5000000, "up_to") in amounts(reply)
    assert reply.profile["figures"].get("rd_investment_last_year") == 4380000


@pytest.mark.parametrize("text, article, amount", [
    ("我们正在申报自治区专业化技术研发与中试公共服务平台，如果认定下来市里给多少", 27, 1000000),
    ("准备申报院士专家工作站，万一批下来能拿多少", 24, 1000000),
    # approved just now (刚拿到批复, 上周刚拿到…文件): also the newly approved item
    ("我们研究院牵头建的中试基地刚拿到自治区的批复，市里奖多少", 13, 1000000),
    ("我们在旗里建了个做放大试验的科研中试基地，刚被自治区批了，一次性给多少", 13, 1000000),
    ("公司和院士团队谈好了设专家工作站，上周刚拿到市里批准成立的文件，能拿多少钱", 24, 1000000),
    ("我们的院士专家工作站上个月收到了批复，市里给多少", 24, 1000000),
])
def test_a_pending_or_just_received_approval_is_the_new_approval(engine, text, article, amount):
    (reply,) = _talk(engine, text)
    assert (article, amount, "fixed") in amounts(reply)


def test_a_firm_new_to_rd_in_every_way_is_three_zero(engine):
    (reply,) = _talk(engine, "我们厂一直没做过研发，今年首次投了研发经费，建了研发中心，也拿到了第一个专利，有支持吗")
    assert reply.citations[0].article == 14 and (14, 300000, "up_to") in amounts(reply)


def test_a_banners_investment_with_its_recipient_between(engine):
    (reply,) = _talk(engine, "我们园区今年财政专门给园区重点建设的那家新型研发机构拨了420万，市里配多少")
    assert (26, 4200000, "computed") in amounts(reply)


def test_a_why_follow_up_on_a_cap_only_item_says_the_text_gives_no_rate(engine):
    _, reply = _talk(engine, "我们牵头制定了一项行业标准，去年发布了，有奖补吗", "为什么只有个最高数")
    assert reply.covered and reply.citations[0].article == 12
    assert "只规定了上限" in reply.reply.splitlines()[0]


@pytest.mark.parametrize("follow_up, n", [("要是有两个国家级的呢", 2), ("如果是三家呢", 3), ("两个月以后呢", 1)])
def test_a_count_follow_up_is_a_what_if_on_how_many(engine, follow_up, n):
    _, reply, again = _talk(engine, "我们孵化器刚被认定为国家级的", follow_up, "每年都有吗")
    assert amounts(reply).count((5, 2000000, "fixed")) == n
    assert amounts(again).count((5, 2000000, "fixed")) == 1  # the told facts stay as they were
