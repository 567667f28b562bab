"""The `consultbot` command line: run, chat, demo, export, invite, db upgrade."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Protocol, cast

import typer
from rich.console import Console

from bot.app import Configuration, SetupError, build, open_store, serve
from bot.events import Adapter
from bot.settings import Settings, SettingsError
from consultations.ids import ConsultationId

app = typer.Typer(
    help="consultbot: structured consultations on draft joint statements, in chat.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
audit_app = typer.Typer(
    help="The audit trail of facilitator and secretariat actions.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
import_app = typer.Typer(help="Seed a consultation from another tool's data.", no_args_is_help=True)
app.add_typer(import_app, name="import")
console = Console(stderr=True)


class Terminal(Adapter, Protocol):
    """The console adapter (adapters.console.ConsoleAdapter), as `chat` drives it."""

    name: str  # who types, at first
    files_dir: Path  # where the files the bot sends are saved
    finished: asyncio.Event  # set when the person leaves


def load_configuration() -> Configuration:
    """The core's settings and every installed platform's, read once and validated."""
    try:
        return Configuration.read()
    except SettingsError as error:
        for where, message in error.problems:
            console.print(f"[red]Configuration error[/red] in {where}: {message}")
        raise typer.Exit(2) from None


def load_settings() -> Settings:
    return load_configuration().core


def configure_logging(settings: Settings, level: str | None = None) -> None:
    from bot.logs import configure

    configure(level or settings.log_level, settings.log_format)


@app.command()
def run() -> None:
    """Run the bot on every configured platform (Telegram, Matrix)."""
    configuration = load_configuration()
    configure_logging(configuration.core)
    if not configuration.configured():
        console.print(
            f"No platform is configured. Set {', or '.join(configuration.how_to_enable())}.\n"
            "To try consultbot without any, run `consultbot demo` or `consultbot chat`."
        )
        raise typer.Exit(2)
    try:
        dispatcher = build(
            configuration.core, configuration.adapters(), configuration.served_elsewhere()
        )
        asyncio.run(serve(dispatcher, configuration.core))
    except SetupError as error:
        console.print(f"[red]{error}[/red]", soft_wrap=True)  # one line, for the service log
        raise typer.Exit(2) from None


@app.command()
def chat(
    name: Annotated[
        str, typer.Option(help="Who you are at first; `:as NAME` switches.")
    ] = "facilitator",
) -> None:
    """Talk to the bot in this terminal, as facilitator and stakeholders in turn."""
    from bot.app import create_adapter, hold

    settings = load_settings()
    configure_logging(
        settings, "WARNING" if settings.log_level.upper() == "INFO" else settings.log_level
    )
    settings.admins = [*settings.admins, f"console:{name.lower()}"]
    adapter = cast(Terminal, create_adapter("console", settings))
    adapter.name = name.lower()
    adapter.files_dir = settings.data_dir / "exports"
    try:
        dispatcher = build(settings, [adapter])
        lock = hold(dispatcher.store)  # noqa: F841  (held while this process runs)
    except SetupError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None

    async def session() -> None:
        from bot.scheduler import RoundScheduler

        scheduler = RoundScheduler(dispatcher)
        await dispatcher.start()
        await scheduler.start()
        await adapter.finished.wait()
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
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="docx, html, csv, json, markdown, or polis (the latest round, in a folder "
            "in Pol.is's open-data layout).",
        ),
    ] = "markdown",
    version: Annotated[
        int | None,
        typer.Option(
            "--version", min=1, help="The record as of this draft version (default: the latest)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="File or folder to write to (default: the exports folder in the data directory).",
        ),
    ] = None,
) -> None:
    """Export a consultation's record to a file; an existing file is never overwritten."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from bot.files import save_new, save_new_folder
    from bot.offline import export_polis, export_record

    settings = load_settings()
    store = open_store(settings)
    stages = 3  # reading the record, writing the format, saving the file
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=stages)
        begun = [0]

        def stage(description: str) -> None:
            bar.update(task, description=description, completed=begun[0])
            begun[0] += 1

        try:
            if format.lower() == "polis":
                stage("reading the round")
                name, files = export_polis(store, ConsultationId(consultation), version)
            else:
                filename, content = export_record(
                    store, ConsultationId(consultation), format, version=version, progress=stage
                )
        except SetupError as error:
            bar.stop()
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from None
        if format.lower() == "polis":
            target = output or settings.data_dir / "exports" / name
            written = save_new_folder(target, files)
            bar.update(task, completed=stages)
            console.print(f"Wrote {written}: {', '.join(files)}")
        else:
            folder = settings.data_dir / "exports"
            if output is not None and output.is_dir():
                folder, output = output, None
            target = output or folder / filename
            stage(f"saving {target}")
            written = save_new(target, content)
            bar.update(task, completed=stages)
            console.print(f"Wrote {written} ({len(content):,} bytes)")
    if written != target:
        console.print(f"{target} already exists and was left as it was.")
    with store.transaction() as records:
        head = records.audit.head()
    console.print(f"Audit trail at this export: {head.count} events. Head: {head}")


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
        code = create_invite(
            open_store(load_settings()), ConsultationId(consultation), group, uses, days
        )
    except SetupError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    typer.echo(code)


@app.command()
def doctor() -> None:
    """Check the configuration: database, data directory, platform credentials."""
    from bot.doctor import diagnose

    findings = asyncio.run(diagnose(load_configuration()))
    for finding in findings:
        if finding.ok:
            typer.echo(f"ok       {finding.line}")
        else:
            typer.echo(f"problem  {finding.line}")
    problems = sum(not finding.ok for finding in findings)
    if problems:
        console.print(f"[red]{problems} problem{'s' if problems > 1 else ''} to fix.[/red]")
        raise typer.Exit(1)


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="The file to write the copy to.")],
) -> None:
    """Copy the SQLite database while the bot runs (for PostgreSQL, use pg_dump)."""
    from storage.engine import BackupError, backup_sqlite

    settings = load_settings()
    try:
        copied = backup_sqlite(settings.database_url, target)
    except BackupError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    typer.echo(f"Wrote {target} ({copied:,} bytes), a consistent copy of the database.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to this version of consultbot."""
    from storage.engine import current_revision, make_engine, upgrade

    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    console.print(f"Database at revision {current_revision(engine)}.")


@app.command()
def purge() -> None:
    """Apply each consultation's retention policy: blank raw submission text past its limit."""
    from datetime import UTC, datetime

    from bot.handlers.moderation import purge as apply_retention

    store = open_store(load_settings())
    with store.transaction() as records:
        purged = apply_retention(records, datetime.now(UTC))
    for consultation_id, count in purged.items():
        typer.echo(f"consultation {consultation_id}: {count} submissions purged")
    if not purged:
        typer.echo("Nothing is past its retention period.")


@import_app.command("polis")
def import_polis(
    folder: Annotated[
        Path, typer.Argument(help="A Pol.is export folder (comments.csv, votes.csv...).")
    ],
    title: Annotated[
        str | None, typer.Option(help="The consultation's title (default: the topic).")
    ] = None,
) -> None:
    """A consultation from a Pol.is open-data export: its comments the paragraphs of
    version 1, its groups the stakeholder groups, its votes a closed round 1."""
    from bot.offline import import_polis as seed

    store = open_store(load_settings())
    try:
        consultation_id, read = seed(store, folder, title)
    except SetupError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    typer.echo(f"Consultation {consultation_id} created from {folder}: {read}.")
    typer.echo(
        f"Invite its facilitator with `consultbot invite --consultation {consultation_id} "
        "facilitator`."
    )


@audit_app.command("verify")
def audit_verify(
    head: Annotated[
        str | None,
        typer.Option(help="A head printed before (COUNT:HASH): the trail must still grow from it."),
    ] = None,
) -> None:
    """Check that no audit event was altered, removed or reordered; with --head, also that
    none was cut off since that head was printed and the trail was not rebuilt."""
    from storage.audit import Head

    try:
        saved = Head.parse(head) if head is not None else None
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    store = open_store(load_settings())
    with store.transaction() as records:
        now = records.audit.head()
        broken = records.audit.verify()
        held = saved is None or records.audit.holds(saved)
    if broken is not None:
        console.print(f"[red]The audit trail is broken at event {broken}[/red]: it was altered.")
        raise typer.Exit(1)
    if not held:
        console.print(
            f"[red]The audit trail does not grow from head {saved}[/red]: events were "
            f"removed or the trail was rebuilt. It now has {now.count} events."
        )
        raise typer.Exit(1)
    typer.echo(f"The audit trail is intact ({now.count} events). Head: {now}")
    typer.echo("Keep the head elsewhere; `consultbot audit verify --head HEAD` checks against it.")


@audit_app.command("show")
def audit_show(
    consultation: Annotated[int | None, typer.Option(help="Only this consultation.")] = None,
) -> None:
    """List audit events (actors appear by pseudonym)."""
    store = open_store(load_settings())
    with store.transaction() as records:
        only = ConsultationId(consultation) if consultation is not None else None
        for event in records.audit.trail(only):
            typer.echo(
                f"{event.id}\t{event.at:%Y-%m-%d %H:%M:%S}\t{event.consultation_id or '-'}\t"
                f"{event.actor}\t{event.action}\t{event.detail}"
            )


def main() -> None:
    app()
