"""Mixture of Experts, built offline: sparse upcycling of the default model into a Mixtral-architecture MoE.

A Mixture-of-Experts (MoE) layer replaces a transformer block's one feed-forward network (MLP) with
several copies, the *experts*, and a small *router* that picks ``top_k`` of them for every token.
All experts must sit in memory, but each token only runs through ``top_k`` of them: a model's
*total* parameters set its memory, its *active* parameters set the compute per token.

No MoE model is on the package index, so the course builds one from the default dense model
(SmolLM2-135M, a Llama architecture) by *sparse upcycling*:

1. every expert starts as a copy of the dense MLP (plus a little symmetry-breaking noise, so the
   experts differ; real upcycling then keeps training, which this course does not);
2. each layer's router is initialised from k-means centroids of the hidden states that reach that
   MLP on a short calibration text, so similar tokens go to the same experts;
3. the attention, norms and embeddings are kept as they are.

The result is a real ``MixtralForCausalLM`` (Mixtral and Phi-3.5-MoE share this design: top-2
routing over SwiGLU experts). With identical experts (``noise=0``) it computes exactly what the dense
model computes, whatever the router does: the router's two weights add up to one.

For a fair speed comparison the build also writes the *dense twin*: a plain Llama whose MLP is
``top_k`` times wider (each neuron duplicated, the output halved), so it has exactly the MoE's
active parameters and computes the same function as the original dense model.

Both are stored in bfloat16 to halve their memory (the default MoE: 747 MB instead of 1.5 GB). On a CPU
without native bfloat16 instructions (the course's AMD Zen 3 build machine, for one), bfloat16 is
about as fast as float32 when generating token by token, but several times slower on long prompts.

Run ``python -m helpers.moe`` to build both into the git-ignored cache (idempotent, about a minute),
and ``python -m helpers.moe --benchmark`` to print the MoE/dense comparison.

Introduced in notebook 09.

| module | what |
|---|---|
| ``params`` | :class:`ParamCount`, :func:`param_count`, Phi-3.5-MoE's counts |
| ``upcycle`` | :func:`upcycle` (dense -> MoE) and :func:`dense_twin` |
| ``build`` | :class:`MoEBuild`, :func:`prepare_moe` (the cache), :func:`load_built` |
| ``routing`` | :class:`RouterTrace`, :func:`route` |
| ``benchmark`` | :func:`benchmark` through :func:`helpers.bench.run_benchmark` |

The figures are in :mod:`helpers.plots.moe`.
"""

from helpers.moe.benchmark import BuiltBackend, benchmark, format_table
from helpers.moe.build import DTYPES, MoEBuild, load_built, prepare_moe
from helpers.moe.params import PHI35_MOE, ParamCount, param_count, phi35_moe_param_count
from helpers.moe.routing import RouterTrace, route
from helpers.moe.upcycle import CALIBRATION_TEXTS, NOISE, ROUTER_SHARPNESS, dense_twin, mixtral_config, upcycle

__all__ = [
    "CALIBRATION_TEXTS",
    "DTYPES",
    "NOISE",
    "PHI35_MOE",
    "ROUTER_SHARPNESS",
    "BuiltBackend",
    "MoEBuild",
    "ParamCount",
    "RouterTrace",
    "benchmark",
    "dense_twin",
    "format_table",
    "load_built",
    "mixtral_config",
    "param_count",
    "phi35_moe_param_count",
    "prepare_moe",
    "route",
    "upcycle",
]
