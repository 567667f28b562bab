"""The `consultbot` command line: run, chat, demo, export, invite, db upgrade."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from bot.app import SetupError, build, configured_platforms, open_store, serve
from bot.settings import Settings

app = typer.Typer(
    help="consultbot: structured consultations on draft joint statements, in chat.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "settings"
            console.print(f"[red]Configuration error[/red] in {where}: {problem['msg']}")
        raise typer.Exit(2) from None


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Libraries log request URLs (which carry the bot token) at INFO: keep them quieter.
    for noisy in ("httpx", "httpcore", "telegram", "nio", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


@app.command()
def run() -> None:
    """Run the bot on every configured platform (Telegram, Matrix)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    platforms = configured_platforms(settings)
    if not platforms:
        console.print(
            "No platform is configured. Set CONSULTBOT_TELEGRAM_TOKEN, or "
            "CONSULTBOT_MATRIX_HOMESERVER with CONSULTBOT_MATRIX_USER_ID and a password or token.\n"
            "To try consultbot without any, run `consultbot demo` or `consultbot chat`."
        )
        raise typer.Exit(2)
    try:
        asyncio.run(serve(build(settings, platforms)))
    except SetupError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


@app.command()
def chat(
    name: Annotated[
        str, typer.Option(help="Who you are at first; `:as NAME` switches.")
    ] = "facilitator",
) -> None:
    """Talk to the bot in this terminal, as facilitator and stakeholders in turn."""
    from bot.app import adapter_factory

    settings = load_settings()
    configure_logging("WARNING" if settings.log_level.upper() == "INFO" else settings.log_level)
    settings.admins = [*settings.admins, f"console:{name.lower()}"]
    dispatcher = build(settings, [])
    adapter = adapter_factory("console")(settings, name.lower())
    assert adapter is not None
    dispatcher.add(adapter)

    async def session() -> None:
        from bot.scheduler import RoundScheduler

        scheduler = RoundScheduler(dispatcher)
        await dispatcher.start()
        await scheduler.start()
        await adapter.finished.wait()  # type: ignore[attr-defined]
        await scheduler.stop()
        await dispatcher.stop()

    console.print(f"Data: {settings.database_url}")
    asyncio.run(session())


@app.command()
def demo(
    out: Annotated[
        Path | None, typer.Option(help="Folder for the record (default: a new one here).")
    ] = None,
    quiet: Annotated[
        bool, typer.Option(help="Print only the summary, the diff and where the record is.")
    ] = False,
) -> None:
    """A whole consultation, end to end, with simulated stakeholders; no network."""
    from bot.demo import run_demo

    folder = asyncio.run(run_demo(out, Console(), quiet=quiet))
    Console().print(f"\n[bold green]Done.[/bold green] The record is in [bold]{folder}[/bold]")


@app.command()
def export(
    consultation: Annotated[
        int, typer.Option(help="Consultation id (see `consultbot consultations`).")
    ],
    format: Annotated[str, typer.Option("--format", "-f", help="markdown")] = "markdown",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
) -> None:
    """Export a consultation's record to a file."""
    from bot.offline import export_record

    settings = load_settings()
    store = open_store(settings)
    try:
        filename, content = export_record(store, consultation, format)
    except SetupError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    target = output or Path(filename)
    target.write_bytes(content)
    console.print(f"Wrote {target}")


@app.command()
def consultations() -> None:
    """List the consultations in the database."""
    from bot.offline import list_consultations

    for line in list_consultations(open_store(load_settings())):
        typer.echo(line)


@app.command()
def invite(
    consultation: Annotated[int, typer.Option(help="Consultation id.")],
    group: Annotated[str, typer.Argument(help="Stakeholder group, or facilitator / secretariat.")],
    uses: Annotated[int, typer.Option(min=1, help="How many people may join with it.")] = 1,
    days: Annotated[int, typer.Option(min=1, help="Days until it expires.")] = 14,
) -> None:
    """Create an invite code from the command line (e.g. the first facilitator's)."""
    from bot.offline import create_invite

    try:
        code = create_invite(open_store(load_settings()), consultation, group, uses, days)
    except SetupError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    typer.echo(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to this version of consultbot."""
    from storage.engine import current_revision, make_engine, upgrade

    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    console.print(f"Database at revision {current_revision(engine)}.")


def main() -> None:
    app()
