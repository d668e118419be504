#!/usr/bin/env bash
# Compiles every CUDA kernel file in src/main/cuda/*.cu into a fat binary:
#   OUTDIR/dev/strata/cuda/kernels/<name>.fatbin   (SASS for sm_80/86/89/90 + compute_80 PTX)
#   OUTDIR/dev/strata/cuda/kernels/kernels.list    (one base name per line)
#   PTXDIR/<name>.ptx                               (optional: compute_80 PTX, read by the tests
#                                                    to check launch plans against kernel signatures)
# Usage: build-kernels.sh OUTDIR [PTXDIR]
# - Without nvcc (PATH or /usr/local/cuda/bin/nvcc) it writes OUTDIR/.../NOT_BUILT ("nvcc not
#   found") and exits 0, so CPU-only machines still build.
# - Incremental: a .fatbin newer than its .cu and every shared header (*.cuh) is kept.
# - Files compile in parallel (xargs -P $(nproc)); warnings fail the build (-Werror all-warnings).
# - STRATA_CUDA_ARCHS overrides the target list, e.g. STRATA_CUDA_ARCHS="90" for a quick local
#   build; entries are SM numbers, each compiled to SASS, the first one's PTX embedded as well.
# - STRATA_CUDA_LINEINFO=1 adds -lineinfo (source lines for Nsight Compute; the same SASS). Off by
#   default: it triples the fat binaries (sample.fatbin 0.97 → 2.92 MB; the kernels-cuda jar 5.4 → 12.7 MB).
#   Delete OUTDIR's .fatbin files when switching it: freshness is judged by timestamps alone.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 OUTDIR [PTXDIR]" >&2
    exit 2
fi
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/src/main/cuda"
mkdir -p "$1/dev/strata/cuda/kernels"
OUT_DIR="$(cd "$1" && pwd)/dev/strata/cuda/kernels"
PTX_DIR=""
if [[ $# -eq 2 ]]; then mkdir -p "$2"; PTX_DIR="$(cd "$2" && pwd)"; fi

NVCC="$(command -v nvcc || true)"
if [[ -z "$NVCC" && -x /usr/local/cuda/bin/nvcc ]]; then NVCC=/usr/local/cuda/bin/nvcc; fi
if [[ -z "$NVCC" ]]; then
    echo "nvcc not found" > "$OUT_DIR/NOT_BUILT"
    echo "build-kernels: nvcc not found; wrote $OUT_DIR/NOT_BUILT"
    exit 0
fi
rm -f "$OUT_DIR/NOT_BUILT"

ARCHS="${STRATA_CUDA_ARCHS:-80 86 89 90}"
LINEINFO=""
[[ "${STRATA_CUDA_LINEINFO:-0}" == 1 ]] && LINEINFO="-lineinfo"
GENCODE=""
for a in $ARCHS; do GENCODE+=" -gencode arch=compute_$a,code=sm_$a"; done
first="${ARCHS%% *}"
GENCODE+=" -gencode arch=compute_$first,code=compute_$first"

start=$(date +%s%N)

# The files that take longest to compile (measured: 150, 100, 64, 40 s on 2 cores; the rest < 10 s)
# are started first, so the short ones fill the other slots instead of waiting behind them.
LONGEST="matmul_fused attention matmul attention_mma"
sources=()
for n in $LONGEST; do [[ -f "$SRC_DIR/$n.cu" ]] && sources+=("$SRC_DIR/$n.cu"); done
for cu in "$SRC_DIR"/*.cu; do [[ " $LONGEST " == *" $(basename "$cu" .cu) "* ]] || sources+=("$cu"); done

names=()
todo=()
for cu in "${sources[@]}"; do
    name="$(basename "$cu" .cu)"
    names+=("$name")
    out="$OUT_DIR/$name.fatbin"
    fresh=1
    [[ -f "$out" && "$out" -nt "$cu" ]] || fresh=0
    [[ -z "$PTX_DIR" || -f "$PTX_DIR/$name.ptx" ]] || fresh=0
    for h in "$SRC_DIR"/*.cuh; do
        [[ -e "$h" && ! "$out" -nt "$h" ]] && fresh=0
    done
    (( fresh )) || todo+=("$name")
done

printf '%s\n' "${names[@]}" > "$OUT_DIR/kernels.list"

if (( ${#todo[@]} > 0 )); then
    export NVCC SRC_DIR OUT_DIR GENCODE PTX_DIR LINEINFO
    # Each job prints "<name> <seconds>"; a failing job makes xargs (and this script) fail.
    printf '%s\n' "${todo[@]}" | xargs -P "$(nproc)" -I{} bash -c '
        set -euo pipefail
        s=$(date +%s%N)
        # shellcheck disable=SC2086
        "$NVCC" -fatbin -O3 -std=c++17 $LINEINFO -Werror all-warnings $GENCODE \
            -o "$OUT_DIR/{}.fatbin.tmp" "$SRC_DIR/{}.cu"
        mv "$OUT_DIR/{}.fatbin.tmp" "$OUT_DIR/{}.fatbin"
        if [[ -n "$PTX_DIR" ]]; then
            "$NVCC" -ptx -arch=compute_80 -std=c++17 -o "$PTX_DIR/{}.ptx" "$SRC_DIR/{}.cu"
        fi
        ms=$(( ($(date +%s%N) - s) / 1000000 ))
        printf "build-kernels: %-16s %3d.%03d s\n" "{}" $((ms / 1000)) $((ms % 1000))
    '
fi
ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf 'build-kernels: %d compiled, %d up to date, total %d.%03d s\n' "${#todo[@]}" \
    $(( ${#names[@]} - ${#todo[@]} )) $((ms / 1000)) $((ms % 1000))
