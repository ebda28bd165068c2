"""Engine behaviour through turn(): one-shot eligibility, every form path, corrections, skips,
digressions, resets, bad amounts; the JSON reply contract; never raising."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reply_checks import amounts, assert_contract

# --- one-shot eligibility ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected", "first"), [
    ("我们是社会力量举办的新型研发机构，上年度研发投入1200万元，能拿多少", [(17, 2400000, "computed")], 17),
    ("今年同时被认定为国家高新技术企业和自治区级企业技术中心", [(15, 300000, "fixed"), (17, 300000, "fixed")], 15),
    ("技术转移服务机构促成三个项目，成交额800万、900万和1000万",
     [(27, 810000, "computed")], 27),  # each deal capped, then summed (BAD_INPUTS 32)
    ("國家高新技術企業能拿多少獎勵", [(15, 300000, "fixed")], 15),
    ("旗区财政投入600万元建设新型研发机构，市里每年补多少", [(26, 5000000, "computed")], 26),
])
def test_one_shot(engine, text, expected, first):
    reply = engine.turn("s", text)
    assert_contract(reply)
    for item in expected:
        assert item in amounts(reply)
    assert reply.citations[0].article == first


def test_missing_figure_gives_rule_and_cap_and_asks(engine):
    reply = engine.turn("s", "社会力量举办的新型研发机构能补多少")
    assert (17, 5000000, "up_to") in amounts(reply)
    assert reply.asks and "研发投入" in reply.asks[0]
    # The next message gives the figure.
    reply = engine.turn("s", "1200万")
    assert (17, 2400000, "computed") in amounts(reply)
    assert "1200万元 × 20% = 240万元" in reply.benefits[0].formula


def test_correction_after_one_shot(engine):
    engine.turn("s", "新型研发机构，上年度研发投入1200万元，补多少")
    reply = engine.turn("s", "不对，研发投入是1500万")
    assert (17, 3000000, "computed") in amounts(reply)
    assert reply.profile["figures"]["rd_investment_last_year"] == 15000000


def test_level_question_then_choice(engine):
    reply = engine.turn("s", "众创空间认定奖补多少")
    assert reply.choices and any("国家级" in c for c in reply.choices)
    reply = engine.turn("s", choice=reply.choices[0])
    assert (5, 500000, "fixed") in amounts(reply)
    assert (5, 200000, "fixed") not in amounts(reply)


@pytest.mark.parametrize(("text", "expected", "trigger"), [
    ("去年刚拿到高心企业证书，能给多少奖励", (15, 300000, "fixed"), "hitech_enterprise"),
    ("三清灵企业能给多少", (14, 300000, "up_to"), None),
])
def test_homophone_typos_are_read_as_the_policy_wording(engine, text, expected, trigger):
    """Pinyin typos (高心企业, 三清灵) are put right before the NLU and the retrieval read them."""
    reply = engine.turn("s", text)
    assert_contract(reply)
    assert reply.citations[0].article == expected[0]
    assert expected in amounts(reply)
    if trigger:
        assert trigger in reply.profile["triggers"]


def test_correcting_a_message_does_not_open_the_retriever(knowledge, data_dir):
    from bot.dialogue.engine import Knowledge

    assert knowledge.retriever is not None  # the index exists
    fresh = Knowledge(data_dir)
    assert fresh.correct("高心企业") == "高新企业"
    assert fresh._retriever is None  # a form answer or 重新开始 stays cheap in a cold process


def test_without_an_index_a_message_is_read_as_typed(tmp_path):
    from bot.dialogue.engine import Knowledge

    assert Knowledge(tmp_path).correct("高心企业") == "高心企业"
    assert not (tmp_path / "retrieval").exists()  # building the index is left to the first search


# --- the guided form -----------------------------------------------------------------------------

def run_form(engine, sid="f"):
    reply = engine.turn(sid, "我想看看我们能享受哪些政策")
    assert reply.asks and "企业" in reply.choices
    reply = engine.turn(sid, choice="企业")
    assert "国家高新技术企业" in reply.choices
    return reply


def test_form_full_path_with_buttons(engine):
    run_form(engine)
    engine.turn("f", choice="国家高新技术企业")
    reply = engine.turn("f", choice="社会力量办新型研发机构")
    assert "完成" in reply.choices
    reply = engine.turn("f", choice="完成")
    assert reply.asks and "研发投入" in reply.asks[0]
    reply = engine.turn("f", "1200万")
    assert_contract(reply)
    assert (15, 300000, "fixed") in amounts(reply)
    assert (17, 2400000, "computed") in amounts(reply)
    assert "就高、从优、不重复" in reply.reply
    assert "2029年10月19日" in reply.reply
    assert "市科学技术局" in reply.reply
    assert reply.asks == []


def test_form_accepts_free_text_and_bad_amount_reasks(engine):
    reply = engine.turn("f", "/check")
    reply = engine.turn("f", "我们是一家公司")
    assert reply.profile["org_type"] == "enterprise"
    reply = engine.turn("f", "我们有国家首台套装备")
    reply = engine.turn("f", "完成")
    assert "单价" in reply.asks[0]
    reply = engine.turn("f", "-5万")
    assert reply.asks and "负" in reply.reply
    reply = engine.turn("f", "两三百万")
    assert reply.asks and reply.benefits == []
    reply = engine.turn("f", "100万")
    assert (19, 300000, "computed") in amounts(reply)


def test_form_skip_figure(engine):
    run_form(engine)
    engine.turn("f", choice="社会力量办新型研发机构")
    engine.turn("f", choice="完成")
    reply = engine.turn("f", "不知道")
    assert (17, 5000000, "up_to") in amounts(reply)
    assert "跳过" in reply.reply


def test_form_correction_updates_only_that_fact(engine):
    run_form(engine)
    engine.turn("f", choice="社会力量办新型研发机构")
    engine.turn("f", choice="国家首台套/首批次/首版次")
    engine.turn("f", choice="完成")
    engine.turn("f", "研发投入1200万")
    reply = engine.turn("f", "不对，研发投入是1500万")
    assert reply.profile["figures"]["rd_investment_last_year"] == 15000000
    assert reply.asks and "单价" in reply.asks[0]
    reply = engine.turn("f", "200万")
    assert (17, 3000000, "computed") in amounts(reply)
    assert (19, 600000, "computed") in amounts(reply)


def test_form_digression_then_resume(engine):
    run_form(engine)
    reply = engine.turn("f", "政策有效期到什么时候？")
    assert reply.covered and reply.citations[0].article == 30
    assert reply.asks  # the form question comes back
    assert "国家高新技术企业" in reply.choices
    reply = engine.turn("f", choice="国家高新技术企业")
    assert "已选" in reply.reply


def test_reset_clears_everything(engine):
    run_form(engine)
    engine.turn("f", choice="国家高新技术企业")
    reply = engine.turn("f", "重新开始")
    assert reply.profile == {"org_type": None, "triggers": [], "figures": {}}
    assert reply.asks == []


def test_approximate_amount_is_confirmed(engine):
    run_form(engine)
    engine.turn("f", choice="社会力量办新型研发机构")
    engine.turn("f", choice="完成")
    reply = engine.turn("f", "大概1200万")
    assert any(c.startswith("按") for c in reply.choices)
    reply = engine.turn("f", choice=reply.choices[0])
    assert (17, 2400000, "computed") in amounts(reply)


# --- questions, lookups, scope -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "article"), [
    ("买外地的技术专利，费用能报销一部分吗", 11),
    ("职务科技成果赋权", 22),
    ("新型研发机构负面清单管理", 23),
    ("政策有效期", 30),
])
def test_policy_questions(engine, text, article):
    reply = engine.turn("q", text)
    assert_contract(reply)
    assert reply.covered and reply.citations[0].article == article


@pytest.mark.parametrize("text", ["专精特新小巨人奖励", "稳岗补贴怎么申请", "你好呀", "今天天气怎么样",
                                  "高新技术企业所得税优惠", "Is there a subsidy for restaurants?"])
def test_out_of_scope(engine, text):
    reply = engine.turn("q", text)
    assert_contract(reply)
    assert reply.covered is False


@pytest.mark.parametrize(("text", "related"), [("高企房租补贴", 15), ("研发费用加计扣除", 16),
                                             ("科技型中小企业有没有贷款贴息", 15), ("rent subsidy for high-tech enterprises", 15)])
def test_a_benefit_the_policy_never_gives_is_out_of_scope_with_the_related_article(engine, text, related):
    reply = engine.turn("q", text)
    assert_contract(reply)
    assert reply.covered is False and reply.intent == "out_of_scope"
    assert [c.article for c in reply.citations] == [related]


def test_stated_facts_do_not_turn_a_foreign_benefit_into_an_eligibility_report(engine):
    reply = engine.turn("q", "我们是高企，去年研发投入3000万，所得税能减免多少")
    assert_contract(reply)
    assert reply.covered is False and not reply.benefits
    assert [c.article for c in reply.citations] == [15, 16]


@pytest.mark.parametrize(("text", "place", "related"), [("包头市对新认定的高新技术企业奖励多少", "包头", 15),
                                                       ("Does Baotou give awards to new high-tech enterprises?", "Baotou", 15)])
def test_another_city_s_programme_is_out_of_scope_and_the_reply_names_the_city(engine, text, place, related):
    reply = engine.turn("q", text)
    assert_contract(reply)
    assert reply.covered is False and not reply.benefits and place in reply.reply
    assert [c.article for c in reply.citations] == [related]


@pytest.mark.parametrize(("text", "article"), [("高企认定奖励和所得税优惠", 15), ("研发费用加计扣除后还能拿研发补助吗", 16)])
def test_a_foreign_benefit_next_to_this_policy_s_money_is_still_answered(engine, text, article):
    reply = engine.turn("q", text)
    assert_contract(reply)
    assert reply.covered and reply.citations[0].article == article


def test_article_lookup(engine):
    reply = engine.turn("q", "第十五条")
    assert [c.clause for c in reply.citations] == ["15.1", "15.2"]
    assert "责任单位" in reply.reply


def test_help_has_examples(engine):
    reply = engine.turn("q", "/help")
    assert len(reply.reply.splitlines()) >= 3 and reply.choices


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂", "x" * 10000, "3\u200b00万", "\u202e高企", "٣٠٠万", "<script>alert(1)</script>"])
def test_bad_inputs_get_polite_reply(engine, text):
    reply = engine.turn("b", text)
    assert_contract(reply)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80))
def test_turn_never_raises(engine, text):
    assert_contract(engine.turn("h", text))


def test_state_survives_restart(tmp_path, knowledge):
    from bot.dialogue.engine import Engine
    from bot.dialogue.store import SqliteSessionStore

    first = Engine(SqliteSessionStore(tmp_path / "s.db"), data_dir=tmp_path, knowledge=knowledge)
    first.turn("r", "/check")
    first.turn("r", choice="企业")
    second = Engine(SqliteSessionStore(tmp_path / "s.db"), data_dir=tmp_path, knowledge=knowledge)
    reply = second.turn("r", choice="国家高新技术企业")
    assert reply.profile["triggers"] == ["hitech_enterprise"]


def test_corrupt_store_recovers(tmp_path, knowledge):
    from bot.dialogue.engine import Engine
    from bot.dialogue.store import SqliteSessionStore

    db = tmp_path / "s.db"
    db.write_bytes(b"this is not a database" * 100)
    engine = Engine(SqliteSessionStore(db), data_dir=tmp_path, knowledge=knowledge)
    reply = engine.turn("c", "高企能拿多少")
    assert (15, 300000, "fixed") in amounts(reply)


def test_delete_session_leaves_no_trace(tmp_path, knowledge):
    from bot.dialogue.engine import Engine
    from bot.dialogue.store import SqliteSessionStore

    engine = Engine(SqliteSessionStore(tmp_path / "s.db"), data_dir=tmp_path, knowledge=knowledge)
    engine.turn("d", "/check")
    engine.turn("d", "我们是企业，公司叫鄂尔多斯哨兵科技")
    engine.delete_session("d")
    for path in tmp_path.iterdir():
        assert "哨兵".encode() not in path.read_bytes()


def test_asked_figure_answered_with_its_name(engine):
    engine.turn("n", "新型研发机构能补多少")
    reply = engine.turn("n", "研发投入是1200万")
    assert amounts(reply) == [(17, 2400000, "computed")]
    assert reply.citations[0].article == 17


@pytest.mark.parametrize(("text", "article"), [("揭榜挂帅项目能拿多少钱", 18), ("科技顾问能拿多少钱", 24)])
def test_a_how_much_question_naming_a_topic_is_answered_not_turned_into_the_form(engine, text, article):
    reply = engine.turn("q", text)
    assert_contract(reply)
    assert reply.covered and reply.citations[0].article == article and reply.intent != "form"


def test_a_how_much_question_naming_nothing_starts_the_form(engine):
    reply = engine.turn("q", "我们公司能拿多少钱")
    assert reply.intent == "form" and reply.asks


def test_an_amount_in_a_new_question_does_not_overwrite_the_session_s_figure(engine):
    engine.turn("fig", "我们是企业举办的新型研发机构，上年度研发投入1000万")
    reply = engine.turn("fig", "技术合同登记了500万，能补吗")
    assert reply.citations[0].article == 11
    assert reply.profile["figures"]["rd_investment_last_year"] == 10000000


def test_a_bare_amount_answers_the_figure_the_conversation_waits_for(engine):
    engine.turn("wait", "我们是企业举办的新型研发机构，能拿多少")
    reply = engine.turn("wait", "查了账，准确是260万")
    assert (17, 520000, "computed") in amounts(reply)


@pytest.mark.parametrize("text, article, said", [
    # a level the policy does not pay
    ("我们是市级众创空间，刚挂牌，有没有一次性奖补？", 5, "没有对市级的"),
    ("市级企业技术中心认定下来有没有钱", 17, "没有对市级的"),
    ("自治区级引才引智示范基地批下来了，市里有奖补吗？", 7, "没有对自治区级的"),
    ("我们被评为国家级的科技领军企业，能拿那100万吗", 15, "没有对国家级的"),
    ("我们的首版次软件拿到了自治区的认定，能享受按单价30%的奖补吗", 19, "没有对自治区级的"),
    ("市级重点实验室每年有运行经费吗", 2, "没有对市级的"),
    ("我们牵头建的国家级野外科学观测研究站获批了，有补助吗", 2, "没有对国家级的"),
    ("国家工程研究中心有钱吗", 2, "没有对国家级的"),
    ("自治区产业创新中心批下来了给多少", 2, "没有对自治区级的"),
    ("公司的零部件入选了国家首批次关键零部件目录，市里奖多少", 19, "没有对国家级的"),
    # issued by a body the policy does not mean (named as the issuer, or as the owner of the programme)
    ("我们的装备拿到了陕西省首台套认定，鄂尔多斯给不给奖补", 19, "陕西"),
    ("首台套是包头市认定的，单价200万，能奖多少", 19, "包头"),
    ("中国煤炭工业协会颁发的科学技术奖一等奖，市里配套奖励吗", 25, "协会"),
    ("拿了一个民营基金会颁发的科技进步奖，奖金10万，市里等额奖励吗", 25, "基金会"),
    ("一家投资机构办的创业大赛我们拿了一等奖，市里有奖金吗", 11, "投资机构"),
    ("旗政府聘我当科技顾问，每个月有补贴吗", 24, "旗政府"),
])
def test_a_thing_at_a_level_or_from_a_body_the_policy_does_not_pay_is_not_covered(engine, text, article, said):
    reply = engine.turn("s", text)
    assert_contract(reply)
    assert reply.covered is False and reply.benefits == []
    assert [c.article for c in reply.citations] == [article]
    assert said in reply.reply.splitlines()[0]


@pytest.mark.parametrize("text, expected", [
    # the body that recognised it is the state or the region; a place is where it happened
    ("我们研制的设备是国内头一台，工信部也认可了，卖一台三百万，能奖多少", (19, 900000, "computed")),
    ("我们在上海设立的孵化类人才科创飞地首次认定了，奖多少", (6, 2000000, "fixed")),
    ("广东认定的高新技术企业迁到鄂尔多斯，奖多少", (15, 300000, "fixed")),
    ("集团出资举办的新型研发机构，上年度研发投入1000万，能支持多少", (17, 2000000, "computed")),
    ("获得自治区科学技术进步奖一等奖，奖金20万元，我们是第一完成单位", (25, 200000, "computed")),
    ("我们是自治区的众创空间，有奖补吗", (5, 200000, "fixed")),
    ("自治区认定的高新技术企业能拿多少", (15, 300000, "fixed")),  # who recognised it, not a level
    ("国家认定的首版次软件，单价100万，奖多少", (19, 300000, "computed")),
    ("我们在北京的人才科创飞地被认定为市级的，孵化类，奖多少", (6, 2000000, "fixed")),
])
def test_a_level_the_policy_pays_still_pays(engine, text, expected):
    reply = engine.turn("s", text)
    assert expected in amounts(reply)


@pytest.mark.parametrize("text", [
    "我是做中间人的，帮企业和大学撮合技术买卖，今年在本地撮合成了几单，有没有奖",
    "我们帮企业从高校买了专利技术，合同额500万，能奖多少",
    "我们是做技术中介的，帮本地企业牵线从外面买技术，成交了以后市里有奖励吗？",
])
def test_a_broker_helping_others_buy_technology_is_art_27_not_the_buyers_art_11(engine, text):
    reply = engine.turn("s", text)
    assert reply.citations[0].article == 27
    assert all(b.article != 11 for b in reply.benefits)


def test_a_firm_buying_technology_itself_is_still_art_11(engine):
    reply = engine.turn("s", "我们公司从外地买了一项专利技术，合同额500万，能补多少")
    assert reply.citations[0].article == 11
