"""Server-side input validation driven by botocore's SSM service model.

botocore only checks ``required`` and ``min`` client-side; the real service also enforces
``max``, ``pattern``, ``enum`` and list counts and answers HTTP 400 ValidationException.
Doing it generically from the model keeps the endpoint honest for every operation it serves.
"""

import functools
import re
from typing import Any

from moto.core.utils import get_service_model

from .errors import ValidationException


def service_model() -> Any:
    """The SSM service model: moto's, which its responses use too (loaded once; server.py loads it before serving)."""
    return get_service_model("ssm")


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """Compile a model pattern; Java-only syntax (e.g. ``\\p{L}``) is skipped."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _check_scalar(shape: Any, value: Any, path: str, errors: list[str]) -> None:
    meta = shape.metadata
    fail = f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must "
    if shape.type_name == "string" and isinstance(value, str):
        if "min" in meta and len(value) < meta["min"]:
            errors.append(fail + f"have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            errors.append(fail + f"have length less than or equal to {meta['max']}")
        compiled = _compiled(meta["pattern"]) if "pattern" in meta else None
        if compiled is not None and not compiled.fullmatch(value):
            errors.append(fail + f"satisfy regular expression pattern: {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            errors.append(fail + f"satisfy enum value set: [{', '.join(shape.enum)}]")
    elif shape.type_name in ("integer", "long") and isinstance(value, int):
        if "min" in meta and value < meta["min"]:
            errors.append(fail + f"have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            errors.append(fail + f"have value less than or equal to {meta['max']}")


def _walk(shape: Any, value: Any, path: str, errors: list[str]) -> None:
    if value is None:
        return
    if shape.type_name == "structure" and isinstance(value, dict):
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append(f"Value null at '{_join(path, name)}' failed to satisfy constraint: Member must not be null")
        for name, member in shape.members.items():
            if name in value:
                _walk(member, value[name], _join(path, name), errors)
    elif shape.type_name == "list" and isinstance(value, list):
        meta = shape.metadata
        if "min" in meta and len(value) < meta["min"]:
            errors.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to {meta['max']}")
        for index, item in enumerate(value, start=1):
            _walk(shape.member, item, f"{path}.{index}.member", errors)
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            _walk(shape.key, key, f"{path}.key", errors)
            _walk(shape.value, item, f"{path}.{key}.value", errors)
    else:
        _check_scalar(shape, value, path, errors)


def _join(path: str, name: str) -> str:
    return f"{path}.{_camel(name)}" if path else _camel(name)


def validation_errors(operation: str, params: dict[str, Any]) -> list[str]:
    """All constraint violations of ``params`` against the operation's input shape."""
    shape = service_model().operation_model(operation).input_shape
    errors: list[str] = []
    if shape is not None:
        _walk(shape, params, "", errors)
    return errors


def validate(operation: str, params: dict[str, Any]) -> None:
    """Raise ValidationException worded like AWS if ``params`` violate the model."""
    errors = validation_errors(operation, params)
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise ValidationException(f"{len(errors)} validation {noun} detected: " + "; ".join(errors))
