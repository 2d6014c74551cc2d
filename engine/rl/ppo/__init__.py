"""Deep RL on Ray RLlib (PPO): training, export to the lookup table, and Ray fan-out.

Modules here may import torch and ray (the `train` extra); nothing the runtime loads imports them
(an import-linter contract and a subprocess test hold that)."""
