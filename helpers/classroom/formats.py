"""Other weight formats of the course's GGUF for the class server: ``serve --weights q8_0`` (or ``q4_0``, ``f16``).

The course ships SmolLM2-135M-Instruct as Q4_1. llama.cpp decoded a batch of learners' requests faster on the
build machine's CPU in Q4_0 or Q8_0, and slower in F16 (measured: ``docs/instructors.md``, section 3), so
``serve`` can convert the shipped file once, offline, with the ``gguf`` package (llama.cpp's own Python library):
every 2-D weight is dequantized and quantized again; norms, metadata, tokenizer and chat template are copied
unchanged. Q8_0 and F16 keep the Q4_1 values almost exactly; Q4_0 quantizes them a second time.

By hand: ``python -m helpers.classroom.formats q8_0`` prints the converted file's path.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["WEIGHTS", "converted_gguf"]

#: ``--weights`` choices: the shipped file, then the formats it can be converted to.
WEIGHTS = ("q4_1", "q8_0", "q4_0", "f16")


def converted_gguf(weights: str, source: Path | None = None, folder: Path | None = None) -> Path:
    """The course's GGUF in ``weights`` format, converted on first use and cached (about 5 s).

    Args:
        weights: One of :data:`WEIGHTS`; ``"q4_1"`` returns the shipped file itself.
        source: The GGUF file to convert (default: the course model's).
        folder: Where converted files are kept (default: ``<cache>/gguf``).

    Raises:
        CourseError: An unknown format.

    """
    from helpers.models import default_gguf_path
    from helpers.models.registry import cache_dir

    weights = weights.lower()
    if weights not in WEIGHTS:
        raise CourseError(_(
            "Unknown weight format {weights!r}: use one of {choices}."
        ).format(weights=weights, choices=", ".join(WEIGHTS)))
    source = Path(source) if source else default_gguf_path()
    if weights == "q4_1":
        return source
    folder = Path(folder) if folder else cache_dir() / "gguf"
    target = folder / f"{source.name.rsplit('.', 2)[0]}.{weights.upper()}.gguf"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    try:
        _convert(source, partial, weights)
        partial.replace(target)  # only a complete file gets the final name
    finally:
        partial.unlink(missing_ok=True)
    return target


def _convert(source: Path, target: Path, weights: str) -> None:
    import gguf
    import numpy as np
    from gguf import GGMLQuantizationType as Q

    kind = {"q8_0": Q.Q8_0, "q4_0": Q.Q4_0, "f16": Q.F16}[weights]
    file_type = {"q8_0": gguf.LlamaFileType.MOSTLY_Q8_0, "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0,
                 "f16": gguf.LlamaFileType.MOSTLY_F16}[weights]
    reader = gguf.GGUFReader(source)
    arch = reader.get_field(gguf.Keys.General.ARCHITECTURE).contents()
    writer = gguf.GGUFWriter(target, arch=arch, endianess=reader.endianess)
    alignment = reader.get_field(gguf.Keys.General.ALIGNMENT)
    if alignment:
        writer.data_alignment = alignment.contents()
    for field in reader.fields.values():
        # the writer adds the architecture and the GGUF header fields itself; the file type changes
        skip = (gguf.Keys.General.ARCHITECTURE, gguf.Keys.General.FILE_TYPE)
        if field.name in skip or field.name.startswith("GGUF."):
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), value_type, sub_type=sub_type)
    writer.add_file_type(file_type)
    for tensor in reader.tensors:
        if len(tensor.shape) >= 2 and tensor.tensor_type not in (Q.F32,):
            values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
            data = values.astype(np.float16) if kind == Q.F16 else gguf.quants.quantize(values, kind)
            writer.add_tensor(tensor.name, data, raw_dtype=None if kind == Q.F16 else kind)
        else:  # norms and other 1-D tensors stay as they are (F32)
            plain = tensor.tensor_type in (Q.F32, Q.F16)
            writer.add_tensor(tensor.name, np.array(tensor.data), raw_dtype=None if plain else tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main(argv: list[str] | None = None) -> None:
    """Print the path of the course's GGUF converted to the format given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", choices=WEIGHTS)
    print(converted_gguf(parser.parse_args(argv).weights))


if __name__ == "__main__":
    main()
