"""The pydantic models of knowledge/indicators.yml: the self-check questions.

Kinds, units and threshold sources are checked across files in ``bot.kb.check_indicators``
(worded for staff).
"""

from __future__ import annotations

from typing import List, Optional

from pydantic import Field

from bot.kb.strict import Strict


class Threshold(Strict):
    op: str
    value: float
    source: Optional[str] = None


class Indicator(Strict):
    id: str
    name: str
    kind: str
    unit: Optional[str] = None
    help: str
    source: str
    threshold: Optional[Threshold] = None


class QualitativeCheck(Strict):
    id: str
    question: str
    requirement: str
    clause: str
    help: str = ""


class DirectionIndicators(Strict):
    direction: str
    checks: List[QualitativeCheck] = []
    indicators: List[Indicator] = []


class IndicatorsFile(Strict):
    common_checks: List[QualitativeCheck] = []
    directions: List[DirectionIndicators] = Field(..., min_items=1)
