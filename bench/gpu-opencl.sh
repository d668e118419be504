#!/usr/bin/env bash
# OpenCL on the GPU host's NVIDIA driver (its ICD named explicitly, see ../shared/GPU-HOST.md):
# the op conformance suite and the decoder fixtures on every backend (CUDA, OpenCL on the NVIDIA
# GPU, CPU), then `strata bench` pp512/tg128 on the generated ~100M F32 Llama with OpenCL and
# CUDA side by side, the OpenCL decode with its matmul parts as separate kernels
# (strata.opencl.fusedGemv=none) against the fused GEMV, and KernelRoofline on OpenCL (GEMV,
# GEMM, decode and prefill attention at the GPU target shapes). Usage on the GPU host, from the
# repository root: bash bench/gpu-opencl.sh (carry .gpu, packed by bench/gpu-pack.sh).
set -uo pipefail
source bench/gpu/runtime.sh
export OCL_ICD_FILENAMES=${OCL_ICD_FILENAMES:-/usr/local/nvidia/lib64/libnvidia-opencl.so.1}
quiet() { grep -v "incubator modules\|Unsafe"; }
{
    echo "## devices"; "${STRATA[@]}" devices 2>&1 | quiet
    echo "## tests (ops + fixtures, every backend)"
    timeout 200 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -Dstrata.fixtures="$PWD/.gpu/fixtures" -cp ".gpu/lib-test/*:.gpu/lib/*" \
        org.junit.platform.console.ConsoleLauncher execute --select-package dev.strata.tests.ops --select-class dev.strata.tests.DecoderFixtureTest \
        --details=summary --details-theme=ascii --disable-banner 2>&1 | grep -E "opencl-default logits|tests (found|successful|failed)|MethodSource|=> " | head -60
    for b in opencl cuda; do
        echo "## strata bench --backend $b (100M F32)"
        timeout 150 "${STRATA[@]}" bench --backend "$b" -p 512 -n 128 -r 2 2>&1 | quiet
    done
    echo "## OpenCL decode, matmul parts as separate kernels (strata.opencl.fusedGemv=none)"
    timeout 90 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -Dstrata.opencl.fusedGemv=none -cp ".gpu/lib/*" dev.strata.cli.Main \
        bench --backend opencl -p 0 -n 128 -r 2 2>&1 | quiet
    echo "## KernelRoofline --backend opencl"
    timeout 150 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline --backend opencl \
        --ops gemv,gemm,attention --dtypes BF16,F32 --gemv 14336x4096,2048x2048 2>&1 | quiet
} 2>&1 | tee "$OUT/opencl.md"
