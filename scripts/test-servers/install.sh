#!/usr/bin/env bash
# Unpack every private test mail server (Cyrus, Courier, GNU Mailutils) under
# ${MAILFERRY_TEST_SERVERS:-/opt/mailferry-test-servers}: their Debian packages conflict with
# dovecot-imapd, so they are downloaded and unpacked, never installed system-wide; only plain
# shared libraries are installed. Idempotent (each script skips work already done). As root.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for script in "$here"/install-*.sh; do
  bash "$script"
done
