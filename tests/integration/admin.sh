#!/bin/bash
# admin.sh - the read-only admin view under /admin (issue 12), over loopback
# with curl against a real `mailout serve` and PostgreSQL: off (404 like an
# unknown path) without admin_token_file; a token file readable by group or
# too short stops serve at start; no data without a session; a wrong token
# (403, no cookie) and a forged cookie are refused; the session cookie's
# attributes; the pages with data; an expired session (admin_session_ttl
# 2s, waited for by polling) and logout end access; bad input never crashes;
# failed logins are throttled.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$SRCDIR/tests/integration/admin_lib.sh"

command -v curl > /dev/null || skip_all "curl not installed"
plan 60

setup_newsletter "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin"
admin_data

# req ARGS...: curl, status in $CODE, headers in $HDR, body in $BODY
req() {
    CODE=$(curl -s --max-time 10 -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' "$@")
    HDR=$(tr -d '\r' < "$TMP/h")
    BODY=$(cat "$TMP/b")
}
# hdr NAME: the value of response header NAME in $HDR (first one)
hdr() { printf '%s\n' "$HDR" | grep -i "^$1:" | head -n 1 | sed -E "s/^[^:]*: ?//"; }

# --- off without admin_token_file -------------------------------------------------
req "$BASE/no-such-page"
UNKNOWN="$CODE|$BODY"
req "$BASE/admin"
is "$CODE|$BODY" "$UNKNOWN" "without admin_token_file GET /admin answers exactly like an unknown path"
req -d token=x "$BASE/admin/login"
is "$CODE" 404 "without admin_token_file POST /admin/login is 404"
req "$BASE/admin/style.css"
is "$CODE" 404 "without admin_token_file /admin/style.css is 404"
serve_sigterm
is "$SERVE_RC" 0 "serve without the admin view stops"

# --- the token file is checked at start ----------------------------------------------
cp "$TMP/mailout.conf" "$TMP/base.conf"
admin_token_write "$TMP/admin.token" 640
cat "$TMP/base.conf" > "$TMP/mailout.conf"
echo "admin_token_file = $TMP/admin.token" >> "$TMP/mailout.conf"
run timeout 20 "$MAILOUT" serve
isnt_zero=$([ "$RC" -ne 0 ] && echo refused || echo "started ($RC)")
is "$isnt_zero" refused "serve refuses a group-readable token file"
like "$ERR" "admin_token_file" "the error names the key admin_token_file"
is "$(printf '%s\n' "$ERR" | grep -c 'admin_token_file')" 1 "in one line"
run "$MAILOUT" doctor
like "$OUT$ERR" "admin view: '.*' is readable by group or others: chmod 600 it \\(key admin_token_file\\)" \
    "doctor reports the group-readable token file"
admin_token_write "$TMP/admin.token" 600 "short-token"
run timeout 20 "$MAILOUT" serve
is "$RC" 65 "serve refuses a token shorter than 32 characters (65)"
like "$ERR" "^mailout: the token in '.*' is shorter than 32 characters \\(key admin_token_file\\)" \
    "saying so and naming the key"
admin_token_write "$TMP/admin.token" 600

# --- on ---------------------------------------------------------------------------------
echo "admin_session_ttl = 10m" >> "$TMP/mailout.conf"
run "$MAILOUT" doctor
like "$OUT$ERR" "admin view on under /admin, sessions last 600s" "doctor reports the admin view on"
start_serve

req "$BASE/admin"
is "$CODE" 200 "GET /admin without a cookie: 200"
like "$BODY" '<form id="login" method="post" action="/admin/login">' "it shows the login form"
unlike "$BODY" "$CAMPAIGN|$ADDR_A" "and no data"
like "$(hdr Content-Security-Policy)" "^default-src 'none'; style-src 'self';.*frame-ancestors 'none'" \
    "a strict CSP without scripts or inline style"
is "$(hdr Cache-Control)|$(hdr X-Content-Type-Options)|$(hdr Referrer-Policy)" \
    "no-store|nosniff|no-referrer" "Cache-Control no-store, nosniff, no-referrer"
req "$BASE/admin/campaign?name=$CAMPAIGN"
is "$CODE" 401 "a campaign page without a cookie: 401"
unlike "$BODY" "<svg|$CAMPAIGN" "with no data"
req "$BASE/admin/contact?email=$ADDR_A"
unlike "$CODE|$BODY" "^200|$ADDR_A" "the contact page without a cookie shows nothing of the contact"

req -d "token=wrong-token-0123456789abcdefghijklmnopqrstuvwxyz" "$BASE/admin/login"
is "$CODE" 403 "a wrong token: 403"
is "$(hdr Set-Cookie)" "" "and no cookie"
like "$BODY" 'id="login"' "with the form again"

req -H "Cookie: mo_admin=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$BASE/admin/campaign?name=$CAMPAIGN"
is "$CODE" 401 "a forged, well-formed cookie is refused"
BIG=$(head -c 30000 /dev/zero | tr '\0' 'x')
req -H "Cookie: mo_admin=$BIG; other=1" "$BASE/admin"
is "$CODE|$(printf '%s' "$BODY" | grep -c 'id="login"')" "200|1" "a huge cookie gets the login form"
req -H $'Cookie: mo_admin=\x01\x02;;;==;mo_admin' "$BASE/admin"
is "$CODE" 200 "a garbage cookie gets the login form"

req -d "token=$ADMIN_TOKEN" "$BASE/admin/login"
is "$CODE|$(hdr Location)" "303|/admin" "the right token: 303 to /admin"
SETC=$(hdr Set-Cookie)
like "$SETC" '^mo_admin=[A-Za-z0-9_-]{43}; Path=/admin; HttpOnly; Secure; SameSite=Strict; Max-Age=600$' \
    "the cookie: a 256-bit id, Path=/admin, HttpOnly, Secure, SameSite=Strict, Max-Age of the TTL"
COOKIE=${SETC%%;*}

req -b "$COOKIE" "$BASE/admin"
is "$CODE" 200 "with the cookie: the campaign list"
like "$BODY" "href=\"/admin/campaign\\?name=$CAMPAIGN\">$CAMPAIGN</a>" "it lists the campaign"
like "$BODY" '<td class="basis">consent: 2</td><td class="excluded">no_basis: 1</td>' \
    "with recipients per basis and per exclusion reason"
req -b "mo_admin=stale-or-foreign; $COOKIE" "$BASE/admin"
is "$CODE|$(printf '%s' "$BODY" | grep -c 'id="login"')" "200|0" "a stale mo_admin cookie sent before ours does not hide the session"
req -b "$COOKIE" "$BASE/admin/campaign?name=$CAMPAIGN"
is "$CODE" 200 "the campaign page"
like "$BODY" '<svg [^>]*id="chart"' "it has the SVG chart"
like "$BODY" '<rect [^>]*><title>[0-9: -]+: 2 sent</title>' "with a bar for the two sends"
like "$BODY" '<rect [^>]*><title>[0-9: -]+: 1 unsubscribed</title>' "and one for the unsubscribe"
like "$BODY" 'data-series="failed"' "and a series for failures"
req -b "$COOKIE" "$BASE/admin/campaign?name=no-such-campaign"
is "$CODE" 404 "an unknown campaign: 404"
req -b "$COOKIE" --get --data-urlencode "email=$ADDR_A" "$BASE/admin/contact"
is "$CODE" 200 "the contact page"
like "$BODY" '<h2>Audit history</h2>' "it has the audit history section"
like "$BODY" '<th scope="row">decision</th><td>basis</td>' "and the explain path for the campaign"
unlike "$BODY" '<b>Admin' "the contact's name (with markup) is never shown unescaped"
req -b "$COOKIE" --get --data-urlencode "email=<script>x</script>@example.com" "$BASE/admin/contact"
unlike "$BODY" '<script' "an address with markup is escaped everywhere"
req -b "$COOKIE" "$BASE/admin/campaign?name=%ff%fe"
is "$CODE" 404 "a campaign name that is not UTF-8: 404"
req -b "$COOKIE" "$BASE/admin/contact?email=%ff%40x.example"
is "$CODE" 200 "an address that is not UTF-8 gets the empty lookup page"
req -b "$COOKIE" "$BASE/admin/nothing-here"
is "$CODE" 404 "an unknown path under /admin: 404"
req -I -b "$COOKIE" "$BASE/admin"
is "$CODE" 200 "HEAD /admin answers"
req -b "$COOKIE" -H 'Content-Type: application/json' -d '{"token":1}' "$BASE/admin/login"
is "$CODE" 415 "a JSON login body: 415"
req -b "$COOKIE" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary $'token=%00' "$BASE/admin/login"
is "$CODE" 400 "a form with a NUL byte: 400"
req -b "$COOKIE" "$BASE/admin"
is "$CODE" 200 "the session still works after the bad requests"

req -b "$COOKIE" -d "" "$BASE/admin/logout"
is "$CODE|$(hdr Location)" "303|/admin" "logout: 303 to /admin"
like "$(hdr Set-Cookie)" '^mo_admin=; .*Max-Age=0$' "logout clears the cookie"
req -b "$COOKIE" "$BASE/admin/campaign?name=$CAMPAIGN"
is "$CODE" 401 "the session is over after logout"

# --- an expired session -----------------------------------------------------------------
serve_sigterm
sed -i 's/^admin_session_ttl = .*/admin_session_ttl = 2s/' "$TMP/mailout.conf"
start_serve
req -d "token=$ADMIN_TOKEN" "$BASE/admin/login"
SETC=$(hdr Set-Cookie)
COOKIE=${SETC%%;*}
like "$SETC" 'Max-Age=2$' "with admin_session_ttl = 2s the cookie says Max-Age=2"
# wait for the expiry by polling (the server decides; no timing is asserted)
for _ in $(seq 1 100); do
    req -b "$COOKIE" "$BASE/admin/campaign?name=$CAMPAIGN"
    [ "$CODE" = 401 ] && break
    sleep 0.2
done
is "$CODE" 401 "an expired session is refused"
like "$BODY" 'id="login"' "with the login form"

# --- throttling -------------------------------------------------------------------------------
for _ in $(seq 1 10); do req -d "token=wrong" "$BASE/admin/login"; done
req -d "token=$ADMIN_TOKEN" "$BASE/admin/login"
is "$CODE|$(hdr Set-Cookie)" "429|" "after 10 failed logins from this address even the right token waits (429, no cookie)"

serve_sigterm
is "$SERVE_RC" 0 "serve stops on SIGTERM"

# --- mailout run serves the same view ---------------------------------------------------------
"$MAILOUT" run -j 1 > "$TMP/run.log" 2>&1 &
RPID=$!
BG_PIDS="$BG_PIDS $RPID"
for _ in $(seq 1 100); do
    [ "$(curl -s --max-time 2 "$BASE/healthz")" = ok ] && break
    sleep 0.1
done
req -d "token=$ADMIN_TOKEN" "$BASE/admin/login"
COOKIE=$(hdr Set-Cookie)
COOKIE=${COOKIE%%;*}
req -b "$COOKIE" "$BASE/admin"
like "$CODE|$(printf '%s' "$BODY" | grep -c "campaign?name=$CAMPAIGN")" '^200\|1$' \
    "mailout run serves /admin too: login and the campaign list"
kill -TERM "$RPID"
RUN_RC=timeout
for _ in $(seq 1 100); do
    kill -0 "$RPID" 2> /dev/null || { wait "$RPID"; RUN_RC=$?; break; }
    sleep 0.1
done
is "$RUN_RC" 0 "mailout run stops on SIGTERM"
unlike "$(cat "$TMP/serve.log" "$TMP/run.log" | grep -E 'ERROR: AddressSanitizer|LeakSanitizer|runtime error')" '.' \
    "no sanitizer reports"
done_testing
