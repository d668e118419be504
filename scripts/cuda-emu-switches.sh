#!/usr/bin/env bash
# Runs the suites each opt-in CUDA switch (strata.cuda.*) reaches on the CUDA host emulation
# (cuda-emu: the CUDA backend's plans and kernels on the CPU), one Maven test run per setting, so a
# path that has never run on a GPU is checked end to end against the CPU reference and the
# fixtures first. Needs a built tree (./run-tests or mvn install -DskipTests) and g++ at build
# time. Prints one line per setting and exits non-zero if any failed; logs in target/cuda-emu-switches/.
# Usage: scripts/cuda-emu-switches.sh [NAME...]   (names from the table below; default: all)
set -euo pipefail
root=$(cd -P "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
# shellcheck source=jdk25.sh
source "$root/scripts/jdk25.sh"
cd "$root"
logs="$root/target/cuda-emu-switches"
mkdir -p "$logs"

# name | system properties | test classes
SETTINGS=(
  "splitdraw|-Dstrata.cuda.sampleSplitDraw=on -Dstrata.cuda.argmaxSplit=on|SampleConformanceTest,GatherArgmaxConformanceTest,DecoderFixtureTest"
  "splittopk|-Dstrata.cuda.sampleSplitTopK=on -Dstrata.cuda.argmaxSplit=on|SampleConformanceTest,DecoderFixtureTest"
  "warppick|-Dstrata.cuda.sampleWarpPick=on -Dstrata.cuda.sampleCompact=off|SampleConformanceTest"
  "rejection-off|-Dstrata.cuda.sampleTopPRejection=off|SampleConformanceTest"
  "keys16|-Dstrata.cuda.decodeKeysPerSplit=16|AttentionConformanceTest,AttentionCrossBiasConformanceTest,DecoderFixtureTest,EncoderDecoderFixtureTest"
  "append-on|-Dstrata.cuda.fusedKvAppend=on|AttentionConformanceTest,DecoderFixtureTest"
  "append-off|-Dstrata.cuda.fusedKvAppend=off|AttentionConformanceTest,DecoderFixtureTest"
  "cols4|-Dstrata.cuda.gemvCols=4 -Dstrata.cuda.gemvGateCols=8|FusedMatMulConformanceTest,MatMulConformanceTest,DecoderFixtureTest"
  "cols2|-Dstrata.cuda.gemvCols=2 -Dstrata.cuda.gemvGateCols=2 -Dstrata.cuda.gemvSplitBlocksPerSm=8|FusedMatMulConformanceTest,DecoderFixtureTest"
  "unfused|-Dstrata.cuda.fusedGemv=none|FusedMatMulConformanceTest,DecoderFixtureTest,EncoderFixtureTest"
  "staged|-Dstrata.cuda.prefillAttention=staged|AttentionLowPrecisionConformanceTest,DecoderFixtureTest"
  "kv16w32|-Dstrata.cuda.prefillAttention=kv16w32|AttentionLowPrecisionConformanceTest,DecoderFixtureTest"
  "f32-prefill|-Dstrata.cuda.prefillAttention=f32|AttentionLowPrecisionConformanceTest,DecoderFixtureTest"
  "sms8|-Dstrata.cudaEmu.multiprocessors=8|AttentionConformanceTest,FusedMatMulConformanceTest,SampleConformanceTest,DecoderFixtureTest"
)

failed=0
for setting in "${SETTINGS[@]}"; do
    IFS='|' read -r name props tests <<< "$setting"
    if [[ $# -gt 0 && " $* " != *" $name "* ]]; then continue; fi
    start=$(date +%s)
    # shellcheck disable=SC2086
    if mvn -B -o test -pl tests -Dstrata.skipEmulatedTests=true -Dstrata.test.backends=cuda-emu -Dtest="$tests" \
        -Dsurefire.failIfNoSpecifiedTests=false $props > "$logs/$name.log" 2>&1; then
        result=pass
    else
        result=FAIL
        failed=1
    fi
    summary=$(grep -E '^\[(INFO|WARNING|ERROR)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$logs/$name.log" | tail -1 | sed 's/^\[[A-Z]*\] //')
    printf '%-14s %-5s %4d s  %s  (%s)\n' "$name" "$result" $(( $(date +%s) - start )) "${summary:-no tests ran}" "$props"
done
exit $failed
