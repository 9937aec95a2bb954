"""veteran-care: serve | migrate | seed-demo"""

import asyncio
import importlib.util
import logging
from typing import Annotated

import typer
import uvicorn

from veteran_care import migrate as migrations
from veteran_care.config import Environment, Settings, get_settings

app = typer.Typer(help="Veteran Care: registry, periodic checks, medicines and reports.")


def _settings() -> Settings:
    try:
        return get_settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        typer.echo(f"Configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _migrate(settings: Settings) -> None:
    migrations.upgrade(settings.effective_database_url)


async def _seed(settings: Settings, count: int, seed: int) -> str:
    from veteran_care.db import create_engine, create_sessionmaker
    from veteran_care.demo import seed_demo

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            summary = await seed_demo(session, count=count, seed=seed)
            await session.commit()
    finally:
        await engine.dispose()
    if summary.skipped:
        return "Demo data already present: nothing added."
    return (
        f"Demo data added: {summary.facilities} facilities, "
        f"{summary.beneficiaries} beneficiaries, {summary.cards} cards."
    )


def _refuse_demo_in_production(settings: Settings) -> None:
    if settings.environment == Environment.production:
        typer.echo("Refusing to load demo data in production.", err=True)
        raise typer.Exit(2)


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Load demo data of Điện Biên first.")] = False,
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply migrations before serving.")] = True,
) -> None:
    """Apply migrations, then serve the API with uvicorn (uvloop/httptools when installed)."""
    settings = _settings()
    logging.basicConfig(level=settings.log_level)
    if migrate:
        _migrate(settings)
    if demo:
        _refuse_demo_in_production(settings)
        typer.echo(asyncio.run(_seed(settings, 300, 2027)))
    host = host or settings.host
    port = port or settings.port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    typer.echo(
        f"Veteran Care API on http://{shown}:{port}  (interactive docs: http://{shown}:{port}/docs)"
    )
    uvicorn.run(
        "veteran_care.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        proxy_headers=True,
        log_level=settings.log_level.lower(),
    )


@app.command()
def migrate() -> None:
    """Apply every pending migration to the configured database."""
    settings = _settings()
    _migrate(settings)
    typer.echo("Database at the latest migration.")


@app.command("seed-demo")
def seed_demo(
    count: Annotated[int, typer.Option(min=1, max=100_000, help="Beneficiaries.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 2027,
) -> None:
    """Load deterministic demo data (facilities, beneficiaries, cards); idempotent."""
    settings = _settings()
    _refuse_demo_in_production(settings)
    _migrate(settings)
    typer.echo(asyncio.run(_seed(settings, count, seed)))
