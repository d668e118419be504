#!/usr/bin/env bash
# Where a decode step's time goes on the GPU host: unpacks the runtime packed by gpu-pack.sh and
# runs `strata bench --profile` on the generated Llama-3.2-1B-shaped BF16 model at batch 1 and 32
# (per-op device time per step, summed per op kind, beside the measured step time).
# Usage on the GPU host, from the repository root: bash bench/gpu-profile.sh  (carry .gpu)
set -uo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/jre.tmp
JRE=/tmp/jre
[[ -x $JRE/bin/java ]] || { tar -xJf .gpu/jre.tar.xz -C /tmp/jre.tmp && mv /tmp/jre.tmp/jre "$JRE"; }
export STRATA_HOME=${STRATA_HOME:-/tmp/strata-home} OPT_OUT_TRACKING=true
strata() { "$JRE/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m -Dai.djl.offline=true -cp ".gpu/lib/*" dev.strata.cli.Main "$@" 2>&1 | grep -v "incubator modules"; }
for b in 1 32; do
    timeout 150 bash -c "$(declare -f strata); JRE=$JRE; strata bench --backend cuda --generate-model 1b -p 0 -n 64 -r 2 -b $b --profile" | tee -a "$OUT/profile.md"
done
