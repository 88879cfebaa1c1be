#!/usr/bin/env bash
# Fails when a markdown file of the repository points at a file that is not
# in it, so the docs never send a newcomer to something that was moved or
# removed. Checked in every git-tracked *.md:
#   - relative links [text](path), [text](path#anchor) and [text](#anchor),
#     resolved from the markdown file's directory; an anchor must be the
#     GitHub slug of a heading of the target (web links and mailto: are not
#     checked);
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
# GitHub's heading anchors of a markdown file: lower case, punctuation
# dropped, spaces as hyphens.
slugs() {
  awk '/^[[:space:]]*```/ { fenced = !fenced; next } !fenced && /^#+ / { sub(/^#+ +/, ""); print }' "$1" |
    tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}
report() { echo "$1: $2" >&2; missing=$((missing + 1)); }

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
    target=${target%% *}
    case "$target" in
      http://* | https://* | mailto:*) continue ;;
    esac
    anchor=
    [[ "$target" == *"#"* ]] && anchor=${target#*#}
    file=${target%%#*}
    path=$md
    if [ -n "$file" ]; then
      path="$dir/$file"
      [ -e "$path" ] || { report "$md:$line" "link $target: no such file"; continue; }
    fi
    if [ -n "$anchor" ] && [ -f "$path" ] && ! slugs "$path" | grep -qxF -- "$anchor"; then
      report "$md:$line" "link $target: no such heading"
    fi
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
      [ -e "$word" ] || report "$md:$line" "path $word: no such file"
    done
  done < <(printf '%s\n' "$body" | grep -oE '^[0-9]+:|`[^`]+`' |
    awk '/^[0-9]+:$/ { n = $0; next } { print n $0 }')
done < <(git ls-files '*.md')

if [ "$missing" -gt 0 ]; then
  echo "doc-links: $missing reference(s) to files or headings that are not in the repository" >&2
  exit 1
fi
echo "doc-links: every relative link and backticked path exists"
