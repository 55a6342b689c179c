"""Which on-device accelerator routes this machine could use: Apple MLX, Qualcomm QNN, DirectML, OpenVINO.

Each check looks at the operating system, the processor and what the installed runtimes report,
without installing or downloading anything. Defined for notebook 12; notebook 00 can show the table.

Example:
    >>> rows = available_accelerators()
    >>> sorted(rows[0])
    ['available', 'hardware', 'install', 'name', 'reason']

"""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

__all__ = ["available_accelerators", "cpu_vendor"]


def cpu_vendor() -> str:
    """``"Intel"``, ``"AMD"``, ``"Apple"``, ``"Qualcomm"``, ``"ARM"`` or ``"unknown"``."""
    machine = platform.machine().lower()
    if sys.platform == "darwin" and machine == "arm64":
        return "Apple"
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text(errors="ignore") if cpuinfo.is_file() else platform.processor()
    if "GenuineIntel" in text or "Intel" in text:
        return "Intel"
    if "AuthenticAMD" in text or "AMD" in text:
        return "AMD"
    if "Qualcomm" in text or "Snapdragon" in text:
        return "Qualcomm"
    if machine in ("arm64", "aarch64"):
        return "ARM"
    return "unknown"


def _ort_providers() -> list[str]:
    try:
        import onnxruntime

        return list(onnxruntime.get_available_providers())
    except ImportError:
        return []


def _openvino_devices() -> list[str]:
    try:
        import openvino

        return list(openvino.Core().available_devices)
    except Exception:  # not installed, or no plugin loads: report no device rather than fail
        return []


def available_accelerators() -> list[dict[str, Any]]:
    """One row per route: ``name``, ``hardware``, ``available`` (bool), ``reason``, ``install``."""
    system, machine, vendor = sys.platform, platform.machine().lower(), cpu_vendor()
    providers, ov_devices = _ort_providers(), _openvino_devices()
    rows = []

    mlx = system == "darwin" and machine == "arm64"
    rows.append({
        "name": "Apple MLX", "hardware": "Apple silicon Macs (M1 and later): unified-memory GPU",
        "available": mlx,
        "reason": "this is an Apple-silicon Mac" if mlx else
        f"needs macOS on Apple silicon; this is {system}/{machine}",
        "install": "pip install mlx-lm",
    })

    qnn = "QNNExecutionProvider" in providers
    on_snapdragon = vendor == "Qualcomm" or (system == "win32" and machine == "arm64")
    rows.append({
        "name": "Qualcomm QNN", "hardware": "Snapdragon NPUs (Hexagon): Copilot+ PCs on Windows on Arm, Android phones",
        "available": qnn,
        "reason": "ONNX Runtime lists QNNExecutionProvider" if qnn else
        ("a Snapdragon machine: install onnxruntime-qnn" if on_snapdragon else
         f"needs a Qualcomm Snapdragon device; this CPU is {vendor} ({machine})"),
        "install": "pip install onnxruntime-qnn",
    })

    dml = "DmlExecutionProvider" in providers
    rows.append({
        "name": "DirectML", "hardware": "any DirectX 12 GPU on Windows (AMD, Intel, NVIDIA, Qualcomm)",
        "available": dml,
        "reason": "ONNX Runtime lists DmlExecutionProvider" if dml else
        ("Windows: install onnxruntime-genai-directml" if system == "win32" else f"needs Windows; this is {system}"),
        "install": "pip install onnxruntime-genai-directml",
    })

    accel = [d for d in ov_devices if d.split(".")[0] in ("GPU", "NPU")]
    rows.append({
        "name": "OpenVINO", "hardware": "Intel CPUs, GPUs and NPUs (Core Ultra); runs on other x86 CPUs",
        "available": bool(ov_devices),
        "reason": (f"OpenVINO sees {', '.join(ov_devices)}" + ("" if accel else " (CPU only: no Intel GPU or NPU)")
                   + ("" if vendor == "Intel" else f"; this CPU is {vendor}, not Intel"))
        if ov_devices else "openvino-genai is not installed: `python course.py setup --edge`",
        "install": "pip install -r requirements-edge.txt",
    })
    return rows
