#!/usr/bin/env bash
# Unpack Debian's Courier IMAP/POP3 packages into a private root for the test harness
# (test/support/servers/courier.ts). courier-imap and courier-pop conflict with
# dovecot-imapd/pop3d (Conflicts: imap-server / pop3-server), which the other tests need, so
# they are never installed: they are `apt-get download`ed and `dpkg-deb -x`ed into
# $MAILFERRY_TEST_SERVERS/courier/root (default /opt/mailferry-test-servers). Only the plain
# shared libraries they link against are installed system-wide.
#
# Idempotent: a stamp file records the unpacked package versions; nothing is done when the
# candidates are unchanged. Runs as root on Debian 12.
set -euo pipefail

root_base="${MAILFERRY_TEST_SERVERS:-/opt/mailferry-test-servers}/courier"
root="$root_base/root"
stamp="$root_base/versions.stamp"

# The daemons and tools the harness runs; courier-authdaemon and courier-base are plain
# dependencies of courier-imap, but they ship daemons/init scripts, so they are unpacked too.
packages=(courier-imap courier-pop courier-base courier-authlib courier-authlib-userdb courier-authdaemon)
# What those binaries link against (ldd), all plain library packages. libgamin0 is the
# libfam.so.0 provider that courier-imap's "libgamin0 | libfam0" names first.
libraries=(libcourier-unicode4 libidn12 libgamin0 libltdl7 libgdbm6 libpcre3 libgnutls30 libcrypt1)

candidates() {
  # "name=version" for each package, as apt would download it now.
  local p v
  for p in "${packages[@]}"; do
    v="$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')"
    if [ -z "$v" ] || [ "$v" = "(none)" ]; then return 1; fi
    echo "$p=$v"
  done
}

if ! wanted="$(candidates)"; then
  apt-get update
  wanted="$(candidates)"
fi

missing_libs=()
for lib in "${libraries[@]}"; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'install ok installed' || missing_libs+=("$lib")
done
if [ "${#missing_libs[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing_libs[@]}" ||
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing_libs[@]}"; }
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$root/usr/bin/imapd" ]; then
  echo "install-courier: already unpacked in $root"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# apt downloads as _apt when it can write the directory (it warns and goes on as root otherwise).
chown _apt "$work" 2>/dev/null || true
(cd "$work" && apt-get download $wanted) || { apt-get update && (cd "$work" && apt-get download $wanted); }

mkdir -p "$root_base"
rm -rf "$root.new"
mkdir "$root.new"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$root.new"; done
# courier-base's postinst makes these update-alternatives links; makeimapaccess needs makedat.
for tool in makedat maildirmake deliverquota; do ln -s "$tool.courier" "$root.new/usr/bin/$tool"; done
rm -rf "$root"
mv "$root.new" "$root"
echo "$wanted" > "$stamp"
echo "install-courier: unpacked into $root:"
echo "$wanted"
