"""docs/architecture.md stays true: every repository path it names in backticks exists, and every
`app/x.py:name` it names is defined in that file (the code moves; the page must follow)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "architecture.md"

# A backticked token that looks like a repository path: no spaces, no leading "/" (that is a URL), optionally
# followed by ":name" or ":Class.name". Tokens such as `poll:E`, `#live` or `hx-post="..."` are not paths.
PATH = re.compile(r"^(?P<path>[\w.<>-]+(?:/[\w.<>-]+)*/?)(?::(?P<name>[A-Za-z_][\w.]*))?$")
SUFFIXES = (".py", ".html", ".md", ".po")
# The checklist speaks of any domain and any role page; such a path must hold for a real one.
PLACEHOLDERS = {"<domain>": "polls", "<view>": "participant"}


def named() -> list[tuple[str, str | None]]:
    """(path, name or None) for every backticked path on the page; fenced code blocks are left out."""
    text = re.sub(r"```.*?```", "", PAGE.read_text(), flags=re.DOTALL)
    found = []
    for token in re.findall(r"`([^`\s]+)`", text):
        match = PATH.match(token)
        if match and ("/" in match["path"] or match["path"].endswith(SUFFIXES)):
            found.append((match["path"], match["name"]))
    return found


def concrete(path: str) -> str:
    for placeholder, example in PLACEHOLDERS.items():
        path = path.replace(placeholder, example)
    return path


def defines(source: Path, dotted: str) -> bool:
    """Whether a module defines ``dotted``: a function, class or assigned name, or ``Class.member``."""
    body: list[ast.stmt] = ast.parse(source.read_text(), str(source)).body
    for part in dotted.split("."):
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == part:
                break
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            if any(isinstance(target, ast.Name) and target.id == part for target in targets):
                break
        else:
            return False
        body = node.body if isinstance(node, ast.ClassDef) else []
    return True


def test_the_page_names_enough_paths_to_be_worth_checking() -> None:
    assert len({path for path, _name in named()}) >= 15


def test_every_path_the_page_names_exists() -> None:
    missing = []
    for path, _name in named():
        target = ROOT / concrete(path)
        if not (target.is_dir() if path.endswith("/") else target.exists()):
            missing.append(path)
    assert missing == []


def test_every_name_the_page_gives_a_module_is_defined_there() -> None:
    checked = [(path, name) for path, name in named() if name and path.endswith(".py")]
    assert checked, "the page names no app/x.py:name: the pattern is stale"
    wrong = [f"{path}:{name}" for path, name in checked
             if not (ROOT / concrete(path)).is_file() or not defines(ROOT / concrete(path), name)]
    assert wrong == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A name that is not there, a member of a function and a placeholder path are told apart correctly."""
    module = tmp_path / "m.py"
    module.write_text("class Hub:\n    def tick(self): ...\n\nLIMIT: int = 3\n\ndef run():\n    inner = 1\n")
    assert defines(module, "Hub.tick") and defines(module, "LIMIT") and defines(module, "run")
    assert not defines(module, "Hub.nope") and not defines(module, "run.inner") and not defines(module, "missing")
    assert concrete("templates/<domain>/_<view>_section.html") == "templates/polls/_participant_section.html"
    assert PATH.match("/e/{slug}/polls") is None and PATH.match('hx-post="/x"') is None
