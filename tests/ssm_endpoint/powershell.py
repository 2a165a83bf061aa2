"""PowerShell scripts parsed with tree-sitter's PowerShell grammar, and the few cmdlets a cleanup uses read from the tree.

There is no Windows (and no PowerShell) here, so AWS-RunPowerShellScript is not run: the script is parsed with the
``tree-sitter-powershell`` grammar (a well-kept grammar rather than a parser of our own), a parse error fails the
invocation as PowerShell's ParserError does, and the commands a Windows cleanup needs are recognised from the
syntax tree (windows_host.py applies them). Values are evaluated as far as a cleanup script needs: string
literals (expandable ones with ``$env:`` and known variables), variables assigned earlier, ``Join-Path``,
``New-ScheduledTaskAction``/``New-ScheduledTaskTrigger`` results and arrays of those. Every command in the script is
taken in source order, in whichever branch it stands (``if``/``try`` bodies count as run); function bodies are not.
"""

import dataclasses
from typing import Any

import tree_sitter
import tree_sitter_powershell

LANGUAGE = tree_sitter.Language(tree_sitter_powershell.language())
ENV = {
    "programdata": r"C:\ProgramData",
    "programfiles": r"C:\Program Files",
    "systemroot": r"C:\Windows",
    "windir": r"C:\Windows",
    "systemdrive": "C:",
    "temp": r"C:\Windows\TEMP",
    "tmp": r"C:\Windows\TEMP",
    "computername": "EC2AMAZ-NODE",
}
# Parameters that take no value (so the next element is positional, not theirs).
SWITCHES = {
    "force",
    "recurse",
    "passthru",
    "wait",
    "nonewwindow",
    "noprofile",
    "noninteractive",
    "once",
    "atstartup",
    "atlogon",
    "whatif",
    "verbose",
    "literalpath_",
}


class ParserError(Exception):
    """A script PowerShell would refuse before running a line of it."""


@dataclasses.dataclass
class Call:
    """One command of the script: its name, named parameters, switches, positional arguments, pipeline input."""

    name: str
    named: dict[str, Any]
    switches: set[str]
    positional: list[Any]
    piped: Any = None
    text: str = ""

    def arg(self, *names: str, position: int | None = None) -> Any:
        """A named parameter (any of ``names``), else the positional argument at ``position``."""
        for name in names:
            if name in self.named:
                return self.named[name]
        if position is not None and position < len(self.positional):
            return self.positional[position]
        return None


def _text(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace")


def parse(script: str) -> Any:
    """The syntax tree of ``script``; ParserError with PowerShell's wording and position if it does not parse."""
    tree = tree_sitter.Parser(LANGUAGE).parse(script.encode("utf-8"))
    problem = _first_problem(tree.root_node)
    if problem is not None:
        raise ParserError(_parser_message(script, problem))
    return tree


def _first_problem(node: Any) -> Any:
    if node.is_missing or node.type == "ERROR":
        return node
    if not node.has_error:
        return None
    for child in node.children:
        found = _first_problem(child)
        if found is not None:
            return found
    return node


def _parser_message(script: str, node: Any) -> str:
    """Worded as PowerShell prints a ParserError (position line, caret line, message, CategoryInfo, error ID)."""
    row, column = node.start_point
    lines = script.split("\n")
    line = lines[row] if row < len(lines) else ""
    if node.is_missing and node.type == "}":
        message, error_id = "Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace"
    elif node.is_missing and node.type == ")":
        message, error_id = "Missing closing ')' in expression.", "MissingEndParenthesisInExpression"
    elif node.is_missing:
        message, error_id = f"Missing '{node.type}'.", "MissingToken"
    else:
        token = _text(node).split()[0] if _text(node).split() else _text(node)
        if token[:1] in ('"', "'") or "@" + '"' in token:
            message, error_id = f"The string is missing the terminator: {token[:1]}.", "TerminatorExpectedAtEndOfString"
        else:
            message, error_id = f"Unexpected token '{token}' in expression or statement.", "UnexpectedToken"
    return (
        f"At line:{row + 1} char:{column + 1}\n+ {line}\n+ {' ' * column}~\n{message}\n"
        "    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException\n"
        f"    + FullyQualifiedErrorId : {error_id}\n"
    )


class Evaluator:
    """Walks a parsed script and yields its commands with their arguments evaluated."""

    def __init__(self, variables: dict[str, Any] | None = None) -> None:
        self.variables: dict[str, Any] = dict(variables or {})

    # --- values ----------------------------------------------------------------------------
    def variable(self, name: str) -> Any:
        """``$env:X``, ``${env:X}``, ``$x``; None when unknown."""
        name = name.lstrip("$").strip("{}")
        if name.lower().startswith("env:"):
            return ENV.get(name[4:].lower())
        return self.variables.get(name.lower())

    def expand(self, body: str) -> str:
        """An expandable string's text with ``$env:X`` and ``$name`` replaced (backtick escapes kept simple)."""
        out, index = [], 0
        while index < len(body):
            char = body[index]
            if char == "`" and index + 1 < len(body):
                out.append({"n": "\n", "t": "\t", "0": ""}.get(body[index + 1], body[index + 1]))
                index += 2
                continue
            if char == "$" and index + 1 < len(body) and (body[index + 1].isalnum() or body[index + 1] in "{_"):
                end = index + 1
                if body[end] == "{":
                    end = body.index("}", end) + 1 if "}" in body[end:] else len(body)
                else:
                    while end < len(body) and (body[end].isalnum() or body[end] in "_:"):
                        end += 1
                    while body[end - 1] == ":":
                        end -= 1
                value = self.variable(body[index:end])
                out.append("" if value is None else str(value))
                index = end
                continue
            out.append(char)
            index += 1
        return "".join(out)

    def string(self, node: Any) -> str:
        """The value of a string literal (verbatim, expandable, here-strings)."""
        text = _text(node)
        if text.startswith("@'") or text.startswith('@"'):
            body = text[2:-2].strip("\r\n")
            return body if text[1] == "'" else self.expand(body)
        if text.startswith("'"):
            return text[1:-1].replace("''", "'")
        if text.startswith('"'):
            return self.expand(text[1:-1])
        return text

    def value(self, node: Any) -> Any:
        """What an argument or right-hand side evaluates to, as far as this model goes (None: unknown)."""
        kind = node.type
        if kind in (
            "string_literal",
            "expandable_string_literal",
            "verbatim_string_characters",
            "expandable_here_string_literal",
            "verbatim_here_string_characters",
        ):
            return self.string(node)
        if kind == "generic_token":
            return self.expand(_text(node))
        if kind == "variable":
            return self.variable(_text(node))
        if kind in ("decimal_integer_literal", "integer_literal"):
            return _text(node)
        if kind == "command":
            return self.command_value(self.call(node))
        if kind == "pipeline" or kind == "pipeline_chain":
            commands = [c for c in node.children if c.type == "command"]
            if commands:
                piped = None
                for command in commands:
                    piped = self.command_value(self.call(command, piped))
                return piped
        named = [c for c in node.children if c.is_named and c.type not in ("comment",)]
        if kind == "array_literal_expression" and len(named) > 1:
            return [self.value(c) for c in named]
        if kind in ("sub_expression", "parenthesized_expression", "array_expression"):
            inner = [c for c in node.children if c.is_named]
            return self.value(inner[0]) if inner else None
        if len(named) == 1:
            return self.value(named[0])
        if kind == "array_literal_expression":
            return [self.value(c) for c in named] if named else None
        return None

    def command_value(self, call: "Call") -> Any:
        """What the few value-producing cmdlets of a cleanup return."""
        name = call.name.lower()
        if name == "join-path":
            parent, child = call.arg("path", position=0), call.arg("childpath", position=1)
            return f"{str(parent).rstrip(chr(92))}\\{str(child).lstrip(chr(92))}" if parent is not None and child is not None else None
        if name == "new-scheduledtaskaction":
            return {"execute": call.arg("execute", position=0), "argument": call.arg("argument", position=1)}
        if name == "new-scheduledtasktrigger":
            return {"trigger": sorted(call.switches) or ["at"]}
        if name == "get-service":
            return {"service": call.arg("name", position=0)}
        if name == "get-item" or name == "get-childitem":
            return {"path": call.arg("path", "literalpath", position=0)}
        return None

    # --- commands --------------------------------------------------------------------------
    def call(self, node: Any, piped: Any = None) -> Call:
        """A command node as a Call (name, parameters, positional arguments)."""
        name = ""
        elements: list[Any] = []
        for child in node.children:
            if child.type == "command_name":
                name = _text(child)
            elif child.type == "command_name_expr":
                value = self.value(child)
                name = str(value) if value is not None else _text(child)
            elif child.type == "command_elements":
                elements = [c for c in child.children if c.type != "command_argument_sep"]
        named: dict[str, Any] = {}
        switches: set[str] = set()
        positional: list[Any] = []
        index = 0
        while index < len(elements):
            element = elements[index]
            if element.type == "command_parameter":
                parameter = _text(element).lstrip("-")
                key, _sep, inline = parameter.partition(":")
                key = key.lower()
                if inline:
                    named[key] = self.expand(inline) if not inline.startswith("$") else self.variable(inline)
                elif key in SWITCHES or index + 1 >= len(elements) or elements[index + 1].type == "command_parameter":
                    switches.add(key)
                    named.setdefault(key, True)
                else:
                    named[key] = self.value(elements[index + 1])
                    index += 1
            else:
                positional.append(self.value(element))
            index += 1
        return Call(name, named, switches, positional, piped, _text(node))

    def walk(self, root: Any) -> list[tuple[Any, Call]]:
        """Every command of the script in source order, with assignments applied as they come."""
        found: list[tuple[Any, Call]] = []
        self._walk(root, found)
        return found

    def _walk(self, node: Any, found: list[tuple[Any, Call]]) -> None:
        if node.type in ("function_statement", "script_block_expression"):
            return
        if node.type == "assignment_expression":
            left = next((c for c in node.children if c.type == "left_assignment_expression"), None)
            right = node.children[-1]
            self._walk(right, found)
            if left is not None:
                self.variables[_text(left).strip().lstrip("$").lower()] = self.value(right)
            return
        if node.type == "pipeline_chain" or node.type == "pipeline":
            commands = [c for c in node.children if c.type == "command"]
            if commands:
                piped = None
                for command in commands:
                    call = self.call(command, piped)
                    found.append((command, call))
                    self._walk_inside(command, found)
                    piped = self.command_value(call) or piped
                return
        for child in node.children:
            self._walk(child, found)

    def _walk_inside(self, command: Any, found: list[tuple[Any, Call]]) -> None:
        """Commands nested in a command's arguments (sub-expressions) run too."""
        for child in command.children:
            if child.type == "command_elements":
                for element in child.children:
                    self._walk(element, found)
