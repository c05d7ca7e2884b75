"""The house's floors, read from the imports (ast): core < events < {questions, polls, tables} < organiser <
main/cli/demo. A package imports only from its own floor's package and the floors below; domains on the same
floor never import each other. Infrastructure (db, live, i18n, templating, security, ...) is floor 0 with core.
Also: only the owning domain's topics.py spells a topic, and only the database's commit tells the hub."""

from __future__ import annotations

import ast
import pathlib
import re

APP = pathlib.Path(__file__).resolve().parents[2] / "app"
DOMAINS = {"events": 1, "questions": 2, "polls": 2, "tables": 2, "agenda": 2, "organiser": 3}
TOP = {"main", "cli", "demo", "models", "migrations"}  # floor 4: they assemble the house


def floor_of(module: str) -> tuple[int, str]:
    """(floor, package) of an app module name like app.polls.service."""
    parts = module.split(".")
    head = parts[1] if len(parts) > 1 else ""
    if head in DOMAINS:
        return DOMAINS[head], head
    if head in TOP:
        return 4, head
    return 0, head


def imports(path: pathlib.Path) -> list[tuple[int, str]]:
    """Every app module a file imports: (line, module). `from app import x` counts as app.x."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "app":
            if node.module == "app":
                found += [(node.lineno, f"app.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "app"]
    return found


def modules() -> list[tuple[pathlib.Path, str]]:
    return [(path, "app." + ".".join(path.relative_to(APP).with_suffix("").parts))
            for path in sorted(APP.rglob("*.py")) if "migrations" not in path.parts]


def upward_imports() -> list[str]:
    wrong = []
    for path, name in modules():
        floor, package = floor_of(name)
        for line, imported in imports(path):
            their_floor, their_package = floor_of(imported)
            if their_package == package or imported == "app":
                continue
            if their_floor > floor or (their_floor == floor and 0 < floor < 4):  # the top floor assembles
                wrong.append(f"{path.relative_to(APP.parent)}:{line} ({package}, floor {floor}) imports {imported} "
                             f"(floor {their_floor})")
    return wrong


def test_no_package_imports_upward_or_sideways() -> None:
    assert upward_imports() == []


def test_the_floor_check_notices_an_upward_import(tmp_path: pathlib.Path) -> None:
    """The check above can fail: a fake events module importing the polls is caught."""
    fake = tmp_path / "app"
    (fake / "events").mkdir(parents=True)
    (fake / "events" / "bad.py").write_text("from app.polls import service\nfrom app.core.input import as_id\n")
    global APP
    real, APP = APP, fake
    try:
        assert [line.split(" imports ")[1] for line in upward_imports()] == ["app.polls (floor 2)"]
    finally:
        APP = real


# ("participant:{id}" is left out: it is also the shape of an identity that the hub closes pages of.)
TOPIC_SPELLING = re.compile(r"""f["'](programme|presenter|online|questions|moderation|onair|poll|"""
                            r"""pollresults|pollpresenter|pollcontrol|ballot|seating|tables|tablehost|seat|"""
                            r"""agenda|agendaboard|agendacontrol|agendamine):\{""")


def test_only_a_domains_topics_module_spells_its_topics() -> None:
    spelled = [f"{path.relative_to(APP.parent)}: {match.group(0)}"
               for path, _name in modules() if path.name != "topics.py"
               for match in TOPIC_SPELLING.finditer(path.read_text())]
    assert spelled == []


def test_only_the_commit_tells_the_hub() -> None:
    """Domain code records topics on its write session (app/core/changes.py); app/db.py publishes them after the
    commit. The live layer itself tells the hub about presence (app/live/socket.py)."""
    callers = sorted(str(path.relative_to(APP.parent)) for path, _name in modules()
                     if ".changed(" in path.read_text() and path.parts[-2] != "live")
    assert callers == []
    assert "await self.publish(*topics)" in (APP / "db.py").read_text()
