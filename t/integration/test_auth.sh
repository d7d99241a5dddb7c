#!/usr/bin/env bash
# test_auth.sh - authentication and permissions end to end: one case per
# attack or mistake, through nginx -> tasker-fcgi, each with the exact
# status, body and challenge a client sees.
#
# Most cases use the stack (HS256, kid "quickstart", no iss/aud).  Cases
# that need another auth configuration (RS256 keys, iss/aud, a small
# max_token_bytes) go to two private tasker-fcgi pools with config copies
# behind a private nginx on TASKER_AUTH_PORT (default: the stack's port +
# 1000), all started here and stopped on exit.  Tokens and secrets live in
# variables and files under $T_TMP only; nothing here prints one.
. "$(dirname "$0")/lib.sh"

FIX=$TASKER_ROOT/t/fixtures/auth-it
JWT_TMP=$T_TMP/jwt
mkdir -m 700 "$JWT_TMP"
. "$FIX/jwt.sh"

SECRET=$TASKER_RUN/secrets/jwt.secret
STACK_PORT=${TASKER_URL#http://*:}
STACK_PORT=${STACK_PORT%%/*}
PRIV_PORT=${TASKER_AUTH_PORT:-$((STACK_PORT + 1000))}
PRIV=$T_TMP/priv
PRIV_URL=http://127.0.0.1:$PRIV_PORT
NOW=$(date +%s)
HS='{"alg":"HS256","typ":"JWT","kid":"quickstart"}'
CHALLENGE_BAD='Bearer realm="tasker", error="invalid_token"'
MSG401='Invalid or expired authentication token'

# Every token sent, one a line (mode 0600), for the log check at the end.
SENT=$T_TMP/sent-tokens
: >"$SENT"
chmod 600 "$SENT"

# use TOKEN: the next requests send it (and it is remembered).
use() {
	AUTH=$1
	[ -n "$1" ] && printf '%s\n' "$1" >>"$SENT"
}

# A token signed with the stack's secret: hs PAYLOAD [HEADER].
hs() {
	jwt_hs256 "${2:-$HS}" "$1" "$SECRET"
}

# Claims valid now with permissions $2 (a JSON array), sub $1.
claims() {
	printf '{"sub":"%s","iat":%d,"exp":%d,"permissions":%s}' \
	    "$1" "$NOW" $((NOW + 600)) "${2:-[\"*\"]}"
}

# The 401 of a presented but bad token.
expect_bad_token() {
	expect_error 401 AuthenticationError AUTHENTICATION_FAILED "$MSG401"
	expect_header WWW-Authenticate "$CHALLENGE_BAD"
}

expect_forbidden() {
	expect_error 403 AuthorizationError AUTHORIZATION_FAILED \
	    "Insufficient permissions for $1"
	[ -z "$(header WWW-Authenticate)" ] || fail "a 403 with a challenge"
}

# --------------------------------------------------------------- no token

case_begin "no Authorization header: 401 with a plain Bearer challenge"
use ""
req GET /handlers
expect_error 401 AuthenticationError AUTHENTICATION_FAILED "$MSG401"
expect_header WWW-Authenticate 'Bearer realm="tasker"'
req GET /handlers/payments/process_payment
expect_status 401
# Authentication comes before the lookup: no probing for namespaces.
req GET /handlers/no_such_namespace
expect_status 401

case_begin "the scheme is case-insensitive and may be followed by several spaces"
t=$(token tasker.handler:index)
printf '%s\n' "$t" >>"$SENT"
for h in "bearer $t" "BEARER $t" "Bearer   $t"; do
	req GET /handlers -H "Authorization: $h"
	expect_status 200
done

case_begin "another scheme (Basic, Digest, bare token): 401 with a plain Bearer challenge"
use ""
for h in 'Basic dXNlcjpwYXNz' 'Digest username="u"' 'Bearerx abc.def.ghi' \
    "$(hs "$(claims it-auth)")"; do
	req GET /handlers -H "Authorization: $h"
	expect_error 401 AuthenticationError AUTHENTICATION_FAILED "$MSG401"
	expect_header WWW-Authenticate 'Bearer realm="tasker"'
done
printf '%s\n' "$(hs "$(claims it-auth)")" >>"$SENT"

case_begin "\"Bearer\" without a token: 401 invalid_request"
use ""
req GET /handlers -H 'Authorization: Bearer'
expect_error 401 AuthenticationError AUTHENTICATION_FAILED "$MSG401"
expect_header WWW-Authenticate 'Bearer realm="tasker", error="invalid_request"'

# ------------------------------------------------------------ malformed

case_begin "garbage tokens: 401 invalid_token"
for t in 'garbage' 'a.b' 'a.b.c.d' '..' 'a..c' '.b.c' \
    'eyJhbGciOiJIUzI1NiJ9.e30.' "$(printf 'x%.0s' $(seq 1 300))" \
    'ZXlKaGJHY2lPaUpJVXpJMU5pSjku.e30.AAAA'; do
	use "$t"
	req GET /handlers
	expect_bad_token
done

case_begin "bad base64url (padding, '+', '/', stray bits) even when the signature is right: 401"
good=$(hs "$(claims it-auth)")
use "$good"
req GET /handlers
expect_status 200   # the control: the same claims, well encoded
# Standard base64 with '=' padding (the header's 46 bytes need two; the
# payload gets spaces until it needs some), correctly signed over.
pl=$(claims it-auth)
while ! printf '%s' "$pl" | base64 -w0 | grep -q '[=+/]'; do pl="$pl "; done
for input in "$(printf '%s' "$HS" | base64 -w0).${good#*.}" \
    "${good%%.*}.$(printf '%s' "$pl" | base64 -w0).x"; do
	input=${input%.*}    # the signing input: header.payload
	sig=$(printf '%s' "$input" | jwt_hmac_sha256 "$SECRET" | jwt_b64)
	use "$input.$sig"
	req GET /handlers
	expect_bad_token
done
# The right MAC in standard base64 ("=" padded), or padded base64url.
use "${good%.*}.$(printf '%s' "${good%.*}" | jwt_hmac_sha256 "$SECRET" | base64 -w0)"
req GET /handlers
expect_bad_token
use "${good}="
req GET /handlers
expect_bad_token
# The last of 43 characters carries 2 unused bits: flipping the lowest
# one spells the same bytes differently, which strict decoding refuses.
sig=${good##*.}
b64=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_
i=${b64%%"${sig: -1}"*}
i=${#i}
use "${good%?}${b64:$((i ^ 1)):1}"
req GET /handlers
expect_bad_token

case_begin "a tampered payload, header or signature: 401"
base=$(hs "$(claims it-auth '["tasker.handler:index"]')")
IFS=. read -r h p s <<<"$base"
use "$base"
req GET /handlers/payments/process_payment
expect_forbidden tasker.handler:show        # the control
use "$h.$(printf '%s' "$(claims it-auth)" | jwt_b64).$s"   # perms -> "*"
req GET /handlers/payments/process_payment
expect_bad_token
use "$(printf '%s' '{"alg":"HS256","typ":"JWT","kid":"quickstart","x":1}' | jwt_b64).$p.$s"
req GET /handlers
expect_bad_token
case "${s:0:1}" in A) alt=B ;; *) alt=A ;; esac
use "$h.$p.$alt${s:1}"
req GET /handlers
expect_bad_token

case_begin "a token signed with a wrong key: 401"
openssl rand -hex 32 >"$JWT_TMP/other.secret"
use "$(jwt_hs256 "$HS" "$(claims it-auth)" "$JWT_TMP/other.secret")"
req GET /handlers
expect_bad_token
# ... or with no kid, so that no key is chosen by name
use "$(jwt_hs256 '{"alg":"HS256","typ":"JWT"}' "$(claims it-auth)" "$JWT_TMP/other.secret")"
req GET /handlers
expect_bad_token

case_begin "alg none (any spelling, with or without a signature): 401"
for alg in none None NONE; do
	for kid in '' ',"kid":"quickstart"'; do
		hdr="{\"alg\":\"$alg\",\"typ\":\"JWT\"$kid}"
		t=$(jwt_unsigned "$hdr" "$(claims it-auth)")
		for v in "$t" "${t%.}" "${t}AAAA"; do
			use "$v"
			req GET /handlers
			expect_bad_token
		done
	done
done
# A real HS256 signature under an "alg":"none" header changes nothing.
t=$(hs "$(claims it-auth)" '{"alg":"none","typ":"JWT","kid":"quickstart"}')
use "$t"
req GET /handlers
expect_bad_token

case_begin "an algorithm that is not configured (HS512, RS256, ES256) with the stack's secret: 401"
for alg in HS512 RS256 ES256 hs256; do
	use "$(hs "$(claims it-auth)" "{\"alg\":\"$alg\",\"typ\":\"JWT\",\"kid\":\"quickstart\"}")"
	req GET /handlers
	expect_bad_token
done

# ------------------------------------------------------------ time claims

NOW=$(date +%s)    # fresh: the leeway cases below are second-exact
case_begin "expired (beyond the 30 s leeway): 401; expired within the leeway: 200"
use "$(hs "{\"sub\":\"it-auth\",\"exp\":$((NOW - 3600)),\"permissions\":[\"*\"]}")"
req GET /handlers
expect_bad_token
use "$(hs "{\"sub\":\"it-auth\",\"exp\":$((NOW - 60)),\"permissions\":[\"*\"]}")"
req GET /handlers
expect_bad_token
use "$(hs "{\"sub\":\"it-auth\",\"exp\":$((NOW - 5)),\"permissions\":[\"*\"]}")"
req GET /handlers
expect_status 200

NOW=$(date +%s)
case_begin "nbf in the future: 401; iat in the future: 401; both within the leeway: 200"
use "$(hs "{\"sub\":\"it-auth\",\"nbf\":$((NOW + 3600)),\"exp\":$((NOW + 7200)),\"permissions\":[\"*\"]}")"
req GET /handlers
expect_bad_token
use "$(hs "{\"sub\":\"it-auth\",\"iat\":$((NOW + 3600)),\"exp\":$((NOW + 7200)),\"permissions\":[\"*\"]}")"
req GET /handlers
expect_bad_token
use "$(hs "{\"sub\":\"it-auth\",\"nbf\":$((NOW + 5)),\"iat\":$((NOW + 5)),\"exp\":$((NOW + 600)),\"permissions\":[\"*\"]}")"
req GET /handlers
expect_status 200

case_begin "exp missing: 401"
use "$(hs '{"sub":"it-auth","permissions":["*"]}')"
req GET /handlers
expect_bad_token
use "$(hs "{\"sub\":\"it-auth\",\"nbf\":$NOW,\"iat\":$NOW,\"permissions\":[\"*\"]}")"
req GET /handlers
expect_bad_token

case_begin "exp (or nbf, iat) that is not a JSON integer: 401"
for c in "\"exp\":\"$((NOW + 600))\"" "\"exp\":$((NOW + 600)).5" \
    "\"exp\":$((NOW + 600)).0" '"exp":null' '"exp":true' "\"exp\":[$((NOW + 600))]" \
    "\"exp\":$((NOW + 600)),\"nbf\":\"0\"" "\"exp\":$((NOW + 600)),\"iat\":1.5"; do
	use "$(hs "{\"sub\":\"it-auth\",$c,\"permissions\":[\"*\"]}")"
	req GET /handlers
	expect_bad_token
done

case_begin "an aud claim when no audience is configured: 401"
use "$(hs "{\"sub\":\"it-auth\",\"aud\":\"someone-else\",\"exp\":$((NOW + 600)),\"permissions\":[\"*\"]}")"
req GET /handlers
expect_bad_token

case_begin "malformed sub or permissions: 401 (a sub cannot forge a log line)"
for c in '"sub":"it\nstatus=200 principal=admin"' '"sub":""' '"sub":42' \
    '"sub":"ok","permissions":"*"' '"sub":"ok","permissions":[1]' \
    '"sub":"ok","permissions":[""]' '"sub":"ok","permissions":{"*":1}'; do
	use "$(hs "{$c,\"exp\":$((NOW + 600))}")"
	req GET /handlers
	expect_bad_token
done
grep -q 'principal=admin' "$TASKER_RUN"/fcgi*.log && fail "a forged principal in the log"
# At most 256 permissions: 256 (the last one "*") work, 257 are refused.
perms=$(printf '"p%d",' $(seq 1 255))
use "$(hs "{\"sub\":\"it-auth\",\"exp\":$((NOW + 600)),\"permissions\":[$perms\"*\"]}")"
req GET /handlers
expect_status 200
use "$(hs "{\"sub\":\"it-auth\",\"exp\":$((NOW + 600)),\"permissions\":[$perms\"p256\",\"*\"]}")"
req GET /handlers
expect_bad_token

case_begin "odd JSON (trailing bytes, not an object, deep nesting, a crit header): 401"
deep=$(printf '[%.0s' $(seq 1 200))$(printf ']%.0s' $(seq 1 200))
for pl in "{\"sub\":\"a\",\"exp\":$((NOW + 600)),\"permissions\":[\"*\"]} x" \
    "{\"sub\":\"a\",\"exp\":$((NOW + 600)),\"permissions\":[\"*\"]}{}" \
    "[{\"exp\":$((NOW + 600))}]" \
    "{\"sub\":\"a\",\"exp\":$((NOW + 600)),\"permissions\":[\"*\"],\"x\":$deep}"; do
	use "$(hs "$pl")"
	req GET /handlers
	expect_bad_token
done
for hdr in '{"alg":"HS256","typ":"JWT","kid":"quickstart","crit":["exp"]}' \
    "{\"alg\":\"HS256\",\"kid\":\"quickstart\",\"x\":$deep}" \
    '{"alg":"HS256","kid":5}' "{\"alg\":\"HS256\",\"kid\":\"$(printf 'k%.0s' $(seq 1 300))\"}" \
    '{"alg":"HS256","typ":"JOSE+JSON","kid":"quickstart"}' '{"alg":["HS256"],"kid":"quickstart"}'; do
	use "$(hs "$(claims it-auth)" "$hdr")"
	req GET /handlers
	expect_bad_token
done

# ------------------------------------------------------------ permissions

case_begin "a valid token without the permission: 403 naming the route's permission"
use "$(token tasker.handler:show)"
req GET /handlers
expect_forbidden tasker.handler:index
req GET /handlers/payments
expect_forbidden tasker.handler:index
use "$(token tasker.handler:index)"
req GET /handlers/payments/process_payment
expect_forbidden tasker.handler:show
# A token with no permissions claim is authenticated and holds nothing.
use "$(hs "{\"sub\":\"it-auth\",\"exp\":$((NOW + 600))}")"
req GET /handlers
expect_forbidden tasker.handler:index
# 404 and 405 come before authentication: no route, nothing to protect.
use "$(token tasker.task:index)"
req DELETE /handlers/payments/process_payment
expect_status 405

case_begin "wildcards: tasker.handler:*, tasker.*, * match; lookalikes do not"
# grant -> statuses of GET /handlers, /handlers/payments, .../process_payment
while read -r grant want; do
	use "$(token "$grant")"
	got=""
	for p in /handlers /handlers/payments /handlers/payments/process_payment; do
		req GET "$p"
		got="$got${got:+,}$STATUS"
	done
	expect_eq "$got" "$want" "grant '$grant'"
done <<'EOF'
tasker.handler:* 200,200,200
tasker.* 200,200,200
* 200,200,200
tasker.handler:index 200,200,403
tasker.handler:show 403,403,200
tasker.task:* 403,403,403
tasker.handlerx:* 403,403,403
tasker.handler 403,403,403
tasker.handler* 403,403,403
tasker:* 403,403,403
tasker.handler:i* 403,403,403
*.handler:index 403,403,403
TASKER.HANDLER:INDEX 403,403,403
tasker.handler:index: 403,403,403
EOF
# Several grants add up.
use "$(token tasker.task:index tasker.handler:show tasker.handler:index)"
req GET /handlers
expect_status 200
req GET /handlers/payments/process_payment
expect_status 200

case_begin "contrib/quickstart token tasker.handler:index lists namespaces and nothing else"
use "$(TASKER_RUN_DIR=$TASKER_RUN TASKER_BUILD_DIR=$TASKER_BUILD \
    "$TASKER_QUICKSTART" token tasker.handler:index 2>/dev/null)"
[ -n "$AUTH" ] || fail "quickstart token printed nothing"
req GET /handlers
expect_status 200
expect_jq '.namespaces | length > 0' true
req GET /handlers/payments
expect_status 200
req GET /handlers/payments/process_payment
expect_forbidden tasker.handler:show

# --------------------------------------------------------------- the log

# log_line FILE... REQUEST_ID: the request line of that id (waits a little:
# the line is written after the answer).
log_line() {
	local id=${!#} i
	for i in $(seq 1 20); do
		grep -h "event=request request_id=$id " "${@:1:$#-1}" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

case_begin "the token's sub is the principal of the request log line"
sub=it-auth-$$
use "$($TASKER_ADMIN token --subject "$sub" --permission tasker.handler:index)"
req GET /handlers -H "X-Request-Id: it-auth-principal-$$"
expect_status 200
line=$(log_line "$TASKER_RUN"/fcgi*.log "it-auth-principal-$$") || fail "no request line"
[[ "$line" == *" status=200 "* && "$line" == *" principal=$sub" ]] ||
    fail "request line: $line"
use "$($TASKER_ADMIN token --subject 'Jane "JD" Doe' --permission tasker.handler:index)"
req GET /handlers -H "X-Request-Id: it-auth-quoted-$$"
line=$(log_line "$TASKER_RUN"/fcgi*.log "it-auth-quoted-$$") || fail "no request line"
[[ "$line" == *' principal="Jane \"JD\" Doe"' ]] || fail "quoted principal: $line"
use ""
req GET /handlers -H "X-Request-Id: it-auth-anon-$$"
line=$(log_line "$TASKER_RUN"/fcgi*.log "it-auth-anon-$$") || fail "no request line"
[[ "$line" == *" status=401 "* && "$line" == *" principal=-" ]] ||
    fail "request line of a 401: $line"

# ------------------------------------------- private pools: RS256, iss/aud

# Writes a config: the stack's with auth, api and logging replaced.
# priv_config NAME PREFIX AUTH_YAML
priv_config() {
	{
		awk '/^[A-Za-z_]+:/ { k = $0; sub(/:.*/, "", k);
		    skip = (k == "auth" || k == "api" || k == "logging") } !skip' \
		    "$TASKER_CONF"
		printf '%s\n' "$3"
		cat <<-YAML
		api:
		  mount_prefix: $2
		logging:
		  level: debug
		YAML
	} >"$PRIV/$1.yaml"
}

priv_stop() {
	local f pid
	if [ -f "$PRIV/nginx.pid" ]; then
		pid=$(cat "$PRIV/nginx.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	for f in "$PRIV"/*.fcgi.pid; do
		[ -f "$f" ] || continue
		for pid in $(cat "$f"); do kill "$pid" 2>/dev/null; done
	done
}
trap 'priv_stop; rm -rf "$T_TMP"' EXIT

priv_start() {
	local name
	mkdir -p "$PRIV/tmp"
	cp "$FIX/rsa.pub" "$FIX/rsa.pem" "$FIX/hs256.secret" "$PRIV/"
	chmod 600 "$PRIV"/rsa.pem "$PRIV"/hs256.secret
	# rs: RS256 and HS256 both allowed, one key each (by kid), so an
	# HS256 token naming the RSA key is the real confusion attack.
	priv_config rs /rs "auth:
  mode: jwt
  algorithms: [RS256, HS256]
  keys:
    - kid: rs-1
      algorithm: RS256
      key_file: $PRIV/rsa.pub
      signing_key_file: $PRIV/rsa.pem
    - kid: hs-1
      algorithm: HS256
      key_file: $PRIV/hs256.secret"
	# claims: iss and aud required, a small max_token_bytes, no kid.
	priv_config claims /claims "auth:
  mode: jwt
  algorithms: [HS256]
  keys:
    - algorithm: HS256
      key_file: $PRIV/hs256.secret
      signing_key_file: $PRIV/hs256.secret
  issuer: https://auth.example.test
  audience: tasker-it
  max_token_bytes: 1024"
	for name in rs claims; do
		spawn-fcgi -s "$PRIV/$name.sock" -M 0600 -F 1 \
		    -P "$PRIV/$name.fcgi.pid" -- "$TASKER_BUILD/tasker-fcgi" \
		    -c "$PRIV/$name.yaml" -l "$PRIV/$name.log" \
		    >>"$PRIV/spawn.log" 2>&1 || return 1
	done
	# Room for tokens over the default 8192-byte limit of tasker.
	private_nginx "$PRIV" "$PRIV_PORT" "large_client_header_buffers 4 32k;" "
	location /rs/ {
		include /etc/nginx/fastcgi_params;
		fastcgi_pass unix:$PRIV/rs.sock;
	}
	location /claims/ {
		include /etc/nginx/fastcgi_params;
		fastcgi_pass unix:$PRIV/claims.sock;
	}"
}

case_begin "private pools (RS256+HS256, iss/aud) start behind nginx on port $PRIV_PORT"
mkdir -m 700 "$PRIV"
if priv_start; then
	use ""
	req GET "$PRIV_URL/rs/handlers"
	expect_status 401
	req GET "$PRIV_URL/claims/handlers"
	expect_status 401
else
	fail "could not start: $(tail -5 "$PRIV/spawn.log" "$PRIV"/*.log 2>/dev/null)"
fi

RS_HDR='{"alg":"RS256","typ":"JWT","kid":"rs-1"}'

case_begin "RS256: a token signed with the private key is accepted; tasker-admin mints one"
use "$(jwt_rs256 "$RS_HDR" "$(claims it-rs '["tasker.handler:index"]')" "$PRIV/rsa.pem")"
req GET "$PRIV_URL/rs/handlers"
expect_status 200
req GET "$PRIV_URL/rs/handlers/payments/process_payment"
expect_forbidden tasker.handler:show
use "$("$TASKER_BUILD/tasker-admin" -c "$PRIV/rs.yaml" token --subject it-rs-admin \
    --permission tasker.handler:show 2>/dev/null)"
h=${AUTH%%.*}
while [ $((${#h} % 4)) -ne 0 ]; do h="$h="; done
expect_eq "$(printf '%s' "$h" | basenc -d --base64url | jq -r .alg)" RS256 "minted alg"
req GET "$PRIV_URL/rs/handlers/payments/process_payment"
expect_status 200

case_begin "RS256 -> HS256 confusion: an HS256 token whose secret is the RSA public key: 401"
cp "$PRIV/rsa.pub" "$JWT_TMP/pub.nl"
echo >>"$JWT_TMP/pub.nl"     # jwt_hs256 strips one "\n": sign the whole PEM too
for kf in "$PRIV/rsa.pub" "$JWT_TMP/pub.nl"; do
	for hdr in '{"alg":"HS256","typ":"JWT","kid":"rs-1"}' '{"alg":"HS256","typ":"JWT"}' \
	    '{"alg":"HS256","kid":"rs-1"}' '{"alg":"HS512","typ":"JWT","kid":"rs-1"}'; do
		use "$(jwt_hs256 "$hdr" "$(claims it-attacker)" "$kf")"
		req GET "$PRIV_URL/rs/handlers"
		expect_bad_token
	done
done
grep -q 'reason=alg_not_the_keys' "$PRIV/rs.log" ||
    fail "no 'reason=alg_not_the_keys' in the pool's debug log"
# The control: HS256 itself is allowed here, with its own key.
use "$(jwt_hs256 '{"alg":"HS256","typ":"JWT","kid":"hs-1"}' "$(claims it-hs)" "$PRIV/hs256.secret")"
req GET "$PRIV_URL/rs/handlers"
expect_status 200

case_begin "key choice by kid: unknown kid, kid of the other key's algorithm: 401"
use "$(jwt_rs256 '{"alg":"RS256","typ":"JWT","kid":"rs-0"}' "$(claims it-rs)" "$PRIV/rsa.pem")"
req GET "$PRIV_URL/rs/handlers"
expect_bad_token
use "$(jwt_rs256 '{"alg":"RS256","typ":"JWT","kid":"hs-1"}' "$(claims it-rs)" "$PRIV/rsa.pem")"
req GET "$PRIV_URL/rs/handlers"
expect_bad_token
use "$(jwt_rs256 '{"alg":"RS256","typ":"JWT"}' "$(claims it-rs)" "$PRIV/rsa.pem")"
req GET "$PRIV_URL/rs/handlers"
expect_bad_token
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$JWT_TMP/other.pem" 2>/dev/null
use "$(jwt_rs256 "$RS_HDR" "$(claims it-rs)" "$JWT_TMP/other.pem")"
req GET "$PRIV_URL/rs/handlers"
expect_bad_token

case_begin "max_token_bytes (default 8192): a well-signed longer token is 401, a long one within is 200"
# signed_pad N: an RS256 token with an N-byte "pad" claim.
signed_pad() {
	jwt_rs256 "$RS_HDR" "{\"sub\":\"it-big\",\"exp\":$((NOW + 600)),\"permissions\":[\"*\"],\"pad\":\"$(head -c "$1" /dev/zero | tr '\0' x)\"}" "$PRIV/rsa.pem"
}
t=$(signed_pad 5700)
if [ ${#t} -le 8000 ] || [ ${#t} -gt 8192 ]; then fail "control token is ${#t} bytes"; fi
use "$t"
req GET "$PRIV_URL/rs/handlers"
expect_status 200
t=$(signed_pad 5800)
[ ${#t} -gt 8192 ] || fail "test token not over the limit (${#t})"
use "$t"
req GET "$PRIV_URL/rs/handlers"
expect_bad_token
grep -q 'reason=token_too_large' "$PRIV/rs.log" || fail "no reason=token_too_large"

CL_HDR='{"alg":"HS256","typ":"JWT"}'
cl() {
	jwt_hs256 "$CL_HDR" "$1" "$PRIV/hs256.secret"
}

case_begin "iss and aud configured: right ones 200; wrong or missing: 401"
ok="\"sub\":\"it-cl\",\"exp\":$((NOW + 600)),\"permissions\":[\"*\"]"
use "$(cl "{$ok,\"iss\":\"https://auth.example.test\",\"aud\":\"tasker-it\"}")"
req GET "$PRIV_URL/claims/handlers"
expect_status 200
use "$(cl "{$ok,\"iss\":\"https://auth.example.test\",\"aud\":[\"other\",\"tasker-it\"]}")"
req GET "$PRIV_URL/claims/handlers"
expect_status 200
for c in '"iss":"https://evil.example.test","aud":"tasker-it"' \
    '"iss":"https://auth.example.test/","aud":"tasker-it"' \
    '"aud":"tasker-it"' '"iss":null,"aud":"tasker-it"' \
    '"iss":"https://auth.example.test","aud":"tasker-other"' \
    '"iss":"https://auth.example.test","aud":["a","b"]' \
    '"iss":"https://auth.example.test","aud":[]' \
    '"iss":"https://auth.example.test","aud":"TASKER-IT"' \
    '"iss":"https://auth.example.test"'; do
	use "$(cl "{$ok,$c}")"
	req GET "$PRIV_URL/claims/handlers"
	expect_bad_token
done
grep -q 'reason=wrong_issuer' "$PRIV/claims.log" || fail "no reason=wrong_issuer"
grep -q 'reason=wrong_audience' "$PRIV/claims.log" || fail "no reason=wrong_audience"

case_begin "tasker-admin token puts the configured iss and aud into the token"
use "$("$TASKER_BUILD/tasker-admin" -c "$PRIV/claims.yaml" token --subject it-cl-admin \
    --permission tasker.handler:index 2>/dev/null)"
req GET "$PRIV_URL/claims/handlers"
expect_status 200

case_begin "max_token_bytes: 1024: a well-signed 1025+ byte token is 401"
iss='"iss":"https://auth.example.test","aud":"tasker-it"'
mk() { cl "{$ok,$iss,\"pad\":\"$(head -c "$1" /dev/zero | tr '\0' x)\"}"; }
n=500
t=$(mk $n)
n=$((n + (1024 - ${#t}) * 3 / 4 - 3))
t=$(mk $n)
while [ ${#t} -le 1024 ]; do n=$((n + 1)); t=$(mk $n); done
use "$t"
req GET "$PRIV_URL/claims/handlers"
expect_bad_token
t=$(mk $((n - 3)))
[ ${#t} -le 1024 ] || fail "control token is ${#t} bytes"
use "$t"
req GET "$PRIV_URL/claims/handlers"
expect_status 200

# ------------------------------------------------------------ no leaks

case_begin "no token (nor the stack's secret) in any log"
logs=("$TASKER_RUN"/fcgi*.log "$TASKER_RUN"/nginx-access.log
    "$TASKER_RUN"/nginx-error.log "$PRIV"/*.log)
# Whole tokens, and each signature alone (a log might cut a line).
pat=$T_TMP/patterns
{ awk 'length($0) >= 16' "$SENT"
  awk -F. 'NF == 3 && length($3) >= 16 { print $3 }' "$SENT"
  cat "$SECRET"; echo
} | sort -u >"$pat"
chmod 600 "$pat"
[ "$(wc -l <"$pat")" -gt 100 ] || fail "only $(wc -l <"$pat") patterns recorded"
hits=$(grep -l -F -f "$pat" "${logs[@]}" 2>/dev/null)
[ -z "$hits" ] || fail "a token or secret appears in: $hits"
grep -q 'event=auth_rejected reason=' "$PRIV/rs.log" ||
    fail "the debug log has no rejection reasons (was the check meaningful?)"

case_begin "the private pools survived every request (no sanitizer report, same pids)"
for f in "$PRIV"/*.fcgi.pid; do
	for pid in $(cat "$f"); do
		kill -0 "$pid" 2>/dev/null || fail "tasker-fcgi $pid of $(basename "$f") is gone"
	done
done
bad=$(grep -l -E 'Sanitizer|runtime error:' "$PRIV"/*.log 2>/dev/null)
[ -z "$bad" ] || fail "sanitizer reports: $(grep -m3 -E 'Sanitizer|runtime error:' "$PRIV"/*.log)"

finish
