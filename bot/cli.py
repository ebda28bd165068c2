"""policybot command line (CONTRACT.md §2). Thin: every command delegates to bot.dialogue,
calculators, retrieval or a front-end module.

Usage:
    policybot ask "高企认定了能拿多少" --json [--llm | --no-llm]
    policybot chat [--record FILE] [--llm | --no-llm]
    policybot articles | policybot article 15
    policybot benefits PROFILE.json [--json]
    policybot index [--rebuild]
    policybot eval [--questions FILE] [--scenarios FILE] [--json] [--llm [--limit N]]
    policybot replay PATH... [--junit FILE] [--fail-fast] [--via URL] [--llm]
    policybot telegram [--webhook-url URL --port P]
    policybot serve [--host H --port P] [--workers N]
    policybot staff add NAME | policybot staff remove NAME
    policybot purge [--days N] [--json]
    policybot bench [--json]
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="鄂尔多斯科技新政30条 政策助手")


def _settings():
    from bot.config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        _fail(str(exc))


def _engine(memory: bool = False):
    from bot.dialogue.engine import build_engine

    return build_engine(_settings(), memory=memory)


def _assistant(*, memory: bool = False, llm: bool | None = None):
    """LLM mode when a model is configured (or --llm), else the engine; a configuration that
    cannot start LLM mode under --llm ends the command with the Chinese sentence saying what to set."""
    from bot.dialogue.assistant import build_assistant
    from bot.llm.faults import LLMConfigError

    try:
        return build_assistant(_settings(), memory=memory, llm=llm)
    except LLMConfigError as exc:
        _fail(str(exc))


LLM_HELP = "LLM 模式：--llm 强制开启（需 POLICYBOT_LLM_MODEL、OPENAI_BASE_URL、OPENAI_API_KEY），--no-llm 只用规则引擎；默认配置了模型就开启"


def _fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _quiet_logs() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    for name in ("jieba", "chromadb"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from bot.logs import protect

    protect()


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="用户消息")],
    session: Annotated[str | None, typer.Option("--session", help="会话 ID：续接该会话（保存在数据目录）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="只输出一个 JSON 对象")] = False,
    llm: Annotated[bool | None, typer.Option("--llm/--no-llm", help=LLM_HELP)] = None,
) -> None:
    """One turn. Without --session: a throw-away session."""
    _quiet_logs()
    if session is not None:
        from bot.storage import InvalidSessionId, validate_session_id

        try:
            validate_session_id(session)
        except InvalidSessionId as exc:
            _fail(str(exc))
    assistant = _assistant(memory=session is None, llm=llm)
    if session is not None:
        from bot.dialogue.presses import option_presses

        # "2" or "4 8" presses the options the session's last reply offered, in order
        pressed = option_presses(text, assistant.last_options(session))
        if pressed:
            for option in pressed:
                reply = assistant.turn(session, choice=option.id)
            _print_reply(reply, as_json)
            return
    reply = assistant.turn(session or assistant.new_session_id(), text)
    _print_reply(reply, as_json)


def _print_reply(reply, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(reply.to_json_dict(), ensure_ascii=False) + "\n")
        return
    from bot.terminal import print_reply

    print_reply(reply)


@app.command()
def chat(
    record: Annotated[Path | None, typer.Option("--record", help="把对话写成回放文件（YAML）")] = None,
    llm: Annotated[bool | None, typer.Option("--llm/--no-llm", help=LLM_HELP)] = None,
) -> None:
    """Interactive terminal chat."""
    _quiet_logs()
    from bot.terminal import run_chat

    raise typer.Exit(run_chat(_assistant(llm=llm), record=record))


@app.command()
def articles() -> None:
    """List the 30 articles."""
    from bot.terminal import print_articles

    print_articles()


@app.command()
def article(number: Annotated[int, typer.Argument(help="条款序号 1–30")]) -> None:
    """Show one article with its clause ids."""
    from bot.terminal import print_article

    if not 1 <= number <= 30:
        _fail(f"没有第{number}条：请输入 1 到 30 之间的序号，例如 policybot article 15")
    print_article(number)


@app.command()
def benefits(
    profile_path: Annotated[Path, typer.Argument(metavar="PROFILE.json", help="单位信息文件（键见 README）")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The eligibility report for a profile file."""
    from calculators.catalogue import load_catalogue
    from calculators.evaluate import evaluate, profile_from_json
    from calculators.money import AmountError

    try:
        data = json.loads(profile_path.read_text(encoding="utf-8"))
        profile = profile_from_json(data)
    except FileNotFoundError:
        _fail(f"找不到文件 {profile_path}：请给出单位信息 JSON 文件的路径")
    except json.JSONDecodeError as exc:
        _fail(f"{profile_path} 不是合法的 JSON（第{exc.lineno}行）：请检查格式")
    except AmountError as exc:
        _fail(f"{profile_path}: {exc.message}")
    except (ValueError, TypeError) as exc:
        _fail(f"{profile_path}: {exc}")
    report = evaluate(profile, load_catalogue())
    if as_json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n")
        return
    from bot.terminal import print_report

    print_report(report)


@app.command()
def index(rebuild: Annotated[bool, typer.Option("--rebuild", help="强制重建")] = False) -> None:
    """Build the retrieval index (progress bar)."""
    _quiet_logs()
    from bot.terminal import build_index_with_progress

    stats = build_index_with_progress(_settings().data_dir, rebuild=rebuild)
    typer.echo(json.dumps(stats, ensure_ascii=False))


@app.command("eval")
def eval_(
    questions: Annotated[Path | None, typer.Option("--questions", help="问题集 JSONL")] = None,
    scenarios: Annotated[Path | None, typer.Option("--scenarios", help="金额场景 JSONL")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    llm: Annotated[bool, typer.Option("--llm", help="评测 LLM 模式（当前配置的模型）：防护通过率、回退原因、与规则引擎的金额一致率、延迟、token")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="--llm 时每个文件最多评测 N 条")] = None,
) -> None:
    """Retrieval hit@k / MRR / out-of-scope P/R, scenario amount accuracy, timings; with --llm,
    LLM mode against the configured endpoint."""
    _quiet_logs()
    from bot.evaluation import run_eval

    raise typer.Exit(run_eval(_settings(), questions=questions, scenarios=scenarios, as_json=as_json,
                              llm=llm, limit=limit))


@app.command()
def replay(
    paths: Annotated[list[Path], typer.Argument(help="回放文件或目录")],
    junit: Annotated[Path | None, typer.Option("--junit", help="写 JUnit XML")] = None,
    fail_fast: Annotated[bool, typer.Option("--fail-fast")] = False,
    via: Annotated[str | None, typer.Option("--via", help="通过 HTTP API 回放，如 http://127.0.0.1:8000")] = None,
    llm: Annotated[bool, typer.Option("--llm", help="用 LLM 模式回放（需配置模型）")] = False,
) -> None:
    """Replay dialogue files; exit 1 if any expectation fails, 2 for an invalid file."""
    _quiet_logs()
    from bot.replay import replay_paths
    from bot.replay.transports import EngineTransport, HttpTransport

    if via:
        def factory():
            return HttpTransport(via)
    else:
        engine = _assistant(memory=True, llm=True) if llm else _engine(memory=True)

        def factory():
            return EngineTransport(engine)

    raise typer.Exit(replay_paths(paths, transport_factory=factory, junit=junit, fail_fast=fail_fast))


@app.command()
def telegram(
    webhook_url: Annotated[str | None, typer.Option("--webhook-url")] = None,
    port: Annotated[int | None, typer.Option("--port")] = None,
) -> None:
    """The Telegram bot (long polling by default)."""
    from bot.telegram_app import run_telegram

    raise typer.Exit(run_telegram(_settings(), webhook_url=webhook_url, port=port))


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="进程数")] = 1,
) -> None:
    """Web chat (/), helpdesk copilot (/copilot), HTTP API (/api, docs at /docs); the Telegram
    webhook too when TELEGRAM_BOT_TOKEN and POLICYBOT_TELEGRAM_WEBHOOK_URL are set."""
    from bot.serve import serve as run_server

    raise typer.Exit(run_server(_settings(), host=host, port=port, workers=workers))


STAFF_STORE_FAILED = "无法读写客服账号（{error}）。请检查数据目录是否可写，或 POLICYBOT_DATABASE_URL 指向的数据库是否可用，然后重试。"
staff_app = typer.Typer(add_completion=False, no_args_is_help=True, help="客服工作台账号")
app.add_typer(staff_app, name="staff")


def _accounts():
    from bot.web.auth import Accounts
    from bot.web.store import WebStore

    settings = _settings()
    return Accounts(WebStore.for_settings(settings), settings)


@staff_app.command("add")
def staff_add(
    name: Annotated[str, typer.Argument(help="用户名")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码（脚本用）")] = False,
) -> None:
    """Create a copilot account, or set a new password (also lifts a lockout)."""
    from bot.web.auth import AccountError

    accounts = _accounts()
    try:
        name = accounts.check_name(name)
    except AccountError as exc:
        _fail(f"{exc}。")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt="再输入一次")
    from bot.storage import StoreError

    try:
        created = accounts.add(name, password)
    except AccountError as exc:
        _fail(f"{exc}，请重新运行 policybot staff add {name}。")
    except StoreError as exc:
        _fail(STAFF_STORE_FAILED.format(error=exc), code=1)
    typer.echo(f"已{'创建' if created else '更新'}客服账号 {name}：登录地址 /copilot/login")


@staff_app.command("remove")
def staff_remove(name: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """Delete a copilot account with its logins and its cases."""
    from bot.storage import StoreError

    try:
        existed, cases = _accounts().remove(name)
    except StoreError as exc:
        _fail(STAFF_STORE_FAILED.format(error=exc), code=1)
    if not existed:
        _fail(f"没有客服账号 {name}（请检查用户名的拼写，或用 policybot staff add 新建）。")
    typer.echo(f"已删除客服账号 {name}（及其 {cases} 个案例）")


@app.command()
def purge(
    days: Annotated[float | None, typer.Option("--days", help="保留天数（默认 POLICYBOT_RETENTION_DAYS，30）")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Delete sessions, web chat/API transcripts, Telegram records and corrupt copies older than the
    retention period (copilot cases stay until deleted)."""
    _quiet_logs()
    from bot.retention import purge as run_purge
    from bot.storage import StoreError

    if days is not None and days <= 0:
        _fail("--days 须为正数，例如 --days 30")
    try:
        report = run_purge(_settings(), days=days)
    except StoreError as exc:
        _fail(f"清理失败：{exc}。请检查数据目录或 POLICYBOT_DATABASE_URL 后重试", code=1)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    telegram = sum((report.get("telegram") or {}).values())
    typer.echo(f"已删除超过 {report['retention_days']:g} 天的记录：会话 {report['sessions']} 个，"
               f"网页对话 {report['web']} 个，Telegram 记录 {telegram} 条，损坏副本 {report['corrupt_copies']} 个。")


@app.command()
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="只输出一个 JSON 对象")] = False,
    database_url: Annotated[str | None, typer.Option("--database-url", help="也测 PostgreSQL（postgresql://…）")] = None,
    turns: Annotated[int, typer.Option("--turns", min=10)] = 300,
    cold_runs: Annotated[int, typer.Option("--cold-runs", min=1)] = 3,
    sessions: Annotated[int, typer.Option("--sessions", min=1, help="每个工作进程的五轮对话数")] = 100,
    tg_updates: Annotated[int, typer.Option("--tg-updates", min=1)] = 200,
    http_clients: Annotated[int, typer.Option("--http-clients", min=1, help="并发客户端数")] = 8,
    http_sessions: Annotated[int, typer.Option("--http-sessions", min=1, help="每次 HTTP 测量的五轮对话数")] = 80,
) -> None:
    """Speed and scale figures, each beside a same-run reference (a BM25-only search)."""
    _quiet_logs()
    from bot.bench import format_report, run_bench

    settings = _settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    progress = None if as_json else (lambda message: typer.echo(f"… {message}", err=True))
    report = run_bench(settings, turns=turns, cold_runs=cold_runs, sessions=sessions, tg_updates=tg_updates,
                       http_clients=http_clients, http_dialogues=http_sessions, progress=progress)
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    typer.echo(format_report(report))


def main() -> None:
    import os

    os.umask(0o077)  # everything written to the data dir (sessions, index, logs) is private: 0600 / 0700
    app()


if __name__ == "__main__":
    main()
