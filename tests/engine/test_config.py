"""Configuration: root config.yaml in sync with the schema, layering, errors, masked secrets."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from console.cli import main
from engine.config import ConfigError, Settings, load_settings

ROOT_CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


def schema_keys(
    model: type[BaseModel], prefix: str = ""
) -> list[tuple[str, type[BaseModel] | None]]:
    """Every key path of the schema; list-of-model fields also yield their item model."""
    out: list[tuple[str, type[BaseModel] | None]] = []
    for name, info in model.model_fields.items():
        ann = info.annotation
        path = f"{prefix}{name}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(schema_keys(ann, f"{path}."))
            continue
        item = next(
            (
                a
                for a in getattr(ann, "__args__", ())
                if isinstance(a, type) and issubclass(a, BaseModel)
            ),
            None,
        )
        out.append((path, item))
    return out


def test_root_config_yaml_loads_to_exactly_the_schema_defaults() -> None:
    assert load_settings(ROOT_CONFIG, environ={}) == Settings()


def test_every_schema_key_is_written_and_commented_in_root_config_yaml() -> None:
    text = ROOT_CONFIG.read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    lines = text.splitlines()
    missing, undocumented = [], []
    for path, item_model in schema_keys(Settings):
        node: Any = data
        for part in path.split("."):
            node = node.get(part, KeyError) if isinstance(node, dict) else KeyError
        if node is KeyError:
            missing.append(path)
            continue
        parts = path.split(".")
        if len(parts) == 2:  # section.key: the line above the key must be its comment
            start = lines.index(f"{parts[0]}:")
            idx = next(i for i in range(start, len(lines)) if lines[i].startswith(f"  {parts[1]}:"))
            if not lines[idx - 1].lstrip().startswith("#"):
                undocumented.append(path)
        if item_model is not None:  # list entries: each key shown in the commented example
            for sub in item_model.model_fields:
                if not re.search(rf"#\s+(- )?{re.escape(sub)}:", text):
                    missing.append(f"{path}[].{sub} (in the commented example)")
    assert not missing, f"config.yaml lacks these schema keys; add each with a comment: {missing}"
    assert not undocumented, f"config.yaml keys without a comment line above them: {undocumented}"


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_env_overrides_the_defaults() -> None:
    env = {"TRANCHE_BROKER__PROVIDER": "paper", "TRANCHE_ROUTER__TWAP_NUM_SLICES": "10"}
    s = load_settings(environ=env)
    assert s.broker.provider == "paper" and s.router.twap_num_slices == 10
    assert s.router.twap_interval_seconds == 60.0  # untouched keys keep their default


def test_tranche_config_names_the_user_file_and_env_beats_it(tmp_path: Path) -> None:
    p = write(tmp_path, "router:\n  twap_num_slices: 7\n  twap_interval_seconds: 30\n")
    s = load_settings(environ={"TRANCHE_CONFIG": str(p)})
    assert (s.router.twap_num_slices, s.router.twap_interval_seconds) == (7, 30.0)
    s = load_settings(environ={"TRANCHE_CONFIG": str(p), "TRANCHE_ROUTER__TWAP_NUM_SLICES": "9"})
    assert (s.router.twap_num_slices, s.router.twap_interval_seconds) == (9, 30.0)


def test_explicit_config_path_wins_over_tranche_config(tmp_path: Path) -> None:
    env_file = write(tmp_path, "router:\n  twap_num_slices: 7\n", "env.yaml")
    flag_file = write(tmp_path, "router:\n  twap_num_slices: 3\n", "flag.yaml")
    s = load_settings(flag_file, environ={"TRANCHE_CONFIG": str(env_file)})
    assert s.router.twap_num_slices == 3


def test_wrong_type_names_file_and_key_path_exactly(tmp_path: Path) -> None:
    p = write(tmp_path, "router:\n  twap_num_slices: five\n")
    with pytest.raises(ConfigError) as e:
        load_settings(p, environ={})
    assert (
        str(e.value)
        == "config.yaml: router.twap_num_slices: expected a positive integer, got 'five'"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("router:\n  twap_slices: 5\n", "config.yaml: router.twap_slices: unknown key"),
        ("routing:\n  twap_num_slices: 5\n", "config.yaml: routing: unknown key"),
        (
            "router:\n  twap_num_slices: 0\n",
            "config.yaml: router.twap_num_slices: expected a positive integer",
        ),
        ("broker:\n  provider: nyse\n", "config.yaml: broker.provider: expected one of"),
        (
            "risk:\n  max_child_notional: lots\n",
            "config.yaml: risk.max_child_notional: expected a number",
        ),
    ],
)
def test_bad_file_values_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_settings(write(tmp_path, text), environ={})
    assert str(e.value).startswith(expected)


def test_bad_env_value_names_the_environment_and_key() -> None:
    with pytest.raises(ConfigError) as e:
        load_settings(environ={"TRANCHE_ROUTER__TWAP_NUM_SLICES": "five"})
    assert str(e.value).startswith(
        "environment: router.twap_num_slices: expected a positive integer"
    )


def test_cli_config_error_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = write(tmp_path, "router:\n  twap_num_slices: five\n")
    assert main(["config", "--config", str(p), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "tranche config: config.yaml: router.twap_num_slices: expected a positive integer, got 'five'\n"
    )


def test_config_json_masks_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)
    monkeypatch.setenv("TRANCHE_BROKER__PROVIDER", "ccxt")
    p = write(
        tmp_path,
        "broker:\n"
        "  venues:\n"
        "    - name: TEST\n"
        "      exchange: binance\n"
        "      api_key_env: BINANCE_KEY\n"
        "      options: {secret: hunter2-secret-value, api_key: k3y-value, recvWindow: 5000}\n",
    )
    assert main(["config", "--config", str(p), "--json"]) == 0
    out = capsys.readouterr().out
    assert "hunter2-secret-value" not in out and "k3y-value" not in out
    d = json.loads(out)
    venue = d["broker"]["venues"][0]
    assert venue["options"]["secret"] == venue["options"]["api_key"] == "**********"
    assert venue["options"]["recvWindow"] == 5000
    assert venue["api_key_env"] == "BINANCE_KEY"  # the variable's name is not a secret
    assert d["broker"]["provider"] == "ccxt"
