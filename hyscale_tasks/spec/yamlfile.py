"""Safe YAML loading that remembers the line of every field, so errors can point at it.

Loading is bounded: specs come from pull requests and CI runs them, so a file over
:data:`MAX_YAML_BYTES`, a document whose aliases expand past :data:`MAX_VALUES` values (a
"billion laughs" bomb of a few hundred bytes), one nested deeper than :data:`MAX_DEPTH`, or an
alias inside its own anchor is refused from the composed node graph, before anything walks
the expanded tree (our line index, the schema validator, the JSON records would each take
exponential time and memory on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hyscale_tasks.errors import SpecError, SpecLocation, field_path
from hyscale_tasks.spec.reading import (
    IS_A_DIRECTORY,
    NOT_FOUND,
    MiB,
    human_size,
    os_problem,
    problem,
    read_bounded,
)

try:  # libyaml is several times faster; PyYAML's wheels ship it, a source build may not.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

JsonPath = tuple[str | int, ...]

# A spec or profile holds a few KiB; its props end in a ConfigMap that Kubernetes caps at 1 MiB.
MAX_YAML_BYTES = MiB
# Values (scalars, lists, mappings, keys) once aliases are expanded: a large real spec has a
# few thousand. Bounds what every later walk of the data costs.
MAX_VALUES = 100_000
MAX_DEPTH = 100


class YamlBoundsError(yaml.MarkedYAMLError):
    """Well-formed YAML that is too big, too deep or recursive to be a spec; carries its fix."""

    def __init__(self, node: yaml.Node, where: JsonPath, problem: str, fix: str) -> None:
        super().__init__(problem=problem, problem_mark=node.start_mark)
        self.where = where
        self.fix = fix


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
    raw = _read(path, what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise SpecError(SpecLocation(path, line, ""), f"{what} file is not UTF-8 text ({exc.reason})",
                        "Save the file as UTF-8.") from None
    return parse_mapping(text, path, what)


def _read(path: Path, what: str) -> bytes:
    found = problem(path)
    if found is None:
        try:
            raw, size = read_bounded(path, MAX_YAML_BYTES)
        except OSError as exc:
            found = os_problem(exc, path)
        else:
            if size <= MAX_YAML_BYTES:
                return raw
            raise SpecError(SpecLocation(path, 0, ""),
                            f"{what} file is {human_size(size)}, more than the "
                            f"{human_size(MAX_YAML_BYTES)} a spec or profile may have",
                            "Keep big content out of the spec: put it in a file the spec names "
                            "with file(...), or in the image as an artifact.")
    state, fix = found
    if state == NOT_FOUND:
        raise SpecError(SpecLocation(path, 0, ""), f"{what} file not found", fix)
    if state == IS_A_DIRECTORY:
        raise SpecError(SpecLocation(path, 0, ""), f"{what} path is a directory, not a file",
                        f"Name the {what} file itself, e.g. web.hspec.")
    raise SpecError(SpecLocation(path, 0, ""), f"{what} file {state}", fix)


def quick_load(path: Path) -> dict[str, Any]:
    """The mapping in ``path``, or {} when it cannot be read, parsed, or is out of bounds.

    For task loading (``doit list`` included), which must stay fast and never fail on a bad
    spec: the ``spec`` stage reports the problem, located, with :func:`load_mapping`.
    """
    if problem(path) is not None:
        return {}
    try:
        raw, size = read_bounded(path, MAX_YAML_BYTES)
        if size > MAX_YAML_BYTES:
            return {}
        documents = load_documents(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return {}
    return documents[0] if len(documents) == 1 and isinstance(documents[0], dict) else {}


def load_documents(text: str, loader_class: Any = None) -> list[Any]:
    """Every document of a YAML stream (a k8s snippet may hold several), bounds checked.

    ``loader_class`` defaults to libyaml's; PyYAML's own SafeLoader words some errors better
    (where an unclosed bracket was opened) and is fast enough for small files.
    """
    loader = (loader_class or _Loader)(text)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            check_bounds(node)
            documents.append(loader.construct_document(node))
        return documents
    except RecursionError:  # the pure-Python parser, on nesting libyaml refuses at 1000 levels
        raise yaml.YAMLError(f"values nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def check_bounds(root: yaml.Node) -> None:
    """Raise :class:`YamlBoundsError` when ``root``, aliases expanded, has more than
    :data:`MAX_VALUES` values, nests deeper than :data:`MAX_DEPTH`, or contains itself.

    Works on the node graph, where an alias is a shared node: each node is visited once, so the
    check costs what the text costs, however far the aliases would expand.
    """
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    entered: set[int] = set()  # nodes on the current path from the root
    stack: list[tuple[yaml.Node, JsonPath, bool]] = [(root, (), False)]
    while stack:
        node, where, finished = stack.pop()
        key = id(node)
        children = _children(node, where)
        if finished:
            entered.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child, _ in children)
            depths[key] = 1 + max((depths[id(child)] for child, _ in children), default=0)
            if sizes[key] > MAX_VALUES:
                raise _too_many(node, where, len(sizes))
            if depths[key] > MAX_DEPTH:
                # The deepest node is reported first: name the top field it is under.
                raise YamlBoundsError(node, where[:1], f"values nested more than {MAX_DEPTH} levels deep",
                                      "Flatten the structure: a service spec nests a few levels.")
            continue
        if key in sizes:
            continue
        if key in entered:
            raise YamlBoundsError(node, where, "a YAML alias refers to the value that contains it "
                                  "(the value would be infinite)",
                                  "Remove the *alias that points back into its own &anchor.")
        entered.add(key)
        stack.append((node, where, True))
        # Reversed, so the document is walked in reading order and paths are the first route.
        stack.extend((child, path, False) for child, path in reversed(children)
                     if id(child) not in sizes)


def _children(node: yaml.Node, where: JsonPath) -> list[tuple[yaml.Node, JsonPath]]:
    """The nodes right below ``node``, each with its path (a mapping key: the mapping's)."""
    if isinstance(node, yaml.MappingNode):
        found: list[tuple[yaml.Node, JsonPath]] = []
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            found += [(key, where), (value, (*where, name))]
        return found
    if isinstance(node, yaml.SequenceNode):
        return [(item, (*where, index)) for index, item in enumerate(node.value)]
    return []


def _too_many(node: yaml.Node, where: JsonPath, distinct: int) -> YamlBoundsError:
    if distinct <= MAX_VALUES:  # few values written, many once expanded: aliases repeat them
        return YamlBoundsError(node, where, f"YAML aliases expand this value to more than {MAX_VALUES} "
                               "values (an alias bomb?)",
                               "Write the values out instead of repeating them through "
                               "*aliases: a service spec needs a few hundred values.")
    return YamlBoundsError(node, where, f"the document holds more than {MAX_VALUES} values",
                           "Keep big content out of the spec: put it in a file the spec names "
                           "with file(...).")


def _first_lines(what: str) -> str:
    if what == "profile":
        return "'environment: <profile>' and 'overrides: <service>'"
    return "'name: <service>'"


def parse_mapping(text: str, path: Path, what: str) -> YamlDocument:
    """Parse ``text`` (the content of ``path``) as a YAML mapping with line numbers."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            check_bounds(node)
        if node is None:
            raise SpecError(SpecLocation(path, 1, ""), f"{what} file is empty",
                            f"Write the {what} as a YAML mapping, starting with {_first_lines(what)}.")
        lines: dict[JsonPath, int] = {}
        _index(node, (), lines, path)  # before construction flattens '<<' merges into the node
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise SpecError(*_yaml_problem(exc, text, path)) from None
    except RecursionError:  # the pure-Python parser, on nesting libyaml refuses at 1000 levels
        raise SpecError(SpecLocation(path, 0, ""), f"values nested more than {MAX_DEPTH} levels deep",
                        "Flatten the structure: a service spec nests a few levels.") from None
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
    if isinstance(exc, YamlBoundsError):
        mark = exc.problem_mark
        return SpecLocation(path, mark.line + 1 if mark else 0, field_path(exc.where)), \
            str(exc.problem), exc.fix
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
