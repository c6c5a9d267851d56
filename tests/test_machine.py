"""Results name the CPU they were measured on, read from /proc/cpuinfo."""
from qa_helpers.machine import cpu, describe_machine

INTEL = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 143
model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni avx512_fp16 amx_tile

processor\t: 1
vendor_id\t: GenuineIntel
"""
AMD_VM = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
flags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni
"""


def test_an_intel_cpu_is_named_with_its_model_and_vector_features():
    assert cpu(INTEL) == ("Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz "
                          "(GenuineIntel family 6 model 143; AVX2 AVX-512 BF16 VNNI FP16 AMX)")


def test_an_amd_cpu_behind_a_virtual_machine_still_says_its_generation():
    assert cpu(AMD_VM) == "AMD EPYC Zen 4 (AuthenticAMD family 25 model 17; AVX2 AVX-512 BF16 VNNI)"
    assert cpu(AMD_VM.replace("25", "26").replace("model\t\t: 17", "model\t\t: 2")).startswith("AMD EPYC Zen 5 ")


def test_this_machine_is_described_with_its_cpu_and_threads():
    line = describe_machine()
    assert line.startswith(cpu()) and "torch threads" in line and "cores" in line
