"""One typed, strict configuration: packaged defaults, then a user YAML file, then TRANCHE_* env.

The schema is split by concern (sections.py, settings.py); loading.py reads and validates the layers.
"""

from __future__ import annotations

from pydantic import SecretStr

from engine.config.loading import (
    ENV_PREFIX,
    ConfigError,
    format_errors,
    load_settings,
    masked_dump,
    validate_layers,
)
from engine.config.sections import (
    AlgoConfig,
    BrokerConfig,
    ExecutionConfig,
    RiskConfig,
    RouterConfig,
    Section,
    VenueConfig,
)
from engine.config.settings import (
    ConsoleConfig,
    QualityConfig,
    RecoveryConfig,
    RLConfig,
    Settings,
    SimConfig,
    StoreConfig,
)
from engine.config.signals import SignalsConfig

__all__ = [
    "ENV_PREFIX",
    "AlgoConfig",
    "BrokerConfig",
    "ConfigError",
    "ConsoleConfig",
    "ExecutionConfig",
    "QualityConfig",
    "RLConfig",
    "RecoveryConfig",
    "RiskConfig",
    "RouterConfig",
    "SecretStr",
    "SignalsConfig",
    "Section",
    "Settings",
    "SimConfig",
    "StoreConfig",
    "VenueConfig",
    "format_errors",
    "load_settings",
    "masked_dump",
    "validate_layers",
]
