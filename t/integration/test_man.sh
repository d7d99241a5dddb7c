#!/usr/bin/env bash
# test_man.sh - the manual pages: mandoc -Tlint is clean on each page that
# Makefile.am installs (dist_man_MANS), a tasker page another page refers
# to exists, and every option and command a program's usage text names
# appears in that program's page.  Needs mandoc (Debian package mandoc,
# in contrib/quickstart's PACKAGES).  The stack itself is not used.
. "$(dirname "$0")/lib.sh"

cd "$TASKER_ROOT" || exit 1

# The pages, from Makefile.am, so a page added there is linted here.
mapfile -t PAGES < <(sed -n '/^dist_man_MANS/,/[^\\]$/p' Makefile.am |
    tr ' \t\\' '\n\n\n' | grep -E '\.[1-9]$')

case_begin "Makefile.am installs the five pages"
expect_eq "${#PAGES[@]}" 5
for p in "${PAGES[@]}"; do
	[ -f "$p" ] || fail "$p: no such file"
done

# lint PAGE: mandoc's messages at every level (style included), less the
# two that depend on which manuals this machine has installed, not on the
# page: "referenced manual not found" (our own cross-references are
# checked below) and "outdated mandoc.db".
lint() {
	mandoc -Tlint -W style "$1" 2>&1 |
	    grep -v -e 'referenced manual not found' -e 'outdated mandoc\.db'
}

case_begin "the lint catches a page with a warning"
printf '.Dd December 7, 2026\n.Dt BAD 8\n.Os\n.Sh NAME\n.Nm bad\n.Nd bad\n.Sh DESCRIPTION\nOne sentence.  Two on a line.\n.Pp\n.Pp\n' \
    >"$T_TMP/bad.8"
[ -n "$(lint "$T_TMP/bad.8")" ] || fail "mandoc -Tlint reported nothing"

for p in "${PAGES[@]}"; do
	case_begin "mandoc -Tlint is clean on $p"
	out=$(lint "$p")
	[ -z "$out" ] || fail "$(printf '%s\n' "$out" | head -10)"
done

case_begin "every tasker page a page refers to (.Xr) exists"
names=()
for p in "${PAGES[@]}"; do
	b=${p##*/}
	names+=("${b%.*} ${b##*.}")
done
for p in "${PAGES[@]}"; do
	while read -r _ name sec _; do
		printf '%s\n' "${names[@]}" | grep -qxF "$name $sec" ||
		    fail "$p: .Xr $name $sec: no such page"
	done < <(grep -E '^\.Xr tasker' "$p")
done

# usage_words PROGRAM: the options (-x, --long) and, for tasker-admin, the
# commands its usage text names; --help prints it (on stdout or stderr).
usage_words() {
	"$TASKER_BUILD/$1" --help 2>&1 </dev/null |
	    grep -oE '(^|[ [|])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' [|' | sort -u
	[ "$1" != tasker-admin ] ||
	    "$TASKER_BUILD/$1" --help 2>&1 </dev/null |
	    grep -oE '^  [a-z][a-z0-9]*( [a-z][a-z0-9]*)?' | sed 's/^  //' |
	    sort -u
}

for prog in tasker-admin tasker-fcgi tasker-worker; do
	case_begin "$prog: every option and command of its usage is in $prog.8"
	page=src/$prog.8
	text=$(mandoc -Tascii "$page" | col -b)
	words=$(usage_words "$prog")
	[ -n "$words" ] || fail "$prog --help printed no option"
	while read -r w; do
		[ -n "$w" ] || continue
		printf '%s\n' "$text" |
		    grep -qE -- "(^|[^a-zA-Z0-9-])$w([^a-zA-Z0-9-]|\$)" ||
		    fail "$page does not mention '$w'"
	done <<<"$words"
done

finish
