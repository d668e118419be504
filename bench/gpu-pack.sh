#!/usr/bin/env bash
# Strata: packs what the GPU host needs into .gpu/ (git-ignored) at the repo root. Runs HERE, on
# the CPU machine; the GPU host has no JDK, Maven or network. Then the device tool runs
#     bash bench/gpu-check.sh        with carry [".gpu"]
# .gpu/ holds:
#   lib/       runtime jars: strata-cli.jar, cli/target/lib/*.jar (JCuda, the kernels-cuda jar with
#              the nvcc-built kernels, Jackson, picocli, ...; tokenizers-*.jar and jcuda-natives
#              slimmed to linux-x86_64, see strip_jar) and strata-bench-classes.jar
#              (bench/target/classes: KernelRoofline)
#   lib-test/  {tests,kernels-cuda,kernels-opencl,engine}-tests.jar (test classes) and
#              junit-platform-console-standalone-1.14.1.jar (bundles Jupiter api/engine/params 5.14.1,
#              so no separate junit-jupiter-* jars: two copies of the Jupiter engine on one class
#              path make the launcher fail on a duplicate engine id)
#   fixtures/  the decoder fixtures from ../shared/fixtures the tests need
#   jre.tar.xz a jlink runtime of Temurin 25 (unpacks to jre/); modules from jdeps over the jars
#              plus a base set, minus java.desktop; image uncompressed (zip-0), then xz -9
#   MANIFEST.txt what went in, with sizes
# Options (environment): STRATA_PACK_SKIP_BUILD=1 reuses the jars already built;
# STRATA_PACK_LIMIT_MIB (default 58) is the size .gpu may not exceed.
set -euo pipefail

root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=../scripts/jdk25.sh
source scripts/jdk25.sh
JDK=${STRATA_JLINK_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
[[ -x "$JDK/bin/jlink" ]] || JDK=$JAVA_HOME
FIXTURES_SRC=${STRATA_FIXTURES_SRC:-$root/../shared/fixtures}
FIXTURES=(llama-gqa llama-mqa llama-gqa-bf16 qwen2 gpt2 llama-256 bert bert-classifier t5 marian)
JUNIT_PLATFORM=1.14.1
LIMIT_MIB=${STRATA_PACK_LIMIT_MIB:-58}
# modules every run needs, whatever jdeps finds (jdk.zipfs: the JUnit launcher scans test jars
# through the "jar" file system provider; without it it finds 0 tests); java.desktop is dropped from the jdeps result
# (only JNA and DJL's api reference it, for the tokenizer, which does not run there)
BASE_MODULES=java.base,java.logging,jdk.incubator.vector,jdk.unsupported,java.management,java.sql,jdk.zipfs
DROP_MODULES=${STRATA_PACK_DROP_MODULES:-java.desktop}

say() { printf '[gpu-pack] %s\n' "$*"; }
WARNINGS=()
warn() { say "WARNING: $*"; WARNINGS+=("$*"); }

if [[ ${STRATA_PACK_SKIP_BUILD:-0} != 1 ]]; then
    say "building: ./run-tests -q -DskipTests"
    ./run-tests -q -DskipTests
fi

for f in cli/target/strata-cli.jar cli/target/lib bench/target/classes tests/target/test-classes; do
    [[ -e $f ]] || { say "missing $f: the build did not produce it"; exit 1; }
done
compgen -G "cli/target/lib/strata-kernels-cuda-*.jar" >/dev/null || { say "cli/target/lib has no strata-kernels-cuda jar"; exit 1; }
[[ -f bench/target/classes/dev/strata/bench/KernelRoofline.class ]] ||
    warn "bench/target/classes has no dev/strata/bench/KernelRoofline.class (stage d will fail)"

rm -rf .gpu
mkdir -p .gpu/lib .gpu/lib-test .gpu/fixtures

say "runtime jars -> .gpu/lib"
for j in cli/target/lib/*.jar; do
    # the MiniLM jar (83 MB: the ONNX model) cannot travel within the 64 MiB carry limit
    case $(basename "$j") in tokenizers-*.jar | langchain4j-embeddings-*.jar) continue ;; esac
    cp "$j" .gpu/lib/
done
cp cli/target/strata-cli.jar .gpu/lib/
# Jars slimmed to what runs on an x86-64 Linux host, by dropping entries (strip_jar JAR REGEX):
# - JCuda's natives: Strata loads only libJCudaDriver (driver API; cuBLAS and the rest go through
#   FFM), so libJNvPTXCompiler (24 MB unpacked, ~8 MB of the jar) goes;
# - DJL tokenizers (18 MB: natives for five platforms) keeps linux-x86_64 only (~6 MB), so the
#   tests that run `strata run` on a generated model with a tokenizer work there too.
#   STRATA_PACK_TOKENIZERS=none leaves it out entirely (those tests then fail on the GPU host).
strip_jar() {
    python3 - "$1" "$2" <<'PY'
import os, re, sys, zipfile
src, drop = sys.argv[1], re.compile(sys.argv[2])
tmp = src + ".tmp"
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
    for info in zin.infolist():
        if not drop.search(info.filename):
            zout.writestr(info, zin.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
os.replace(tmp, src)
PY
}
for j in .gpu/lib/jcuda-natives-*.jar; do
    if [[ -f $j ]]; then strip_jar "$j" 'JNvPTXCompiler'; fi
done
if [[ ${STRATA_PACK_TOKENIZERS:-slim} == slim ]]; then
    for j in cli/target/lib/tokenizers-*.jar; do
        [[ -f $j ]] || continue
        cp "$j" .gpu/lib/
        strip_jar ".gpu/lib/$(basename "$j")" '^native/lib/(?!linux-x86_64/|tokenizers\.properties$)'
    done
fi
jar cf .gpu/lib/strata-bench-classes.jar -C bench/target/classes .

say "test classes -> .gpu/lib-test"
jar cf .gpu/lib-test/tests-tests.jar -C tests/target/test-classes .
if [[ -d kernels-cuda/target/test-classes/dev ]]; then
    jar cf .gpu/lib-test/kernels-cuda-tests.jar -C kernels-cuda/target/test-classes .
else
    warn "no kernels-cuda/target/test-classes (a concurrent clean?): stage b runs without dev.strata.cuda tests"
fi
if [[ -d kernels-opencl/target/test-classes/dev ]]; then
    jar cf .gpu/lib-test/kernels-opencl-tests.jar -C kernels-opencl/target/test-classes .
else
    warn "no kernels-opencl/target/test-classes: gpu-opencl.sh runs without dev.strata.opencl tests"
fi
if [[ -d engine/target/test-classes ]]; then
    jar cf .gpu/lib-test/engine-tests.jar -C engine/target/test-classes .
else
    warn "no engine/target/test-classes (stage b then skips dev.strata.engine)"
fi
standalone=junit-platform-console-standalone-$JUNIT_PLATFORM.jar
m2=${MAVEN_REPO:-$HOME/.m2/repository}/org/junit/platform/junit-platform-console-standalone/$JUNIT_PLATFORM/$standalone
if [[ ! -f $m2 ]]; then
    mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$JUNIT_PLATFORM \
        -DoutputDirectory=.gpu/lib-test
fi
[[ -f .gpu/lib-test/$standalone ]] || cp "$m2" .gpu/lib-test/

say "fixtures -> .gpu/fixtures"
for f in "${FIXTURES[@]}"; do
    [[ -d $FIXTURES_SRC/$f ]] || { say "missing fixture $FIXTURES_SRC/$f"; exit 1; }
    cp -r "$FIXTURES_SRC/$f" .gpu/fixtures/
done

say "modules (jdeps over .gpu/lib and .gpu/lib-test)"
# modular jars need their dependencies on a module path; the strata jars are not valid module names there
mp=$(mktemp -d)
trap 'rm -rf "$mp"' EXIT
for j in .gpu/lib/*.jar .gpu/lib-test/$standalone; do
    case $(basename "$j") in strata-*) ;; *) cp "$j" "$mp/" ;; esac
done
found=""
for j in .gpu/lib/*.jar .gpu/lib-test/*.jar; do
    if ! mods=$(jdeps --ignore-missing-deps --print-module-deps --multi-release 25 "$j" 2>/dev/null | tail -n1) ||
        [[ ! $mods =~ ^[a-z.,]+$ ]]; then
        if ! mods=$(jdeps --ignore-missing-deps --print-module-deps --multi-release 25 --module-path "$mp" "$j" 2>/dev/null | tail -n1) ||
            [[ ! $mods =~ ^[a-z.,]+$ ]]; then
            say "  jdeps could not read $(basename "$j"); relying on the base modules"
            continue
        fi
    fi
    say "  $(basename "$j"): $mods"
    found+=",$mods"
done
# keep the JDK's own modules only (jdeps also names the library modules a modular jar requires)
"$JDK/bin/java" --list-modules | sed 's/@.*//' > "$mp/jdk-modules.txt"
modules=$(printf '%s\n' ${BASE_MODULES//,/ } ${found//,/ } | sort -u | grep -x -F -f "$mp/jdk-modules.txt" |
    grep -v -x -F -e "${DROP_MODULES//,/$'\n'}" | paste -sd, -)
say "jlink modules: $modules (dropped: $DROP_MODULES)"

say "jlink from $JDK"
jre_tmp=$(mktemp -d)
# --compress=zip-0 on purpose: xz packs the uncompressed module image far better (15 MB against
# 24 MB with zip-9 for the same modules); unpacked it is ~72 MB in /tmp on the GPU host.
"$JDK/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --compress="${STRATA_JLINK_COMPRESS:-zip-0}" --output "$jre_tmp/jre"
"$jre_tmp/jre/bin/java" --add-modules jdk.incubator.vector -version 2>&1 | grep -v WARNING | head -1
say "jre: $(du -sh "$jre_tmp/jre" | cut -f1) unpacked; packing jre.tar.xz (xz -9 -T2)"
tar -C "$jre_tmp" -cf - jre | xz -9 -T2 > .gpu/jre.tar.xz
rm -rf "$jre_tmp"

{
    echo "packed $(date -u +%FT%TZ) on $(hostname) from commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$([[ -n $(git status --porcelain 2>/dev/null) ]] && echo +dirty)"
    echo "jlink modules: $modules"
    (cd .gpu && find . -type f -printf '%s %p\n' | sort -k2 | awk '{printf "%10d %s\n", $1, $2}' | grep -v '^ *[0-9]* ./fixtures/')
    du -sh .gpu/fixtures/* | awk '{print "fixture " $2 " " $1}'
} > .gpu/MANIFEST.txt

bytes=$(du -sb .gpu | cut -f1)
mib=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1048576}')
say "sizes:"
du -sh .gpu/lib .gpu/lib-test .gpu/fixtures .gpu/jre.tar.xz | sed 's/^/    /'
say ".gpu total: $mib MiB (limit $LIMIT_MIB MiB)"
if ((bytes > LIMIT_MIB * 1048576)); then
    say "ERROR: .gpu is over $LIMIT_MIB MiB; the working tree plus carried paths must stay under 64 MiB"
    exit 1
fi
for w in "${WARNINGS[@]}"; do say "WARNING: $w"; done
say "done. Device tool: command 'bash bench/gpu-check.sh', carry [\".gpu\"], timeout_s 600"
