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


# --- an approval just received is the newly approved item ----------------------------------------
@pytest.mark.parametrize("text, article, one_time", [
    ("我们研究院牵头建的中试基地刚拿到自治区的批复，市里奖多少", 13, 1000000),
    ("我们在旗里建了个做放大试验的科研中试基地，刚被自治区批了，一次性给多少", 13, 1000000),
    ("公司和院士团队谈好了设专家工作站，上周刚拿到市里批准成立的文件，能拿多少钱", 24, 1000000),
    ("我们的院士专家工作站上个月收到了批复，市里给多少", 24, 1000000),
])
def test_an_approval_just_received_is_the_new_approval(engine, text, article, one_time):
    (reply,) = _talk(engine, text)
    assert (article, one_time, "fixed") in amounts(reply)


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
