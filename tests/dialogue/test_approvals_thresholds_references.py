"""Tenth round (probe34/35, written blind): an approval just received, an amount's own noun right
after it, a follow-up on several things or on how often, thanks said twice, another body's matter
named in no article, the asked item cited first while its figure is awaited, an amount against a
rule's threshold, a supposition that is not a correction, the city's own recognition said with 过.
Each a class of phrasings."""

from __future__ import annotations

import itertools

import pytest
from reply_checks import amounts, assert_contract

_ids = itertools.count()


def _talk(engine, *messages):
    sid = f"tenth-{next(_ids)}"
    replies = [engine.turn(sid, m) for m in messages]
    for reply in replies:
        assert_contract(reply)
    return replies


# --- an approval just received is the newly approved item (cases beside the pending ones in
# test_form_answers_rules_roles.py) --------------------------------------------------------------
def test_an_approval_long_ago_is_not_new(engine):
    (reply,) = _talk(engine, "我们的科研中试基地是前年获批的，现在每年有什么补贴")
    assert (13, 1000000, "fixed") not in amounts(reply)


# --- an amount's own noun right after it ----------------------------------------------------------
@pytest.mark.parametrize("text", [
    "我们大学把一项技术转让给了区外企业，自治区给我们发了45万的技术交易后补助，学校去年科研经费总额是2.6亿。市里配套多少",
    "技术卖给了外省企业，拿到45万的自治区后补助，我们单位年营收是3000万，市里配套多少",
])
def test_an_amount_is_the_noun_right_after_it(engine, text):
    (reply,) = _talk(engine, text)
    assert amounts(reply) == [(11, 450000, "computed")]


# --- follow-ups on several things, on how often; thanks said twice ------------------------------
@pytest.mark.parametrize("follow_up", ["这两个归哪个部门管", "这些找谁申报", "上面这几项谁负责", "Thanks. Which department handles these?"])
def test_a_follow_up_on_the_things_just_answered(engine, follow_up):
    *_, reply = _talk(engine, "我们实验室刚被批为自治区重点实验室", "那自治区级的野外科学观测研究站呢", follow_up)
    assert reply.covered and reply.citations[0].article == 2
    assert "市科学技术局" in reply.reply


@pytest.mark.parametrize("follow_up", ["认定以后每年还有运营补贴吗", "被认定了以后是不是每年都还有运行补贴呀"])
def test_a_long_how_often_follow_up_is_about_the_topic(engine, follow_up):
    *_, reply = _talk(engine, "我们孵化器刚被认定为国家级科技企业孵化器", follow_up)
    assert reply.covered and reply.citations[0].article == 5
    assert (5, 500000, "up_to") in amounts(reply)


@pytest.mark.parametrize("thanks", ["好的谢谢", "收到，多谢了", "明白了，谢谢您", "嗯嗯谢谢"])
def test_thanks_said_twice_is_small_talk(engine, thanks):
    *_, reply = _talk(engine, "我们是国家高新技术企业", thanks)
    assert not reply.covered and "不在" not in reply.reply


# --- another body's matter that no article sets ---------------------------------------------------
@pytest.mark.parametrize("text", ["顺便问下，我们工商年报什么时候截止？", "企业年检要交哪些东西",
                                  "医院的医生晋升副主任医师，对论文和科研项目有什么硬性要求？",
                                  "我们是一家科技馆，每年搞科普讲座和展览，市里对科普基地有没有补贴？"])
def test_another_bodys_matter_is_not_covered(engine, text):
    (reply,) = _talk(engine, text)
    assert not reply.covered and not reply.benefits


def test_the_policys_own_deadline_is_still_answered(engine):
    (reply,) = _talk(engine, "这个政策什么时候截止")
    assert reply.covered and reply.citations[0].article == 30


# --- the item asked about leads while its figure is awaited --------------------------------------
@pytest.mark.parametrize("second", ["我們醫院作為第一完成單位拿到了自治區科學技術獎，市裡還有獎勵嗎？",
                                    "我们医院还作为第一完成单位拿了自治区科学技术奖，这个市里奖多少"])
def test_the_asked_item_is_cited_first_while_its_figure_is_asked(engine, second):
    *_, reply = _talk(engine, "我们医院去年获批了国家临床医学研究中心，市里给多少", second)
    assert reply.citations[0].article == 25 and reply.asks


# --- an amount against a rule's threshold --------------------------------------------------------
@pytest.mark.parametrize("amount, met", [("合同是38万", False), ("经费一共45万，都是企业出的", True), ("45万", True)])
def test_an_amount_is_compared_with_the_topics_threshold(engine, amount, met):
    *_, reply = _talk(engine, "我们学院给企业做了个委托研发课题，已经验收了，能不能按市里的科技计划项目来认定？", amount)
    assert reply.covered and reply.citations[0].clause == "22.4" and not reply.benefits
    assert ("达到了" if met else "没有达到") in reply.reply.splitlines()[0]
    assert "40万元" in reply.reply.splitlines()[0]


# --- a supposition is not a correction -----------------------------------------------------------
@pytest.mark.parametrize("follow_up", ["如果不是顶尖的，就是全职来做自然科学研究的高层次人才呢",
                                       "要是不是顶尖人才，只是全职引进的高层次人才呢"])
def test_a_supposition_of_another_case_is_not_a_correction(engine, follow_up):
    *_, reply = _talk(engine, "我们想全职引进一位带着重大成果来转化的顶尖人才，平台建设最多给多少", follow_up)
    assert (24, 50000000, "up_to") in amounts(reply)
    assert "已更正" not in reply.reply


def test_a_level_supposed_is_a_what_if(engine):
    _, reply, total = _talk(engine, "我们孵化器是国家级的", "那要是不是国家级，是自治区级呢", "一共能拿多少")
    assert (5, 1000000, "fixed") in amounts(reply)
    assert (5, 2000000, "fixed") in amounts(total)  # the told level stays


# --- the city's own recognition --------------------------------------------------------------------
@pytest.mark.parametrize("said", ["市里认定过的", "市科技局认定过的", "鄂尔多斯市评过的"])
def test_the_citys_own_recognition_said_with_guo_is_not_the_regions(engine, said):
    (reply,) = _talk(engine, f"我们是{said}技术转移服务机构，今年促成的成果在鄂尔多斯落地，成交额500万，能奖多少")
    assert (27, 200000, "fixed") not in amounts(reply)
    assert (27, 150000, "computed") in amounts(reply)


# --- a broker in everyday words; "does this count apart" ----------------------------------------
@pytest.mark.parametrize("text", ["我们是做技术买卖中介的，帮外地高校的成果找到鄂尔多斯的企业落地，成交后我们这个中间方能拿到奖励吗？",
                                  "我们是做专利交易中介的，帮一家本地企业买下了外地大学的专利，成交额300万，我们能拿多少"])
def test_a_broker_in_everyday_words_is_the_transfer_agency(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.citations[0].article == 27 and not any(b.article == 11 for b in reply.benefits)


@pytest.mark.parametrize("follow_up", ["我还帮市里做了一个产业规划的专项咨询，这个另外算吗", "另外做的专项服务能单独给吗"])
def test_does_this_count_apart_is_about_the_topic(engine, follow_up):
    *_, reply = _talk(engine, "您好，我刚被市政府聘为科技顾问，这个有补贴吗？", follow_up)
    assert reply.covered and reply.citations[0].article == 24


# --- a figure asked again is still cited to its rule ---------------------------------------------
@pytest.mark.parametrize("first, vague, article", [
    ("我们研制的首台套刚通过国家认定，能奖多少", "单价大概两三百万吧，具体我得问销售", 19),
    ("我们承担了国家科技计划项目，市里能给多少科研经费", "国拨经费大概六百多万吧，具体我得问财务", 10),
    ("我们是企业办的新型研发机构，市里能补多少", "研发投入差不多几百来万", 17),
])
def test_a_vague_figure_asked_again_keeps_its_rules_citation(engine, first, vague, article):
    *_, reply = _talk(engine, first, vague)
    assert reply.asks and not any(b.basis == "computed" for b in reply.benefits)
    assert article in [c.article for c in reply.citations]


# --- probe37: the guided check in the asker's words, its corrections, orgs a company can be ------
@pytest.mark.parametrize("start", ["我想测算一下补贴", "想先估算下能拿的奖补", "帮我们看看能申请啥"])
def test_the_check_started_in_the_askers_words(engine, start):
    first, second = _talk(engine, start, "我们是企业")
    assert first.asks and second.asks and second.profile["org_type"] == "enterprise"


def test_another_org_type_said_first_among_several(engine):
    *_, reply = _talk(engine, "帮我们看看能申请啥", "我们是高校", "哦不对，我们是企业，高校是我们的合作方",
                      "国家高新技术企业，还有自治区科技领军企业", "就这些")
    assert reply.profile["org_type"] == "enterprise"
    assert {(15, 300000, "fixed"), (15, 1000000, "fixed")} <= set(amounts(reply))


def test_a_company_recognised_as_a_transfer_agency_is_paid_as_one(engine):
    *_, zero, reply = _talk(engine, "帮我们算算能拿多少补贴", "企业", "我们上个月刚被认定为自治区级技术转移服务机构，今年还帮北京一家公司把一项技术落地到了达拉特旗",
                            "就这些", "0", "那个项目实际成交额是800万")
    assert zero.asks
    assert {(27, 200000, "fixed"), (27, 240000, "computed")} <= set(amounts(reply))


@pytest.mark.parametrize("text", ["公司牵头办了一个新型研发机构；另外公司自己的研发中心去年被自治区认定了",
                                  "我们企业的研发中心今年被自治区认定了"])
def test_a_companys_own_rd_centre_is_its_enterprise_technology_centre(engine, text):
    (reply,) = _talk(engine, text)
    assert (17, 300000, "fixed") in amounts(reply)


@pytest.mark.parametrize("text", ["我们和内蒙古大学一起建的技术创新中心，刚被科技部批准为国家级，市里给多少科研经费",
                                  "跟内蒙古工业大学共建的技术创新中心获批国家级了，市里给多少"])
def test_a_place_inside_an_organisations_name_is_not_a_level(engine, text):
    (reply,) = _talk(engine, text)
    assert (2, 30000000, "fixed") in amounts(reply)


# --- the topic kept, and come back to ------------------------------------------------------------
def test_a_question_on_the_article_just_answered_keeps_its_items(engine):
    *_, reply = _talk(engine, "我们在深圳设了一个孵化项目的飞地，第一次被市里认定为人才科创飞地，能给多少", "多久考核一次",
                      "考核优秀的话还能再拿吗")
    assert (6, 2000000, "fixed") in amounts(reply)


@pytest.mark.parametrize("back", ["回到刚才那个，这笔钱找哪个部门", "说回刚才的，找哪个部门申请"])
def test_coming_back_after_another_bodys_matter(engine, back):
    *_, reply = _talk(engine, "我们研制的装备被国家认定为首台套重大技术装备，单价250万元，能奖多少",
                      "顺便问下，工信部的首台套保险补偿今年什么时候开始申报", back)
    assert reply.citations[0].article == 19 and "市工业和信息化局" in reply.reply


def test_whom_to_apply_to_after_a_rules_question_is_about_the_money(engine):
    *_, reply = _talk(engine, "我们是技术转移服务机构，今年促成一个成果在鄂尔多斯落地转化，成交额500万", "这政策管到哪年", "好，找谁申请")
    assert reply.citations[0].article == 27 and "市科学技术局" in reply.reply


def test_an_english_and_follow_up_on_how_often(engine):
    *_, reply = _talk(engine, "Hi, we run a tech incubator in Ordos and it was just recognised at the national level. How much?",
                      "And is there any yearly operating subsidy?")
    assert reply.citations[0].article == 5 and (5, 500000, "up_to") in amounts(reply)


# --- what was supposed is left out of the actual total -------------------------------------------
@pytest.mark.parametrize("supposed", ["要是明年评上高企呢", "明年要是再评上国家高新技术企业呢"])
def test_the_actual_total_leaves_out_what_was_supposed(engine, supposed):
    _, what_if, actual, everything = _talk(engine, "我们是小公司，今年刚评上国家科技型中小企业，能拿多少", supposed,
                                           "那按我们现在实际的情况，总共能拿多少", "一共能拿多少")
    assert (15, 300000, "fixed") in amounts(what_if)
    assert amounts(actual) == [(15, 50000, "up_to")] and "不含假设" in actual.reply
    assert (15, 300000, "fixed") in amounts(everything)  # the supposition is still there to add up


def test_a_supposition_told_later_as_a_fact_counts(engine):
    *_, reply = _talk(engine, "我们今年刚评上国家科技型中小企业", "要是明年评上高企呢", "其实我们上个月已经评上国家高新技术企业了",
                      "按现在实际的情况一共多少")
    assert (15, 300000, "fixed") in amounts(reply)


def test_each_year_asked_is_each_year(engine):
    (reply,) = _talk(engine, "旗里重点建设的新型研发机构，第一年旗财政投入400万，第二年投入700万，市里每年各补多少？")
    assert amounts(reply) == [(26, 4000000, "computed"), (26, 5000000, "computed")]


# --- probe36: long messages, parts that do not count, things by their description --------------
@pytest.mark.parametrize("text, expected", [
    ("我们中心的大型仪器全部放到自治区那个共享平台上对外开放了，考核评价结果是优良。去年对外服务一共收了860万，"
     "不过里面有240万是学校自己控股的两家公司付的，剩下的都是外面的企业和创业团队。能补多少？", [(21, 620000, "computed")]),
    ("仪器纳入了自治区共享服务平台，评价优良，去年对外检测收了500万，其中100万是我们下属的一家公司付的，能补多少", [(21, 400000, "computed")]),
])
def test_sharing_income_less_the_own_companies_part(engine, text, expected):
    (reply,) = _talk(engine, text)
    assert amounts(reply) == expected


@pytest.mark.parametrize("text, expected", [
    ("我们是技术转移中介公司，一单是把西安一所高校的技术卖给了准格尔旗的一家企业，实际成交8,000,000元，技术已经在那边落地投产了；"
     "另一单1200万，买方是呼和浩特的企业，技术也在呼和浩特用。能拿多少奖补", [(27, 240000, "computed")]),
    ("我们是科技服务公司，上个月撮合北京一所大学把一项技术卖给了达拉特旗的一家企业，已经在达旗落地生产，实际成交额500万元，能奖多少",
     [(27, 150000, "computed")]),
])
def test_a_deal_where_it_landed_there_is_where_it_was_named(engine, text, expected):
    (reply,) = _talk(engine, text)
    assert amounts(reply) == expected


def test_a_deal_landing_there_elsewhere_is_not_counted(engine):
    (reply,) = _talk(engine, "我们是技术转移机构，把一项技术卖给了包头的一家企业，成交额500万，技术已经在那边落地了，能奖多少")
    assert not any(b.basis == "computed" for b in reply.benefits)


@pytest.mark.parametrize("messages, paid", [
    (["我们是创业团队，参加鄂尔多斯杯创新创业大赛拿了二等奖，现在公司已经在康巴什注册落地了，市里最多支持多少"], True),
    (["鄂尔多斯杯我们两个项目都获奖了，一个落地在康巴什，另一个最后落在西安，奖励怎么算"], True),
    (["我们参加鄂尔多斯杯创新创业大赛拿了一等奖，项目在康巴什落地了，能给多少", "如果项目最后落在包头呢"], False),
])
def test_a_prize_winner_is_paid_only_when_landed_in_the_city(engine, messages, paid):
    *_, reply = _talk(engine, *messages)
    assert ((11, 3000000, "up_to") in amounts(reply)) is paid


@pytest.mark.parametrize("text", ["去年底拿到了科技、财政、税务三家一起认定的那个国家级资质，有效期三年，所得税还能按15%交。市里对这个有奖励吗？",
                                  "我们通过了科技财政税务联合认定，企业所得税减按15%征收，市里奖多少"])
def test_the_high_tech_enterprise_by_its_description(engine, text):
    (reply,) = _talk(engine, text)
    assert (15, 300000, "fixed") in amounts(reply)


def test_a_banners_society_wide_rd_is_not_an_enterprises(engine):
    (reply,) = _talk(engine, "我是某旗科技局的。我们旗被列入全国创新型县（市）建设名单，验收通过了。全社会研发投入12亿。市里每年能给多少？")
    assert reply.citations[0].article == 26 and not any(b.article == 16 for b in reply.benefits)


@pytest.mark.parametrize("text", ["还有一个问题，我们旗里另外有一个研究院是旗政府重点建设的，今年旗财政投了300万，市里能补多少",
                                  "旗财政今年给旗里重点建设的一个研究院（新型研发机构）投了300万，市里能配多少"])
def test_a_banners_institute_said_either_way_round(engine, text):
    (reply,) = _talk(engine, text)
    assert (26, 3000000, "computed") in amounts(reply)


def test_background_rd_spending_is_not_the_question(engine):
    (reply,) = _talk(engine, "我们是一家煤化工企业，去年产值60亿，每年研发投入大概2亿，和中科院都有合作。现在想联合几家单位攻关下一代"
                             "催化技术，预计总投入8000万元。市里对这种围绕产业技术升级的科研攻关，单个项目最多能给多少？")
    assert reply.citations[0].article == 9


def test_the_one_thing_applied_for_leads_a_money_question(engine):
    (reply,) = _talk(engine, "我们医院有个32岁的博士在做肿瘤早筛研究，医院给配了20万启动经费。他想申请市里专门给年轻科研人员的项目经费，这个最多能给多少？")
    assert reply.citations[0].article == 25 and (25, 300000, "up_to") in amounts(reply)


@pytest.mark.parametrize("text", ["我们是高企，市里另外一个工业扶持的文件里对高企也有奖励，两边的钱能不能都拿？",
                                  "两个文件的奖励能不能同时拿"])
def test_both_documents_money_is_the_overlap_rule(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.citations[0].article == 30


def test_amounts_told_for_a_cap_only_item_compute_nothing(engine):
    *_, reply = _talk(engine, "我们是企业，听说市里按企业研发投入给支持，最多能拿多少？", "去年1,200万，前年800万，能算出具体多少吗")
    assert reply.covered and reply.citations[0].article == 16
    assert amounts(reply) == [(16, 5000000, "up_to")]


@pytest.mark.parametrize("text", ["OK. Is this policy still valid in 2028?", "Is the policy still in effect?"])
def test_english_validity(engine, text):
    (reply,) = _talk(engine, text)
    assert reply.citations[0].article == 30


# --- probe38: long introductions that ask one thing ----------------------------------------------
def test_a_regions_project_allocation_is_not_the_national_one(engine):
    (reply,) = _talk(engine, "我们研究所承担了国家重点研发计划的一个课题，其中国家财政专项拨给我们单位的是1,380万元，合作企业自筹1020万元。"
                             "另外我们还有一个自治区项目拨款300万。问一下国家那个课题，市里按政策能支持我们多少？")
    assert amounts(reply) == [(10, 6900000, "computed")]


@pytest.mark.parametrize("text, article, left_out", [
    # (long enough to be read as context plus a question: retrieval.scope.LONG_MESSAGE)
    ("您好！我们是一家做巡检机器人的企业，2021年在高新区注册，注册资本800万，员工68人，去年营收5600万元，研发投入720万元。"
     "今年3月评上了国家科技型中小企业，9月又通过了国家高新技术企业认定。请问科技型中小企业这块能拿多少？", 15, (15, 300000, "fixed")),
    ("我们是市里一家三甲医院，职工2600人，开放床位1700张，去年科研投入2800万，医院总收入23亿元。今年经批准在我们医院新成立了"
     "一个院士专家工作站，院士每年来医院不少于两个月。想问新成立的站能给多少补助？", 24, (16, 5000000, "up_to")),
])
def test_a_long_introduction_is_answered_on_what_it_asks(engine, text, article, left_out):
    (reply,) = _talk(engine, text)
    assert reply.citations[0].article == article and left_out not in amounts(reply)


@pytest.mark.parametrize("text", ["公司员工210人。今年刚通过国家高新技术企业认定，企业技术中心新认定为自治区级。请问这两个市里都给钱吗，各多少",
                                  "公司成立于2016年，员工210人。今年通过国家高新技术企业认定，技术中心新认定为自治区级。麻烦看下我们能享受哪些，大概多少钱？"])
def test_a_long_introduction_asking_several_gets_all(engine, text):
    (reply,) = _talk(engine, text)
    assert {(15, 300000, "fixed"), (17, 300000, "fixed")} <= set(amounts(reply))


@pytest.mark.parametrize("text, expected", [
    ("我们园区工业产值1100亿，国家级企业技术中心4家。今年园区刚被自治区批准为自治区级高新技术产业开发区。市里给多少科研经费？", (4, 20000000, "up_to")),
    ("公司今年新拿到两块国家级的牌子：一块是国际科技合作基地，一块是引进海外人才智力的示范基地。市里分别奖多少？", (7, 300000, "fixed")),
    ("我们研制的采煤机今年被自治区认定为区内第一台套的技术装备，售价150万元，能拿多少奖补？", (19, 450000, "computed")),
    ("我们在上海租了办公室帮本地企业招人才、孵化项目，今年第一次被市里正式认定了，类型是孵化类的。首次认定给多少？", (6, 2000000, "fixed")),
])
def test_things_named_by_what_they_are(engine, text, expected):
    (reply,) = _talk(engine, text)
    assert expected in amounts(reply)


def test_a_city_level_lab_in_a_long_message_is_not_paid(engine):
    (reply,) = _talk(engine, "我们是去年市科技局挂牌的市级重点实验室，研究人员40人，年研发经费1200万，依托单位是一家化工企业。"
                             "这次新政策里，对市级的重点实验室一次性能给多少？")
    assert not reply.covered and not reply.benefits


def test_the_thing_a_long_messages_question_names_leads(engine):
    (reply,) = _talk(engine, "以下是我们的项目简介：本项目由海外归国团队领衔，负责人为国际知名储能专家，拟全职来鄂尔多斯工作，带着固态电池"
                             "重大成果落地转化，计划建设中试线和实证平台，前期已与高新区管委会对接过两轮，团队核心成员12人，预计三年内实现"
                             "量产。请问对这种顶尖人才，市里在实验室、中试平台建设上能给多大支持？")
    assert reply.citations[0].article == 24
