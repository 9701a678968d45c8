"""The README and the guides stay true: the site builds, commands parse, configs load, paths exist."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tfft.cli import PARSERS, build_parser
from tfft.config import load_config

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
REPO_PATH = re.compile(r"`((?:configs|benchmarks|scripts|tfft|docs|tests)/[\w./-]+)`")


def shell_lines(page: Path) -> list[tuple[int, str]]:
    """(line number, command) of each line in the page's bash blocks, continuations joined."""
    found, in_block, pending, start = [], False, "", 0
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            in_block = line.strip() in ("```bash", "```sh", "```shell")
            continue
        if not in_block:
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        found.append((start, pending + line))
        pending = ""
    return found


def tfft_argv(command: str) -> list[str] | None:
    """The tfft arguments a shell command runs (``tfft``, ``python -m tfft``, ``scripts/<command>.py``)."""
    words = shlex.split(command, comments=True)
    while words and re.match(r"^[A-Z_]+=", words[0]):  # VAR=value prefixes
        words = words[1:]
    if words[:1] == ["tfft"]:
        return words[1:]
    if words[:3] in (["python", "-m", "tfft"], ["python", "-m", "tfft.cli"]):
        return words[3:]
    if len(words) > 1 and words[0] == "python" and re.fullmatch(r"scripts/(\w+)\.py", words[1]):
        name = Path(words[1]).stem
        return [name, *words[2:]] if name in PARSERS else None
    return None


def commands() -> list[tuple[str, list[str]]]:
    found = []
    for page in PAGES:
        for number, line in shell_lines(page):
            for part in re.split(r"\s(?:&&|\|\||;|\||&)(?:\s|$)", line + " "):
                argv = tfft_argv(part)
                if argv is not None:
                    found.append((f"{page.relative_to(ROOT)}:{number}", argv))
    return found


COMMANDS = commands()


def test_the_docs_site_builds_with_no_warning(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                               cwd=ROOT, capture_output=True, text=True, timeout=300,
                               env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_the_configuration_reference_is_up_to_date():
    completed = subprocess.run([sys.executable, "scripts/config_reference.py", "--check"], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr


def test_the_pages_show_commands():
    assert len(COMMANDS) > 40 and {argv[0] for _, argv in COMMANDS} >= {"train", "predict", "serve", "deploy"}


@pytest.mark.parametrize("where, argv", COMMANDS, ids=[where for where, _ in COMMANDS])
def test_every_command_parses_and_its_config_loads(where, argv, monkeypatch):
    monkeypatch.chdir(ROOT)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"{where}: tfft {' '.join(argv)} does not parse")
    if getattr(args, "config", None):
        load_config(args.config, args.overrides)


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_relative_links_and_repository_paths_exist(page):
    text = page.read_text(encoding="utf-8")
    links = [link for link in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+://|#", link)]
    missing = [link for link in links if not (page.parent / link.split("#")[0]).exists()]
    paths = [path for path in REPO_PATH.findall(text) if not re.search(r"[<*…]|\.\.\.", path)]
    missing += [path for path in paths if not (ROOT / path.rstrip(".")).exists()]
    assert not missing, f"{page.relative_to(ROOT)} names what does not exist: {missing}"


def test_the_benchmarks_page_and_the_readme_headline_are_what_the_records_give():
    completed = subprocess.run([sys.executable, "benchmarks/report.py", "--check"], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
