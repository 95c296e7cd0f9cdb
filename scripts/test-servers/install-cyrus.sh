#!/usr/bin/env bash
# Unpack Debian 12's Cyrus IMAP 3.6 (cyrus-common, cyrus-imapd, cyrus-pop3d) under
# $MAILFERRY_TEST_SERVERS/cyrus/root (default /opt/mailferry-test-servers) for
# test/support/servers/cyrus.ts, without installing them: cyrus-imapd/cyrus-pop3d conflict
# with dovecot-imapd/dovecot-pop3d (imap-server, pop3-server) and cyrus-common would pull
# in an MTA. Only the shared libraries the imapd, pop3d and master binaries need, sasl2-bin
# (saslpasswd2 for the private sasldb) and socat (the private syslog socket) are installed.
# Idempotent: does nothing when the same version is already unpacked. Needs root.
set -euo pipefail

root_dir="${MAILFERRY_TEST_SERVERS:-/opt/mailferry-test-servers}/cyrus"
packages=(cyrus-common cyrus-imapd cyrus-pop3d)
# Runtime libraries of master/imapd/pop3d and the libcyrus*.so they load, beyond what
# Debian's base system and the Dovecot/Redis the tests already use bring in.
runtime=(libical3 libpcre3 libwrap0 libxapian30 libsasl2-2 libsasl2-modules libsasl2-modules-db
  libjansson4 libicu72 libsqlite3-0 libpq5 libldap-2.5-0 libxml2 libkrb5-3 libcom-err2 sasl2-bin socat)

need_apt=0
for p in "${runtime[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_apt=1
done
if [ "$need_apt" -eq 1 ] || ! apt-cache show cyrus-imapd >/dev/null 2>&1; then
  apt-get update
fi
if [ "$need_apt" -eq 1 ]; then
  # --no-install-recommends: sasl2-bin recommends nothing we need; its saslauthd is not started.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${runtime[@]}"
fi

version=$(apt-cache policy cyrus-imapd | awk '/Candidate:/ { print $2 }')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "install-cyrus.sh: apt knows no cyrus-imapd candidate" >&2
  exit 1
fi
if [ -f "$root_dir/VERSION" ] && [ "$(cat "$root_dir/VERSION")" = "$version" ] \
  && [ -x "$root_dir/root/usr/lib/cyrus/bin/master" ]; then
  echo "cyrus $version already unpacked in $root_dir"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download writes into the current directory; _apt must be able to write there.
chmod 0777 "$work"
(cd "$work" && apt-get download "${packages[@]/%/=$version}")
mkdir -p "$work/root"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
rm -rf "$root_dir.new"
mkdir -p "$root_dir.new"
mv "$work/root" "$root_dir.new/root"
echo "$version" >"$root_dir.new/VERSION"
rm -rf "$root_dir"
mv "$root_dir.new" "$root_dir"
echo "cyrus $version unpacked in $root_dir"
