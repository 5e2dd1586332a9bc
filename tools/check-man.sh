#!/bin/bash
# tools/check-man.sh RECON [MANDIR [XSD]] - the man pages cannot drift from
# the binary and the schema (make man-check, part of make check). Fails,
# naming each omission, when:
#   - groff -man -ww reports any warning for recon.1 or recon-job.5;
#   - recon.1's .TH does not name the version `RECON --version` prints;
#   - a command of `RECON --help` has no ".SS recon COMMAND" subsection
#     in recon.1, or an option of its usage line is not a tagged
#     paragraph (.TP/.TQ) of that subsection; or that subsection tags an
#     option the usage line does not have;
#   - --help or --version is not tagged under OPTIONS;
#   - a code and name of `RECON exit-codes`, or 14 LOCKED (reserved:
#     README.md), is not tagged under EXIT STATUS;
#   - an element XSD declares has no .SS heading naming <it> in
#     recon-job.5, or an attribute it declares is no tagged paragraph.
# MANDIR defaults to docs/man, XSD to etc/job.xsd (tests pass copies).
set -u
recon=${1:?usage: tools/check-man.sh RECON [MANDIR [XSD]]}
mandir=${2:-docs/man}
xsd=${3:-etc/job.xsd}
page1=$mandir/recon.1
page5=$mandir/recon-job.5
bad=0
miss() {
	echo "check-man: $*" >&2
	bad=1
}

for p in "$page1" "$page5"; do
	if [ ! -f "$p" ]; then
		miss "$p: no such file"
		continue
	fi
	w=$(groff -man -Tutf8 -ww -z "$p" 2>&1)
	[ -z "$w" ] || miss "$p: groff warns: $w"
done
[ "$bad" = 0 ] || exit 1

# "SECTION<TAB>SUBSECTION<TAB>KIND<TAB>TEXT" for every .SH/.SS heading
# (KIND head) and tagged paragraph (KIND tag), the troff escapes and font
# macros taken out: \- is -, quotes and \f? go.
outline() {
	awk '
	function plain(s) {
		sub(/^\.[A-Z][A-Z]? */, "", s)
		gsub(/\\-/, "-", s); gsub(/\\f[BIRP]/, "", s); gsub(/\\&/, "", s)
		gsub(/\\%/, "", s); gsub(/\\e/, "\\", s); gsub(/"/, "", s)
		return s
	}
	/^\.SH / { sh = plain($0); ss = ""; print sh "\t\thead\t" sh; next }
	/^\.SS / { ss = plain($0); print sh "\t" ss "\thead\t" ss; next }
	/^\.T[PQ]/ { tag = 1; next }
	tag && /^\.\\"/ { next }
	tag { tag = 0; print sh "\t" ss "\ttag\t" plain($0) }' "$1"
}
o1=$(outline "$page1")
o5=$(outline "$page5")

# the version
want=$("$recon" --version | awk 'NR == 1 { print $2 }')
grep -q "^\.TH .*\"recon $want\"" "$page1" ||
	miss "$page1: .TH does not name recon $want (recon --version)"

# commands and their options, from --help
help=$("$recon" --help) || { miss "$recon --help failed"; exit 1; }
cmds=$(printf '%s\n' "$help" | awk '/^  recon [a-z]/ { print $2 }')
[ -n "$cmds" ] || miss "no commands in $recon --help"
for c in $cmds; do
	usage=$(printf '%s\n' "$help" | awk -v c="$c" '
		/^  recon / { on = ($2 == c); if (on) print; next }
		on && /^          / { print; next }
		{ on = 0 }')
	sub=$(printf '%s\n' "$o1" | awk -F '\t' -v c="$c" '
		$1 == "COMMANDS" && $3 == "head" { split($4, w, " ");
			if (w[1] == "recon" && w[2] == c) { print $2; exit } }')
	if [ -z "$sub" ]; then
		miss "$page1: command '$c' has no '.SS recon $c' under COMMANDS"
		continue
	fi
	opts=$(printf '%s\n' "$usage" | grep -oE '(^|[][ |])--?[a-z][-a-z]*' |
		sed 's/^[][ |]*//' | sort -u)
	tags=$(printf '%s\n' "$o1" | awk -F '\t' -v s="$sub" '
		$1 == "COMMANDS" && $2 == s && $3 == "tag" { split($4, w, " "); print w[1] }' |
		grep '^-' | sort -u)
	for o in $opts; do
		printf '%s\n' "$tags" | grep -qxF -- "$o" ||
			miss "$page1: recon $c: option $o (its usage line) is not a tagged paragraph of '$sub'"
	done
	for t in $tags; do
		printf '%s\n' "$opts" | grep -qxF -- "$t" ||
			miss "$page1: recon $c: '$sub' tags $t, which is not in its usage line"
	done
done
for o in --help --version; do
	printf '%s\n' "$o1" | awk -F '\t' -v o="$o" '
		$1 == "OPTIONS" && $3 == "tag" { split($4, w, " "); if (w[1] == o) f = 1 }
		END { exit !f }' || miss "$page1: $o is not tagged under OPTIONS"
done

# exit codes
codes=$("$recon" exit-codes | awk 'NR > 1 { print $1 ":" $2 }')
[ -n "$codes" ] || miss "no codes in $recon exit-codes"
for cn in $codes 14:LOCKED; do
	printf '%s\n' "$o1" | awk -F '\t' -v c="${cn%%:*}" -v n="${cn#*:}" '
		$1 == "EXIT STATUS" && $3 == "tag" { t = $4; gsub(/,/, " ", t)
			k = split(t, w, " "); if (w[1] == c) for (i = 2; i <= k; i++) if (w[i] == n) f = 1 }
		END { exit !f }' || miss "$page1: exit code ${cn%%:*} ${cn#*:} is not tagged under EXIT STATUS"
done

# the job schema
elems=$(grep -o '<xs:element name="[^"]*"' "$xsd" | sed 's/.*name="//; s/"$//' | sort -u)
attrs=$(grep -o '<xs:attribute name="[^"]*"' "$xsd" | sed 's/.*name="//; s/"$//' | sort -u)
[ -n "$elems" ] && [ -n "$attrs" ] || miss "$xsd: no elements or attributes found"
heads5=$(printf '%s\n' "$o5" | awk -F '\t' '$3 == "head" { print $4 }')
tags5=$(printf '%s\n' "$o5" | awk -F '\t' '$3 == "tag" { split($4, w, " "); print w[1] }' | sort -u)
for e in $elems; do
	printf '%s\n' "$heads5" | grep -qF -- "<$e>" ||
		miss "$page5: element <$e> ($xsd) has no .SS heading"
done
for a in $attrs; do
	printf '%s\n' "$tags5" | grep -qxF -- "$a" ||
		miss "$page5: attribute $a ($xsd) is not a tagged paragraph"
done

if [ "$bad" = 0 ]; then
	echo "check-man: $(basename "$page1") and $(basename "$page5"): $(echo $cmds | wc -w) commands, $(echo "$codes" | wc -l) exit codes, $(echo $elems | wc -w) elements and $(echo $attrs | wc -w) attributes: ok"
fi
exit "$bad"
