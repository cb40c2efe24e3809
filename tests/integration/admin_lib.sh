# admin_lib.sh - sourced by admin.sh and admin_browser.sh: realistic data for
# the admin view (contacts with and without consent, a campaign sent through
# the SMTP sink, one unsubscribe through the mail's one-click link) and the
# admin token file.

ADMIN_TOKEN="admin-token-0123456789abcdefghijklmnopqrstuvwxyz"

# admin_data: needs setup_newsletter first; sets CAMPAIGN, ADDR_A, ADDR_B, ADDR_C
admin_data() {
    CAMPAIGN=monthly
    ADDR_A="anna.admin@example.com"
    ADDR_B="bert.admin@example.com"
    ADDR_C="carl.noconsent@example.com"
    {
        echo "email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip"
        echo "$ADDR_A,Anna <b>Admin</b>,DE,news,2026-06-01T10:00:00Z,form,$NEWS_TEXT,192.0.2.1"
        echo "$ADDR_B,Bert Admin,DE,news,2026-06-02T10:00:00Z,form,$NEWS_TEXT,192.0.2.2"
    } > "$TMP/contacts.csv"
    run "$MAILOUT" contact import "$TMP/contacts.csv"
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! contact import failed"; exit 1; }
    printf 'email,name,country\n%s,Carl Noconsent,DE\n' "$ADDR_C" > "$TMP/plain.csv"
    run "$MAILOUT" contact import "$TMP/plain.csv"
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! contact import (no consent) failed"; exit 1; }
    printf 'Hello {{name}},\n\nnews.\n\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
    "$MAILOUT" template add monthly --subject "Monthly news" --text "$TMP/body.txt" > /dev/null 2>&1
    "$MAILOUT" segment create everyone --where "country = 'DE'" > /dev/null 2>&1
    run "$MAILOUT" campaign create "$CAMPAIGN" --topic news --template monthly --segment everyone
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! campaign create failed"; exit 1; }
    run "$MAILOUT" campaign send "$CAMPAIGN"
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! campaign send failed"; exit 1; }
    run "$MAILOUT" dispatch --once
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! dispatch failed"; exit 1; }
    local f url
    f=$(mailtool to "$SMTP_MAILDIR" "$ADDR_B" | tail -n 1)
    url=$(mailtool header "$f" List-Unsubscribe | sed -E 's/^<([^>]*)>.*/\1/')
    curl -s -o /dev/null --max-time 10 -H 'Content-Type: application/x-www-form-urlencoded' \
        --data-binary 'List-Unsubscribe=One-Click' "$url"
}

# admin_token_write FILE MODE [TOKEN]
admin_token_write() {
    printf '%s\n' "${3:-$ADMIN_TOKEN}" > "$1"
    chmod "$2" "$1"
}
