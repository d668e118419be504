# Sourced by the GPU-host scripts (gpu-profile.sh, gpu-opencl.sh): unpacks the jlink runtime that
# gpu-pack.sh carried in .gpu/, and defines STRATA (the CLI as a command array, usable with
# `timeout`) and JAVA_FLAGS. Run from the repository root.
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
JRE=/tmp/jre
if [[ ! -x $JRE/bin/java ]]; then
    rm -rf /tmp/jre.tmp && mkdir -p /tmp/jre.tmp && tar -xJf .gpu/jre.tar.xz -C /tmp/jre.tmp && mv /tmp/jre.tmp/jre "$JRE"
fi
export STRATA_HOME=${STRATA_HOME:-/tmp/strata-home} OPT_OUT_TRACKING=true
# signal chaining: PoCL's LLVM (and other OpenCL ICDs) would otherwise replace the JVM's SIGSEGV
# handlers; a CPU bench that probed the OpenCL platforms died of a bare "Segmentation fault" there
export LD_PRELOAD=$JRE/lib/libjsig.so
JAVA_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m -Dai.djl.offline=true)
STRATA=("$JRE/bin/java" "${JAVA_FLAGS[@]}" -cp ".gpu/lib/*" dev.strata.cli.Main)
