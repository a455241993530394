"""Safe YAML loading that remembers the line of every field, so errors can point at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hyscale_tasks.errors import SpecError, SpecLocation, field_path

try:  # libyaml is several times faster; PyYAML's wheels ship it, a source build may not.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML mapping and the 1-based line of each path in it."""

    path: Path
    data: dict[str, Any]
    lines: dict[JsonPath, int] = field(default_factory=dict)

    def locate(self, parts: JsonPath | list[str | int]) -> SpecLocation:
        """The location of ``parts``, or of its nearest ancestor that has a line."""
        probe = tuple(parts)
        while probe and probe not in self.lines:
            probe = probe[:-1]
        return SpecLocation(self.path, self.lines.get(probe, 1 if not probe else 0), field_path(parts))


def load_mapping(path: Path, what: str) -> YamlDocument:
    """Load ``path`` as a YAML mapping; ``what`` names the kind of file in error messages."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(SpecLocation(path, 0, ""), f"{what} file not found",
                        "Check the file name and the folder it is in.") from None
    except IsADirectoryError:
        raise SpecError(SpecLocation(path, 0, ""), f"{what} path is a directory, not a file",
                        f"Name the {what} file itself, e.g. web.hspec.") from None
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise SpecError(SpecLocation(path, line, ""), f"{what} file is not UTF-8 text ({exc.reason})",
                        "Save the file as UTF-8.") from None
    return parse_mapping(text, path, what)


def _first_lines(what: str) -> str:
    if what == "profile":
        return "'environment: <profile>' and 'overrides: <service>'"
    return "'name: <service>'"


def parse_mapping(text: str, path: Path, what: str) -> YamlDocument:
    """Parse ``text`` (the content of ``path``) as a YAML mapping with line numbers."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError(SpecLocation(path, 1, ""), f"{what} file is empty",
                            f"Write the {what} as a YAML mapping, starting with {_first_lines(what)}.")
        lines: dict[JsonPath, int] = {}
        _index(node, (), lines, path)  # before construction flattens '<<' merges into the node
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise SpecError(*_yaml_problem(exc, text, path)) from None
    except yaml.YAMLError as exc:
        raise SpecError(SpecLocation(path, 0, ""), f"incorrect YAML format: {exc}",
                        "Fix the YAML syntax.") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise SpecError(SpecLocation(path, 1, ""),
                        f"{what} must be a YAML mapping of fields, found {type(data).__name__}",
                        f"Write one 'field: value' per line, starting with {_first_lines(what)}.")
    _keep_source_text(node, (), data)
    return YamlDocument(path, data, lines)


def _is_text_field(parts: JsonPath) -> bool:
    """Fields whose values are text to us even when YAML reads a number or a boolean."""
    if parts == ("image", "tag"):
        return True
    if len(parts) == 2 and parts[0] in ("props", "secrets"):
        return True
    if len(parts) == 4 and parts[0] == "agents" and parts[2] in ("props", "secrets"):
        return True
    return len(parts) == 4 and parts[:3] == ("image", "dockerfile", "args")


def _keep_source_text(node: yaml.Node, here: JsonPath, parent: Any) -> None:
    """Put back what the user wrote where YAML would reformat it (``tag: 1.10`` is not 1.1)."""
    if isinstance(node, yaml.MappingNode) and isinstance(parent, dict):
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*here, key)
            if isinstance(value_node, yaml.ScalarNode) and _is_text_field(child) and \
                    isinstance(parent.get(key), (int, float, bool)) and not value_node.style:
                parent[key] = value_node.value
            elif key in parent:
                _keep_source_text(value_node, child, parent[key])
    elif isinstance(node, yaml.SequenceNode) and isinstance(parent, list):
        for position, item in enumerate(node.value):
            _keep_source_text(item, (*here, position), parent[position])


def _yaml_problem(exc: yaml.MarkedYAMLError, text: str, path: Path) -> tuple[SpecLocation, str, str]:
    """Location, cause and fix for a YAML syntax error."""
    problem = exc.problem or exc.context or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    if "single document" in (exc.context or ""):
        return (SpecLocation(path, mark.line + 1 if mark else 0, ""),
                "incorrect YAML format: a second YAML document starts here",
                "A spec or profile holds one YAML document: remove the second '---' and what follows.")
    if exc.context_mark is not None and ("end of stream" in problem or "<stream end>" in problem):
        # An unclosed quote or bracket: the useful place is where it was opened.
        mark = exc.context_mark
        problem = f"{exc.context} that is never closed"
        line = mark.line + 1
        return (SpecLocation(path, line, ""), f"incorrect YAML format: {problem}",
                "Close the quote or bracket opened on this line.")
    line = mark.line + 1 if mark else 0
    return SpecLocation(path, line, ""), f"incorrect YAML format: {problem}", _yaml_fix(text, line)


def yaml_error_text(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: ``line 3: expected ',' or ']'``."""
    if isinstance(exc, yaml.MarkedYAMLError):
        location, cause, _ = _yaml_problem(exc, "", Path("-"))
        return f"line {location.line}: {cause.removeprefix('incorrect YAML format: ')}"
    return str(exc).splitlines()[0]


def _yaml_fix(text: str, line: int) -> str:
    source = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    if "{{" in source:
        return "Replace the {{placeholder}} with a real value, or quote the whole value."
    if "\t" in source:
        return "Indent with spaces; YAML does not allow tabs."
    return "Check the indentation and quoting on this line and the one above it."


def _index(node: yaml.Node, here: JsonPath, lines: dict[JsonPath, int], path: Path) -> None:
    """Record the line of every mapping key and sequence item below ``node``."""
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *defaults' brings keys in; explicit ones may override them
            child = (*here, key)
            if key in seen:
                raise SpecError(SpecLocation(path, key_node.start_mark.line + 1, field_path(child)),
                                "field is written twice; YAML keeps only the last one",
                                "Remove one of the two entries.")
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _index(value_node, child, lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            child = (*here, position)
            lines[child] = item.start_mark.line + 1
            _index(item, child, lines, path)
