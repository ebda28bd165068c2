"""Option numbers typed in the terminal or `ask --session` press those options, in order."""

import pytest

from bot.dialogue.presses import option_presses
from bot.dialogue.reply import Option

OPTIONS = [Option(id=f"o{i}", label=f"L{i}") for i in range(1, 11)]


@pytest.mark.parametrize(("text", "pressed"), [
    ("3", ["o3"]), ("4 8", ["o4", "o8"]), ("4，8", ["o4", "o8"]), ("4,8", ["o4", "o8"]), ("4、8、10", ["o4", "o8", "o10"]),
    (" 2 ", ["o2"]),
])
def test_numbers_press_options(text, pressed):
    assert [o.id for o in option_presses(text, OPTIONS)] == pressed


@pytest.mark.parametrize("text", ["11", "0", "1200万", "企业", "3 x", "", "4 11"])
def test_other_text_is_no_press(text):
    assert option_presses(text, OPTIONS) is None


def test_a_lone_skip_button_is_not_pressed_by_a_number():
    assert option_presses("1", [Option(id="skip", label="跳过")]) is None


def test_a_multi_select_by_numbers_in_the_engine(engine):
    reply = engine.turn("s-num", "我想看看我们能享受哪些政策")
    reply = engine.turn("s-num", choice=option_presses("1", reply.options)[0].id)  # 企业
    labels = [o.label for o in reply.options]
    picks = [labels.index("国家高新技术企业") + 1, labels.index("自治区科技领军企业") + 1]
    for option in option_presses(f"{picks[0]}，{picks[1]}", reply.options):
        reply = engine.turn("s-num", choice=option.id)
    assert set(reply.profile["triggers"]) >= {"hitech_enterprise", "tech_leading_enterprise"}
