"""The machine a result was measured on, CPU model included: timings, speed ratios and int8 scores move between CPUs.

A leaf: it imports nothing from the package.
"""
from __future__ import annotations

import os
import platform
from pathlib import Path

__all__ = ["cpu", "describe_machine", "machine_record"]

# The instruction sets that change which kernels torch, oneDNN and ONNX Runtime pick on x86-64.
_FEATURES = {"avx2": "AVX2", "avx512f": "AVX-512", "avx512_bf16": "BF16", "avx512_vnni": "VNNI", "avx512_fp16": "FP16",
             "amx_tile": "AMX"}


def cpu(cpuinfo: str | None = None) -> str:
    """The CPU's vendor and model, with its family/model numbers and vector features, e.g.
    ``AMD EPYC Zen 4 (AuthenticAMD family 25 model 17; AVX2 AVX-512 BF16 VNNI)``.

    Read from ``/proc/cpuinfo`` (Linux); elsewhere ``platform.processor()``. A virtual machine often hides
    the model name ("AMD EPYC"), so the family and model numbers are kept: they name the generation.
    """
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        if not path.exists():
            return platform.processor() or platform.machine()
        cpuinfo = path.read_text(encoding="utf-8", errors="replace")
    first = cpuinfo.split("\n\n", 1)[0]
    fields = dict(line.split(":", 1) for line in first.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    features = " ".join(name for flag, name in _FEATURES.items() if flag in flags)
    ids = " ".join(part for part in (fields.get("vendor_id"), f"family {fields['cpu family']}" if "cpu family" in fields else "",
                                     f"model {fields['model']}" if "model" in fields else "") if part)
    detail = "; ".join(part for part in (ids, features) if part)
    name = fields.get("model name") or platform.processor() or platform.machine()
    generation = _amd_generation(fields)
    if generation and generation not in name:
        name = f"{name} {generation}"
    return f"{name} ({detail})" if detail else name


def _amd_generation(fields: dict[str, str]) -> str:
    """AMD's core generation from family and model, where a virtual machine shows only "AMD EPYC"."""
    if fields.get("vendor_id") != "AuthenticAMD" or not fields.get("cpu family", "").isdigit() or not fields.get("model", "").isdigit():
        return ""
    family, model = int(fields["cpu family"]), int(fields["model"])
    if family == 26:
        return "Zen 5"
    if family == 25:
        return "Zen 4" if model in range(0x10, 0x20) or model in range(0x60, 0x80) or model in range(0xA0, 0xB0) else "Zen 3"
    return ""


def machine_record() -> dict:
    """What a committed result records about its machine and software."""
    import torch

    return {
        "cpu": cpu(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
    }


def describe_machine() -> str:
    """One line for a report: CPU, cores, threads and versions."""
    m = machine_record()
    return (f"{m['cpu']}, {m['cpu_count']} cores{', GPU ' + m['gpu'] if m['gpu'] else ''}; "
            f"python {m['python']}, torch {m['torch']}, torch threads {m['torch_threads']}")
