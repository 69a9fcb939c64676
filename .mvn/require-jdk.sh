# shellcheck shell=sh
# Sourced by ./mvnw before Maven starts: smelt compiles and tests with JDK 25 (the Vector API and class file
# version 69), while Maven itself may run on an older JDK. The root pom's maven-toolchains-plugin
# (select-jdk-toolchain) then finds the JDK 25 by the same heuristic as below. This check only exists to fail
# in the first second with one clear sentence when no JDK 25 is installed, instead of Maven's toolchain error
# or javac's "invalid flag" minutes later. It looks where the plugin looks (JAVA_HOME, JAVA*_HOME, the java on
# PATH, and the usual installation folders) and reads each JDK's `release` file, which starts no JVM.
smelt_jdk_version() { # $1 = a JDK home; prints its version (e.g. 25.0.1), or nothing
  [ -x "$1/bin/javac" ] && [ -f "$1/release" ] || return 0
  sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$1/release" | head -n 1
}
smelt_require_jdk() {
  _need=25
  _found=""
  _java="$(command -v java 2>/dev/null || :)"
  _current="${JAVA_HOME:-}"
  if [ -z "$_current" ] && [ -n "$_java" ]; then
    _current="$(dirname "$(dirname "$(readlink -f "$_java" 2>/dev/null || printf %s "$_java")")")"
  fi
  set +f
  # SMELT_JDK_CANDIDATES (space-separated JDK homes) replaces the installation folders; tests use it.
  # shellcheck disable=SC2086
  for _home in "$_current" $(env | sed -n 's/^JAVA[A-Za-z0-9_]*_HOME=//p') ${SMELT_JDK_CANDIDATES:-\
    "$HOME"/.jdks/* "$HOME"/.m2/jdks/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.gradle/jdks/* \
    "$HOME"/.jenv/versions/* "$HOME"/.jbang/cache/jdks/* "$HOME"/.asdf/installs/* "$HOME"/.jabba/jdk/* \
    /usr/jdk/* /usr/java/* /opt/java/* /usr/lib/jvm/* \
    /Library/Java/JavaVirtualMachines/*/Contents/Home "$HOME"/Library/Java/JavaVirtualMachines/*/Contents/Home}; do
    [ -n "$_home" ] && [ -d "$_home" ] || continue
    _major="$(smelt_jdk_version "$_home" | sed 's/^1\.//; s/[^0-9].*//')"
    if [ -n "$_major" ] && [ "$_major" -ge "$_need" ]; then set -f; return 0; fi
  done
  set -f
  if [ -n "$_current" ]; then
    _found="$(smelt_jdk_version "$_current")"
    _found="${_found:+Java $_found at }$_current"
  else
    _found="no java on PATH"
  fi
  printf '%s\n' "JDK $_need or newer is required; found $_found; set JAVA_HOME to a JDK $_need (for example from https://adoptium.net)." >&2
  exit 1
}
smelt_require_jdk
