"""The README stays true: every setting the app reads and every `samen` command is documented there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_environment_variable_is_documented():
    config = (ROOT / "app/config.py").read_text()
    names = set(re.findall(r'env(?:\.get)?\(\s*"([A-Z_]+)"', config)) | set(re.findall(r'"([A-Z_]+)" in env', config))
    assert names, "no settings found: the pattern is stale"
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert not missing, f"settings read by app/config.py but not in the README: {missing}"


def test_every_command_is_documented():
    cli = (ROOT / "app/cli.py").read_text()
    commands = (set(re.findall(r'add_parser\(\s*"([a-z]+)"', cli)) | set(re.findall(r'\(\("([a-z]+)", "', cli))
                | set(re.findall(r'\),\s*\n\s*\("([a-z]+)", "', cli))) - {"create"}
    assert {"serve", "demo", "migrate", "organiser", "purge"} <= commands
    missing = sorted(c for c in commands if f"samen {c}" not in README)
    assert not missing, f"commands not in the README: {missing}"


def test_the_two_readme_commands_are_the_ones_ci_runs():
    ci = (ROOT / ".ci/run").read_text()
    test_command = 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && python -m pytest'
    assert test_command in README
    assert test_command.replace('pip install -e', 'pip install -q -e') in ci
    assert "pip install -e . && samen demo" in README


def test_every_picture_the_readme_shows_exists_and_is_a_png():
    pictures = re.findall(r"\]\((docs/[^)]+\.png)\)", README)
    assert len(pictures) >= 3, "the README shows the product: at least three screenshots"
    for picture in pictures:
        data = (ROOT / picture).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", picture
