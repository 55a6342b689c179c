"""SLM Lab helpers: the small library every notebook imports.

Imports are light: heavy libraries (torch, transformers, onnxruntime-genai) load inside the functions
that need them, so ``import helpers`` is instant.
"""

from helpers.device import DeviceChoice, pick_device
from helpers.env import Secret, get_env, get_required_env, get_secret
from helpers.errors import CourseError
from helpers.notebook import setup_notebook
from helpers.timing import GenerationStats, PeakMemory, Timer, measure_stream

__all__ = [
    "CourseError",
    "DeviceChoice",
    "GenerationStats",
    "PeakMemory",
    "Secret",
    "Timer",
    "get_env",
    "get_required_env",
    "get_secret",
    "measure_stream",
    "pick_device",
    "setup_notebook",
]
