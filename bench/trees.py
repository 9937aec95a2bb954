"""The code trees a benchmark compares: ``--tree NAME=PATH``, repeated (bench/README.md).

Each tree is a checkout with its own virtual environment in ``PATH/.venv`` (``pip install -e .``
there): its servers run with that environment's ``uvicorn`` or ``veteran-care`` and its own
``PATH/bench/speed_apps.py``, so that each tree serves its own code. The benchmark script itself,
its data setup and its load generators are the script's own (the tree it was started from).
The first tree named is the reference: the tables give every other tree's figures over its.

The data are generated once, by the script's tree, in one database; each tree then gets a copy
of it (``CREATE DATABASE ... TEMPLATE``, or a copy of the SQLite file) brought to that tree's
own migration head: down by the script's tree (which knows the way back from its head), or up
by the tree's own. Every tree starts from the same rows, and none sees the others' writes.

Without ``--tree`` a benchmark measures one tree: the one of the Python that runs it.
"""

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Tree:
    name: str
    root: Path | None  # None: the script's own tree, served by the Python that runs the script
    bin: Path  # the folder of the environment's python, uvicorn and veteran-care
    bench: Path  # the folder of its speed_apps.py
    extra: tuple[tuple[str, str], ...] = ()  # settings of this variant (booking.py --messages)

    @property
    def label(self) -> str:
        return self.name or "this tree"

    def tool(self, name: str) -> str:
        path = self.bin / name
        if not path.exists():
            raise SystemExit(f"{name} is not installed in {self.bin} ({self.label})")
        return str(path)

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        """The environment of this tree's processes. A named tree's own install decides what
        it imports: a ``PYTHONPATH`` of the caller's would mix the trees."""
        env = dict(os.environ)
        if self.root is not None:
            env.pop("PYTHONPATH", None)
        env.update(extra)
        env.update(self.extra)
        return env


def own() -> Tree:
    return Tree("", None, Path(sys.executable).parent, BENCH)


def add_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--tree NAME=PATH`` option both scripts take."""
    parser.add_argument(
        "--tree",
        action="append",
        metavar="NAME=PATH",
        help="a checkout to measure, with its own .venv (repeat; the first is the reference)",
    )


def parse(values: list[str] | None) -> list[Tree]:
    """``NAME=PATH`` values of ``--tree``; none: the script's own tree alone."""
    if not values:
        return [own()]
    trees: list[Tree] = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--tree {value!r}: expected NAME=PATH, e.g. before=../before")
        if any(t.name == name for t in trees):
            raise SystemExit(f"--tree {name} is named twice (give each tree its own name)")
        root = Path(path).resolve()
        if not (root / ".venv" / "bin" / "python").exists():
            raise SystemExit(f"--tree {name}: {root}/.venv/bin/python not found")
        trees.append(Tree(name, root, root / ".venv" / "bin", root / "bench"))
    return trees


def in_turn(trees: list[Tree], step: int) -> list[Tree]:
    """The trees in the order of one step: as named, then reversed, and so on (A B, B A, A B,
    ...), so that no tree always goes first."""
    return list(trees) if step % 2 == 0 else list(reversed(trees))


PROBE = (
    "import veteran_care\n"
    "from veteran_care.migrate import head_revisions\n"
    "print(veteran_care.__file__)\n"
    "print(' '.join(sorted(head_revisions())))\n"
)


def describe(trees: list[Tree]) -> dict[str, str]:
    """Print what each tree is (its commit, where its Python imports the project from, its
    migration heads) and refuse a tree whose environment imports another tree's code. Returns
    the migration heads by tree name (``""``: the script's tree)."""
    heads: dict[str, str] = {}
    if trees[0].root is None:
        return heads
    for tree in [own(), *trees]:
        with tempfile.TemporaryDirectory() as empty:  # no .env, no package in the cwd
            probe = subprocess.run(
                [str(tree.bin / "python"), "-c", PROBE],
                env=tree.env({}),
                cwd=empty,
                capture_output=True,
                text=True,
            )
        if probe.returncode:
            raise SystemExit(f"{tree.label}: cannot import veteran_care:\n{probe.stderr}")
        location, heads[tree.name] = probe.stdout.splitlines()[:2]
        if tree.root is None:
            continue
        if not Path(location).resolve().is_relative_to(tree.root):
            raise SystemExit(
                f"--tree {tree.name}: {tree.bin}/python imports veteran_care from {location}, "
                f"not from {tree.root} (reinstall there: .venv/bin/pip install -e .)"
            )
        print(
            f"tree {tree.name}: {tree.root} at {commit(tree.root)}; "
            f"migration heads {heads[tree.name]}"
        )
    for tree in trees:
        if heads[tree.name] != heads[""]:
            print(
                f"the migrations of {tree.name} end at {heads[tree.name]}, the script's at "
                f"{heads['']}: {tree.name}'s copy of the database is brought to its head"
            )
    return heads


def commit(root: Path) -> str:
    """The tree's commit, and whether its sources differ from it (read only: no index lock)."""
    git = ["git", "--no-optional-locks", "-C", str(root)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode:
        return "(not a git checkout)"
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", "src", "bench"], capture_output=True, text=True
    )
    return head.stdout.strip() + (" with uncommitted changes" if changed.stdout.strip() else "")


# One database per tree ---------------------------------------------------------------------------


def database_for(url: str, tree: Tree) -> str:
    """The URL of the tree's copy of the database at ``url`` (PostgreSQL or a SQLite file)."""
    parsed = make_url(url)
    suffix = re.sub(r"[^a-z0-9_]", "_", tree.name.lower())
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return parsed.set(database=str(path.with_stem(f"{path.stem}_{suffix}"))).render_as_string(
            hide_password=False
        )
    return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)


async def _admin(url: str, *statements: str) -> None:
    dsn = make_url(url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def copy_database(url: str, tree: Tree, heads: dict[str, str]) -> str:
    """A copy of the database at ``url`` (at the script's head) for ``tree``, at the tree's
    head. Call it with no connection open to ``url``; returns the copy's URL."""
    copy = database_for(url, tree)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        shutil.copyfile(parsed.database or "", make_url(copy).database or "")
    else:
        name, template = make_url(copy).database, parsed.database
        asyncio.run(
            _admin(
                url,
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
            )
        )
    head = heads.get(tree.name, "")
    if head and head != heads.get(""):
        _migrate(copy, tree, head)
    return copy


def drop_database(url: str, tree: Tree) -> None:
    copy = make_url(database_for(url, tree))
    if copy.get_backend_name() != "sqlite":
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{copy.database}" WITH (FORCE)'))


def _migrate(url: str, tree: Tree, head: str) -> None:
    """Down to ``head`` with the script's migrations when they know it (the tree is behind),
    else up with the tree's own (the tree is ahead)."""
    down = "import sys\nfrom veteran_care.migrate import downgrade\ndowngrade(*sys.argv[1:3])"
    up = "import sys\nfrom veteran_care.migrate import upgrade\nupgrade(sys.argv[1])"
    for python, script, env in (
        (sys.executable, down, dict(os.environ)),
        (str(tree.bin / "python"), up, tree.env({})),
    ):
        done = subprocess.run(
            [python, "-c", script, url, head], env=env, capture_output=True, text=True
        )
        if done.returncode == 0:
            return
    raise SystemExit(
        f"cannot bring {tree.name}'s copy of the database to {head}:\n{done.stderr[-2000:]}"
    )
