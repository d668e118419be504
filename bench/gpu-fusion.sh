#!/usr/bin/env bash
# Decode with and without the fused GEMV on the GPU host, in one run (carry .gpu from
# bench/gpu-pack.sh): MatMul's fused parts (prenorm = the block's RMSNorm, gate = gate/up +
# activation, residual = the residual add) each in one gemv_fused launch, against the separate
# kernels (strata.cuda.fusedGemv=none), on the generated Llama-3.2-1B-shaped
# BF16 model at batch 1 (tg128) and 32 (tg64), plus the per-op profile of the default, and the
# q/k/v projections stacked into one GEMV against three (strata.stackedQkv), and programmatic
# dependent launch against plain launches (strata.cuda.pdl), and tg with the next token drawn on
# the device (--sample, the Sample op over the 128,256-token vocabulary) beside plain tg. First the fused-matmul conformance,
# the attention suite and the decoder/encoder fixtures on CUDA alone with strata.cuda.pdl=off (the
# default-on path is what gpu-check.sh runs; STRATA_FUSION_TESTS=0 skips them).
# Usage on the GPU host, from the repository root: bash bench/gpu-fusion.sh
set -uo pipefail
source bench/gpu/runtime.sh
JAVA=("$JRE/bin/java" "${JAVA_FLAGS[@]}")
if [[ ${STRATA_FUSION_TESTS:-1} != 0 ]]; then
echo "== tests on cuda, strata.cuda.pdl=off: FusedMatMulConformanceTest, MatMulConformanceTest, AttentionConformanceTest, DecoderFixtureTest, EncoderFixtureTest"
timeout 200 "${JAVA[@]}" -Dstrata.cuda.pdl=off -Dstrata.test.backends=cuda -Dstrata.fixtures="$PWD/.gpu/fixtures" -cp ".gpu/lib-test/*:.gpu/lib/*" \
    org.junit.platform.console.ConsoleLauncher execute --select-class dev.strata.tests.ops.FusedMatMulConformanceTest \
    --select-class dev.strata.tests.ops.MatMulConformanceTest --select-class dev.strata.tests.ops.AttentionConformanceTest \
    --select-class dev.strata.tests.DecoderFixtureTest \
    --select-class dev.strata.tests.EncoderFixtureTest --details=summary --details-theme=ascii --disable-banner > "$OUT/tests.log" 2>&1
echo "tests exit code: $?"
grep -E "tests (successful|failed|aborted|skipped)|MethodSource|=> " "$OUT/tests.log" | head -40
fi
bench() { # parts batch n [extra args...]
    local parts=$1 b=$2 n=$3; shift 3
    timeout 120 "${JAVA[@]}" -Dstrata.cuda.fusedGemv="$parts" -Dstrata.stackedQkv="${STACKED:-true}" -Dstrata.cuda.pdl="${PDL:-on}" -cp ".gpu/lib/*" dev.strata.cli.Main \
        bench --backend cuda --generate-model 1b -p 0 -n "$n" -r 3 -b "$b" "$@" 2>/dev/null | grep -E "^\||^[A-Z_]+ |step|sum"
}
: > "$OUT/fusion.md"
all=prenorm,gate,rotary,residual
for parts in $all none; do
    echo "== fusedGemv=$parts batch 1" | tee -a "$OUT/fusion.md"
    bench "$parts" 1 128 | tail -n 1 | tee -a "$OUT/fusion.md"
done
for stacked in true false true false; do
    echo "== stackedQkv=$stacked fusedGemv=$all batch 1" | tee -a "$OUT/fusion.md"
    STACKED=$stacked bench "$all" 1 128 | tail -n 1 | tee -a "$OUT/fusion.md"
done
for pdl in off on off on; do
    echo "== pdl=$pdl fusedGemv=$all batch 1" | tee -a "$OUT/fusion.md"
    PDL=$pdl bench "$all" 1 128 | tail -n 1 | tee -a "$OUT/fusion.md"
done
echo "== pdl=on batch 32" | tee -a "$OUT/fusion.md"
PDL=on bench "$all" 32 64 | tail -n 1 | tee -a "$OUT/fusion.md"
PDL=on bench "$all" 1 64 --profile | grep -E "step" | sed 's/^/pdl=on /' | tee -a "$OUT/fusion.md"
for b in 1 32; do
    echo "== greedy logits vs device sampling (0.8,40,0.95, tokens fed back) batch $b" | tee -a "$OUT/fusion.md"
    bench "$all" "$b" 64 | tail -n 1 | tee -a "$OUT/fusion.md"
    bench "$all" "$b" 64 --sample 0.8,40,0.95 | tail -n 1 | tee -a "$OUT/fusion.md"
done
for parts in $all; do
    echo "== profile fusedGemv=$parts batch 1" | tee -a "$OUT/fusion.md"
    bench "$parts" 1 64 --profile | tee -a "$OUT/fusion.md"
done
echo; echo "== summary"; grep -E "^==|tg" "$OUT/fusion.md" | grep -v profile
