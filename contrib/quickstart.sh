#!/bin/bash
# quickstart.sh - from a fresh Debian 12 clone to a running demo:
# installs the packages, builds mailout, starts a PostgreSQL kept under
# ./.local/pg (no server to set up by hand), migrates, loads the sample data
# from contrib/sample/ and runs the demo with the maildir transport
# (messages land in ./outbox/new).  `contrib/quickstart.sh stop` stops the
# database again.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
LOCAL="$top/.local"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pgdir() {
    # PostgreSQL refuses to run as root: as root the cluster runs as the
    # 'postgres' user, which needs to reach the directory.
    local d="$LOCAL/pg"
    if [ "$(id -u)" -eq 0 ]; then
        mkdir -p "$d"; chown postgres "$d"
        if ! runuser -u postgres -- test -w "$d" 2> /dev/null; then
            local alt="/var/lib/mailout-demo/$(echo "$top" | sha256sum | cut -c1-12)"
            mkdir -p "$alt"; chown postgres "$alt"
            rmdir "$d" 2> /dev/null || true
            [ -L "$d" ] || ln -sfn "$alt" "$d"
            d="$alt"
        fi
    else
        mkdir -p "$d"
    fi
    echo "$d"
}

if [ "${1:-}" = stop ]; then
    d=$(readlink -f "$LOCAL/pg" 2> /dev/null || true)
    [ -n "$d" ] && [ -f "$d/data/postmaster.pid" ] && as_pg "$(pg_bin)/pg_ctl" -D "$d/data" -w stop
    exit 0
fi

say "1/6 installing Debian packages (needs root or sudo)"
bash contrib/install-deps.sh

say "2/6 building"
[ -x configure ] || ./autogen.sh > /dev/null
if [ -f config.status ]; then
    make -j"$(nproc)" > /dev/null # a developer's in-tree build
else
    mkdir -p _build/local
    [ -f _build/local/Makefile ] || (cd _build/local && ../../configure > configure.log)
    make -C _build/local -j"$(nproc)" > /dev/null
    ln -sfn _build/local/mailout mailout
fi
./mailout --version

say "3/6 starting PostgreSQL under .local/pg"
PGD=$(pgdir)
PORT=${MAILOUT_DEMO_PORT:-54329}
HTTP_PORT=${MAILOUT_DEMO_HTTP_PORT:-8080}
if [ ! -f "$PGD/data/PG_VERSION" ]; then
    as_pg "$(pg_bin)/initdb" -D "$PGD/data" -U mailout -A trust -E UTF8 --locale=C.UTF-8 > "$LOCAL/initdb.log"
fi
if ! as_pg "$(pg_bin)/pg_ctl" -D "$PGD/data" status > /dev/null 2>&1; then
    as_pg "$(pg_bin)/pg_ctl" -D "$PGD/data" -w -l "$PGD/log" \
        -o "-p $PORT -k $PGD -c listen_addresses=''" start > /dev/null
fi
as_pg "$(pg_bin)/psql" -h "$PGD" -p "$PORT" -U mailout -d postgres -Atc \
    "SELECT 1 FROM pg_database WHERE datname = 'mailout'" | grep -q 1 ||
    as_pg "$(pg_bin)/createdb" -h "$PGD" -p "$PORT" -U mailout mailout
echo "PostgreSQL running: socket $PGD, port $PORT, database mailout"

if [ ! -f mailout.conf ]; then
    cat > mailout.conf <<CONF
# written by contrib/quickstart.sh; see mailout(1) for every key
# the application runs as mailout_web, a login role that is a member of
# mailout_app: it may append to the ledger, the send records and the audit
# log but never rewrite them.  Migrations run as the owner (see below).
db = host=$PGD port=$PORT user=mailout_web dbname=mailout
db_role = mailout_app
transport = maildir:./outbox
base_url = http://127.0.0.1:$HTTP_PORT
listen = 127.0.0.1:$HTTP_PORT
from = news@shop.example
postal_address = ACME Pumps GmbH, Musterstraße 1, 10115 Berlin, Germany
unsubscribe_mailto = unsubscribe@shop.example
legal_entity = ACME Pumps GmbH
privacy_url = https://shop.example/privacy
imprint_url = https://shop.example/imprint
suppression_key_file = ./.local/suppression.key
CONF
    chmod 600 mailout.conf
fi

say "4/6 migrating the database (as the owner, mailout)"
OWNER_DB="host=$PGD port=$PORT user=mailout dbname=mailout"
./mailout --db "$OWNER_DB" db migrate
./mailout --db "$OWNER_DB" db status | tail -n 1
# the login role the application uses: a member of mailout_app, not the owner
as_pg "$(pg_bin)/psql" -X -q -h "$PGD" -p "$PORT" -U mailout -d mailout -v ON_ERROR_STOP=1 -c \
    "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mailout_web') THEN
       CREATE ROLE mailout_web LOGIN IN ROLE mailout_app; END IF; END \$\$;"
if grep -q '^db = .*user=mailout ' mailout.conf; then
    echo "note: mailout.conf (from an earlier quick start) connects as the owner;" \
        "use user=mailout_web and db_role = mailout_app to run as the application role"
fi
echo "the application connects as mailout_web (member of mailout_app):"
if as_pg "$(pg_bin)/psql" -X -q -h "$PGD" -p "$PORT" -U mailout_web -d mailout -c \
    "UPDATE consent_events SET note = 'rewritten'" > "$LOCAL/role-check.log" 2>&1; then
    echo "  UNEXPECTED: mailout_web could rewrite the consent ledger" >&2
    exit 1
else
    echo "  UPDATE consent_events as mailout_web -> $(grep -o 'permission denied[^"]*' "$LOCAL/role-check.log" | head -n 1)"
fi

say "5/6 loading the sample data from contrib/sample"
bash contrib/demo.sh

say "6/6 done"
echo "Messages written by the maildir transport: $top/outbox/new"
echo "Configuration: $top/mailout.conf   Stop the database: contrib/quickstart.sh stop"
