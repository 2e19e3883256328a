#!/usr/bin/python3
"""Man pages and shell completions for sealexec, generated from one source.

The source is the CLI itself -- `sealexec --help`, `sealexec --version` and
`sealexec COMMAND --help`, printed from the Command tables in
src/sealexec/cli -- plus the hand-written prose of dist/man/<page>.md
(DESCRIPTION, EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES, SEE ALSO, and extra
paragraphs for single options). The synopsis, the command list and every
option come from --help, so a page cannot lack an option or describe one
--help no longer has; the prose is checked against --help both ways (see
check_prose), so it cannot drift either. The completions in
dist/completions/*.in get their commands, options and option values from the
same --help.

    gen-cli-docs.py --source-dir dist --out-dir build/dist [--check] -- CLI...

CLI... is the command that runs the built sealexec (an emulator first when
cross-compiling). Writes OUT/man/<page>.1, OUT/man/<page>.1.gz (gzip -9n:
what is installed), OUT/completions/sealexec.bash, _sealexec and
sealexec.fish. Problems in the prose are warnings, or errors (exit 1) with
--check, which the tests use. Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

# ---------------------------------------------------------------------------
# What --help says


@dataclasses.dataclass
class Option:
    long: str  # "--sha256"
    short: str  # "-v" or ""
    value: str  # "HEX", or "" for a flag
    help: str


@dataclasses.dataclass
class Command:
    name: str  # "run"; "" for sealexec itself
    summary: str
    usage: list[str]  # one synopsis form a line, continuation lines joined
    options: list[Option]
    details: str  # the text after the options block
    description: str = ""  # sealexec --help only: the paragraph before Commands

    def option(self, name: str) -> Option | None:
        for option in self.options:
            if name in (option.long, option.short):
                return option
        return None

    @property
    def page(self) -> str:
        return f"sealexec-{self.name}" if self.name else "sealexec"


@dataclasses.dataclass
class Cli:
    version: str
    main: Command
    commands: list[Command]

    def command(self, name: str) -> Command | None:
        for command in self.commands:
            if command.name == name:
                return command
        return None


class CliError(Exception):
    pass


def run_cli(cli: list[str], args: list[str]) -> str:
    env = dict(os.environ)
    # A sanitizer build's CLI runs here too; a leak report at exit is not
    # what this build step checks.
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    env.setdefault("LC_ALL", "C.UTF-8")
    try:
        done = subprocess.run(cli + args, capture_output=True, text=True, env=env, timeout=60)
    except OSError as error:
        raise CliError(
            f"cannot run {' '.join(cli)} ({error.strerror}): the man pages and completions are "
            "generated from the built CLI's --help, so the build must be able to run it "
            "(when cross-compiling, set CMAKE_CROSSCOMPILING_EMULATOR)"
        ) from error
    except subprocess.TimeoutExpired as error:
        raise CliError(f"{' '.join(cli + args)} did not finish within 60 s") from error
    if done.returncode != 0:
        raise CliError(
            f"{' '.join(cli + args)} exited {done.returncode}: {done.stderr.strip()}"
        )
    return done.stdout


OPTION_LINE = re.compile(
    r"^  (?:(?P<short>-[A-Za-z0-9]), |    )?(?P<long>--[a-z0-9][a-z0-9-]*)"
    r"(?: (?P<value>[^ ]+))?  +(?P<help>\S.*)$"
)


def parse_options(lines: list[str]) -> list[Option]:
    options = []
    for line in lines:
        # sealexec --help aligns "--version" with "-h, --help", two spaces in.
        match = OPTION_LINE.match(line) or OPTION_LINE.match("    " + line[2:])
        if not match:
            raise CliError(f"cannot parse this option line of --help: {line!r}")
        options.append(
            Option(match["long"], match["short"] or "", match["value"] or "", match["help"])
        )
    return options


def split_blocks(text: str) -> dict[str, list[str]]:
    """Splits a help text into its Usage, Options and Commands blocks (and
    the text around them) by their headings."""
    blocks: dict[str, list[str]] = {"usage": [], "between": [], "commands": [],
                                     "options": [], "after": []}
    where = "usage"
    for line in text.splitlines():
        if line.startswith("Usage: "):
            where = "usage"
            blocks[where].append(line[len("Usage: "):])
            continue
        if line == "Options:":
            where = "options"
            continue
        if line == "Commands:":
            where = "commands"
            continue
        if where == "usage" and line == "":
            where = "between"
            continue
        if where in ("options", "commands") and line == "":
            where = "after"
            continue
        blocks[where].append(line)
    return blocks


def join_usage(lines: list[str]) -> list[str]:
    """One synopsis form a line. run's usage wraps its options onto aligned
    continuation lines (indented further); a new form starts with
    'sealexec'; a line indented only two to four spaces is a note about the
    usage (sealexec --help's "FILE is named ..."), returned starting with a
    newline. A form's trailing "   (comment)" is dropped."""
    forms: list[str] = []
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if stripped.startswith("sealexec") or not forms:
            forms.append(re.split(r" {3,}\(", stripped)[0].strip())
        elif indent >= 5 and not forms[-1].startswith("\n"):
            forms[-1] += " " + stripped
        elif forms[-1].startswith("\n"):
            forms[-1] += " " + stripped
        else:
            forms.append("\n" + stripped)
    return forms


def paragraphs(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


def parse_command(name: str, text: str) -> Command:
    blocks = split_blocks(text)
    between = paragraphs(blocks["between"])
    return Command(
        name=name,
        summary=between,
        usage=[form for form in join_usage(blocks["usage"]) if not form.startswith("\n")],
        options=parse_options(blocks["options"]),
        details=paragraphs(blocks["after"]),
    )


def parse_main(text: str) -> tuple[Command, list[tuple[str, str]]]:
    blocks = split_blocks(text)
    forms = join_usage(blocks["usage"])
    notes = " ".join(form.strip() for form in forms if form.startswith("\n"))
    commands = []
    for line in blocks["commands"]:
        match = re.match(r"^  ([a-z][a-z0-9-]*)  +(\S.*)$", line)
        if not match:
            raise CliError(f"cannot parse this command line of sealexec --help: {line!r}")
        commands.append((match[1], match[2]))
    between = paragraphs(blocks["between"])
    main = Command(
        name="",
        # "sealexec runs code from sealed memory, safely: ..." names the page:
        # "run code from sealed memory, safely".
        summary=re.sub(r"^sealexec (\w+?)s\b", r"\1",
                       between.split("\n\n")[0].replace("\n", " ").split(":")[0].strip()),
        usage=[form for form in forms if not form.startswith("\n")],
        options=parse_options(blocks["options"]),
        details=paragraphs(blocks["after"]),
        description=(notes + "\n\n" + between) if notes else between,
    )
    return main, commands


def read_cli(cli: list[str]) -> Cli:
    version_text = run_cli(cli, ["--version"]).strip()
    match = re.fullmatch(r"sealexec (\S+)", version_text)
    if not match:
        raise CliError(f"unexpected sealexec --version output: {version_text!r}")
    main, listed = parse_main(run_cli(cli, ["--help"]))
    commands = []
    for name, summary in listed:
        command = parse_command(name, run_cli(cli, [name, "--help"]))
        if command.summary.replace("\n", " ") != summary:
            raise CliError(f"sealexec --help and sealexec {name} --help give different summaries")
        commands.append(command)
    return Cli(match[1], main, commands)


# ---------------------------------------------------------------------------
# What the command line looks like: operands, option values


def operand_kind(command: Command) -> str:
    """What a command's operands are, from its usage: 'program' (a command
    whose own arguments follow), 'script' (a file whose arguments follow),
    'files', 'words' (cache's command words) or 'none'."""
    usage = " ".join(command.usage)
    if "PROGRAM" in usage:
        return "program"
    if re.search(rf"sealexec {command.name} [a-z]", usage):
        return "words"
    if re.search(r"\bFILE \[ARGS", usage):
        return "script"
    if re.search(r"\b(FILE|PATH)\.\.\.", usage):
        return "files"
    return "none"


def command_words(command: Command) -> list[str]:
    """cache's command words, in the order its usage gives them."""
    words: list[str] = []
    for form in command.usage:
        for word in re.findall(rf"(?:sealexec {command.name}|\|)\s+([a-z][a-z0-9-]*)", form):
            if word not in words:
                words.append(word)
    return words


def value_kind(command: Command, option: Option) -> tuple[str, list[str]]:
    """How to complete an option's value: ('none'|'text'|'dir'|'file'|
    'command'|'pkg'|'choice'|'list', choices)."""
    if not option.value:
        return "none", []
    usage = " ".join(command.usage)
    # "--policy strict|warn|off" in the usage.
    match = re.search(rf"{re.escape(option.long)}[ =]([a-z0-9+]+(?:\|[a-z0-9+]+)+)\b", usage)
    if match:
        return "choice", match[1].split("|")
    # "c or c++: the script's language" in the option's help.
    match = re.match(r"^([a-z0-9+]+) or ([a-z0-9+]+): ", option.help)
    if match:
        return "choice", [match[1], match[2]]
    # "Findings (for --fail-on): execstack, wx, ..." in the details.
    match = re.search(rf"\(for {re.escape(option.long)}\):\s*([^.]*)\.", command.details)
    if match:
        return "list", re.findall(r"[a-z0-9][a-z0-9-]*", match[1])
    name = option.value.split("[")[0]
    if name == "DIR":
        return "dir", []
    if name in ("FILE", "OUT"):
        return "file", []
    if name == "CMD":
        return "command", []
    if name == "NAMES" and "pkg-config" in option.help:
        return "pkg", []
    return "text", []


# ---------------------------------------------------------------------------
# The prose: dist/man/<page>.md
#
#   ## SECTION            a man page section (DESCRIPTION, EXIT STATUS, ...)
#   ### --option          in OPTIONS: paragraphs added to that option's entry
#   text                  a paragraph (blank lines separate blocks)
#   - item                a bullet; continuation lines indented
#   term                  a definition list entry (.TP) ...
#   : definition          ... continuation lines indented
#   ```                   a literal block (examples)
#
#   Inline: `code` and **bold** are bold, *text* is italic.

SECTION_ORDER = [
    "DESCRIPTION", "COMMANDS", "OPTIONS", "EXIT STATUS", "ENVIRONMENT", "FILES",
    "NOTES", "CAVEATS", "BUGS", "SECURITY", "EXAMPLES", "SEE ALSO",
]
GENERATED_SECTIONS = {"NAME", "SYNOPSIS", "COMMANDS"}


@dataclasses.dataclass
class Block:
    kind: str  # para, bullet, defn, code
    text: str = ""  # para, bullet, code
    term: str = ""  # defn
    line: int = 0


@dataclasses.dataclass
class Prose:
    path: Path
    sections: dict[str, list[Block]]
    option_notes: dict[str, list[Block]]
    problems: list[str]


def parse_blocks(lines: list[tuple[int, str]], path: Path, problems: list[str]) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        number, line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line.startswith("```"):
            body = []
            i += 1
            while i < len(lines) and not lines[i][1].startswith("```"):
                body.append(lines[i][1])
                i += 1
            if i == len(lines):
                problems.append(f"{path}:{number}: unterminated ``` block")
            i += 1
            blocks.append(Block("code", "\n".join(body), line=number))
            continue
        if line.startswith("- "):
            text = [line[2:]]
            i += 1
            while i < len(lines) and lines[i][1].startswith("  ") and lines[i][1].strip():
                text.append(lines[i][1].strip())
                i += 1
            blocks.append(Block("bullet", " ".join(text), line=number))
            continue
        if i + 1 < len(lines) and lines[i + 1][1].startswith(": "):
            term = line.strip()
            text = [lines[i + 1][1][2:]]
            i += 2
            while i < len(lines) and lines[i][1].startswith("  ") and lines[i][1].strip():
                text.append(lines[i][1].strip())
                i += 1
            blocks.append(Block("defn", " ".join(text), term=term, line=number))
            continue
        text = []
        while i < len(lines) and lines[i][1].strip() and not lines[i][1].startswith(("- ", "```")):
            if i + 1 < len(lines) and lines[i + 1][1].startswith(": ") and text:
                break
            text.append(lines[i][1].strip())
            i += 1
        blocks.append(Block("para", " ".join(text), line=number))
    return blocks


def read_prose(path: Path) -> Prose:
    problems: list[str] = []
    sections: dict[str, list[tuple[int, str]]] = {}
    notes: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    section = ""
    in_comment = False
    in_code = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if in_comment or (line.startswith("<!--") and not in_code):
            in_comment = "-->" not in line
            continue
        if line.startswith("```"):
            in_code = not in_code
        if in_code or line.startswith("```"):
            pass
        elif line.startswith("## "):
            section = line[3:].strip()
            if section in GENERATED_SECTIONS:
                problems.append(f"{path}:{number}: {section} is generated from --help; "
                                "it has no prose")
            elif section not in SECTION_ORDER:
                problems.append(f"{path}:{number}: unknown section {section!r} "
                                f"(one of {', '.join(SECTION_ORDER)})")
            if section in sections:
                problems.append(f"{path}:{number}: section {section} given twice")
            current = sections.setdefault(section, [])
            continue
        elif line.startswith("### "):
            name = line[4:].strip()
            if section != "OPTIONS":
                problems.append(f"{path}:{number}: '### {name}' outside OPTIONS")
            current = notes.setdefault(name, [])
            continue
        elif line.startswith("#"):
            problems.append(f"{path}:{number}: headings are '## SECTION' or '### --option'")
            continue
        if current is None:
            if line.strip():
                problems.append(f"{path}:{number}: text before the first '## SECTION'")
            continue
        for char in line:
            if ord(char) > 126 or (ord(char) < 32 and char != "\t"):
                problems.append(f"{path}:{number}: not printable ASCII: {char!r} "
                                "(the prose stays ASCII)")
                break
        current.append((number, line))
    return Prose(
        path,
        {name: parse_blocks(lines, path, problems) for name, lines in sections.items()},
        {name: parse_blocks(lines, path, problems) for name, lines in notes.items()},
        problems,
    )


# ---------------------------------------------------------------------------
# Checking the prose against --help


CODE_SPAN = re.compile(r"`([^`]+)`")
LONG_OPTION = re.compile(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)")
ENV_NAME = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)|\b(SEALEXEC_[A-Z0-9_]+)\b")
# ld.so's dynamic string tokens, which --help mentions: not variables.
NOT_ENVIRONMENT = {"ORIGIN", "LIB", "PLATFORM"}


def command_lines(code: str) -> list[list[str]]:
    """The sealexec command lines in a code block or span, as words, each
    starting after 'sealexec'."""
    found = []
    text = re.sub(r"\\\n", " ", code)
    for line in text.splitlines():
        line = re.sub(r"^\s*\$ ", "", line)
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;()<>")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            words = list(lexer)
        except ValueError:
            words = line.split()
        start = 0
        for i, word in enumerate(words):
            if i == 0 or words[i - 1] in ("|", "||", "&&", ";", "(", "$(", "!", "then", "do"):
                start = i
            if word in ("sealexec",) or word.endswith("/sealexec"):
                # Only in command position (after VAR=value assignments).
                if all(re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w) for w in words[start:i]):
                    rest = []
                    for w in words[i + 1:]:
                        if w and set(w) <= set("|&;()<>"):
                            break
                        rest.append(w)
                    found.append(rest)
    return found


def check_command_line(cli: Cli, words: list[str], where: str, problems: list[str]) -> None:
    """`sealexec WORDS...` from the prose: its command and every option it
    gives must be ones --help knows."""
    if not words:
        return
    command = cli.command(words[0])
    if command:
        words = words[1:]
    elif words[0] in ("--help", "-h", "--version", "COMMAND"):
        return
    elif (words[0].startswith(("-", ".", "/", "~")) or "." in words[0]
          or re.fullmatch(r"[A-Z][A-Z0-9_]*", words[0])):
        # sealexec [SCRIPT-OPTIONS] FILE: a path, a named file, or FILE itself.
        command = cli.command("script")
    else:
        problems.append(f"{where}: `sealexec {words[0]}`: no such command in sealexec --help")
        return
    assert command is not None
    stops_at_operand = operand_kind(command) in ("program", "script")
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            return
        if not word.startswith("-") or word == "-":
            if stops_at_operand:
                return
            continue
        name = word.split("=", 1)[0]
        option = command.option(name)
        if option is None and name not in ("-h", "--help"):
            problems.append(f"{where}: `sealexec {command.name} ... {name}`: "
                            f"sealexec {command.name} --help has no {name}")
            continue
        if option and option.value and "=" not in word:
            i += 1  # its value


def check_text(cli: Cli, own: Command, text: str, where: str, problems: list[str]) -> None:
    """Options named in a paragraph: in a `sealexec COMMAND ...` span they
    must be COMMAND's, anywhere else the page's own."""
    def own_option(name: str, span: str) -> None:
        if own.option(name) is None and name != "--help":
            problems.append(f"{where}: {span or name}: {own.page}'s command has no option "
                            f"{name} in --help")

    for span in CODE_SPAN.findall(text):
        lines = command_lines(span)
        if lines:
            for words in lines:
                check_command_line(cli, words, where, problems)
        elif span.startswith("-"):
            for name in LONG_OPTION.findall(span.split()[0]):
                own_option(name, f"`{span}`")
    for name in LONG_OPTION.findall(CODE_SPAN.sub(" ", text)):
        own_option(name, "")


def exit_codes_in(text: str) -> set[str]:
    """The exit codes a help text names: the numbers after 'Exit codes' or
    'Exit status'."""
    match = re.search(r"Exit (?:codes|status)", text)
    if not match:
        return set()
    tail = text[match.start():]
    return set(re.findall(r"(?<![\w.,$-])(\d{1,3})(?![\w.%-]|,\d)", tail))


def environment_in(command: Command) -> set[str]:
    text = command.details + "\n" + "\n".join(option.help for option in command.options)
    names = set()
    for dollar, bare in ENV_NAME.findall(text):
        name = dollar or bare
        if name not in NOT_ENVIRONMENT:
            names.add(name)
    return names


def block_texts(blocks: list[Block]) -> list[tuple[Block, str]]:
    return [(block, block.term + " " + block.text if block.kind == "defn" else block.text)
            for block in blocks]


def check_prose(cli: Cli, command: Command, prose: Prose | None) -> list[str]:
    """What in the prose disagrees with --help. Both ways: the prose names
    no option, command or exit code that --help lacks, and it describes
    every exit code and environment variable that --help mentions."""
    if prose is None:
        return [f"dist/man/{command.page}.md: missing: every command in sealexec --help "
                "has a page with prose"]
    problems = list(prose.problems)
    path = prose.path
    own = command
    if not command.name:
        # sealexec [SCRIPT-OPTIONS] FILE: the main page may name script's options.
        script = cli.command("script")
        own = dataclasses.replace(command, options=command.options + (script.options if script else []))
    for section, blocks in prose.sections.items():
        for block, text in block_texts(blocks):
            where = f"{path}:{block.line}"
            if block.kind == "code":
                for words in command_lines(block.text):
                    check_command_line(cli, words, where, problems)
            else:
                check_text(cli, own, text, where, problems)
            for page in re.findall(r"\b(sealexec-[a-z0-9-]+)`?\(1\)", text):
                if not cli.command(page[len("sealexec-"):]):
                    problems.append(f"{where}: {page}(1): no such command in sealexec --help")
    for name, blocks in prose.option_notes.items():
        if command.option(name) is None:
            problems.append(f"{path}: '### {name}': {command.page}'s --help has no option {name}")
        for block, text in block_texts(blocks):
            check_text(cli, own, text, f"{path}:{block.line}", problems)
    for required in ("DESCRIPTION", "SEE ALSO"):
        if required not in prose.sections:
            problems.append(f"{path}: no '## {required}' section")

    # Exit codes: those of --help, and no others, are described.
    said = exit_codes_in(command.details)
    described = set()
    for block in prose.sections.get("EXIT STATUS", []):
        if block.kind == "defn":
            described.update(re.findall(r"\b\d{1,3}\b", block.term))
    if said or described:
        for code in sorted(said - described, key=int):
            problems.append(f"{path}: EXIT STATUS does not describe exit code {code}, "
                            f"which {command.page.replace('-', ' ')} --help names")
        for code in sorted(described - said, key=int):
            problems.append(f"{path}: EXIT STATUS describes exit code {code}, "
                            f"which {command.page.replace('-', ' ')} --help does not name")

    # Environment variables that --help mentions are described.
    environment = " ".join(text for _, text in block_texts(prose.sections.get("ENVIRONMENT", [])))
    for name in sorted(environment_in(command)):
        if not re.search(rf"(?<![A-Z0-9_]){name}(?![A-Z0-9_])", environment):
            problems.append(f"{path}: ENVIRONMENT does not describe {name}, which "
                            f"{command.page.replace('-', ' ')} --help mentions")
    return problems


# ---------------------------------------------------------------------------
# roff


def roff_escape(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = text.replace("\u2014", "\\(em").replace("\u2013", "\\(en").replace("\u2026", "...")
    return text


def roff_line_safe(text: str) -> str:
    """A line of roff text: no line may start with a control character."""
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])")


# A word with an option, variable, path or code in it: groff must not
# hyphenate it (SEALEXEC_INSE-CURE_REMOTE). \% at a word's start says so.
TECHNICAL_WORD = re.compile(r"(?<!\S)(?=\S*(?:[_$/=`-]\S|`))")


def inline(text: str) -> str:
    """Inline markup to roff fonts; everything else escaped."""
    text = TECHNICAL_WORD.sub("\0", text)
    out = []
    pos = 0
    for match in INLINE.finditer(text):
        out.append(roff_escape(text[pos:match.start()]))
        if match[1] is not None:
            # Code is never broken across lines either.
            out.append("\\fB" + roff_escape(match[1]).replace(" ", "\\ ") + "\\fR")
        elif match[2] is not None:
            out.append("\\fB" + roff_escape(match[2]) + "\\fR")
        else:
            out.append("\\fI" + roff_escape(match[3]) + "\\fR")
        pos = match.end()
    out.append(roff_escape(text[pos:]))
    return roff_line_safe("".join(out).replace("\0", "\\%"))


SYNOPSIS_TOKEN = re.compile(
    r"(?P<option>(?<![\w-])-(?:-[a-z0-9][a-z0-9-]*|[A-Za-z0-9])(?![\w-]))"
    r"|(?P<placeholder>(?<![\w-])[A-Z][A-Z0-9_]*(?:-[A-Z0-9_]+)*(?![\w]))"
)


def synopsis_words(text: str, bold_words: set[str]) -> str:
    """Options bold, placeholders (FILE, ARGS) italic, command words bold."""
    out = []
    pos = 0
    for match in SYNOPSIS_TOKEN.finditer(text):
        out.append(plain_synopsis(text[pos:match.start()], bold_words))
        if match["option"]:
            out.append("\\fB" + roff_escape(match["option"]) + "\\fR")
        else:
            out.append("\\fI" + roff_escape(match["placeholder"]) + "\\fR")
        pos = match.end()
    out.append(plain_synopsis(text[pos:], bold_words))
    return "".join(out)


def plain_synopsis(text: str, bold_words: set[str]) -> str:
    parts = re.split(r"([a-z][a-z0-9+-]*)", text)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 1 and part in bold_words:
            out.append("\\fB" + roff_escape(part) + "\\fR")
        else:
            out.append(roff_escape(part))
    return "".join(out)


def roff_blocks(blocks: list[Block]) -> list[str]:
    out = []
    for block in blocks:
        if block.kind == "para":
            out += [".PP", inline(block.text)]
        elif block.kind == "bullet":
            out += [".IP \\(bu 2", inline(block.text)]
        elif block.kind == "defn":
            out += [".TP", inline(block.term), inline(block.text)]
        elif block.kind == "code":
            out += [".PP", ".RS 4", ".nf"] + literal_lines(block.text) + [".fi", ".RE"]
    return out


def literal_lines(text: str) -> list[str]:
    # An empty line in .nf would be a blank line anyway; "\&" keeps lintian quiet.
    return [roff_line_safe(roff_escape(line)) if line else "\\&" for line in text.split("\n")]


def option_term(option: Option) -> str:
    names = []
    if option.short:
        names.append(f"\\fB{roff_escape(option.short)}\\fR")
    long = f"\\fB\\%{roff_escape(option.long)}\\fR"
    if option.value:
        long += f" \\fI\\%{roff_escape(option.value)}\\fR"
    names.append(long)
    return ", ".join(names)


def name_line(summary: str) -> str:
    """A summary as the NAME line's description: "Copy PROGRAM ..." becomes
    "copy PROGRAM ...", without the final full stop."""
    text = summary.replace("\n", " ").rstrip(".")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def man_page(cli: Cli, command: Command, prose: Prose | None, date: str) -> str:
    page = command.page
    command_names = {c.name for c in cli.commands} | {"sealexec"} | set(command_words(command))
    title = page.upper().replace("-", "\\-")
    lines = [
        f".\\\" Generated by scripts/gen-cli-docs.py from `sealexec{' ' + command.name if command.name else ''} --help`",
        f".\\\" and dist/man/{page}.md. Do not edit.",
        f".TH {title} 1 \"{date}\" \"sealexec {roff_escape(cli.version)}\" \"User Commands\"",
        # Left-adjusted: the text is full of option, variable and path
        # names, which do not stretch well (nor break: see TECHNICAL_WORD).
        ".ad l",
        ".SH NAME",
        f"{roff_escape(page)} \\- {roff_escape(name_line(command.summary))}",
        ".SH SYNOPSIS",
    ]
    for form in command.usage:
        words = form.split(" ")
        # .SY takes the command name; the rest wraps with a hanging indent.
        head = words[0]
        rest = words[1:]
        if command.name and rest and rest[0] == command.name:
            head = f"{words[0]} {command.name}"
            rest = rest[1:]
        lines.append(f".SY \"{head}\"")
        if rest:
            lines.append(roff_line_safe(synopsis_words(" ".join(rest), command_names)))
        lines.append(".YS")

    sections = prose.sections if prose else {}
    notes = prose.option_notes if prose else {}
    lines.append(".SH DESCRIPTION")
    if "DESCRIPTION" in sections:
        lines += roff_blocks(sections["DESCRIPTION"])
    else:
        lines += [".PP", inline(command.summary.replace("\n", " "))]
        if command.details:
            for paragraph in command.details.split("\n\n"):
                lines += [".PP", inline(paragraph.replace("\n", " "))]

    if not command.name:
        lines.append(".SH COMMANDS")
        for sub in cli.commands:
            lines += [".TP", f"\\fBsealexec {roff_escape(sub.name)}\\fR",
                      inline(sub.summary.replace("\n", " ")) + f" See \\fB{roff_escape(sub.page)}\\fR(1)."]
        lines += roff_blocks(sections.get("COMMANDS", []))

    lines.append(".SH OPTIONS")
    lines += roff_blocks(sections.get("OPTIONS", []))
    options = list(command.options)
    if command.option("--help") is None:
        options.append(Option("--help", "-h", "", "Show this help and exit"))
    for option in options:
        lines += [".TP", option_term(option), inline(option.help)]
        for block in notes.get(option.long, []):
            if block.kind == "code":
                lines += [".IP", ".nf"] + literal_lines(block.text) + [".fi"]
            else:
                text = (block.term + ": " + block.text) if block.kind == "defn" else block.text
                lines += [".IP", inline(text)]
    if not command.name:
        lines += [".PP", "Every command's own options are in its page, and in "
                  "\\fBsealexec\\fR \\fIcommand\\fR \\fB\\-\\-help\\fR."]

    for section in SECTION_ORDER:
        if section in ("DESCRIPTION", "COMMANDS", "OPTIONS") or section not in sections:
            continue
        lines.append(f".SH {section}")
        lines += roff_blocks(sections[section])
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Completions


def short_help(text: str, limit: int = 72) -> str:
    """The first clause of an option's help, for a completion menu."""
    text = text.replace("\n", " ")
    for cut in ("; ", " (", ": "):
        if cut in text and text.index(cut) >= 12:
            text = text[:text.index(cut)]
    if len(text) > limit:
        text = text[:limit - 3].rsplit(" ", 1)[0] + "..."
    return text.rstrip(".")


def sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def all_options(command: Command) -> list[Option]:
    options = list(command.options)
    if command.option("--help") is None:
        options.append(Option("--help", "-h", "", "Show this help and exit"))
    return options


def main_only_options(cli: Cli) -> list[Option]:
    """sealexec's own options that script's do not include (--version)."""
    script = cli.command("script")
    return [option for option in all_options(cli.main)
            if not (script and script.option(option.long))]


def bash_data(cli: Cli) -> str:
    names = " ".join(c.name for c in cli.commands)
    out = [f"_sealexec_commands={sh_quote(names)}",
           "# sealexec's own options, besides script's (sealexec [SCRIPT-OPTIONS] FILE).",
           f"_sealexec_main_options={sh_quote(' '.join(o.long for o in main_only_options(cli)))}"]
    # Per command: its options, which take a value, its operands.
    out.append("_sealexec_describe() {")
    out.append("  case $1 in")
    for command in cli.commands:
        flags = []
        for option in all_options(command):
            flags += [o for o in (option.short, option.long) if o]
        valued = [o for option in command.options if option.value
                  for o in (option.short, option.long) if o]
        out.append(f"    {command.name})")
        out.append(f"      _sealexec_options={sh_quote(' '.join(flags))}")
        out.append(f"      _sealexec_valued={sh_quote(' ' + ' '.join(valued) + ' ')}")
        out.append(f"      _sealexec_operands={operand_kind(command)}")
        out.append(f"      _sealexec_words={sh_quote(' '.join(command_words(command)))}")
        out.append("      ;;")
    out.append("    *) return 1 ;;")
    out.append("  esac")
    out.append("}")
    # The value of an option: how to complete it.
    out.append("_sealexec_value_kind() {")
    out.append("  case $1:$2 in")
    for command in cli.commands:
        for option in command.options:
            kind, choices = value_kind(command, option)
            if kind == "none":
                continue
            pattern = "|".join(f"{command.name}:{o}" for o in (option.short, option.long) if o)
            out.append(f"    {pattern}) _sealexec_kind={kind} _sealexec_choices={sh_quote(' '.join(choices))} ;;")
    out.append("    *) _sealexec_kind=text _sealexec_choices= ;;")
    out.append("  esac")
    out.append("}")
    return "\n".join(out)


def zsh_escape_description(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace(":", "\\:")


def zsh_action(kind: str, choices: list[str]) -> str:
    return {
        "dir": "_files -/",
        "file": "_files",
        "command": "_command_names -e",
        "pkg": "_sequence -s , _sealexec_pkg_names",
        "choice": "(" + " ".join(choices) + ")",
        "list": "_sequence -s , compadd - " + " ".join(choices),
        "text": " ",
    }[kind]


def zsh_data(cli: Cli) -> str:
    out = ["_sealexec_commands=("]
    for command in cli.commands:
        out.append(f"  {sh_quote(command.name + ':' + short_help(command.summary))}")
    out.append(")")
    for command in cli.commands:
        fn = command.name.replace("-", "_")
        out.append(f"_sealexec_{fn}_options=(")
        for option in all_options(command):
            names = [o for o in (option.short, option.long) if o]
            description = zsh_escape_description(short_help(option.help))
            repeatable = "repeatable" in option.help
            if option.long == "--help":
                exclusive = "(- *)"
            elif len(names) > 1 and not repeatable:
                exclusive = "(" + " ".join(names) + ")"
            else:
                exclusive = ""
            value = ""
            if option.value:
                kind, choices = value_kind(command, option)
                message = option.value.split("[")[0].lower()
                value = f":{message}:{zsh_action(kind, choices)}"
            for name in names:
                # --name=value and --name value alike; -o takes the next word.
                equals = "=" if option.value and name.startswith("--") else ""
                star = "*" if repeatable else ""
                out.append("  " + sh_quote(f"{exclusive}{star}{name}{equals}[{description}]{value}"))
        out.append(")")
        out.append(f"_sealexec_{fn}_operands={operand_kind(command)}")
        words = command_words(command)
        if words:
            out.append(f"_sealexec_{fn}_words=({' '.join(words)})")
    out.append("# sealexec's own options, besides script's (sealexec [SCRIPT-OPTIONS] FILE).")
    out.append("_sealexec_main_options=(")
    for option in main_only_options(cli):
        out.append("  " + sh_quote(f"(- *){option.long}[{zsh_escape_description(short_help(option.help))}]"))
    out.append(")")
    return "\n".join(out)


def fish_escape(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish_data(cli: Cli) -> str:
    out = [f"set -g __sealexec_commands {' '.join(c.name for c in cli.commands)}"]
    for command in cli.commands:
        valued = [o for option in command.options if option.value
                  for o in (option.short, option.long) if o]
        out.append(f"set -g __sealexec_valued_{command.name} {' '.join(valued)}")
        out.append(f"set -g __sealexec_operands_{command.name} {operand_kind(command)}")
        words = command_words(command)
        out.append(f"set -g __sealexec_words_{command.name} {' '.join(words)}")
    out.append("")
    out.append("# Commands (and sealexec's own options).")
    for command in cli.commands:
        out.append(f"complete -c sealexec -n __sealexec_no_command -a {command.name} "
                   f"-d {fish_escape(short_help(command.summary, 50))}")
    for option in main_only_options(cli):
        long = option.long[2:]
        short = f" -s {option.short[1:]}" if option.short else ""
        out.append(f"complete -c sealexec -n __sealexec_no_command{short} -l {long} "
                   f"-d {fish_escape(short_help(option.help, 50))}")
    for command in cli.commands:
        out.append("")
        out.append(f"# sealexec {command.name}")
        words = command_words(command)
        for word in words:
            out.append(f"complete -c sealexec -n '__sealexec_needs_word {command.name}' -f -a {word}")
        for option in all_options(command):
            long = option.long[2:]
            short = f" -s {option.short[1:]}" if option.short else ""
            condition = f"'__sealexec_takes_options {command.name}'"
            if command.name == "script":
                # sealexec [SCRIPT-OPTIONS] FILE: also before the file, without the word.
                condition = "'__sealexec_takes_options script'"
            arg = ""
            if option.value:
                kind, choices = value_kind(command, option)
                arg = {
                    "dir": " -x -a '(__fish_complete_directories (commandline -ct))'",
                    "file": " -r -F",
                    "command": " -x -a '(__fish_complete_command)'",
                    "pkg": " -x -a '(__sealexec_list_values (pkg-config --list-package-names 2>/dev/null))'",
                    "choice": " -x -a " + fish_escape(" ".join(choices)),
                    "list": " -x -a " + fish_escape("(__sealexec_list_values " + " ".join(choices) + ")"),
                    "text": " -x",
                }[kind]
            out.append(f"complete -c sealexec -n {condition}{short} -l {long}{arg} "
                       f"-d {fish_escape(short_help(option.help, 50))}")
    return "\n".join(out)


def fill_template(template: Path, marker: str, data: str) -> str:
    text = template.read_text(encoding="utf-8")
    if marker not in text:
        raise CliError(f"{template}: no {marker} line to replace")
    return text.replace(marker, data)


# ---------------------------------------------------------------------------


def write_if_changed(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source-dir", type=Path, required=True, help="dist/ of the source tree")
    parser.add_argument("--out-dir", type=Path, help="where to write (nothing written without it)")
    parser.add_argument("--date", default="", help="the pages' date (default: SOURCE_DATE_EPOCH, else today)")
    parser.add_argument("--check", action="store_true", help="prose problems are errors")
    parser.add_argument("--stamp", type=Path, help="a file to touch when done (for the build)")
    parser.add_argument("cli", nargs="+", help="the command that runs the built sealexec")
    args = parser.parse_args()

    try:
        cli = read_cli(args.cli)
    except CliError as error:
        print(f"gen-cli-docs: {error}", file=sys.stderr)
        return 1

    date = args.date
    if not date:
        import datetime
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
                else datetime.datetime.now(datetime.timezone.utc))
        date = when.strftime("%Y-%m-%d")

    man_dir = args.source_dir / "man"
    pages = [cli.main] + cli.commands
    problems: list[str] = []
    known = {command.page for command in pages}
    for path in sorted(man_dir.glob("*.md")):
        if path.stem not in known and path.name != "README.md":
            problems.append(f"{path}: no such command in sealexec --help "
                            "(a page per command it lists)")
    proses: dict[str, Prose | None] = {}
    for command in pages:
        path = man_dir / f"{command.page}.md"
        proses[command.page] = read_prose(path) if path.exists() else None
        problems += check_prose(cli, command, proses[command.page])

    for problem in problems:
        print(f"gen-cli-docs: {'error' if args.check else 'warning'}: {problem}", file=sys.stderr)
    if problems and args.check:
        return 1

    if args.out_dir:
        # A page of a command --help no longer lists must not be installed.
        wanted = {f"{command.page}.1{suffix}" for command in pages for suffix in ("", ".gz")}
        for old in sorted((args.out_dir / "man").glob("*.1*")):
            if old.name not in wanted:
                old.unlink()
        for command in pages:
            text = man_page(cli, command, proses[command.page], date).encode("ascii")
            write_if_changed(args.out_dir / "man" / f"{command.page}.1", text)
            # gzip -9n: no name, no time stamp, so the same page is the same file.
            write_if_changed(args.out_dir / "man" / f"{command.page}.1.gz",
                             gzip.compress(text, compresslevel=9, mtime=0))
        templates = args.source_dir / "completions"
        for template, output, data in (
            ("sealexec.bash.in", "sealexec.bash", bash_data(cli)),
            ("_sealexec.in", "_sealexec", zsh_data(cli)),
            ("sealexec.fish.in", "sealexec.fish", fish_data(cli)),
        ):
            text = fill_template(templates / template, "# @GENERATED@", data)
            write_if_changed(args.out_dir / "completions" / output, text.encode("utf-8"))
        if args.stamp:
            args.stamp.touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
