"""The fitted scoring model: a logistic regression over the signals' features.

Each signal maps to a *feature* (``dom:vendor:piano`` -> ``dom:vendor:client``; every paid
declaration -> ``declared:paid``); a page's features are present or absent (0/1). The model's
log-odds that the served copy is walled are ``bias + sum(weight[feature])`` over the features
present, and ``p = 1 / (1 + exp(-log_odds))``. The verdict says truncated or locked when
``p >= threshold``; its confidence is ``p`` for a walled verdict and ``1 - p`` for a full one.

The numbers ship in ``weights.json`` beside this file, written by ``make train-paywall``
(:mod:`scraper.paywall.train`): fitted on the development half of the synthetic variants and the
real corpora pages, never on the held-out half. A signal whose feature has no weight is recorded
with weight 0.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from scraper.models import Signal
from scraper.paywall.boxes import markup

WEIGHTS_FILE = Path(__file__).with_name("weights.json")

_PAID = ("jsonld:isAccessibleForFree=false", "microdata:isAccessibleForFree=false",
         "rules:paid-url", "rules:declares-all-paid", "meta:content_tier=locked")
_FREE = ("jsonld:isAccessibleForFree=true", "microdata:isAccessibleForFree=true",
         "meta:content_tier=free")


def feature_of(name: str) -> str:
    """The model feature a signal name stands for."""
    if name.startswith("dom:vendor:"):
        vendor = name.rsplit(":", 1)[1]
        wall = next((v.wall for v in markup().vendors if v.name == vendor), "client")
        return f"dom:vendor:{wall}"
    if name.startswith("script:vendor:"):
        return "script:vendor"
    if name in _PAID:
        return "declared:paid"
    if name in _FREE:
        return "declared:free"
    return name


@dataclass(frozen=True)
class Model:
    bias: float
    threshold: float
    weights: dict[str, float]
    info: dict[str, object]

    def log_odds(self, features: set[str]) -> float:
        return self.bias + sum(self.weights.get(f, 0.0) for f in features)

    def probability(self, features: set[str]) -> float:
        z = max(-30.0, min(30.0, self.log_odds(features)))
        return 1.0 / (1.0 + math.exp(-z))

    def weigh(self, found: list[Signal]) -> tuple[list[Signal], set[str]]:
        """The signals with their fitted weights (a feature counts once: repeats weigh 0)."""
        out: list[Signal] = []
        features: set[str] = set()
        for s in found:
            feature = feature_of(s.name)
            weight = 0.0 if feature in features else self.weights.get(feature, 0.0)
            features.add(feature)
            out.append(Signal(s.name, s.detail, round(weight, 3)))
        return out, features


def load_model(path: Path = WEIGHTS_FILE) -> Model:
    data = json.loads(path.read_text(encoding="utf-8"))
    weights = data.get("weights")
    if not isinstance(weights, dict) or not all(isinstance(v, (int, float)) for v in weights.values()):
        raise ValueError(f"{path.name}: 'weights' must map feature names to numbers")
    threshold = float(data.get("threshold", 0.5))
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"{path.name}: 'threshold' must be between 0 and 1")
    return Model(float(data["bias"]), threshold, {k: float(v) for k, v in weights.items()},
                 {k: v for k, v in data.items() if k not in ("bias", "threshold", "weights")})


@lru_cache(maxsize=1)
def model() -> Model:
    return load_model()
