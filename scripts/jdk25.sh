#!/usr/bin/env bash
# Strata: source this to export JAVA_HOME pointing at a JDK >= 25 (the build and the launcher
# need it). Order: $JAVA_HOME if it is 25+, then `java` on PATH if 25+, then the newest 25+
# JDK in the usual install locations. Sourced, so it sets no shell options and returns
# (never exits) with status 1 and a message naming where it looked when none is found.

_strata_java_version() {
    local home=$1 line
    [[ -x "$home/bin/java" ]] || return 1
    if [[ -f "$home/release" ]]; then
        line=$(grep -m1 '^JAVA_VERSION=' "$home/release" 2>/dev/null || true)
        line=${line#JAVA_VERSION=}
        line=${line//\"/}
    fi
    if [[ -z "${line:-}" ]]; then
        line=$("$home/bin/java" -version 2>&1 | head -n1 | sed -n 's/^[^"]*"\([^"]*\)".*/\1/p')
    fi
    [[ -n "$line" ]] || return 1
    [[ $line == 1.* ]] && line=${line#1.}
    printf '%s\n' "$line"
}

_strata_java_major() {
    local v
    v=$(_strata_java_version "$1") || return 1
    v=${v%%[^0-9]*}
    [[ -n "$v" ]] || return 1
    printf '%s\n' "$v"
}

_strata_is_jdk25() {
    local major
    major=$(_strata_java_major "$1") || return 1
    (( major >= 25 ))
}

_strata_find_jdk25() {
    local candidate best="" best_version="" version path
    if [[ -n "${JAVA_HOME:-}" ]] && _strata_is_jdk25 "$JAVA_HOME"; then
        printf '%s\n' "$JAVA_HOME"
        return 0
    fi
    if path=$(command -v java 2>/dev/null); then
        path=$(readlink -f "$path" 2>/dev/null || printf '%s' "$path")
        candidate=$(dirname "$(dirname "$path")")
        if _strata_is_jdk25 "$candidate"; then
            printf '%s\n' "$candidate"
            return 0
        fi
    fi
    local -a dirs=(/usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*
        /Library/Java/JavaVirtualMachines/*/Contents/Home)
    for candidate in "${dirs[@]}"; do
        [[ -d "$candidate" ]] || continue
        _strata_is_jdk25 "$candidate" || continue
        version=$(_strata_java_version "$candidate") || continue
        if [[ -z "$best" || "$version" != "$best_version" &&
              $(printf '%s\n%s\n' "$best_version" "$version" | sort -V | tail -n1) == "$version" ]]; then
            best=$candidate
            best_version=$version
        fi
    done
    [[ -n "$best" ]] || return 1
    printf '%s\n' "$best"
}

if _strata_jdk25_home=$(_strata_find_jdk25); then
    export JAVA_HOME=$_strata_jdk25_home
    export PATH="$JAVA_HOME/bin:$PATH"
    unset -f _strata_java_version _strata_java_major _strata_is_jdk25 _strata_find_jdk25
    unset _strata_jdk25_home
else
    unset -f _strata_java_version _strata_java_major _strata_is_jdk25 _strata_find_jdk25
    unset _strata_jdk25_home
    {
        echo "strata: no JDK 25 or newer found. Looked at:"
        echo "  JAVA_HOME=${JAVA_HOME:-<unset>}"
        echo "  java on PATH: $(command -v java 2>/dev/null || echo '<none>')"
        echo "  /usr/lib/jvm/*, /opt/java/*, /opt/jdk*, ~/.sdkman/candidates/java/*,"
        echo "  /Library/Java/JavaVirtualMachines/*/Contents/Home"
        echo "Install a JDK 25+ (e.g. Temurin 25) or set JAVA_HOME to one."
    } >&2
    return 1 2>/dev/null || exit 1
fi
