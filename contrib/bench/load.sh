# shellcheck shell=bash
# contrib/bench/load.sh - a small load generator in bash + curl, sourced
# by the load and fault tests (t/integration/test_load.sh,
# test_faults.sh).  Each client is one curl process sending batches of
# requests with --parallel (keep-alive connections, PARALLEL at a time),
# so a handful of clients saturate a 2-CPU stack without a curl per
# request.
#
#   load_init DIR URL TOKEN       where results go, the API, a token
#   load_mix LINE...              the requests: "GET /path" or
#                                 "POST /path @BODYFILE"; "GET /tasks/{id}"
#                                 takes an id from $LOAD_DIR/ids in turn
#   load_client ID COUNT [UNTIL]  COUNT requests (0: no bound) in batches
#                                 of $LOAD_BATCH, or until epoch second
#                                 UNTIL; run it in the background
#   load_codes                    "count status" lines over all clients
#   load_created                  ids of the tasks answered with 201
#   load_max_time                 the slowest request, in seconds
#
# Results: $LOAD_DIR/results holds "status seconds METHOD PATH" per
# request; $LOAD_DIR/created the ids of created tasks.

LOAD_BATCH=${LOAD_BATCH:-200}
LOAD_PARALLEL=${LOAD_PARALLEL:-2}

load_init() {
	LOAD_DIR=$1
	LOAD_URL=$2
	LOAD_TOKEN=$3
	LOAD_MIX=()
	mkdir -p "$LOAD_DIR"
	: > "$LOAD_DIR/results"
	: > "$LOAD_DIR/created"
	touch "$LOAD_DIR/ids"
}

load_mix() {
	LOAD_MIX+=("$@")
}

# One batch of client $1, requests $2 .. $2+$3-1 of the mix: one awk
# writes the curl config, one curl sends it.
_load_batch() {
	local id=$1 first=$2 count=$3 dir=$LOAD_DIR/c$1
	mkdir -p "$dir/out"
	printf '%s\n' "${LOAD_MIX[@]}" > "$dir/mix"
	awk -v first="$first" -v count="$count" -v dir="$dir" \
	    -v url="$LOAD_URL" -v token="$LOAD_TOKEN" -v cfg="$dir/cfg" \
	    -v desc="$dir/desc" '
	    function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
	    FILENAME == ARGV[1] { mix[nmix++] = $0; next }
	    { ids[nids++] = $0 }
	    END {
		printf "" > cfg; printf "" > desc
		n = 0
		for (i = 0; i < count; i++) {
			line = mix[(first + i) % nmix]
			method = line; sub(/ .*/, "", method)
			path = line; sub(/^[^ ]* /, "", path)
			body = ""
			if (index(path, " @")) { body = path; sub(/^.* @/, "", body); sub(/ @.*/, "", path) }
			if (index(path, "{id}")) {
				if (nids == 0) continue
				sub(/\{id\}/, ids[(first + i) % nids], path)
			}
			if (n++) print "next" > cfg
			print "url = " q(url path) > cfg
			print "request = " method > cfg
			print "globoff" > cfg
			print "silent" > cfg
			print "max-time = 30" > cfg
			print "header = " q("Authorization: Bearer " token) > cfg
			if (body != "") {
				print "header = \"Content-Type: application/json\"" > cfg
				print "data-binary = " q("@" body) > cfg
				print "output = " q(dir "/out/" i) > cfg
			} else
				print "output = \"/dev/null\"" > cfg
			print "write-out = \"" i " %{http_code} %{time_total}\\n\"" > cfg
			print i, method, path > desc
		}
	    }' "$dir/mix" "$LOAD_DIR/ids"
	[ -s "$dir/desc" ] || return 0
	curl -Z --parallel-max "$LOAD_PARALLEL" -K "$dir/cfg" > "$dir/res" 2>/dev/null || true
	# "status seconds METHOD PATH"; ids of what was created.
	awk 'NR == FNR { m[$1] = $2; p[$1] = $3; next }
	     { print $2, $3, m[$1], p[$1] }' "$dir/desc" "$dir/res" >> "$LOAD_DIR/results.$id"
	awk -v d="$dir/out/" '$2 == 201 { print d $1 }' "$dir/res" |
	    xargs -r grep -ho '^{"id":"[0-9a-f-]\{36\}"' 2>/dev/null |
	    cut -d'"' -f4 >> "$LOAD_DIR/created.$id"
	rm -f "$dir/out/"*
}

load_client() {
	local id=$1 count=$2 until=${3:-0} done=0 n
	: > "$LOAD_DIR/results.$id"
	: > "$LOAD_DIR/created.$id"
	while :; do
		[ "$count" -gt 0 ] && [ "$done" -ge "$count" ] && break
		[ "$until" -gt 0 ] && [ "$(date +%s)" -ge "$until" ] && break
		n=$LOAD_BATCH
		[ "$count" -gt 0 ] && [ $((count - done)) -lt "$n" ] && n=$((count - done))
		_load_batch "$id" $((done + id * 7)) "$n"
		done=$((done + n))
	done
}

_load_gather() {
	cat "$LOAD_DIR"/results.* > "$LOAD_DIR/results" 2>/dev/null || true
	cat "$LOAD_DIR"/created.* > "$LOAD_DIR/created" 2>/dev/null || true
}

load_codes() {
	_load_gather
	awk '{ print $1 }' "$LOAD_DIR/results" | sort | uniq -c | awk '{ print $1, $2 }'
}

load_created() {
	_load_gather
	sort -u "$LOAD_DIR/created"
}

load_max_time() {
	_load_gather
	awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$LOAD_DIR/results"
}
