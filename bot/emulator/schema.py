"""The Bot API schema: build the compact copy, and validate calls and objects against it.

``botapi.json`` is derived from the telegram-bot-api-spec project's ``api.json`` (MIT, see
``LICENSE-telegram-bot-api-spec``). Regenerate it with::

    python -m bot.emulator.schema path/to/api.json bot/emulator/botapi.json

Compact format: ``{"version": str, "methods": {name: {"fields": F, "returns": [type]}},
"types": {name: {"fields": F} | {"subtypes": [type]}}}`` where ``F`` maps a field name to
``[[type, ...], required]``. Subtypes of abstract types carry ``"tag": [field, value]``, the
discriminator (e.g. ``["status", "creator"]``) taken from the spec's "always ..." wording.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("botapi.json")

_TAG_FIELDS = ("type", "status", "source")
_TAG_RE = re.compile(r"(?:always|must be) [\"“]?([a-z0-9_]+)")
_INT_RE = re.compile(r"-?\d+")
_ARRAY = "Array of "
_ATTACH = "attach://"
_SCALARS = frozenset({"Integer", "Float", "String", "Boolean", "True", "InputFile"})

FieldSpec = tuple[list[str], bool]


class SchemaError(ValueError):
    """A value does not match the Bot API schema; ``str()`` is a precise description."""


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart/form-data request."""

    filename: str
    content_type: str
    data: bytes


# --- building the compact schema ---------------------------------------------------------


def _compact_fields(fields: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    return {f["name"]: [list(f["types"]), bool(f["required"])] for f in fields}


def _tag(spec: Mapping[str, Any]) -> list[str] | None:
    fields = spec.get("fields") or []
    if not fields or fields[0]["name"] not in _TAG_FIELDS:
        return None
    match = _TAG_RE.search(fields[0].get("description", ""))
    return [fields[0]["name"], match.group(1)] if match else None


def build(source: Mapping[str, Any]) -> dict[str, Any]:
    """Derive the compact schema (names, types, required flags) from the full spec."""
    methods = {
        name: {"fields": _compact_fields(spec.get("fields", [])), "returns": spec["returns"]}
        for name, spec in source["methods"].items()
    }
    types: dict[str, Any] = {}
    for name, spec in source["types"].items():
        if "subtypes" in spec:
            types[name] = {"subtypes": list(spec["subtypes"])}
            continue
        entry: dict[str, Any] = {"fields": _compact_fields(spec.get("fields", []))}
        tag = _tag(spec) if spec.get("subtype_of") else None
        if tag:
            entry["tag"] = tag
        types[name] = entry
    return {"version": source.get("version", ""), "methods": methods, "types": types}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.emulator.schema SOURCE.json OUT.json``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m bot.emulator.schema SOURCE.json OUT.json", file=sys.stderr)
        return 2
    source = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    text = json.dumps(build(source), separators=(",", ":"), ensure_ascii=False)
    Path(args[1]).write_text(text + "\n", encoding="utf-8")
    return 0


# --- validation --------------------------------------------------------------------------


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class Schema:
    """Validates Bot API method parameters and objects against the compact schema."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data.get("version", "")
        self._methods: dict[str, Any] = dict(data["methods"])
        self._types: dict[str, Any] = dict(data["types"])
        self._lower = {name.lower(): name for name in self._methods}

    @classmethod
    def load(cls, path: Path | str | None = None) -> Schema:
        """Load a compact schema file (default: the bundled ``botapi.json``, cached)."""
        if path is None:
            return _default_schema()
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    # -- lookups --

    def method_name(self, name: str) -> str | None:
        """The canonical method name; Telegram matches method names case-insensitively."""
        return self._lower.get(name.lower())

    def method_fields(self, method: str) -> dict[str, FieldSpec]:
        return {k: (v[0], v[1]) for k, v in self._methods[method]["fields"].items()}

    def returns(self, method: str) -> list[str]:
        return list(self._methods[method]["returns"])

    def type_fields(self, type_name: str) -> dict[str, FieldSpec]:
        return {k: (v[0], v[1]) for k, v in self._types[type_name].get("fields", {}).items()}

    def required_fields(self, type_name: str) -> list[str]:
        return [name for name, (_, req) in self.type_fields(type_name).items() if req]

    # -- method calls --

    def parse_params(
        self,
        method: str,
        form: Mapping[str, str],
        files: Mapping[str, UploadedFile] | None = None,
    ) -> dict[str, Any]:
        """Decode form values (JSON-encoded non-strings) and check them against ``method``.

        File parts are either a field's value (part name = field name) or referenced from
        a field with ``attach://<part name>``.
        """
        files = dict(files or {})
        spec = self.method_fields(method)
        used: set[str] = set()
        out: dict[str, Any] = {}
        for name in list(form) + [n for n in files if n in spec and n not in form]:
            if name not in spec:
                raise SchemaError(f"{method}: unknown parameter '{name}'")
            types = spec[name][0]
            if name in files and name not in form:
                out[name] = self._file_part(types, files[name], _join(method, name))
                used.add(name)
            else:
                out[name] = self._parse_form_value(types, form[name], _join(method, name))
        for name, (_, required) in spec.items():
            if required and name not in out:
                raise SchemaError(f"{method}: parameter '{name}' is required")
        for name, value in out.items():
            if not set(spec[name][0]) <= _SCALARS - {"InputFile"}:
                out[name] = _resolve_attachments(value, files, used)
        unused = sorted(set(files) - used)
        if unused:
            raise SchemaError(f"{method}: file part '{unused[0]}' is not used by any parameter")
        return out

    def _file_part(self, types: Sequence[str], part: UploadedFile, path: str) -> UploadedFile:
        if "InputFile" not in types:
            raise SchemaError(f"{path}: expected {' or '.join(types)}, got an uploaded file")
        return part

    def _parse_form_value(self, types: Sequence[str], raw: str, path: str) -> Any:
        errors: list[str] = []
        for type_expr in types:
            try:
                return self._parse_form_single(type_expr, raw, path)
            except SchemaError as exc:
                errors.append(str(exc))
        raise SchemaError(
            errors[0] if len(errors) == 1 else _union_error(types, raw, path, errors)
        )

    def _parse_form_single(self, type_expr: str, raw: str, path: str) -> Any:
        if type_expr in ("String", "InputFile"):
            return raw
        if type_expr == "Integer":
            if not _INT_RE.fullmatch(raw.strip()):
                raise SchemaError(f"{path}: expected Integer, got {_describe(raw)}")
            return int(raw)
        if type_expr == "Float":
            try:
                return float(raw)
            except ValueError:
                raise SchemaError(f"{path}: expected Float, got {_describe(raw)}") from None
        if type_expr in ("Boolean", "True"):
            value = {"true": True, "1": True, "false": False, "0": False}.get(raw.strip().lower())
            if value is None or (type_expr == "True" and value is not True):
                raise SchemaError(f"{path}: expected {type_expr}, got {_describe(raw)}")
            return value
        try:
            decoded = json.loads(raw)
        except ValueError:
            raise SchemaError(
                f"{path}: expected JSON for {type_expr}, got {_describe(raw)}"
            ) from None
        return self.check(type_expr, decoded, path)

    # -- JSON values --

    def validate(self, types: str | Sequence[str], value: Any, path: str = "") -> Any:
        """Check a JSON value against a type expression or a union of them; return it."""
        union = [types] if isinstance(types, str) else list(types)
        path = path or " or ".join(union)
        if len(union) == 1:
            return self.check(union[0], value, path)
        errors: list[str] = []
        for type_expr in union:
            try:
                return self.check(type_expr, value, path)
            except SchemaError as exc:
                errors.append(str(exc))
        raise SchemaError(_union_error(union, value, path, errors))

    def check(self, type_expr: str, value: Any, path: str) -> Any:
        """Check a JSON value against one type expression (``Array of X``, scalar or object)."""
        if type_expr.startswith(_ARRAY):
            if not isinstance(value, list):
                raise SchemaError(f"{path}: expected {type_expr}, got {_describe(value)}")
            item = type_expr[len(_ARRAY) :]
            return [self.check(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        if type_expr in _SCALARS:
            return _check_scalar(type_expr, value, path)
        spec = self._types.get(type_expr)
        if spec is None:
            raise SchemaError(f"{path}: unknown type {type_expr}")
        if "subtypes" in spec:
            return self._check_abstract(type_expr, spec["subtypes"], value, path)
        return self._check_object(type_expr, value, path)

    def _check_object(self, type_name: str, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise SchemaError(f"{path}: expected {type_name} object, got {_describe(value)}")
        spec = self._types[type_name]
        fields = spec.get("fields", {})
        for name in value:
            if name not in fields:
                raise SchemaError(f"{path}: unknown field '{name}' for {type_name}")
        tag = spec.get("tag")
        if tag and value.get(tag[0]) != tag[1]:
            got = _describe(value.get(tag[0]))
            raise SchemaError(f"{path}.{tag[0]}: must be '{tag[1]}' for {type_name}, got {got}")
        for name, (types, required) in fields.items():
            if name not in value:
                if required:
                    raise SchemaError(f"{path}: missing required field '{name}' of {type_name}")
                continue
            self.validate(types, value[name], f"{path}.{name}")
        return value

    def _check_abstract(self, name: str, subtypes: Sequence[str], value: Any, path: str) -> Any:
        tagged = {
            tuple(self._types[s]["tag"]): s for s in subtypes if "tag" in self._types.get(s, {})
        }
        if isinstance(value, dict) and tagged:
            tag_field = next(iter(tagged))[0]
            if tag_field not in value and len(tagged) == len(subtypes):
                raise SchemaError(f"{path}: missing required field '{tag_field}' of {name}")
            chosen = tagged.get((tag_field, value.get(tag_field)))
            if chosen is not None:
                return self.check(chosen, value, path)
            if len(tagged) == len(subtypes):
                allowed = ", ".join(repr(t[1]) for t in tagged)
                got = _describe(value.get(tag_field))
                raise SchemaError(f"{path}.{tag_field}: {got} is not one of {allowed} ({name})")
        return self.validate(subtypes, value, path)


def _check_scalar(type_expr: str, value: Any, path: str) -> Any:
    ok = {
        "Integer": isinstance(value, int) and not isinstance(value, bool),
        "Float": isinstance(value, int | float) and not isinstance(value, bool),
        "String": isinstance(value, str),
        "Boolean": isinstance(value, bool),
        "True": value is True,
        "InputFile": isinstance(value, UploadedFile),
    }[type_expr]
    if not ok:
        raise SchemaError(f"{path}: expected {type_expr}, got {_describe(value)}")
    return value


def _union_error(types: Sequence[str], value: Any, path: str, errors: Sequence[str]) -> str:
    # Errors from inside an alternative (e.g. a bad field of InlineKeyboardMarkup) say more
    # than "expected A or B"; plain type mismatches do not.
    shallow = f"{path}: expected "
    deep = [e for e in errors if not e.startswith(shallow)]
    if len(deep) == 1:
        return deep[0]
    detail = f" ({'; '.join(deep)})" if deep else ""
    return f"{path}: expected {' or '.join(types)}, got {_describe(value)}{detail}"


def _resolve_attachments(value: Any, files: Mapping[str, UploadedFile], used: set[str]) -> Any:
    """Replace ``attach://name`` strings inside decoded parameters with the uploaded part."""
    if isinstance(value, str) and value.startswith(_ATTACH):
        name = value[len(_ATTACH) :]
        if name not in files:
            raise SchemaError(f"no file part '{name}' for '{value}'")
        used.add(name)
        return files[name]
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _resolve_attachments(item, files, used)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = _resolve_attachments(item, files, used)
    return value


@cache
def _default_schema() -> Schema:
    return Schema(json.loads(DEFAULT_PATH.read_text(encoding="utf-8")))


if __name__ == "__main__":
    raise SystemExit(main())
