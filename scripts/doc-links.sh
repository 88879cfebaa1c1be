#!/usr/bin/env bash
# Fails when a markdown file of the repository points at a file that is not
# in it, so the docs never send a newcomer to something that was moved or
# removed. Checked in every git-tracked *.md:
#   - relative links [text](path) and [text](path#anchor), resolved from
#     the markdown file's directory (web links, mailto: and #anchors are
#     not checked);
#   - backticked repository paths outside code fences, e.g.
#     `scripts/test.sh` or `packages/relayer/src/engine.rs`: every word of
#     an inline code span that starts with a top-level directory of the
#     repository, resolved from the repository root. Words with
#     placeholders (<name>, {id}, *, …) are skipped.
set -euo pipefail
set -f  # words of code spans are never globbed
cd "$(dirname "$0")/.."

# Top-level directories whose paths the docs cite in backticks; generated
# ones (artifacts/, .tools/, .devnet/, target/) are left out on purpose.
ROOTS='contracts|packages|tests|scripts|bench|schema|devnet|docs|\.ci'

missing=0
report() { echo "$1: $2 does not exist" >&2; missing=$((missing + 1)); }

while IFS= read -r md; do
  dir=$(dirname "$md")
  # Lines outside ``` fences, each prefixed with its line number.
  body=$(awk '/^[[:space:]]*```/ { fenced = !fenced; next } !fenced { print NR ":" $0 }' "$md")

  # [text](target): the target up to the closing parenthesis.
  while IFS= read -r hit; do
    [ -n "$hit" ] || continue
    line=${hit%%:*}
    target=${hit#*:}
    target=${target#*](}
    target=${target%)}
    target=${target%%#*}
    target=${target%% *}
    case "$target" in
      '' | http://* | https://* | mailto:*) continue ;;
    esac
    [ -e "$dir/$target" ] || report "$md:$line" "link $target"
  done < <(printf '%s\n' "$body" | grep -oE '^[0-9]+:|\]\([^)[:space:]]+( "[^"]*")?\)' |
    awk '/^[0-9]+:$/ { n = $0; next } { print n $0 }')

  # `inline code`: each word that starts with a repository directory.
  while IFS= read -r hit; do
    [ -n "$hit" ] || continue
    line=${hit%%:*}
    span=${hit#*:}
    span=${span#\`}
    span=${span%\`}
    for word in $span; do
      word=${word%[,.;:)]}
      [[ "$word" =~ ^($ROOTS)/ ]] || continue
      [[ "$word" =~ [\<\>\{\}\*…\$] ]] && continue
      [ -e "$word" ] || report "$md:$line" "path $word"
    done
  done < <(printf '%s\n' "$body" | grep -oE '^[0-9]+:|`[^`]+`' |
    awk '/^[0-9]+:$/ { n = $0; next } { print n $0 }')
done < <(git ls-files '*.md')

if [ "$missing" -gt 0 ]; then
  echo "doc-links: $missing reference(s) to files that are not in the repository" >&2
  exit 1
fi
echo "doc-links: every relative link and backticked path exists"
