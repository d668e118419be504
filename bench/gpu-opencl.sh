#!/usr/bin/env bash
# OpenCL on the GPU host's NVIDIA driver (its ICD named explicitly, see ../shared/GPU-HOST.md):
# the op conformance suite, the OpenCL kernel tests and every fixture on CUDA and OpenCL (the CPU
# reference is what they compare against), then `strata bench` pp512/tg128 on the generated ~100M
# F32 Llama with OpenCL and CUDA side by side, OpenCL pp512 with the KV-group attention kernel
# (strata.opencl.prefillAttention=group) against the flash-style one, the OpenCL decode with its
# matmul parts as separate kernels (strata.opencl.fusedGemv=none) against the fused GEMV, and
# KernelRoofline on OpenCL and CUDA (GEMV, GEMM, decode and prefill attention at the GPU target
# shapes). Usage on the GPU host,
# from the repository root: bash bench/gpu-opencl.sh (carry .gpu, packed by bench/gpu-pack.sh).
# STRATA_TEST_BACKENDS (default cuda,opencl) picks the backends the tests run on,
# STRATA_TEST_TIMEOUT (default 180) the tests' seconds, STRATA_OPENCL_STAGES (default
# tests,fixtures,bench,roofline) the stages (fixtures: the fixture test classes beside the op tests).
set -uo pipefail
source bench/gpu/runtime.sh
export OCL_ICD_FILENAMES=${OCL_ICD_FILENAMES:-/usr/local/nvidia/lib64/libnvidia-opencl.so.1}
quiet() { grep -v "incubator modules\|Unsafe"; }
{
    echo "## devices ($(date -u +%FT%TZ), $(head -1 .gpu/MANIFEST.txt))"; "${STRATA[@]}" devices 2>&1 | quiet
    stages=${STRATA_OPENCL_STAGES:-tests,fixtures,bench,roofline}
    if [[ ,$stages, == *,tests,* ]]; then
        echo "## tests (ops, OpenCL kernels$([[ ,$stages, == *,fixtures,* ]] && echo ", fixtures"); backends ${STRATA_TEST_BACKENDS:-cuda,opencl})"
        fixtures=()
        [[ ,$stages, == *,fixtures,* ]] && fixtures=(--select-class dev.strata.tests.DecoderFixtureTest
            --select-class dev.strata.tests.EncoderFixtureTest --select-class dev.strata.tests.EncoderDecoderFixtureTest)
        timeout "${STRATA_TEST_TIMEOUT:-180}" "$JRE/bin/java" "${JAVA_FLAGS[@]}" -Dstrata.fixtures="$PWD/.gpu/fixtures" \
            -Dstrata.test.backends="${STRATA_TEST_BACKENDS:-cuda,opencl}" -cp ".gpu/lib-test/*:.gpu/lib/*" \
            org.junit.platform.console.ConsoleLauncher execute --select-package dev.strata.tests.ops --select-package dev.strata.opencl \
            "${fixtures[@]}" --details=summary --details-theme=ascii --disable-banner > "$OUT/opencl-tests.log" 2>&1
        echo "junit exit code $?"
        grep -E "(opencl|cuda)-default logits|tests (found|successful|failed|aborted)|MethodSource|=> " "$OUT/opencl-tests.log" | head -60
    fi
    if [[ ,$stages, == *,bench,* ]]; then
        for b in opencl cuda; do
            echo "## strata bench --backend $b (100M F32)"
            timeout 75 "${STRATA[@]}" bench --backend "$b" -p 512 -n 128 -r 2 2>&1 | quiet
        done
        echo "## OpenCL pp512 with the KV-group attention kernel for prefill (strata.opencl.prefillAttention=group)"
        timeout 60 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -Dstrata.opencl.prefillAttention=group -cp ".gpu/lib/*" dev.strata.cli.Main \
            bench --backend opencl -p 512 -n 0 -r 2 2>&1 | quiet
        echo "## OpenCL decode, matmul parts as separate kernels (strata.opencl.fusedGemv=none)"
        timeout 60 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -Dstrata.opencl.fusedGemv=none -cp ".gpu/lib/*" dev.strata.cli.Main \
            bench --backend opencl -p 0 -n 128 -r 2 2>&1 | quiet
    fi
    if [[ ,$stages, == *,roofline,* ]]; then
        for b in opencl cuda; do
            echo "## KernelRoofline --backend $b"
            timeout 90 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline --backend "$b" --ops gemv,gemm,attention,scale \
                --dtypes BF16,F32 --gemv 14336x4096,2048x2048 --prefill-attention 4x32x32x4096x128 --decode-attention 64x32x8x4096x128 2>&1 | quiet
        done
    fi
} 2>&1 | tee "$OUT/opencl.md"
