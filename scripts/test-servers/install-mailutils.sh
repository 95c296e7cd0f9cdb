#!/usr/bin/env bash
# Unpack GNU Mailutils imap4d/pop3d (Debian 12: mailutils-imap4d, mailutils-pop3d and the
# libraries they need that the machine lacks) under $ROOT/mailutils, without installing them
# system-wide (mailutils-imap4d provides imap-server, as dovecot-imapd does).
# The harness (test/support/servers/mailutils.ts) runs $ROOT/mailutils/usr/sbin/{imap4d,pop3d}
# with LD_LIBRARY_PATH pointing at the unpacked libraries. Idempotent; needs root for apt-get.
set -euo pipefail

ROOT="${MAILFERRY_TEST_SERVERS:-/opt/mailferry-test-servers}"
DEST="$ROOT/mailutils"
PKGS=(mailutils-imap4d mailutils-pop3d libnss-wrapper)
STAMP="$DEST/.installed"

if [[ -f "$STAMP" && -x "$DEST/usr/sbin/imap4d" && -x "$DEST/usr/sbin/pop3d" ]]; then
  echo "mailutils: already unpacked under $DEST"
  exit 0
fi

if [[ ! -d /var/lib/apt/lists || -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial || true)" ]]; then
  apt-get update -qq
fi

# Every package a real install would add (the daemons and the libraries missing here);
# the daemons themselves are listed explicitly in case they are already installed.
mapfile -t missing < <(apt-get install -s --no-install-recommends "${PKGS[@]}" 2>/dev/null | awk '/^Inst /{print $2}')
if [[ ${#missing[@]} -eq 0 ]]; then
  apt-get update -qq
  mapfile -t missing < <(apt-get install -s --no-install-recommends "${PKGS[@]}" 2>/dev/null | awk '/^Inst /{print $2}')
fi
declare -A want=()
for p in "${PKGS[@]}" mailutils-common libmailutils9 libmu-dbm9 "${missing[@]}"; do want[$p]=1; done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dl=(apt-get download -qq -o APT::Sandbox::User=root)
( cd "$work" && "${dl[@]}" "${!want[@]}" ) || { apt-get update -qq; ( cd "$work" && "${dl[@]}" "${!want[@]}" ); }

rm -rf "$DEST.new"
mkdir -p "$DEST.new"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$DEST.new"; done
rm -rf "$DEST"
mv "$DEST.new" "$DEST"
chmod -R a+rX "$DEST"
LD_LIBRARY_PATH="$DEST/usr/lib/x86_64-linux-gnu" "$DEST/usr/sbin/imap4d" --version >/dev/null
printf '%s\n' "${!want[@]}" | sort >"$STAMP"
echo "mailutils: unpacked $(wc -l <"$STAMP") packages under $DEST"
