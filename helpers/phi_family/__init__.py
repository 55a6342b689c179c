"""The Phi family as data: load it, do the memory arithmetic, and pick a variant for a job and a device.

The facts live in ``data/phi_family.json`` (validated by ``data/phi_family.schema.json``); this module
turns them into objects and answers two practical questions:

* How much memory do a model's weights need at fp32, fp16, int8 or int4, and how much does its KV cache
  add for a given context? (:func:`weight_gb`, :meth:`Architecture.kv_cache_bytes`)
* Which Phi variant suits this job on this device, and why? (:func:`recommend`)

>>> selection = recommend("math", memory_gb=10)      # doctest: +SKIP
>>> print(selection)                                  # doctest: +SKIP

Introduced in notebook 02.

| module | what |
|---|---|
| ``memory`` | bytes per weight, :func:`weight_gb`, :func:`memory_table`, :func:`context_label` |
| ``model`` | :class:`PhiModel`, :class:`Architecture` (KV cache, parameter counts), :class:`MoE` |
| ``data`` | :func:`load_family`, :func:`get_model`, :func:`family_table` |
| ``validation`` | :func:`consistency_problems` (what the JSON schema cannot say) |
| ``recommend`` | :func:`recommend`, :data:`COMMON_DEVICES`, :func:`estimate_memory_gb` |
"""

from helpers.phi_family.data import DATA_FILE, SCHEMA_FILE, family_table, get_model, load_family, load_family_data
from helpers.phi_family.memory import (
    BYTES_PER_PARAM,
    GB,
    bytes_per_param,
    context_label,
    memory_table,
    weight_bytes,
    weight_gb,
)
from helpers.phi_family.model import Architecture, MoE, PhiModel
from helpers.phi_family.recommend import (
    COMMON_DEVICES,
    Device,
    Recommendation,
    Selection,
    estimate_memory_gb,
    recommend,
)
from helpers.phi_family.validation import consistency_problems

__all__ = [
    "BYTES_PER_PARAM",
    "COMMON_DEVICES",
    "DATA_FILE",
    "GB",
    "SCHEMA_FILE",
    "Architecture",
    "Device",
    "MoE",
    "PhiModel",
    "Recommendation",
    "Selection",
    "bytes_per_param",
    "consistency_problems",
    "context_label",
    "estimate_memory_gb",
    "family_table",
    "get_model",
    "load_family",
    "load_family_data",
    "memory_table",
    "recommend",
    "weight_bytes",
    "weight_gb",
]
