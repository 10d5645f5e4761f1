"""A real HTTP stand-in for OpenRouter on loopback: chat completions (JSON and SSE), the
/models catalog, Pareto Router resolution on a shifting frontier, and injectable faults."""

from openrouter_sim.catalog import ModelInfo
from openrouter_sim.default_schedule import default_schedule
from openrouter_sim.faults import Fault
from openrouter_sim.frontier import Band, Epoch, FrontierSchedule, MaxPrice, band_for_score
from openrouter_sim.recording import RecordedRequest
from openrouter_sim.server import SimServer

__all__ = [
    "Band",
    "Epoch",
    "Fault",
    "FrontierSchedule",
    "MaxPrice",
    "ModelInfo",
    "RecordedRequest",
    "SimServer",
    "band_for_score",
    "default_schedule",
]
