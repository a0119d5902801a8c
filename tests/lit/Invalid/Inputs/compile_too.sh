#!/bin/sh
# Stands in for `attnc -fsyntax-only ARGS...` in the malformed-model corpus:
# runs it, then compiles the same model to an object (`attnc ARGS... -o`),
# and fails unless both fail alike (same exit status, same diagnostics), so
# that every construct of the corpus also goes through the whole compiler.
# What -fsyntax-only printed and its exit status are passed on for the test
# to check.
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
attnc -fsyntax-only "$@" >"$work/check.out" 2>"$work/check.err"
check=$?
attnc "$@" -o "$work/model.o" >"$work/compile.out" 2>"$work/compile.err"
compile=$?
if [ "$check" != "$compile" ] || ! cmp -s "$work/check.err" "$work/compile.err"; then
  echo "compile_too.sh: attnc -fsyntax-only exits $check but compiling exits $compile," \
       "or their diagnostics differ:" >&2
  diff "$work/check.err" "$work/compile.err" >&2
  exit 99
fi
cat "$work/check.out"
cat "$work/check.err" >&2
exit "$check"
