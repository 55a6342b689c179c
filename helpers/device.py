"""Which accelerator this machine has, with a visible reason for the choice."""

from __future__ import annotations

from dataclasses import dataclass

from helpers.i18n import _

__all__ = ["DeviceChoice", "pick_device"]


@dataclass(frozen=True)
class DeviceChoice:
    """The device a notebook will use and why, e.g. ``DeviceChoice("cpu", "no CUDA GPU or Apple MPS found")``.

    Introduced in notebook 00.
    """

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def pick_device(prefer: str | None = None) -> DeviceChoice:
    """Choose CUDA, then Apple MPS, then CPU; ``prefer`` forces one when it is available.

    Introduced in notebook 00.

    Args:
        prefer: ``"cuda"``, ``"mps"`` or ``"cpu"``; ``None`` picks the fastest available.

    Example:
        >>> pick_device("cpu").name
        'cpu'

    """
    import torch

    has_cuda = torch.cuda.is_available()
    has_mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if prefer == "cpu":
        return DeviceChoice("cpu", _("CPU requested"))
    if prefer == "cuda" and not has_cuda:
        return DeviceChoice("cpu", _("CUDA requested but PyTorch sees no CUDA GPU: falling back to CPU"))
    if prefer == "mps" and not has_mps:
        return DeviceChoice("cpu", _("Apple MPS requested but not available: falling back to CPU"))
    if has_cuda and prefer in (None, "cuda"):
        return DeviceChoice("cuda", _("CUDA GPU found: {gpu}").format(gpu=torch.cuda.get_device_name(0)))
    if has_mps and prefer in (None, "mps"):
        return DeviceChoice("mps", _("Apple Silicon GPU (MPS) found"))
    return DeviceChoice("cpu", _("no CUDA GPU or Apple MPS found"))
