"""Loading the configuration in layers (defaults, user YAML, TRANCHE_* env) with errors that name the key."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine.config.safe_yaml import YamlRefused, load_yaml
from engine.config.settings import Settings
from engine.config.store_url import has_password, mask_url

ENV_PREFIX = "TRANCHE_"


class ConfigError(ValueError):
    """A configuration problem, already phrased as `source: key.path: what was wrong`."""


def _describe(err: Any) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "expected an integer"
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type"):
        return "expected a number"
    if kind in ("bool_parsing", "bool_type"):
        return "expected true or false"
    if kind == "greater_than":
        return f"expected a number > {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"expected a number >= {ctx.get('ge')}"
    if kind == "less_than":
        return f"expected a number < {ctx.get('lt')}"
    if kind == "less_than_equal":
        return f"expected a number <= {ctx.get('le')}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}"
    if kind in ("dict_type", "model_type"):
        return "expected a mapping"
    return str(err.get("msg", "invalid value"))


def _is_positive_int_field(loc: tuple[Any, ...]) -> bool:
    model: Any = Settings
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return False
        info = fields[part]
        model = info.annotation
    ann = info.annotation
    return ann is int and any(getattr(m, "gt", None) == 0 for m in info.metadata)


def format_errors(source: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc)
        what = _describe(err)
        if err["type"] in ("int_parsing", "int_type", "greater_than") and _is_positive_int_field(
            loc
        ):
            what = "expected a positive integer"
        shown = err.get("input")
        if isinstance(shown, str) and has_password(shown):  # never echo a password back
            shown = mask_url(shown)
        got = "" if err["type"] == "extra_forbidden" else f", got {shown!r}"
        lines.append(f"{source}: {path}: {what}{got}")
    return "\n".join(lines)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}): {e.reason}") from None
    try:
        data = load_yaml(text)
    except YamlRefused as e:
        raise ConfigError(f"{path}: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{where}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    return data


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        parts = key[len(ENV_PREFIX) :].lower().split("__")
        try:
            value = load_yaml(raw) if raw != "" else ""
        except YamlRefused as e:
            raise ConfigError(f"environment {key}: {e}") from None
        except yaml.YAMLError:
            value = raw
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


def validate_layers(layers: list[tuple[str, dict[str, Any]]]) -> Settings:
    """Merge layers in order, validating each so an error names the layer that caused it."""
    merged: dict[str, Any] = {}
    for source, data in layers:
        merged = _merge(merged, data)
        try:
            Settings.model_validate(merged)
        except ValidationError as e:
            raise ConfigError(format_errors(source, e)) from None
    return Settings.model_validate(merged)


def load_settings(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """The effective settings: defaults, then `path` (or $TRANCHE_CONFIG), then TRANCHE_* env."""
    env = dict(os.environ if environ is None else environ)
    layers: list[tuple[str, dict[str, Any]]] = []
    user = path or env.get("TRANCHE_CONFIG")
    if user:
        p = Path(user)
        layers.append((p.name, _read_yaml(p)))
    overrides = _env_overrides(env)
    if overrides:
        layers.append(("environment", overrides))
    return validate_layers(layers)


def masked_dump(settings: Settings) -> dict[str, Any]:
    """Settings as JSON-ready data, with every secret masked."""
    data = settings.model_dump(mode="json")

    def mask(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: ("**********" if isinstance(v, str) and _secretish(k) and v else mask(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [mask(v) for v in node]
        return node

    return mask(data)


def _secretish(key: str) -> bool:
    k = key.lower()
    return k.endswith(("secret", "password", "api_key", "token")) and not k.endswith("_env")
