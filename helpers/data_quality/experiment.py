"""The whole comparison of notebook 13: build three same-size sets, fine-tune on each, evaluate before and after.

``python -m helpers.data_quality.experiment`` runs it (full size by default; ``--n-train``/``--steps`` change that)
and writes ``data/data_quality/reference_run.json``: the reference figures notebook 13 shows next to its own run,
labelled with their size, machine, load and date. Defined in notebook 13.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from helpers.data_quality.filters import perplexity_filter
from helpers.data_quality.generators import textbook_like, web_like
from helpers.data_quality.tenses import SYSTEM
from helpers.data_quality.training import train_lora
from helpers.env import REPO_ROOT
from helpers.evaluation.harness import EvalResult, evaluate
from helpers.evaluation.scorers import mentions_label
from helpers.i18n import _

__all__ = ["HELDOUT", "REFERENCE_RUN", "SET_NAMES", "build_sets", "load_heldout", "run_experiment"]

HELDOUT = REPO_ROOT / "data" / "data_quality" / "heldout.jsonl"
REFERENCE_RUN = REPO_ROOT / "data" / "data_quality" / "reference_run.json"
SET_NAMES = ("web-like", "textbook-like", "textbook, filtered")


def load_heldout(path: Path = HELDOUT) -> list[dict]:
    """The held-out items shipped in ``data/data_quality/heldout.jsonl``."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_sets(
    model: Any, tokenizer: Any, n: int, seed: int = 0
) -> tuple[dict[str, list[dict]], list[float], list[dict]]:
    """The three sets of ``n`` items: web-like, textbook-like, and the best ``n`` of ``2n`` textbook-like by perplexity.

    Returns ``(sets, pool_perplexities, pool)``. The textbook-like set is the first ``n`` items of the pool, so
    the filtered set differs from it only by what the filter swapped out.
    """
    pool = textbook_like(2 * n, seed=seed)
    filtered, scores = perplexity_filter(model, tokenizer, pool, keep=n)
    sets = {"web-like": web_like(n, seed=seed), "textbook-like": pool[:n], "textbook, filtered": filtered}
    return sets, scores, pool


def _summary(result: EvalResult) -> dict[str, Any]:
    low, high = result.interval
    return {"correct": result.correct, "n": result.n, "accuracy": result.accuracy, "low": low, "high": high,
            "lenient": result.extra.get("lenient")}


def _eval(model: Any, tokenizer: Any, heldout: list[dict], name: str) -> EvalResult:
    result = evaluate(model, tokenizer, heldout, SYSTEM, name=name)
    lenient = [mentions_label(a, i["tense"]) for a, i in zip(result.answers, heldout, strict=True)]
    result.extra["lenient"] = sum(lenient) / result.n
    return result


def run_experiment(model: Any, tokenizer: Any, n_train: int, steps: int, batch_size: int = 4,
                   learning_rate: float = 1e-3, seeds: tuple[int, ...] = (0,), heldout: list[dict] | None = None,
                   ) -> dict[str, Any]:
    """Evaluate the base model, then for each seed and set: fine-tune, evaluate, unload. Returns plain data."""
    heldout = heldout if heldout is not None else load_heldout()
    runs: dict[str, Any] = {"base": _summary(_eval(model, tokenizer, heldout, "base")), "runs": []}
    for seed in seeds:
        sets, _kept, _dropped = build_sets(model, tokenizer, n_train, seed=seed)
        for name, items in sets.items():
            start = time.perf_counter()
            net, losses = train_lora(model, tokenizer, items, steps=steps, batch_size=batch_size,
                                     learning_rate=learning_rate, seed=seed,
                                     desc=_("{name}, seed {seed}").format(name=name, seed=seed))
            seconds = time.perf_counter() - start
            result = _eval(net, tokenizer, heldout, name)
            model = net.unload()
            runs["runs"].append({"set": name, "seed": seed, **_summary(result), "train_s": round(seconds, 1),
                                 "first_loss": losses[0], "last_loss": losses[-1],
                                 "scores": [int(s) for s in result.scores]})
            print(result, f"(training {seconds:.0f} s)", flush=True)
    return runs


def main() -> None:
    """Run the comparison (full size by default) and write ``data/data_quality/reference_run.json``."""
    import torch

    from helpers.models import load_transformers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=64)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REFERENCE_RUN)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, tokenizer, _ = load_transformers(device="cpu")
    start = time.perf_counter()
    load = os.getloadavg()[0]
    results = run_experiment(model, tokenizer, args.n_train, args.steps, args.batch_size, args.learning_rate,
                             tuple(args.seeds))
    results["settings"] = {k: v for k, v in vars(args).items() if k != "out"}
    results["machine"] = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                          "load_at_start": round(load, 1), "load_at_end": round(os.getloadavg()[0], 1),
                          "torch": torch.__version__, "date": datetime.date.today().isoformat(),
                          "wall_s": round(time.perf_counter() - start)}
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
