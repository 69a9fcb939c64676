#!/usr/bin/env bash
# Builds the binary distribution (./mvnw -B -Pdist package runs it after the cli jar and its libraries are in
# target/): smelt-VERSION-linux-x64/{bin/smelt, lib/*.jar, runtime/} as a .tar.gz in cli/target. runtime/ is a
# jlink image of JDK 25 with the modules jdeps finds in the jars plus jdk.incubator.vector, so the unpacked
# folder runs where no JDK is installed. Checks that bin/smelt --version runs with no JDK on PATH.
# Usage: make-dist.sh CLI_TARGET_DIR VERSION
set -euo pipefail
TARGET="$(cd "$1" && pwd)"
VERSION="$2"
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pick_jdk() { # jlink and jdeps of JDK 25+ (Maven itself may run on an older JDK)
  for j in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-* /usr/lib/jvm/*; do
    if [ -n "$j" ] && [ -x "$j/bin/jlink" ] && "$j/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
      echo "$j"; return
    fi
  done
  echo "make-dist: error: JDK 25 or newer with jlink is required; set JAVA_HOME" >&2; exit 1
}
JDK="$(pick_jdk)"
NAME="smelt-$VERSION-linux-x64"
OUT="$TARGET/dist"
STAGE="$OUT/$NAME"
rm -rf "$OUT" "$TARGET/$NAME.tar.gz"
mkdir -p "$STAGE/bin" "$STAGE/lib"
cp "$TARGET/smelt-cli.jar" "$TARGET"/lib/*.jar "$STAGE/lib/"
echo "make-dist: finding the JDK modules the jars use (jdeps) ..." >&2
MODS="$("$JDK/bin/jdeps" -q --ignore-missing-deps --multi-release 25 --print-module-deps --class-path "$STAGE/lib/*" "$STAGE"/lib/smelt-*.jar)"
# jdk.incubator.vector: the kernels; jdk.crypto.ec: TLS to the hub; jdk.zipfs, jdk.charsets: libraries that look them up by name.
MODS="$MODS,jdk.incubator.vector,jdk.crypto.ec,jdk.zipfs,jdk.charsets"
echo "make-dist: jlink $MODS" >&2
"$JDK/bin/jlink" --add-modules "$MODS" --strip-debug --no-header-files --no-man-pages --compress=zip-6 --output "$STAGE/runtime"
install -m 755 "$SRC/smelt" "$STAGE/bin/smelt"
# The check: a `java` first on PATH that fails, JAVA_HOME unset; bin/smelt must not need either.
FAKE="$(mktemp -d)"
trap 'rm -rf "$FAKE"' EXIT
printf '#!/bin/sh\necho "bin/smelt used the java on PATH" >&2\nexit 3\n' > "$FAKE/java"
chmod +x "$FAKE/java"
V="$(env -i HOME="$FAKE" PATH="$FAKE:/usr/bin:/bin" "$STAGE/bin/smelt" --version)"
echo "$V" | grep -q '^smelt ' || { echo "make-dist: error: bin/smelt --version printed '$V'" >&2; exit 1; }
tar -C "$OUT" -czf "$TARGET/$NAME.tar.gz" "$NAME"
echo "make-dist: $TARGET/$NAME.tar.gz: $(du -h "$TARGET/$NAME.tar.gz" | cut -f1) (runtime $(du -sh "$STAGE/runtime" | cut -f1), lib $(du -sh "$STAGE/lib" | cut -f1), unpacked $(du -sh "$STAGE" | cut -f1)); bin/smelt --version: $V" >&2
