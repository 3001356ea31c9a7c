"""The BLIS kernel choice of src/la/blas.c, for the PyTorch peers
(torch_peer.py, torch_ngd.py): they set BLIS_ARCH_TYPE before torch loads
BLIS, so both sides run the same kernels."""


def blis_arch_for_cpu():
    """BLIS_ARCH_TYPE as src/la/blas.c chooses it: 0 = skx with AVX-512 F, DQ,
    BW, VL; 3 = haswell with AVX2 and FMA; None otherwise."""
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        return None
    if {"avx512f", "avx512dq", "avx512bw", "avx512vl"} <= flags:
        return "0"
    if {"avx2", "fma"} <= flags:
        return "3"
    return None


def set_blis_env(threads):
    """Before torch loads BLIS: the kernels gnbench uses (unless
    BLIS_ARCH_TYPE is already set) and the given thread count."""
    import os

    if not os.environ.get("BLIS_ARCH_TYPE"):
        a = blis_arch_for_cpu()
        if a is not None:
            os.environ["BLIS_ARCH_TYPE"] = a
    os.environ["BLIS_NUM_THREADS"] = str(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
