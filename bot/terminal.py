"""Terminal front end: rich rendering of replies, the interactive chat, article listings.

Usage:
    policybot chat [--record FILE]
"""

from __future__ import annotations

from pathlib import Path

from rich.columns import Columns
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bot.dialogue.compose import basis_label
from bot.dialogue.presses import option_presses
from bot.dialogue.reply import Option, Reply
from calculators.format import PERIOD_LABELS, format_yuan

console = Console()


def benefits_table(benefits) -> Table:
    table = Table(title="资金项目", show_lines=False)
    for col in ("条款", "项目", "金额", "依据", "周期", "计算"):
        table.add_column(col)
    for b in benefits:
        table.add_row(b.clause, escape(b.item), format_yuan(b.amount_yuan), basis_label(b.basis),
                      PERIOD_LABELS.get(b.period, b.period), escape(b.formula))
    return table


def print_reply(reply: Reply, out: Console | None = None) -> None:
    out = out or console
    out.print(escape(reply.reply))
    if reply.benefits:
        out.print(benefits_table(reply.benefits))
    for c in reply.citations:
        out.print(f"[cyan]〔第{c.article}条 {c.clause}〕[/cyan][dim]{escape(c.quote)}[/dim]")
    if reply.choices:
        # each number stays with its label: a cell per option, laid out in columns that wrap whole
        cells = [Text.assemble((f"{i} ", "bold magenta"), label, no_wrap=True)
                 for i, label in enumerate(reply.choices, 1)]
        out.print(Columns(cells, padding=(0, 2)))


def run_chat(engine, *, record: Path | None = None) -> int:
    session = engine.new_session_id()
    recorder = None
    if record:
        from bot.replay import Recorder

        recorder = Recorder(name=f"录制的对话 {record.stem}")
    console.print("[bold]policybot[/bold] 政策助手（输入 /help 查看用法，输入数字选择选项，输入“退出”或按 Ctrl-D 结束）")
    options: list = []
    try:
        while True:
            try:
                text = console.input("[bold green]您：[/bold green]")
            except EOFError:
                break
            stripped = text.strip()
            if stripped.lower() in EXIT_WORDS:
                break
            # "3", "4 8" or "4，8" press those options in order; a label typed whole presses it too
            pressed = option_presses(stripped, options) or [o for o in options if o.label == stripped][:1]
            if pressed:
                for option in pressed:
                    reply = engine.turn(session, choice=option.id)
                    if recorder:
                        recorder.add(user=None, choice=option.label, reply=reply)
            elif getattr(engine, "calls_model", False):  # LLM mode: the model is thinking
                with console.status("思考中…"):
                    reply = engine.turn(session, text)
            else:
                reply = engine.turn(session, text)
            if recorder and not pressed:
                recorder.add(user=text, choice=None, reply=reply)
            print_reply(reply)
            options = list(reply.options) or [Option(id=c, label=c) for c in reply.choices]
    except KeyboardInterrupt:
        pass
    if recorder and record:
        recorder.write(record)
        console.print(f"已写入回放文件：{record}")
    return 0


EXIT_WORDS = frozenset({"退出", "/退出", "/quit", "/exit", "quit", "exit", "q"})


def print_articles() -> None:
    from retrieval.corpus import load_policy

    policy = load_policy()
    table = Table(title=policy.title)
    for col in ("序号", "条款", "标题", "章", "句数"):
        table.add_column(col)
    for a in policy.articles:
        table.add_row(str(a.number), a.label, escape(a.title), a.chapter_title, str(len(a.clauses)))
    console.print(table)


def print_article(number: int) -> None:
    from retrieval.corpus import load_policy

    a = load_policy().article(number)
    console.print(f"[bold]第{a.label}条 {escape(a.title)}[/bold]  （第{a.chapter}章 {a.chapter_title}）")
    for c in a.clauses:
        console.print(f"[cyan]{c.id}[/cyan] {escape(c.text)}")
    if a.departments:
        console.print("[dim]责任单位：" + "、".join(a.departments) + "[/dim]")


def print_report(report) -> None:
    if report.benefits:
        console.print(benefits_table(report.benefits))
    else:
        console.print("没有匹配的资金项目。")
    data = report.model_dump(mode="json")
    for key in ("totals", "pending", "missing_figures", "departments"):
        if data.get(key):
            console.print(f"[bold]{key}[/bold]: {escape(str(data[key]))}")


def build_index_with_progress(data_dir: Path, *, rebuild: bool) -> dict:
    from retrieval.search import build_index

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=Console(stderr=True)) as progress:
        task = progress.add_task("建立检索索引", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return build_index(Path(data_dir), rebuild=rebuild, progress=on_progress)
