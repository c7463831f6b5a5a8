"""The READMEs name only commands, subcommands, flags and make targets that exist.

Every ```bash, ```sh, ```powershell and ```console block of README.md, README.en.md and
level-1/device/README.md is read line by line (``\\`` and PowerShell's backtick continue a
line; in ```console blocks only lines with a ``$``/``>``/``PS>`` prompt are commands). Each
simple command is then checked:

* ``uv run wio-…`` and ``[uv run] python -m pkg.mod``: the tool comes from a
  ``[project.scripts]`` table of a ``pyproject.toml`` in the repository; its argparse parser
  (``build_parser()``, else the parser its ``main`` builds) is walked: each subcommand must be
  one of the parser's choices and each ``--flag`` an option of the parser it is given to.
* ``make -C DIR TARGET`` (or ``make TARGET`` after ``cd DIR``): TARGET is a rule
  (``^name:``) of ``DIR/Makefile``.
* ``uv run pytest -m EXPR``: every marker in EXPR is declared in the project's pytest
  configuration, every ``--option`` is pytest's own or the project's conftest's.
* ``cdk`` must be run as ``npx cdk`` (the pinned CLI), and ``aws iot-data publish`` must carry
  ``--cli-binary-format raw-in-base64-out``. Other ``aws``/``git``/``winget``/``brew`` lines
  are out of scope.

A reference is skipped only when its whole project (``level-N/Makefile``) is absent, e.g.
level 2 before its branch is merged. Working directories follow ``cd`` lines through a README.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any, Callable, Iterator

import pytest

REPO = Path(__file__).resolve().parents[4]
READMES = ("README.md", "README.en.md", "level-1/device/README.md")
SHELL_LANGUAGES = {"bash", "sh", "powershell", "console"}
PROMPT = re.compile(r"^(?:PS[^>]*>|\$|>)\s+")
SEPARATORS = {";", "&&", "||", "|", "&"}
SKIP_DIRS = {".venv", "node_modules", "cdk.out", ".git", "build", ".local"}
PYTEST_OWN_OPTIONS = {
    "-q", "-v", "-vv", "-x", "-s", "-k", "-m", "-ra", "-rA", "-p", "--lf", "--ff", "--co",
    "--collect-only", "--maxfail", "--tb", "--durations", "--timeout", "--no-header",
}  # fmt: skip
MARKER_WORDS = {"and", "or", "not"}


# ----------------------------------------------------------------------------- README text
@dataclass(frozen=True)
class Command:
    """One simple command of a README shell block, with the folder it runs in."""

    readme: str
    line: int
    cwd: PurePosixPath
    words: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.readme}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where} [{self.cwd}] {' '.join(self.words)}"


def shell_blocks(text: str) -> Iterator[tuple[str, int, list[str]]]:
    """(language, first line number, lines) of each fenced shell block."""
    language: str | None = None
    start = 0
    body: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if language is None:
            match = re.match(r"^```\s*([A-Za-z0-9_-]+)", stripped)
            if match:
                language, start, body = match.group(1).lower(), number + 1, []
            elif stripped.startswith("```"):
                language, start, body = "", number + 1, []
            continue
        if stripped.startswith("```"):
            if language in SHELL_LANGUAGES:
                yield language, start, body
            language = None
            continue
        body.append(line)


def logical_lines(language: str, start: int, lines: list[str]) -> Iterator[tuple[int, str]]:
    """Lines with continuations joined; console blocks keep only prompted lines."""
    pending = ""
    pending_at = start
    for offset, raw in enumerate(lines):
        line = raw.rstrip()
        if language == "console" and not pending:
            match = PROMPT.match(line.strip())
            if not match:
                continue
            line = line.strip()[match.end() :]
        if not pending:
            pending_at = start + offset
        if line.endswith("\\") or (language == "powershell" and line.endswith("`")):
            pending += line[:-1] + " "
            continue
        pending += line
        if pending.strip():
            yield pending_at, pending
        pending = ""
    if pending.strip():
        yield pending_at, pending


def split_words(line: str, language: str = "bash") -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    if language == "powershell":  # a backslash separates folders there; ` is the escape
        lexer.escape = ""
    try:
        return list(lexer)
    except ValueError:  # an unbalanced quote in prose-like text: fall back to spaces
        return line.split("#", 1)[0].split()


def simple_commands(words: list[str]) -> Iterator[list[str]]:
    current: list[str] = []
    for word in words:
        if word in SEPARATORS or set(word) <= set(";&|"):
            if current:
                yield current
            current = []
        else:
            current.append(word)
    if current:
        yield current


def change_dir(cwd: PurePosixPath, target: str) -> PurePosixPath:
    parts = list(cwd.parts) if str(cwd) != "." else []
    for part in target.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def strip_prefixes(words: list[str]) -> list[str]:
    """Drop ``VAR=value``, ``$env:VAR = …`` and ``aws-vault exec <profile> … --``."""
    while words:
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]
        elif words[0] == "aws-vault" and len(words) > 1 and words[1] == "exec":
            words = words[words.index("--") + 1 :] if "--" in words else []
        else:
            return words
    return words


def readme_commands() -> list[Command]:
    commands: list[Command] = []
    for readme in READMES:
        path = REPO / readme
        if not path.exists():
            continue
        cwd = PurePosixPath(".")
        for language, start, lines in shell_blocks(path.read_text(encoding="utf-8")):
            for number, line in logical_lines(language, start, lines):
                for words in simple_commands(split_words(line, language)):
                    words = strip_prefixes(words)
                    if not words:
                        continue
                    if words[0] in ("cd", "Set-Location", "pushd") and len(words) > 1:
                        if words[1] == "wio-terminal-aws-connect":
                            cwd = PurePosixPath(".")
                        else:
                            cwd = make_folder(cwd, words[1])
                        continue
                    commands.append(Command(readme, number, cwd, tuple(words)))
    return commands


# ----------------------------------------------------------------------------- the repository
def project_of(path: PurePosixPath) -> str | None:
    """``level-N`` for a path inside it."""
    first = path.parts[0] if path.parts else ""
    return first if re.fullmatch(r"level-\d+", first) else None


def project_present(project: str | None) -> bool:
    return project is None or (REPO / project / "Makefile").exists()


def skip_if_absent(project: str | None, what: str) -> None:
    if not project_present(project):
        pytest.skip(f"{what}: {project}/Makefile is absent (its branch is not merged here)")


def _walk(folder: Path, name: str) -> Iterator[Path]:
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and entry.name not in SKIP_DIRS and not entry.name.startswith("."):
            yield from _walk(entry, name)
        elif entry.name == name:
            yield entry


@lru_cache(maxsize=None)
def pyprojects() -> tuple[Path, ...]:
    return tuple(p for p in _walk(REPO, "pyproject.toml") if project_of(_rel(p)))


def _rel(path: Path) -> PurePosixPath:
    return PurePosixPath(path.relative_to(REPO).as_posix())


def toml_table_lines(text: str, table: str) -> list[str]:
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        if re.match(r"^\s*\[", line):
            inside = line.strip() == f"[{table}]"
            continue
        if inside:
            lines.append(line)
    return lines


@dataclass(frozen=True)
class Script:
    name: str
    target: str  # "module:function"
    pyproject: Path


@lru_cache(maxsize=None)
def scripts() -> dict[str, Script]:
    found: dict[str, Script] = {}
    for pyproject in pyprojects():
        for line in toml_table_lines(pyproject.read_text(encoding="utf-8"), "project.scripts"):
            match = re.match(r'^\s*"?([\w.-]+)"?\s*=\s*"([\w.]+:[\w.]+)"', line)
            if match:
                found[match.group(1)] = Script(match.group(1), match.group(2), pyproject)
    return found


def source_roots(pyproject: Path) -> list[Path]:
    """Folders to put on sys.path to import a project's packages without installing it."""
    roots = [pyproject.parent]
    text = pyproject.read_text(encoding="utf-8")
    for line in toml_table_lines(text, "tool.hatch.build.targets.wheel"):
        if line.strip().startswith("packages"):
            for package in re.findall(r'"([^"]+)"', line):
                roots.append((pyproject.parent / package).parent)
    return roots


def package_home(package: str) -> Path | None:
    """The pyproject.toml whose source tree holds the top-level ``package``."""
    for pyproject in pyprojects():
        for root in source_roots(pyproject):
            if (root / package / "__init__.py").exists():
                return pyproject
    return None


def import_from(module: str, pyproject: Path | None) -> ModuleType:
    saved = list(sys.path)
    try:
        if pyproject is not None:
            for root in source_roots(pyproject):
                if str(root) not in sys.path:
                    sys.path.append(str(root))
        return importlib.import_module(module)
    finally:
        sys.path[:] = saved


class _Captured(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__(parser.prog)
        self.parser = parser


def capture_parser(main: Callable[..., Any]) -> argparse.ArgumentParser:
    """The parser ``main`` builds: stop it at its ``parse_args`` call."""

    def stop(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        raise _Captured(self)

    original = argparse.ArgumentParser.parse_args
    argparse.ArgumentParser.parse_args = stop  # type: ignore[method-assign]
    try:
        main([])
    except _Captured as captured:
        return captured.parser
    finally:
        argparse.ArgumentParser.parse_args = original  # type: ignore[method-assign]
    raise AssertionError(f"{main.__module__}.main() never called parse_args")


@lru_cache(maxsize=None)
def parser_for(module: str, function: str, pyproject: Path | None) -> argparse.ArgumentParser:
    """``build_parser()`` of the module (or its ``.cli``), else the parser ``main`` makes."""
    loaded = import_from(module, pyproject)
    candidates = [loaded]
    try:
        candidates.append(import_from(f"{module}.cli", pyproject))
    except ModuleNotFoundError:
        pass
    for candidate in candidates:
        build = getattr(candidate, "build_parser", None)
        if callable(build):
            parser = build()
            assert isinstance(parser, argparse.ArgumentParser)
            return parser
    main = getattr(loaded, function, None) or getattr(candidates[-1], "main", None)
    assert callable(main), f"{module} has neither build_parser() nor {function}()"
    return capture_parser(main)


def module_parser(module: str) -> argparse.ArgumentParser:
    home = package_home(module.split(".")[0])
    loaded = import_from(module, home)
    if loaded.__spec__ is not None and loaded.__spec__.submodule_search_locations:
        try:  # a package run with -m: its __main__ decides; look for the CLI next to it
            return parser_for(module, "main", home)
        except AssertionError:
            return parser_for(f"{module}.__main__", "main", home)
    return parser_for(module, "main", home)


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {flag: action for action in parser._actions for flag in action.option_strings}


def takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def check_arguments(parser: argparse.ArgumentParser, args: list[str], shown: str) -> None:
    """Each --flag known to the parser it reaches, each subcommand one of the choices."""
    current, path = parser, parser.prog
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word == "--":
            return
        if word.startswith("-") and len(word) > 1 and not re.match(r"^-\d", word):
            flag = word.split("=", 1)[0]
            known = options(current)
            assert flag in known, f"{shown}: `{path}` has no option {flag}; it has {sorted(known)}"
            if takes_value(known[flag]) and "=" not in word:
                index += 1
            continue
        choices = subparsers(current)
        if choices:
            assert (
                word in choices
            ), f"{shown}: `{path}` has no subcommand {word!r}; it has {sorted(choices)}"
            current, path = choices[word], f"{path} {word}"


# ----------------------------------------------------------------------------- Makefiles
@lru_cache(maxsize=None)
def make_targets(folder: str) -> frozenset[str]:
    text = (REPO / folder / "Makefile").read_text(encoding="utf-8")
    targets: set[str] = set()
    for match in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9_. -]*?)\s*:(?!=)", text, re.M):
        targets.update(match.group(1).split())
    return frozenset(targets)


def make_folder(cwd: PurePosixPath, target: str) -> PurePosixPath:
    """``level-N…`` paths (``make -C``, ``cd``) are written from the repository root."""
    if project_of(PurePosixPath(target.replace("\\", "/"))):
        return change_dir(PurePosixPath("."), target)
    return change_dir(cwd, target)


def check_make(command: Command) -> None:
    words = list(command.words[1:])
    folder = command.cwd
    goals: list[str] = []
    while words:
        word = words.pop(0)
        if word.startswith("-C"):
            folder = make_folder(command.cwd, word[2:] or (words.pop(0) if words else "."))
        elif word.startswith("-") or "=" in word:
            continue
        else:
            goals.append(word)
    project = project_of(folder)
    skip_if_absent(project, f"make -C {folder}")
    makefile = REPO / folder / "Makefile"
    assert makefile.exists(), f"{command}: there is no {folder}/Makefile"
    for goal in goals:
        assert goal in make_targets(str(folder)), (
            f"{command}: {folder}/Makefile has no target {goal!r}; it has "
            f"{sorted(make_targets(str(folder)))}"
        )


# ----------------------------------------------------------------------------- pytest
def pytest_config(cwd: PurePosixPath) -> Path:
    folder = REPO / cwd
    while folder != REPO.parent:
        candidate = folder / "pyproject.toml"
        if candidate.exists() and "[tool.pytest.ini_options]" in candidate.read_text("utf-8"):
            return candidate
        folder = folder.parent
    raise AssertionError(f"no pytest configuration above {cwd}")


def check_pytest(command: Command, args: list[str]) -> None:
    project = project_of(command.cwd)
    skip_if_absent(project, f"pytest in {command.cwd}")
    config = pytest_config(command.cwd)
    text = config.read_text(encoding="utf-8")
    block = re.search(r"markers\s*=\s*\[(.*?)\]", text, re.S)
    markers = set(re.findall(r'"(\w+)\s*:', block.group(1))) if block else set()
    conftest_options: set[str] = set()
    for conftest in config.parent.rglob("conftest.py"):
        if not SKIP_DIRS & set(conftest.parts):
            conftest_options.update(
                re.findall(r'addoption\(\s*"(--[\w-]+)"', conftest.read_text("utf-8"))
            )
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word == "-m" and index < len(args):
            for name in re.findall(r"[A-Za-z_]\w*", args[index]):
                assert name in MARKER_WORDS or name in markers, (
                    f"{command}: marker {name!r} is not declared in {_rel(config)} "
                    f"(declared: {sorted(markers)})"
                )
            index += 1
        elif word.startswith("-"):
            flag = word.split("=", 1)[0]
            assert (
                flag in PYTEST_OWN_OPTIONS | conftest_options
            ), f"{command}: pytest option {flag} is neither pytest's nor a conftest's"


# ----------------------------------------------------------------------------- one command
UV_RUN_OPTIONS_WITH_VALUE = {"--project", "--directory", "--with", "--python", "-p"}


def after_uv_run(words: list[str]) -> list[str]:
    index = 2
    while index < len(words) and words[index].startswith("-"):
        index += 2 if words[index] in UV_RUN_OPTIONS_WITH_VALUE else 1
    return words[index:]


def check_tool(command: Command, name: str, args: list[str]) -> None:
    script = scripts().get(name)
    if script is None:
        skip_if_absent(project_of(command.cwd), f"`{name}`")
        raise AssertionError(
            f"{command}: no pyproject.toml in the repository declares the script {name!r} "
            f"(known: {sorted(scripts())})"
        )
    module, function = script.target.split(":")
    check_arguments(parser_for(module, function, script.pyproject), args, str(command))


def check_module(command: Command, module: str, args: list[str]) -> None:
    if package_home(module.split(".")[0]) is None:
        skip_if_absent(project_of(command.cwd), f"python -m {module}")
        raise AssertionError(f"{command}: no project in the repository has the package {module}")
    check_arguments(module_parser(module), args, str(command))


def check_python(command: Command, words: list[str]) -> None:
    if len(words) > 2 and words[1] == "-m":
        module, args = words[2], words[3:]
        if module == "pytest":
            check_pytest(command, args)
        elif module.split(".")[0].startswith("wio_"):
            check_module(command, module, args)


def check_command(command: Command) -> None:
    words = list(command.words)
    head = words[0]
    if head == "uv" and len(words) > 2 and words[1] == "run":
        rest = after_uv_run(words)
        if not rest:
            return
        if rest[0] in ("python", "python3"):
            check_python(command, rest)
        elif rest[0] == "pytest":
            check_pytest(command, rest[1:])
        elif rest[0].startswith("wio-"):
            check_tool(command, rest[0], rest[1:])
        elif rest[0] == "cdk":
            raise AssertionError(f"{command}: run the pinned CLI as `npx cdk`")
        return
    if head.startswith("wio-"):
        raise AssertionError(f"{command}: run project tools as `uv run {head}`")
    if head in ("python", "python3", "py"):
        check_python(command, words)
    elif head == "make":
        check_make(command)
    elif head == "cdk":
        raise AssertionError(f"{command}: run the pinned CLI as `npx cdk`, not `cdk`")
    elif head == "aws" and words[1:3] == ["iot-data", "publish"]:
        joined = " ".join(words)
        assert "--cli-binary-format raw-in-base64-out" in joined, (
            f"{command}: AWS CLI v2 reads --payload as base64 without "
            "--cli-binary-format raw-in-base64-out"
        )


COMMANDS = readme_commands()
CHECKED_HEADS = {"uv", "make", "python", "python3", "cdk", "aws", "npx"}


@pytest.mark.parametrize(
    "command",
    [c for c in COMMANDS if c.words[0] in CHECKED_HEADS or c.words[0].startswith("wio-")],
    ids=lambda c: f"{c.where} {' '.join(c.words)[:60]}",
)
def test_readme_command_exists(command: Command) -> None:
    check_command(command)


def test_the_readmes_have_commands_to_check() -> None:
    per_readme = {readme: 0 for readme in READMES}
    for command in COMMANDS:
        per_readme[command.readme] += 1
    assert all(count >= 5 for count in per_readme.values()), per_readme
    tools = {c.words[2] for c in COMMANDS if c.words[:2] == ("uv", "run") and len(c.words) > 2}
    assert {"wio-provision", "wio-query", "wio-doctor"} <= tools, tools


def test_make_up_try_lines_are_quoted_in_both_readmes() -> None:
    from wio_tools.demo import TRY_LINES

    for readme in ("README.md", "README.en.md"):
        text = (REPO / readme).read_text(encoding="utf-8")
        for line in TRY_LINES:
            assert line.rstrip() in text, f"{readme} does not quote `make up`'s line {line!r}"


# ----------------------------------------------------------------------------- the checker
def _one(line: str, cwd: str = ".") -> Command:
    (words,) = list(simple_commands(split_words(line)))
    return Command("X.md", 1, PurePosixPath(cwd), tuple(strip_prefixes(words)))


@pytest.mark.parametrize(
    "line, cwd",
    [
        ("uv run wio-query lates --device-id x", "level-1/infra"),
        ("uv run wio-provision wio-001 --wifi", "level-1/infra"),
        ("uv run wio-query latest --no-such-flag", "level-1/infra"),
        ("make -C level-1 no-such-target", "."),
        ("aws-vault exec p --no-session -- cdk deploy", "level-1/infra"),
        ("aws iot-data publish --topic t --payload file://m.json", "."),
        ("uv run pytest -m nosuchmarker", "level-1/infra"),
        ("uv run wio-no-such-tool", "level-1/infra"),
        ("uv run python -m wio_tools.demo --down", "level-1/infra"),
    ],
)
def test_the_checker_catches(line: str, cwd: str) -> None:
    with pytest.raises(AssertionError):
        check_command(_one(line, cwd))


@pytest.mark.parametrize(
    "line, cwd",
    [
        ("uv run wio-query named latest-readings-per-device --local --format csv", "level-1/infra"),
        ("aws-vault exec p --no-session -- uv run wio-doctor --aws --region ap-northeast-1", "x"),
        ("AWS_REGION=ap-northeast-1 uv run --frozen wio-sim --local --count 5", "level-1/infra"),
        ("uv run python -m wio_tools.demo --up", "level-1/infra"),
        ("make -C level-1 up", "."),
        ("uv run pytest -m 'integration and not slow' --aws", "level-1/infra"),
        ("uv run wio-local-aws env --shell powershell", "level-1/infra"),
    ],
)
def test_the_checker_accepts(line: str, cwd: str) -> None:
    check_command(_one(line, cwd))


def test_continuations_and_prompts() -> None:
    text = "```powershell\naws iot-data publish `\n  --cli-binary-format raw-in-base64-out\n```\n"
    text += "```console\n$ make -C level-1 up\noutput line\n```\n"
    lines = [
        line
        for language, start, body in shell_blocks(text)
        for _, line in logical_lines(language, start, body)
    ]
    assert [" ".join(line.split()) for line in lines] == [
        "aws iot-data publish --cli-binary-format raw-in-base64-out",
        "make -C level-1 up",
    ]
